"""The whole desk: a real SQLite database with demo data, opened the way ``run_gui`` opens
it, driven from the keyboard: type, see results, Enter, read the account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.desk import Desk, open_desk
from app.services.views import AccountDetail, LookupResult
from tests.ui.test_lookup_panel import BAD_INPUT
from ui.account.view import balance_figure
from ui.app import _open_desk
from ui.main_window import MainWindow

DEMO_PATIENTS = 200


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database with 200 demo patients, built through the facade."""
    path = tmp_path_factory.mktemp("e2e") / "desk.sqlite3"
    url = f"sqlite:///{path}"
    open_desk(url, demo_patients=DEMO_PATIENTS).close()
    return url


@pytest.fixture
def desk(demo_url: str) -> Iterator[Desk]:
    opened = open_desk(demo_url, demo_patients=DEMO_PATIENTS)
    yield opened
    opened.close()


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, desk: Desk) -> MainWindow:
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.set_desk(desk)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    win.find_patient()
    return win


def a_patient_with_coverage(desk: Desk) -> tuple[LookupResult, AccountDetail]:
    """A demo patient whose account has coverage and more than one patient, found
    through the same lookup the agent uses."""
    for letter in "abcdefghijklmnoprstvw":
        for result in desk.lookup(letter).results:
            if result.role != "patient":
                continue
            detail = desk.account(result.account_id)
            if detail.coverages and len(detail.patients) > 1:
                return result, detail
    raise AssertionError("the demo data has no account with coverage and siblings")


def test_type_account_number_enter_opens_the_account(
    qtbot: QtBot, window: MainWindow, desk: Desk
) -> None:
    patient, detail = a_patient_with_coverage(desk)
    search = window.lookup.search
    with qtbot.waitSignal(window.lookup.searchFinished, timeout=5000) as finished:
        qtbot.keyClicks(search, detail.account_number)
    shown = window.lookup.model.results
    assert {r.account_id for r in shown} == {detail.id}
    assert len(shown) == len(detail.patients) + 1  # the guarantor and each patient
    assert "account" in finished.args[0].hint.lower()

    with qtbot.waitSignal(window.account.accountShown, timeout=5000):
        qtbot.keyClick(search, Qt.Key.Key_Return)
    view = window.account
    assert view.stack.currentWidget() is view.content
    assert view.guarantor.text() == detail.guarantor_name
    assert detail.account_number in view.account_number.text()
    assert view.fields["Phone"].text() == (detail.phone or "—")
    assert view.balance.value.text() == balance_figure(detail.balance_cents)[0]
    assert view.patients_model.rowCount() == len(detail.patients)
    assert view.coverage_model.rowCount() == len(detail.coverages)
    names = [
        view.patients_model.data(view.patients_model.index(r, 0))
        for r in range(view.patients_model.rowCount())
    ]
    assert patient.name in names


def test_type_a_name_arrow_down_to_the_patient_enter_highlights_them(
    qtbot: QtBot, window: MainWindow, desk: Desk
) -> None:
    patient, _detail = a_patient_with_coverage(desk)
    search = window.lookup.search
    with qtbot.waitSignal(window.lookup.searchFinished, timeout=5000):
        qtbot.keyClicks(search, patient.name)
    rows = [r.person_id for r in window.lookup.model.results]
    assert patient.person_id in rows
    qtbot.keyClick(search, Qt.Key.Key_Down)
    for _ in range(rows.index(patient.person_id)):
        qtbot.keyClick(window.lookup.table, Qt.Key.Key_Down)
    assert window.lookup.selected_result() == patient
    with qtbot.waitSignal(window.account.accountShown, timeout=5000):
        qtbot.keyClick(window.lookup.table, Qt.Key.Key_Return)
    row = window.account.highlighted_patient_row()
    assert row >= 0
    assert window.account.patients_model.row_at(row).id == patient.patient_id
    assert window.account.patients_table.selectionModel().isRowSelected(row)
    # Ctrl+F goes back to the search, ready for the next caller.
    qtbot.keyClick(window.account.patients_table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert search.hasFocus() and search.selectedText() == patient.name


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_odd_input_against_the_real_database(qtbot: QtBot, window: MainWindow, text: str) -> None:
    panel = window.lookup
    panel.search.setText(text)
    if text.strip():
        qtbot.waitUntil(lambda: not panel.search_pending, timeout=5000)
        assert "failed" not in panel.hint.text().lower()
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    qtbot.keyClick(panel.search, Qt.Key.Key_Escape)
    assert panel.search.text() == ""


def test_first_run_opens_in_the_background_like_run_gui(qtbot: QtBot, tmp_path: Path) -> None:
    """A brand-new database: migrated and filled in the worker while the agent types."""
    url = f"sqlite:///{tmp_path / 'first-run.sqlite3'}"
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    messages: list[str] = []
    win.statusBar().messageChanged.connect(messages.append)
    win.open_desk_with(lambda progress: _open_desk(url, None, DEMO_PATIENTS, progress))
    qtbot.keyClicks(win.lookup.search, "a")  # typed before the desk is ready
    with qtbot.waitSignal(win.deskOpened, timeout=60_000):
        pass
    assert any("demo data" in m for m in messages)
    assert win.user_label.text().endswith("· Agent")
    assert win.database_label.text().startswith("SQLite")
    qtbot.waitUntil(lambda: win.lookup.model.rowCount() > 0, timeout=5000)
    QApplication.processEvents()
    desk = win.desk
    assert desk is not None
    desk.close()


def test_the_explainer_tab_on_a_real_account(qtbot: QtBot, window: MainWindow, desk: Desk):
    """Open a demo account with visits; the explainer shows each visit, and the owed
    column plus what is with insurance matches the balance figures."""
    _, detail = a_patient_with_coverage(desk)
    with qtbot.waitSignal(window.account.explainer.loaded, timeout=10_000):
        window.account.open_account(detail.id, None)
    explained = desk.explain(detail.id)
    panel = window.account.explainer
    window.account.tabs.setCurrentWidget(panel)
    assert panel.visits.topLevelItemCount() == len(explained.visits)
    assert explained.balance == detail.balance_cents
    assert explained.with_insurance == detail.pending_insurance_cents
    assert panel.summary.text().startswith(("Your account", "Your statement"))
