"""The main window: menus and shortcuts, status bar, opening the desk, layout memory."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.ui.fakes import FakeDesk
from ui.app import database_label
from ui.main_window import SYNC_PLACEHOLDER, MainWindow, describe_open_error
from ui.workers import ProgressCallback


def test_title_menus_and_status_bar(window: MainWindow) -> None:
    assert window.windowTitle() == "PA Desk"
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Payments", "Sync", "Help"]
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    assert window.database_label.text() == "Fake · in memory"
    assert window.user_label.text() == "Alex Morgan · Agent"
    assert window.sync_label.text() == SYNC_PLACEHOLDER
    assert window.lookup.search.accessibleName()
    assert window.account.empty.text().startswith("Search for a caller")


def test_type_enter_opens_the_account(qtbot: QtBot, window: MainWindow) -> None:
    search = window.lookup.search
    with qtbot.waitSignal(window.lookup.searchFinished, timeout=3000):
        qtbot.keyClicks(search, "rivera mia")
    with qtbot.waitSignal(window.account.accountShown, timeout=3000):
        qtbot.keyClick(search, Qt.Key.Key_Return)
    assert window.account.guarantor.text() == "Rivera, Ana"
    assert window.account.highlighted_patient_row() == 0
    assert window.account.patients_model.rowCount() == 2
    assert window.account.coverage_model.rowCount() == 3
    assert window.account.balance.value.text() == "$482.50"


def test_ctrl_f_focuses_and_selects_the_search_from_anywhere(
    qtbot: QtBot, window: MainWindow
) -> None:
    search = window.lookup.search
    with qtbot.waitSignal(window.lookup.searchFinished, timeout=3000):
        qtbot.keyClicks(search, "rivera")
    with qtbot.waitSignal(window.account.accountShown, timeout=3000):
        qtbot.keyClick(search, Qt.Key.Key_Return)
    window.account.patients_table.setFocus()
    assert not search.hasFocus()
    qtbot.keyClick(window.account.patients_table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert search.hasFocus()
    assert search.selectedText() == "rivera"
    # Typing now replaces the old search.
    qtbot.keyClicks(search, "leo")
    assert search.text() == "leo"


def test_ctrl_f_brings_back_a_hidden_lookup_panel(qtbot: QtBot, window: MainWindow) -> None:
    window.toggle_lookup_action.trigger()
    assert not window.lookup.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.lookup.isVisible()
    assert window.lookup.search.hasFocus()


def test_geometry_and_splitter_are_remembered(qtbot: QtBot, settings: QSettings) -> None:
    first = MainWindow(settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    # The offscreen screen is small; restoreGeometry keeps windows on screen.
    first.setGeometry(QRect(10, 30, 740, 560))
    qtbot.waitUntil(lambda: first.width() == 740, timeout=2000)
    default = first.splitter.sizes()
    first.splitter.setSizes([1, 10_000])  # the lookup panel as narrow as it may be
    sizes = first.splitter.sizes()
    assert sizes != default
    first.close()
    assert settings.contains("mainWindow/geometry")
    assert settings.contains("mainWindow/splitter")

    again = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    second = MainWindow(again)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.size().width() == 740
    assert second.size().height() == 560
    assert second.splitter.sizes() == sizes


def test_the_desk_opens_in_the_background_and_typing_waits(
    qtbot: QtBot, settings: QSettings
) -> None:
    desk = FakeDesk()
    gate = threading.Event()
    progress_seen: list[str] = []

    def opener(progress: ProgressCallback) -> FakeDesk:
        progress("Opening database…")
        progress("Creating demo data (200 patients, first run)…")
        gate.wait(5)  # the worker is slow; the window is not
        return desk

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    win.statusBar().messageChanged.connect(progress_seen.append)
    win.open_desk_with(opener)
    qtbot.waitUntil(lambda: "Creating demo data" in win.statusBar().currentMessage(), timeout=3000)
    qtbot.keyClicks(win.lookup.search, "rivera")
    qtbot.waitUntil(lambda: "Waiting" in win.lookup.hint.text(), timeout=3000)
    with qtbot.waitSignal(win.lookup.searchFinished, timeout=3000):
        gate.set()
    assert win.desk is desk
    assert win.lookup.model.rowCount() == 3
    assert win.database_label.text() == desk.database_label
    assert any("Opening database" in m for m in progress_seen)


def test_database_that_will_not_open_gets_a_message_not_a_traceback(
    qtbot: QtBot, settings: QSettings
) -> None:
    def opener(progress: ProgressCallback) -> FakeDesk:
        raise OSError("unable to open database file\n[SQL: PRAGMA journal_mode=WAL]")

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.deskOpenFailed, timeout=3000) as failed:
        win.open_desk_with(opener)
    box = win.error_box
    assert isinstance(box, QMessageBox)
    assert box.isVisible()
    text = box.text() + box.informativeText()
    assert "unable to open database file" in text
    assert "Traceback" not in text and "[SQL" not in text
    assert failed.args[0] == box.informativeText()
    assert win.desk is None
    box.close()


def test_describe_open_error_keeps_desk_errors_as_written() -> None:
    from app.services.errors import DeskError

    assert describe_open_error(DeskError("No desk user named 'x'")) == "No desk user named 'x'"
    assert describe_open_error(ValueError("")).startswith("ValueError")


@pytest.mark.parametrize(
    ("url", "label"),
    [
        (None, "SQLite · desk.sqlite3"),
        ("sqlite:////tmp/desks/branch.sqlite3", "SQLite · branch.sqlite3"),
        ("postgresql://agent:s3cret@db.example:5433/desk", "PostgreSQL · db.example:5433/desk"),
        ("postgresql://h:notaport/desk", "Database"),
    ],
)
def test_database_label_never_shows_a_password(url: str | None, label: str) -> None:
    assert database_label(url) == label
    assert "s3cret" not in database_label(url)
