"""Fixtures for the widget tests: a fake desk, throwaway settings, a themed application."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QThreadPool
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.desk import Desk
from tests.ui.fakes import FakeDesk
from ui import theme
from ui.main_window import MainWindow


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _themed(qapp: QApplication) -> Iterator[None]:
    theme.apply(qapp)
    yield
    # No worker may outlive its test and answer into the next one.
    QThreadPool.globalInstance().waitForDone(10_000)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a temp INI file, never the agent's real ones."""
    return QSettings(str(tmp_path / "pa-desk.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def fake_desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture
def window(qtbot: QtBot, settings: QSettings, fake_desk: FakeDesk) -> MainWindow:
    """The main window on a fake desk, shown and active."""
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.set_desk(fake_desk)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=2000)
    return win


@pytest.fixture
def desk_window(qtbot: QtBot, tmp_path: Path, paying_desk: Desk) -> Iterator[MainWindow]:
    """The main window on a real desk (its own demo copy and sandbox gateway), 1600x900."""
    win = MainWindow(QSettings(str(tmp_path / "pa-desk.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.set_desk(paying_desk)
    win.resize(1600, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.calls.wait_for_saves()
    win.call_wiring.stop_cti()
