"""The idle lock: it comes after the policy's idle time, hides the work without losing
it, refuses a wrong password next to the field, and lets the right one back in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from ui.lock import IdleWatcher
from ui.main_window import MainWindow


def test_idle_time_locks_and_work_survives(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.lookup.search, "garcia, mar")
    assert window.idle is not None
    window.idle.limit_ms = 150  # the policy says minutes; the test cannot wait that long
    window.idle.start()
    qtbot.waitUntil(lambda: window.locked, timeout=3000)
    assert not window.work_page.isVisible()
    assert "locked" in window.user_label.text()
    assert not window.find_action.isEnabled() and not window.menuBar().isEnabled()

    page = window.lock_page
    assert page is not None
    page.password.setText("wrong one")
    page.unlock_button.click()
    qtbot.waitUntil(lambda: "not right" in page.error.text(), timeout=3000)
    assert window.locked
    assert page.password.isVisible()

    page.password.setText("")
    page.unlock_button.click()
    assert page.error.text() == "Type your password to unlock."

    page.password.setText("correct horse")
    qtbot.keyClick(page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.locked, timeout=3000)
    assert window.lookup.search.text() == "garcia, mar"  # nothing typed was lost
    assert window.find_action.isEnabled() and window.menuBar().isEnabled()
    assert "locked" not in window.user_label.text()
    assert page.password.text() == ""  # the password does not linger in the widget


def test_input_keeps_the_desk_unlocked(qtbot: QtBot, window: MainWindow) -> None:
    assert window.idle is not None
    window.idle.limit_ms = 400
    window.idle.start()
    for _ in range(6):
        qtbot.wait(100)
        qtbot.keyClick(window.lookup.search, Qt.Key.Key_A)
    assert not window.locked
    assert window.idle.idle_ms() < 400


def test_the_watcher_uses_elapsed_time_not_ticks(qtbot: QtBot) -> None:
    watcher = IdleWatcher(120)  # measured on QElapsedTimer, whatever the check interval
    with qtbot.waitSignal(watcher.idle, timeout=2000):
        watcher.start()
    assert watcher.idle_ms() >= 120
