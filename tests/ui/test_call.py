"""The live call in the window: hold timer, masking before verification, wrap-up, screen-pop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.domain.call import CallAction, CallError, Disposition, WrapUp
from app.domain.clock import ManualClock
from app.domain.codes import CallerRelationship
from app.domain.codes import InteractionEventKind as Kind
from app.domain.identity import Answers, Factor
from app.integrations.cti import CtiError
from tests.ui.fakes import ACCOUNT_ID, FakeDesk
from ui import theme
from ui.call.bar import CallBar
from ui.call.controller import CallController
from ui.lookup.model import MASKED, Column
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def bar(qtbot: QtBot, fake_desk: FakeDesk, clock: ManualClock) -> Iterator[CallBar]:
    controller = CallController(clock=clock, tick_ms=5)
    controller.set_desk(fake_desk)  # type: ignore[arg-type]
    widget = CallBar(controller)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    controller.deleteLater()


def _background(widget: QWidget) -> str:
    image = widget.grab().toImage()
    return QColor(image.pixel(3, image.height() // 2)).name()


def test_hold_timer_calm_amber_red_check_in_resume(
    qtbot: QtBot, bar: CallBar, clock: ManualClock
) -> None:
    calls = bar._controller
    timer = bar.timer
    assert not timer.isVisible()
    calls.start_call("+15035550142")
    with qtbot.waitSignal(calls.holdStarted, timeout=1000):
        bar.hold_button.click()
    assert timer.isVisible()
    assert timer.property("level") == "calm"
    assert _background(timer) == theme.HOLD_CALM_BG
    clock.advance(149.9)
    qtbot.wait(30)  # ticks: nothing crossed yet, however often the timer fires
    assert timer.property("level") == "calm" and timer.time.text() == "2:29"
    assert not timer.line.isVisible()
    with qtbot.waitSignal(calls.holdWarned, timeout=1000):
        clock.advance(0.1)  # exactly 2:30
    qtbot.waitUntil(lambda: timer.property("level") == "warning", timeout=1000)
    assert _background(timer) == theme.HOLD_WARN_BG
    assert timer.line.isVisible() and "Thank you for waiting" in timer.line.text()
    assert "{" not in timer.line.text()  # no unfilled placeholder is read aloud
    with qtbot.waitSignal(calls.holdBreached, timeout=1000):
        clock.advance(30)  # exactly 3:00
    qtbot.waitUntil(lambda: timer.property("level") == "breach", timeout=1000)
    assert _background(timer) == theme.HOLD_BREACH_BG
    assert "recorded" in timer.caption.text()
    # On hold: neither ending nor wrapping up is possible.
    assert not bar.end_button.isEnabled()
    with pytest.raises(CallError):
        calls.end()
    with pytest.raises(CallError):
        calls.finish(WrapUp(Disposition.OTHER, "notes"))
    with qtbot.waitSignal(calls.checkedIn, timeout=1000):
        timer.check_in_button.click()
    assert timer.property("level") == "calm" and timer.time.text() == "0:00"
    clock.advance(65)
    qtbot.waitUntil(lambda: timer.time.text() == "1:05", timeout=1000)
    with qtbot.waitSignal(calls.holdResumed, timeout=1000):
        timer.resume_button.click()
    assert not timer.isVisible() and bar.end_button.isEnabled()
    kinds = [e.kind for e in calls.call.events]  # type: ignore[union-attr]
    assert kinds == [Kind.START, Kind.HOLD, Kind.WARN, Kind.BREACH, Kind.CHECK_IN, Kind.RESUME]


def test_every_step_is_saved_in_order(qtbot: QtBot, bar: CallBar, fake_desk: FakeDesk) -> None:
    calls = bar._controller
    calls.start_call()
    calls.hold()
    calls.resume()
    calls.end()
    calls.finish(WrapUp(Disposition.OTHER, "Asked for office hours."))
    qtbot.waitUntil(lambda: calls.saved, timeout=3000)
    snapshots = fake_desk.saved_calls
    assert [len(s.events) for s in snapshots] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
    assert snapshots[-1].wrap_up.notes == "Asked for office hours."  # type: ignore[attr-defined]
    assert not calls.active


def _masked_texts(window: MainWindow) -> str:
    """Every piece of text the account side shows."""
    from PySide6.QtWidgets import QLabel, QLineEdit

    texts = [w.text() for w in window.account.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in window.account.findChildren(QLineEdit) if w.isVisible()]
    return " ".join(texts)


def test_phi_stays_masked_until_the_caller_is_verified(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    window.calls.start_call("+15035550142")
    qtbot.keyClicks(window.lookup.search, "rivera")
    qtbot.waitUntil(lambda: window.lookup.model.rowCount() == 3, timeout=3000)
    row = [window.lookup.model.index(0, c).data() for c in range(len(Column))]
    # Name, role and account number to pick the caller; no date of birth, phone or money.
    assert row == ["Rivera, Ana", MASKED, MASKED, "Guarantor", "A100234", MASKED, MASKED]
    window.lookup.search.setFocus()
    qtbot.keyClick(window.lookup.search, "\r")
    qtbot.waitUntil(lambda: window.account.verify.card is not None, timeout=3000)
    assert window.account.masked
    assert fake_desk.opened == []  # the account's PHI was never even loaded
    assert fake_desk.cards == [ACCOUNT_ID]
    shown = _masked_texts(window)
    for phi in ("482.50", "03/14/1986", "Lovejoy", "97209", "M0042117", "Mia", "Aetna"):
        assert phi not in shown
    assert "Account A100234" in shown  # enough to say "am I speaking with ...?"
    form = window.account.verify
    # A wrong date of birth: said next to the field; everything typed is kept.
    form.inputs[Factor.NAME].setText("Mia Rivera")
    dob = form.inputs[Factor.DOB]
    dob.setText("07/02/2015")
    zip_field = form.inputs[Factor.ZIP]
    zip_field.setText("97209")
    form.check_button.click()  # who is calling is asked, never guessed from the patient
    assert form.caller_error.isVisible() and form.caller_error.text() == "Who is calling?"
    form.caller_name.setText("Ana Rivera")
    form.check_button.click()
    assert form.caller_error.text() == "Choose the caller's relationship"
    assert fake_desk.checks == []
    form.relationship.setCurrentIndex(form.relationship.findData(CallerRelationship.PARENT))
    with qtbot.waitSignal(window.calls.verificationFailed, timeout=3000):
        form.check_button.click()
    dob_error = form.errors[Factor.DOB]
    assert dob_error.isVisible() and dob_error.text() == "Does not match the record"
    assert dob.text() == "07/02/2015" and zip_field.text() == "97209"
    assert window.account.masked and fake_desk.opened == []
    # An unreadable date never reaches the check.
    dob.setText("13/45/20")
    form.check_button.click()
    assert dob_error.text().startswith("Not a date") and len(fake_desk.checks) == 1
    dob.setText("07/02/2016")
    with qtbot.waitSignal(window.calls.verified, timeout=3000):
        form.check_button.click()
    qtbot.waitUntil(lambda: not window.account.masked and window.account.detail is not None)
    assert fake_desk.opened == [ACCOUNT_ID]
    assert window.lookup.model.index(0, int(Column.BALANCE)).data() != MASKED
    call = window.calls.call
    assert call is not None and call.caller_name == "Ana Rivera"
    assert call.caller_relationship is CallerRelationship.PARENT
    assert call.patient_id is not None  # Mia, whose name and birth date matched
    assert "Verified" in window.call_bar.badge.text()


def test_no_masking_outside_a_call(qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk) -> None:
    qtbot.keyClicks(window.lookup.search, "rivera")
    qtbot.waitUntil(lambda: window.lookup.model.rowCount() == 3, timeout=3000)
    assert window.lookup.model.index(0, int(Column.BALANCE)).data() != MASKED
    qtbot.keyClick(window.lookup.search, "\r")
    qtbot.waitUntil(lambda: window.account.detail is not None, timeout=3000)
    # A call starts while the account is open: it is masked at once.
    window.calls.start_call()
    qtbot.waitUntil(lambda: window.account.masked, timeout=3000)
    assert window.account.detail is None


def test_wrap_up_is_suggested_and_validated(qtbot: QtBot, window: MainWindow) -> None:
    calls = window.calls
    calls.start_call("+15035550142")
    calls.note_action(CallAction.EXPLAINED_BALANCE)
    calls.hold()
    window.call_wiring.open_wrap_up()  # refused while on hold
    assert window.call_wiring.wrap_up is None and calls.call.ended is None  # type: ignore[union-attr]
    calls.resume()
    window.call_bar.end_button.click()
    dialog = window.call_wiring.wrap_up
    assert dialog is not None and dialog.isVisible()
    assert dialog.disposition.currentData() == Disposition.BALANCE_EXPLAINED
    assert "Explained the balance." in dialog.notes.toPlainText()
    assert "On hold 1 time(s)" in dialog.notes.toPlainText()
    dialog.notes.setPlainText("")
    dialog.escalate.setChecked(True)
    dialog.save()
    assert dialog.notes_error.isVisible() and dialog.target_error.isVisible()
    assert dialog.isVisible() and calls.active
    dialog.notes.setPlainText("Explained the deductible; parent will pay online.")
    dialog.target.setCurrentIndex(1)
    with qtbot.waitSignal(calls.callFinished, timeout=1000):
        dialog.save()
    assert not dialog.isVisible() and not calls.active
    wrap = calls.call.wrap_up  # type: ignore[union-attr]
    assert wrap is not None and wrap.escalated and wrap.escalation_target == "billing_vendor"


def test_hold_warning_reaches_an_agent_in_another_window(qtbot: QtBot, window: MainWindow) -> None:
    clock = ManualClock()
    window.calls.clock = clock
    window.calls.start_call()
    window.calls.hold()
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other, timeout=2000)
    clock.advance(150)
    with qtbot.waitSignal(window.calls.holdWarned, timeout=2000):
        pass
    assert window.call_wiring.last_notice.startswith("Caller on hold 2:30")
    assert "Rivera" not in window.call_wiring.last_notice


def test_pa_desk_ring_pops_the_account_in_a_running_window(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    assert window.call_wiring.cti is not None and window.call_wiring.cti.is_listening
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # PA_DESK_HOME: the test's own folder
    ring = subprocess.Popen(
        [sys.executable, "-m", "ui", "ring", "503 555 0142"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    qtbot.waitUntil(lambda: ring.poll() is not None, timeout=20_000)
    out, err = ring.communicate()
    assert ring.returncode == 0, err
    assert "(503) 555-0142" in out
    qtbot.waitUntil(lambda: window.account.verify.card is not None, timeout=5000)
    assert window.account.masked
    call = window.calls.call
    assert call is not None and call.caller_number == "+15035550142"
    assert call.call_ref  # the phone system's id for the call, kept for secure mode
    assert window.lookup.search.text() == "(503) 555-0142"
    assert fake_desk.cards == [ACCOUNT_ID] and fake_desk.opened == []
    assert window.call_wiring.knowledge.current_slug() == "greeting"
    window.call_bar.scripts_button.click()
    assert window.call_wiring.dock.isVisible()


def test_a_withheld_number_starts_the_call_and_asks_who_is_calling(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    window.call_wiring.screen_pop(None, "CX-1")
    call = window.calls.call
    assert call is not None and call.caller_number is None and call.call_ref == "CX-1"
    assert "withheld" in window.statusBar().currentMessage()
    assert window.lookup.search.text() == ""
    # A second ring during the call is turned away (the phone system hears why).
    with pytest.raises(CtiError, match="another call"):
        window.call_wiring.screen_pop("+15035550142")
    assert window.calls.call is call and "finish this call" in window.statusBar().currentMessage()


def test_the_same_number_ringing_again_pops_again(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    for _ in range(2):
        window.call_wiring.screen_pop("+15035550142")
        qtbot.waitUntil(lambda: window.account.masked and window.account.verify.card is not None)
        window.calls.end()
        window.calls.finish(WrapUp(Disposition.CALLBACK, "Called back."))
        window.account.clear()
    assert fake_desk.cards == [ACCOUNT_ID, ACCOUNT_ID]


def test_a_late_answer_for_an_earlier_call_verifies_nobody(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    calls = window.calls
    first = calls.start_call()
    slow = fake_desk.verify_caller
    gate = threading.Event()

    def held(account_id, answers):  # type: ignore[no-untyped-def]
        gate.wait(5)
        return slow(account_id, answers)

    fake_desk.verify_caller = held  # type: ignore[method-assign]
    answers = Answers("Mia Rivera", date(2016, 7, 2), zip="97209")
    calls.verify(ACCOUNT_ID, answers, "Ana Rivera", CallerRelationship.PARENT)
    calls.end()
    calls.finish(WrapUp(Disposition.OTHER, "Caller hung up."))
    second = calls.start_call()
    gate.set()
    QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(50)
    assert second is not first and second.verification is None
    assert calls.masks(ACCOUNT_ID)


def test_a_failed_save_is_retried_with_its_own_call(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    calls = window.calls
    calls._retry.setInterval(20)
    real = fake_desk.save_call
    failures = {"left": 1}

    def flaky(record):  # type: ignore[no-untyped-def]
        if record.wrap_up is not None and failures["left"]:
            failures["left"] -= 1
            raise OSError("database is locked")
        real(record)

    fake_desk.save_call = flaky  # type: ignore[method-assign]
    first = calls.start_call()
    calls.end()
    with qtbot.waitSignal(calls.saveFailed, timeout=3000):
        calls.finish(WrapUp(Disposition.OTHER, "First call."))
    calls.start_call()  # the next caller, before the retry
    qtbot.waitUntil(lambda: calls.saved, timeout=3000)
    stored = [r for r in fake_desk.saved_calls if r.id == first.id]  # type: ignore[attr-defined]
    assert stored[-1].wrap_up is not None  # type: ignore[attr-defined]


def test_no_idle_lock_while_a_caller_is_on_hold(window: MainWindow) -> None:
    window.calls.start_call()
    window.calls.hold()
    window.lock()
    assert not window.locked and window.call_bar.timer.isVisible()
    window.calls.resume()
    window.lock()
    assert window.locked


def test_an_account_shown_before_the_call_is_hidden_at_once(
    qtbot: QtBot, window: MainWindow, fake_desk: FakeDesk
) -> None:
    qtbot.keyClicks(window.lookup.search, "rivera")
    qtbot.waitUntil(lambda: window.lookup.model.rowCount() == 3, timeout=3000)
    qtbot.keyClick(window.lookup.search, "\r")
    qtbot.waitUntil(lambda: window.account.detail is not None, timeout=3000)
    window.calls.start_call()  # no waiting: the card is still loading
    assert window.account.masked
    shown = _masked_texts(window)
    assert "03/14/1986" not in shown and "Lovejoy" not in shown and "482.50" not in shown


def test_answers_typed_while_the_account_opens_are_kept(qtbot: QtBot) -> None:
    import uuid as _uuid

    from app.services.views import AccountCard
    from ui.call.verify import VerifyForm

    form = VerifyForm(today=date(2026, 11, 23))
    qtbot.addWidget(form)
    account = _uuid.uuid4()
    form.show_loading(account)
    form.inputs[Factor.NAME].setText("Mia Rivera")  # the caller is quick
    form.show_card(AccountCard(account, "40000001", "Ana Rivera", 2))
    assert form.inputs[Factor.NAME].text() == "Mia Rivera"
    form.show_loading(_uuid.uuid4())  # another account: those answers were not for it
    form.show_card(AccountCard(_uuid.uuid4(), "40000002", "Bo Chen", 1))
    assert form.inputs[Factor.NAME].text() == ""
