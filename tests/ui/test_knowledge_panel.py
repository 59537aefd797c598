"""The scripts panel beside the call: search, names filled in, show an article, copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.knowledge import Knowledge
from ui.call.knowledge import KnowledgePanel, SlugRole


def _panel(qtbot: QtBot, knowledge: Knowledge | None = None) -> KnowledgePanel:
    panel = KnowledgePanel(knowledge)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def _listed(panel: KnowledgePanel) -> list[str]:
    return [panel.titles.item(row).data(SlugRole) for row in range(panel.titles.count())]


def test_starts_on_the_greeting_with_every_article_listed(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert panel.current_slug() == "greeting"
    assert _listed(panel) == [a.slug for a in Knowledge.load().articles]
    assert panel.search.placeholderText() == "Search scripts and help"
    assert panel.search.isClearButtonEnabled()
    for control in (panel.search, panel.titles, panel.reader, panel.copy_button):
        assert control.accessibleName()


def test_typing_filters_the_list_without_changing_the_article(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    qtbot.keyClicks(panel.search, "healow")
    assert _listed(panel) == ["healow-pay"]
    assert panel.current_slug() == "greeting"  # still reading the greeting
    assert not panel.empty.isVisible()
    panel.search.clear()
    qtbot.keyClicks(panel.search, "zzzz")
    assert _listed(panel) == []
    assert panel.empty.isVisible()
    panel.search.clear()
    assert len(_listed(panel)) == len(Knowledge.load().articles)
    assert panel.titles.currentItem().data(SlugRole) == "greeting"


def test_enter_shows_the_first_hit_and_down_moves_into_the_list(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.search.setFocus()
    qtbot.keyClicks(panel.search, "declined")
    with qtbot.waitSignal(panel.articleShown, timeout=1000) as shown:
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert shown.args == ["declined-card"]
    assert "Declined card" in panel.reader.toPlainText()

    panel.search.clear()
    qtbot.keyClicks(panel.search, "hold")
    qtbot.keyClick(panel.search, Qt.Key.Key_Down)
    qtbot.waitUntil(panel.titles.hasFocus, timeout=1000)
    assert panel.current_slug() == "hold"  # the best match, now selected and shown
    qtbot.keyClick(panel.titles, Qt.Key.Key_Down)
    assert panel.current_slug() == _listed(panel)[1]
    qtbot.keyClick(panel.titles, Qt.Key.Key_Escape)
    qtbot.waitUntil(panel.search.hasFocus, timeout=1000)


def test_set_names_fills_the_greeting(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    assert "[agent]" in panel.reader.toPlainText()  # a blank, until the names are known
    panel.set_names("Sam Ortiz", "Bright Kids Pediatrics")
    text = panel.reader.toPlainText()
    assert "This is Sam Ortiz" in text
    assert "Bright Kids Pediatrics" in text
    assert "[agent]" not in text and "[practice]" not in text


def test_names_are_shown_literally_not_as_markdown(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.set_names("Sam", "Kids_First *Care* <b>Clinic</b>")
    assert "Kids_First *Care* <b>Clinic</b>" in panel.reader.toPlainText()


def test_show_article_clears_a_search_that_hides_it(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    qtbot.keyClicks(panel.search, "healow")
    with qtbot.waitSignal(panel.articleShown, timeout=1000) as shown:
        panel.show_article("dispute")
    assert shown.args == ["dispute"]
    assert panel.search.text() == ""
    assert panel.current_slug() == "dispute"
    assert panel.titles.currentItem().data(SlugRole) == "dispute"
    assert "disputes a charge" in panel.reader.toPlainText()


def test_show_article_keeps_a_search_that_shows_it(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    qtbot.keyClicks(panel.search, "hold")
    panel.show_article("check-in")
    assert panel.search.text() == "hold"
    assert panel.titles.currentItem().data(SlugRole) == "check-in"


def test_clicking_a_title_shows_it(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    row = _listed(panel).index("statements")
    item = panel.titles.item(row)
    rect = panel.titles.visualItemRect(item)
    qtbot.mouseClick(panel.titles.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current_slug() == "statements"


def test_copy_puts_the_filled_words_on_the_clipboard(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.set_names("Sam Ortiz", "Bright Kids Pediatrics", caller="Ms. Núñez")
    panel.show_article("greeting")
    assert panel.copy_button.isEnabled()
    QApplication.clipboard().clear()
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert copied.startswith("Thank you for calling Bright Kids Pediatrics")
    assert "This is Sam Ortiz" in copied
    assert ">" not in copied
    assert "Smile" not in copied  # notes for the agent are not copied


def test_copy_is_disabled_for_an_article_with_nothing_to_say(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "greeting.md").write_text("# Hello\nTags: a\n\n> Hello, {caller}.\n")
    (tmp_path / "notes.md").write_text("# Notes\nTags: b\n\nOnly notes.\n")
    panel = _panel(qtbot, Knowledge.load(tmp_path))
    assert panel.copy_button.isEnabled()
    panel.show_article("notes")
    assert not panel.copy_button.isEnabled()
    panel.show_article("greeting")
    panel.set_names("Sam", "Kids", caller="Ana")
    QApplication.clipboard().clear()
    panel.copy_button.click()
    assert QApplication.clipboard().text() == "Hello, Ana."
