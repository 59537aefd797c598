"""The call in progress, on the GUI thread: the domain's :class:`Call`, a timer that asks
it about the hold rule, and a serial worker that stores every step.

Widgets never change the call themselves: they ask the controller, which tells
everyone by signals. The timer only polls the domain (thresholds are crossed by
monotonic time, not by ticks), so a late tick is never a late breach record.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication

from app.domain.call import Call, CallAction, CallError, CallEvent, CallRecord, WrapUp
from app.domain.clock import Clock, SystemClock
from app.domain.codes import CallerRelationship
from app.domain.codes import InteractionEventKind as Kind
from app.domain.hold import HoldPolicy
from app.domain.identity import Answers, Verification
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk

log = logging.getLogger(__name__)

TICK_MS = 250
RETRY_SAVE_MS = 5_000


class CallController(QObject):
    callStarted = Signal()
    callChanged = Signal()  # any step: phase, hold, verification, actions
    ticked = Signal()  # redraw timers (no state changed)
    holdStarted = Signal()
    holdWarned = Signal()
    holdBreached = Signal()
    checkedIn = Signal()
    holdResumed = Signal()
    verified = Signal(object)  # the account id the caller is now verified for
    verificationFailed = Signal(object, object)  # account id, the Verification that failed
    verificationError = Signal(str)  # the check could not run (a message, no PHI)
    callEnded = Signal()  # the caller is gone: wrap-up is due
    callFinished = Signal()  # wrap-up saved; the desk is free for the next call
    saveFailed = Signal(str)
    secureModeChanged = Signal(bool, str)  # recording paused?, the call's phone-system id

    def __init__(
        self, parent: QObject | None = None, *, clock: Clock | None = None,
        tick_ms: int = TICK_MS,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.clock: Clock = clock or SystemClock()
        self.call: Call | None = None
        self._desk: Desk | None = None
        self._policy = HoldPolicy()
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.poll)
        # One thread, so the trail is stored in the order it happened.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._saver = TaskRunner(self, pool=self._pool)
        self._saver.succeeded.connect(self._on_saved)
        self._saver.failed.connect(self._on_save_failed)
        self._checker = TaskRunner(self)
        self._checker.succeeded.connect(self._on_checked)
        self._checker.failed.connect(self._on_check_failed)
        # (call id, account id) of the identity check in flight
        self._pending_check: tuple[uuid.UUID, uuid.UUID] | None = None
        # Snapshots not yet stored, by call: a failed save is retried with its own
        # snapshot, even after the next call has started.
        self._unsaved: dict[uuid.UUID, CallRecord] = {}
        self._in_flight: dict[int, CallRecord] = {}
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_SAVE_MS)
        self._retry.timeout.connect(self._retry_unsaved)

    # -- state --------------------------------------------------------------------------
    def set_desk(self, desk: Desk | None) -> None:
        self._desk = desk
        if desk is not None:
            self._policy = desk.policy.hold

    @property
    def policy(self) -> HoldPolicy:
        return self._policy

    @property
    def active(self) -> bool:
        """A call is on the desk (on the line or in wrap-up)."""
        return self.call is not None and self.call.wrap_up is None

    def masks(self, account_id: uuid.UUID | None) -> bool:
        """Whether this account's PHI stays hidden: during a call, until the caller is
        verified for it. Outside calls (back-office work) nothing is masked."""
        return self.active and self.call is not None and not self.call.is_verified_for(account_id)

    # -- steps --------------------------------------------------------------------------
    def start_call(self, caller_number: str | None = None, call_ref: str | None = None) -> Call:
        if self.active:
            raise CallError("Finish the current call first.")
        self._forget_check()
        self.call = Call(self.clock, self._policy, caller_number=caller_number, call_ref=call_ref)
        self._timer.start()
        self.save()
        self.callStarted.emit()
        self.callChanged.emit()
        return self.call

    def about(self, account_id: uuid.UUID | None, patient_id: uuid.UUID | None = None) -> None:
        if self.active and self.call is not None:
            self.call.about(account_id, patient_id)
            self.save()

    def verify(
        self, account_id: uuid.UUID, answers: Answers, caller_name: str,
        relationship: CallerRelationship | None,
    ) -> None:  # fmt: skip
        """Check the caller's answers in a worker; ``verified`` or ``verificationFailed``."""
        call = self._live("check identity")
        if self._desk is None:
            raise CallError("The desk is not open yet.")
        call.identify_caller(caller_name, relationship)
        self._pending_check = (call.id, account_id)
        self._checker.submit(self._desk.verify_caller, account_id, answers)

    def hold(self) -> None:
        self._live("hold").start_hold()
        self._stepped()
        self.holdStarted.emit()

    def check_in(self) -> None:
        events = self._live("check in").check_in()
        self._announce(events)
        self._stepped()
        self.checkedIn.emit()

    def resume(self) -> None:
        events = self._live("resume").resume()
        self._announce(events)
        self._stepped()
        self.holdResumed.emit()

    def transfer(self, target: str) -> None:
        self._live("transfer").transfer(target)
        self._stepped()

    def note_action(self, action: CallAction) -> None:
        if self.active and self.call is not None and self.call.ended is None:
            self.call.note_action(action)
            self.callChanged.emit()

    def set_secure(self, on: bool, detail: str = "") -> bool:
        """Card or bank fields opened or closed during a live call: the event is stored
        on the interaction and ``secureModeChanged`` asks the phone system to pause or
        resume recording. Returns whether anything changed (no call: nothing to do)."""
        call = self.call
        if call is None or call.ended is not None:
            return False
        if not detail:
            detail = "phone system" if call.call_ref else "no phone-system call id: by hand"
        event = call.secure_mode(on, detail)
        if event is None:
            return False
        self._stepped()
        self.secureModeChanged.emit(on, call.call_ref or "")
        return True

    def end(self) -> None:
        """The caller is gone; wrap-up is due."""
        call = self._live("end the call")
        was_secure = call.recording_paused
        call.end()
        self._stepped()
        if was_secure:
            self.secureModeChanged.emit(False, call.call_ref or "")
        self.callEnded.emit()

    def finish(self, wrap_up: WrapUp) -> None:
        call = self.call
        if call is None or call.wrap_up is not None:
            raise CallError("There is no call to wrap up.")
        call.finish(wrap_up)
        self._forget_check()
        self._timer.stop()
        self.save()
        self.callChanged.emit()
        self.callFinished.emit()

    def poll(self) -> None:
        """Timer slot: ask the domain whether a threshold was crossed."""
        if self.call is not None:
            events = self.call.poll()
            if events:
                self._announce(events)
                self.save()
                self.callChanged.emit()
        self.ticked.emit()

    # -- storing ------------------------------------------------------------------------
    def save(self) -> None:
        """Store the call as it is now (a snapshot: later saves include earlier steps)."""
        if self.call is None:
            return
        self._submit(self.call.record())

    def _submit(self, record: CallRecord) -> None:
        self._unsaved[record.id] = record
        if self._desk is None:
            return
        seq = self._saver.submit(self._desk.save_call, record)
        self._in_flight[seq] = record

    @property
    def saved(self) -> bool:
        """Whether every call's newest snapshot is stored."""
        return not self._unsaved

    def wait_for_saves(self, timeout_ms: int = 10_000) -> bool:
        """Block until the saves in flight are done (quitting: before the desk closes)."""
        return self._pool.waitForDone(timeout_ms)

    def _on_saved(self, seq: int, _result: object) -> None:
        record = self._in_flight.pop(seq, None)
        if record is not None and self._unsaved.get(record.id) is record:
            del self._unsaved[record.id]  # no newer snapshot of that call is waiting

    def _on_save_failed(self, seq: int, error: object) -> None:
        self._in_flight.pop(seq, None)
        log.warning("storing the call failed: %s", type(error).__name__)
        self.saveFailed.emit("The call could not be saved yet; the desk keeps trying.")
        self._retry.start()

    def _retry_unsaved(self) -> None:
        waiting = {id(r) for r in self._in_flight.values()}
        for record in list(self._unsaved.values()):
            if id(record) not in waiting:
                self._submit(record)

    # -- answers from the identity check --------------------------------------------------
    def _on_checked(self, seq: int, result: object) -> None:
        if seq != self._checker.latest_seq or self._pending_check is None:
            return
        call_id, account_id = self._pending_check
        self._pending_check = None
        call = self.call
        # An answer for a call that is over (or another call) verifies nobody.
        if call is None or call.id != call_id or call.ended is not None:
            return
        if not isinstance(result, Verification):
            return
        call.record_verification(account_id, result)
        self._stepped()
        if result.passed:
            self.verified.emit(account_id)
        else:
            self.verificationFailed.emit(account_id, result)

    def _forget_check(self) -> None:
        self._pending_check = None
        self._checker.outdate()

    def _on_check_failed(self, seq: int, error: object) -> None:
        if seq != self._checker.latest_seq:
            return
        self._pending_check = None
        log.warning("the identity check failed to run: %s", type(error).__name__)
        self.verificationError.emit("The check could not run. Try again in a moment.")

    # -- internals ----------------------------------------------------------------------
    def _live(self, what: str) -> Call:
        if self.call is None or self.call.wrap_up is not None:
            raise CallError(f"Cannot {what}: there is no call in progress.")
        return self.call

    def _stepped(self) -> None:
        self.save()
        self.callChanged.emit()

    def _announce(self, events: list[CallEvent]) -> None:
        for event in events:
            if event.kind is Kind.WARN:
                _sound()
                self.holdWarned.emit()
            elif event.kind is Kind.BREACH:
                _sound()
                self.holdBreached.emit()


def _sound() -> None:
    if not os.environ.get("PA_DESK_NO_SOUND"):
        QApplication.beep()
