"""The lookup panel against a fake desk: typing, keyboard, stale answers, odd input."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.views import LookupAnswer, LookupResult
from tests.ui.fakes import MIA_ID, FakeDesk
from ui.lookup.panel import IDLE_TEXT, NO_MATCHES, WAITING_FOR_DATABASE, LookupPanel

BAD_INPUT = [
    "'",
    '"',
    "O'Brien",
    '"Smith"',
    "%",
    "%%_%",
    "_",
    "\\",
    "'; DROP TABLE patient; --",
    "Robert'); DROP TABLE guarantor_account;--",
    "😀",
    "Ana 👩‍⚕️ Rivera",
    "\x00",
    "\u202e\u200b",
    "x" * 10_000,
    "1" * 10_000,
    "/" * 300,
    "  ,  ,  ",
    "12/34/5678",
    "(((",
]


@pytest.fixture
def panel(qtbot: QtBot, fake_desk: FakeDesk) -> LookupPanel:
    widget = LookupPanel()
    qtbot.addWidget(widget)
    widget.set_desk(fake_desk)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    widget.focus_search()
    return widget


def names(panel: LookupPanel) -> list[str]:
    return [r.name for r in panel.model.results]


def test_typing_shows_results(qtbot: QtBot, panel: LookupPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    assert names(panel) == ["Rivera, Ana", "Rivera, Mia", "Rivera, Leo"]
    assert panel.stack.currentWidget() is panel.table
    assert "3 matches" in panel.hint.text()


def test_typing_is_debounced(qtbot: QtBot, panel: LookupPanel, fake_desk: FakeDesk) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    # Six keystrokes faster than the debounce: one query, for the whole text.
    assert fake_desk.lookups == ["rivera"]


def test_empty_text_clears_and_no_matches_says_so(qtbot: QtBot, panel: LookupPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    panel.search.clear()
    assert panel.model.rowCount() == 0
    assert panel.hint.text() == IDLE_TEXT
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "zzzz")
    assert panel.model.rowCount() == 0
    assert panel.stack.currentWidget() is panel.empty
    assert NO_MATCHES in panel.empty.text()
    assert NO_MATCHES in panel.hint.text()


def test_stale_answer_never_overwrites_a_newer_one(qtbot: QtBot) -> None:
    # The first (shorter) query is slow, the second fast: the answers cross.
    desk = FakeDesk(delay=lambda text: 0.8 if text == "rive" else 0.0)
    panel = LookupPanel()
    qtbot.addWidget(panel)
    panel.set_desk(desk)
    panel.show()
    qtbot.keyClicks(panel.search, "rive")
    qtbot.waitUntil(lambda: desk.lookups == ["rive"], timeout=3000)
    with qtbot.waitSignal(panel.searchFinished, timeout=3000) as newer:
        qtbot.keyClicks(panel.search, "ra")
    assert newer.args[0].text == "rivera"
    with qtbot.waitSignal(panel.staleAnswerDropped, timeout=5000) as dropped:
        pass
    assert dropped.args == [1]
    assert desk.finished == ["rivera", "rive"]
    # "rive" also matches "Rivers, Tom"; the newer answer ("rivera") is still shown.
    assert names(panel) == ["Rivera, Ana", "Rivera, Mia", "Rivera, Leo"]


def test_answer_to_cleared_text_is_dropped(qtbot: QtBot) -> None:
    desk = FakeDesk(delay=lambda _text: 0.3)
    panel = LookupPanel()
    qtbot.addWidget(panel)
    panel.set_desk(desk)
    qtbot.keyClicks(panel.search, "rivera")
    qtbot.waitUntil(lambda: desk.lookups == ["rivera"], timeout=3000)
    panel.search.clear()
    with qtbot.waitSignal(panel.staleAnswerDropped, timeout=3000):
        pass
    assert panel.model.rowCount() == 0
    assert panel.hint.text() == IDLE_TEXT


def test_keyboard_down_up_enter(qtbot: QtBot, panel: LookupPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    qtbot.keyClick(panel.search, Qt.Key.Key_Down)
    assert panel.table.hasFocus()
    assert panel.table.currentIndex().row() == 0
    assert panel.table.selectionModel().isRowSelected(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    assert panel.table.currentIndex().row() == 1
    with qtbot.waitSignal(panel.resultActivated, timeout=1000) as opened:
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert opened.args[0].patient_id == MIA_ID
    qtbot.keyClick(panel.table, Qt.Key.Key_Up)
    assert panel.table.currentIndex().row() == 0
    qtbot.keyClick(panel.table, Qt.Key.Key_Up)
    assert panel.search.hasFocus()
    assert panel.search.selectedText() == "rivera"


def test_enter_in_box_opens_first_result(qtbot: QtBot, panel: LookupPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    with qtbot.waitSignal(panel.resultActivated, timeout=1000) as opened:
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert opened.args[0].name == "Rivera, Ana"


def test_enter_right_after_typing_waits_for_the_typed_text(
    qtbot: QtBot, panel: LookupPanel
) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rive")
    # Type more and press Enter before the debounce: the older answer must not open.
    with qtbot.waitSignal(panel.resultActivated, timeout=3000) as opened:
        qtbot.keyClicks(panel.search, "rs")
        qtbot.keyClick(panel.search, Qt.Key.Key_Enter)
    result: LookupResult = opened.args[0]
    assert result.name == "Rivers, Tom"


def test_double_click_opens_a_row(qtbot: QtBot, panel: LookupPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    rect = panel.table.visualRect(panel.model.index(2, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(panel.resultActivated, timeout=1000) as opened:
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args[0].name == "Rivera, Leo"


def test_escape_clears_the_box(qtbot: QtBot, panel: LookupPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        qtbot.keyClicks(panel.search, "rivera")
    qtbot.keyClick(panel.search, Qt.Key.Key_Escape)
    assert panel.search.text() == ""
    assert panel.model.rowCount() == 0


def test_typing_before_the_desk_opens_runs_once_it_does(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    panel = LookupPanel()
    qtbot.addWidget(panel)
    qtbot.keyClicks(panel.search, "rivera")
    qtbot.waitUntil(lambda: panel.hint.text() == WAITING_FOR_DATABASE, timeout=3000)
    assert fake_desk.lookups == []
    with qtbot.waitSignal(panel.searchFinished, timeout=3000):
        panel.set_desk(fake_desk)
    assert fake_desk.lookups == ["rivera"]
    assert panel.model.rowCount() == 3


def test_enter_before_the_desk_opens_opens_once_answered(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    panel = LookupPanel()
    qtbot.addWidget(panel)
    qtbot.keyClicks(panel.search, "rivers")
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    with qtbot.waitSignal(panel.resultActivated, timeout=3000) as opened:
        panel.set_desk(fake_desk)
    assert opened.args[0].name == "Rivers, Tom"


def test_a_failing_lookup_is_reported_quietly(qtbot: QtBot) -> None:
    class Broken(FakeDesk):
        def lookup(self, text: str, limit: int = 20) -> LookupAnswer:
            raise RuntimeError(f"database said no to {text}")

    panel = LookupPanel()
    qtbot.addWidget(panel)
    panel.set_desk(Broken())
    qtbot.keyClicks(panel.search, "secret name")
    qtbot.waitUntil(lambda: "failed" in panel.hint.text(), timeout=3000)
    assert "secret" not in panel.hint.text()
    assert panel.model.rowCount() == 0


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_odd_input_never_crashes(qtbot: QtBot, panel: LookupPanel, text: str) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=3000, raising=False):
        panel.search.setText(text)
    QApplication.processEvents()
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    qtbot.keyClick(panel.search, Qt.Key.Key_Down)
    qtbot.keyClick(panel.search, Qt.Key.Key_Escape)
    assert panel.isVisible()
