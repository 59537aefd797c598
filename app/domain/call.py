"""One phone call: greeting, identity check, work, holds and transfers, wrap-up.

:class:`Call` is the call's state machine. Every step returns the :class:`CallEvent`s it
produced (and keeps them), so the caller of the domain can store each one as it happens;
the events carry the monotonic milliseconds since the call started and a UTC stamp
derived from the same monotonic reading, so the trail is ordered even if the wall
clock is corrected during the call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.clock import Clock
from app.domain.codes import CallerRelationship, InteractionEventKind
from app.domain.hold import Hold, HoldChange, HoldPolicy, mm_ss
from app.domain.identity import Verification

Kind = InteractionEventKind


class CallPhase(StrEnum):
    GREETING = "greeting"
    IDENTITY = "identity"  # a check was tried and has not passed yet
    WORK = "work"  # the caller is verified
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"  # the caller is gone: disposition and notes
    DONE = "done"


class CallAction(StrEnum):
    """What the agent did in the call; it pre-fills the disposition and the notes."""

    EXPLAINED_BALANCE = "explained_balance"
    PAYMENT_TAKEN = "payment_taken"
    PLAN_SET_UP = "plan_set_up"
    DISPUTE_ESCALATED = "dispute_escalated"
    INSURANCE_UPDATED = "insurance_updated"
    NOTE_ADDED = "note_added"
    TRANSFERRED = "transferred"


class Disposition(StrEnum):
    PAYMENT_TAKEN = "payment_taken"
    PLAN_SET_UP = "plan_set_up"
    DISPUTE_ESCALATED = "dispute_escalated"
    INSURANCE_UPDATED = "insurance_updated"
    BALANCE_EXPLAINED = "balance_explained"
    TRANSFERRED = "transferred"
    NOT_VERIFIED = "not_verified"
    CALLBACK = "callback"
    OTHER = "other"


DISPOSITION_WORDS = {
    Disposition.PAYMENT_TAKEN: "Payment taken",
    Disposition.PLAN_SET_UP: "Payment plan set up",
    Disposition.DISPUTE_ESCALATED: "Dispute escalated",
    Disposition.INSURANCE_UPDATED: "Insurance updated",
    Disposition.BALANCE_EXPLAINED: "Balance explained",
    Disposition.TRANSFERRED: "Transferred",
    Disposition.NOT_VERIFIED: "Caller could not be verified",
    Disposition.CALLBACK: "Callback scheduled",
    Disposition.OTHER: "Other",
}
ACTION_WORDS = {
    CallAction.EXPLAINED_BALANCE: "Explained the balance",
    CallAction.PAYMENT_TAKEN: "Took a payment",
    CallAction.PLAN_SET_UP: "Set up a payment plan",
    CallAction.DISPUTE_ESCALATED: "Escalated a dispute",
    CallAction.INSURANCE_UPDATED: "Updated insurance details",
    CallAction.NOTE_ADDED: "Added a note",
    CallAction.TRANSFERRED: "Transferred the call",
}
# The strongest action decides the suggested disposition.
_SUGGESTION_ORDER = (
    (CallAction.DISPUTE_ESCALATED, Disposition.DISPUTE_ESCALATED),
    (CallAction.PAYMENT_TAKEN, Disposition.PAYMENT_TAKEN),
    (CallAction.PLAN_SET_UP, Disposition.PLAN_SET_UP),
    (CallAction.INSURANCE_UPDATED, Disposition.INSURANCE_UPDATED),
    (CallAction.TRANSFERRED, Disposition.TRANSFERRED),
    (CallAction.EXPLAINED_BALANCE, Disposition.BALANCE_EXPLAINED),
)


_HOLD_KINDS = frozenset({Kind.HOLD, Kind.WARN, Kind.BREACH, Kind.CHECK_IN, Kind.RESUME})


class CallError(RuntimeError):
    """A step the call's state does not allow (the message says why, for the agent)."""


@dataclass(frozen=True)
class CallEvent:
    kind: InteractionEventKind
    elapsed_ms: int  # monotonic milliseconds since the call started
    at: datetime  # UTC, derived from the monotonic reading
    hold_number: int | None = None  # 1 for the call's first hold segment, ...
    detail: str | None = None  # never PHI: a method, a target, a silence
    hold_id: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class HoldRecord:
    """A hold segment as stored (a snapshot: the segment may still be open)."""

    id: uuid.UUID
    started_at: datetime
    ended_at: datetime | None
    check_ins: int
    longest_silence_ms: int
    breached: bool


@dataclass(frozen=True)
class CallRecord:
    """Everything to store about a call at one moment: taken on the GUI thread and
    saved by a worker, so the live :class:`Call` is never read from two threads."""

    id: uuid.UUID
    call_ref: str | None
    caller_number: str | None
    caller_name: str | None
    caller_relationship: CallerRelationship | None
    account_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    started_at: datetime
    verified_at: datetime | None
    verification_method: str | None
    ended_at: datetime | None
    wrap_up: WrapUp | None
    after_call_seconds: int | None
    holds: tuple[HoldRecord, ...]
    events: tuple[CallEvent, ...]


@dataclass(frozen=True)
class WrapUp:
    disposition: Disposition
    notes: str
    escalated: bool = False
    escalation_target: str | None = None


@dataclass
class Call:
    """A call in progress. ``clock`` gives monotonic seconds and UTC instants."""

    clock: Clock
    policy: HoldPolicy = field(default_factory=HoldPolicy)
    caller_number: str | None = None  # E.164, from the screen-pop
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    call_ref: str | None = None  # the phone system's id for the call (screen-pop)

    def __post_init__(self) -> None:
        self.started = self.clock.monotonic()
        self.started_at = self.clock.now()
        self.events: list[CallEvent] = []
        self.holds: list[Hold] = []
        self.actions: list[CallAction] = []
        self.verification: Verification | None = None
        self.verified_account: uuid.UUID | None = None
        self.verified_at: datetime | None = None
        self.account_id: uuid.UUID | None = None  # the account the call is about
        self.patient_id: uuid.UUID | None = None
        self.caller_name: str | None = None
        self.caller_relationship: CallerRelationship | None = None
        self.after_call: float | None = None  # seconds of after-call work, at wrap-up
        self.attempts = 0
        self.ended: float | None = None  # monotonic: the caller is gone
        self.wrap_up: WrapUp | None = None
        self.recording_paused = False  # secure mode: card or bank fields are open
        self._add(Kind.START, self.started)

    # -- state ---------------------------------------------------------------------------
    @property
    def hold(self) -> Hold | None:
        """The open hold segment, if the caller is on hold."""
        return self.holds[-1] if self.holds and self.holds[-1].on_hold else None

    @property
    def phase(self) -> CallPhase:
        if self.wrap_up is not None:
            return CallPhase.DONE
        if self.ended is not None:
            return CallPhase.WRAP_UP
        if self.hold is not None:
            return CallPhase.ON_HOLD
        if self.verification is not None and self.verification.passed:
            return CallPhase.WORK
        return CallPhase.IDENTITY if self.attempts else CallPhase.GREETING

    def is_verified_for(self, account_id: uuid.UUID | None) -> bool:
        return account_id is not None and self.verified_account == account_id

    def elapsed(self) -> float:
        end = self.ended if self.ended is not None else self.clock.monotonic()
        return max(0.0, end - self.started)

    def after_call_seconds(self) -> float:
        """Time since the caller left (after-call work), 0 while on the line."""
        if self.ended is None:
            return 0.0
        return max(0.0, self.clock.monotonic() - self.ended)

    # -- steps -----------------------------------------------------------------------------
    def about(self, account_id: uuid.UUID | None, patient_id: uuid.UUID | None = None) -> None:
        """The account (and patient) the call is about; a new account needs its own check.
        Opening the same account again without naming a patient keeps the one named."""
        if account_id != self.account_id or patient_id is not None:
            self.patient_id = patient_id
        self.account_id = account_id

    def identify_caller(self, name: str, relationship: CallerRelationship | None) -> None:
        """Who is calling and what they are to the patient (a parent, usually)."""
        self.caller_name = name.strip()[:160] or None
        self.caller_relationship = relationship

    def record_verification(self, account_id: uuid.UUID, result: Verification) -> CallEvent:
        self._require_live("check identity")
        self.attempts += 1
        if result.passed:
            self.verification = result
            self.verified_account = account_id
            if self.account_id in (None, account_id):  # not if the agent moved on
                self.account_id = account_id
                if result.person_id is not None:
                    self.patient_id = result.person_id
            event = self._add(Kind.VERIFY, self.clock.monotonic(), detail=result.method)
            self.verified_at = event.at
            return event
        failed = ",".join(f.value for f in result.failed)
        detail = f"failed: {failed}" if failed else "incomplete"
        return self._add(Kind.VERIFY_FAILED, self.clock.monotonic(), detail=detail)

    def start_hold(self) -> CallEvent:
        self._require_live("hold")
        if self.hold is not None:
            raise CallError("The caller is already on hold.")
        self.holds.append(Hold(self.policy, self.clock))
        return self._add(Kind.HOLD, self.holds[-1].started)

    def poll(self) -> list[CallEvent]:
        """Warnings and breaches the open hold crossed since the last poll."""
        hold = self.hold
        return self._record(hold.poll()) if hold is not None else []

    def check_in(self) -> list[CallEvent]:
        return self._record(self._open_hold("check in").check_in())

    def resume(self) -> list[CallEvent]:
        return self._record(self._open_hold("resume").resume())

    def transfer(self, target: str) -> CallEvent:
        self._require_live("transfer")
        if self.hold is not None:
            raise CallError("Take the caller off hold before transferring.")
        self.note_action(CallAction.TRANSFERRED)
        return self._add(Kind.TRANSFER, self.clock.monotonic(), detail=target[:200])

    def note_action(self, action: CallAction) -> None:
        if action not in self.actions:
            self.actions.append(action)

    def secure_mode(self, on: bool, detail: str = "") -> CallEvent | None:
        """Card or bank fields opened (``on``: recording paused) or closed (resumed).

        Returns the event, or None when nothing changed (the fields were already in that
        state). ``detail`` says how the recording was paused ("phone system", or "by
        hand" when the desk has no phone-system call id); never card data."""
        if on == self.recording_paused:
            return None
        if on:
            self._require_live("pause the recording")
        self.recording_paused = on
        kind = Kind.RECORDING_PAUSED if on else Kind.RECORDING_RESUMED
        return self._add(kind, self.clock.monotonic(), detail=detail[:200] or None)

    def end(self) -> CallEvent:
        """The caller is gone; after-call work starts. Not while the caller is on hold."""
        self._require_live("end the call")
        if self.hold is not None:
            raise CallError("The caller is on hold: resume before ending the call.")
        if self.recording_paused:  # the recording stops with the call; say it resumed
            self.secure_mode(False, "call ended")
        self.ended = self.clock.monotonic()
        return self._add(Kind.END, self.ended)

    def finish(self, wrap_up: WrapUp) -> CallEvent:
        """Save the wrap-up: a disposition and notes are required."""
        if self.hold is not None:
            raise CallError("The caller is on hold: resume before wrapping up.")
        if self.wrap_up is not None:
            raise CallError("This call is already wrapped up.")
        if not wrap_up.notes.strip():
            raise CallError("Notes are required.")
        if wrap_up.escalated and not wrap_up.escalation_target:
            raise CallError("Choose who the call is escalated to.")
        if self.ended is None:
            self.end()
        self.after_call = self.after_call_seconds()
        self.wrap_up = wrap_up
        return self._add(Kind.WRAP_UP, self.clock.monotonic(), detail=wrap_up.disposition.value)

    # -- wrap-up suggestions -------------------------------------------------------------
    def suggested_disposition(self) -> Disposition:
        for action, disposition in _SUGGESTION_ORDER:
            if action in self.actions:
                return disposition
        if self.verification is None and self.attempts:
            return Disposition.NOT_VERIFIED
        return Disposition.OTHER

    def summary_lines(self) -> list[str]:
        """What happened, for the notes: the agent edits from here."""
        lines = [f"Call length {mm_ss(self.elapsed())}."]
        if self.verification is not None:
            lines.append(f"Caller verified ({self.verification.method.replace('+', ', ')}).")
        elif self.attempts:
            lines.append(f"Caller not verified ({self.attempts} attempt(s)).")
        if self.holds:
            longest = max(h.longest_silence for h in self.holds)
            check_ins = sum(h.check_ins for h in self.holds)
            breaches = sum(1 for h in self.holds if h.breached)
            line = (f"On hold {len(self.holds)} time(s), {check_ins} check-in(s), "
                    f"longest without an update {mm_ss(longest)}")  # fmt: skip
            lines.append(line + (f"; {breaches} over the limit." if breaches else "."))
        lines.extend(ACTION_WORDS[a] + "." for a in self.actions)
        return lines

    def record(self) -> CallRecord:
        """A snapshot of the call for storage."""
        return CallRecord(
            id=self.id,
            call_ref=self.call_ref,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            caller_relationship=self.caller_relationship,
            account_id=self.account_id,
            patient_id=self.patient_id,
            started_at=self.started_at,
            verified_at=self.verified_at,
            verification_method=self.verification.method if self.verification else None,
            ended_at=self._stamp(self.ended) if self.ended is not None else None,
            wrap_up=self.wrap_up,
            after_call_seconds=round(self.after_call) if self.after_call is not None else None,
            holds=tuple(
                HoldRecord(
                    h.id,
                    self._stamp(h.started),
                    self._stamp(h.ended) if h.ended is not None else None,
                    h.check_ins,
                    round(h.longest() * 1000),
                    h.breached,
                )
                for h in self.holds
            ),
            events=tuple(self.events),
        )

    # -- internals -----------------------------------------------------------------------
    def _stamp(self, monotonic: float) -> datetime:
        return self.started_at + timedelta(seconds=max(0.0, monotonic - self.started))

    def _open_hold(self, what: str) -> Hold:
        hold = self.hold
        if hold is None:
            raise CallError(f"Cannot {what}: the caller is not on hold.")
        return hold

    def _require_live(self, what: str) -> None:
        if self.ended is not None:
            raise CallError(f"Cannot {what}: the call has ended.")

    def _record(self, changes: list[HoldChange]) -> list[CallEvent]:
        return [self._add(c.kind, c.at, detail=f"silence {mm_ss(c.silence)}") for c in changes]

    def _add(
        self, kind: InteractionEventKind, at: float, *, detail: str | None = None
    ) -> CallEvent:
        """An event; hold events belong to the open (or just resumed) segment."""
        in_hold = kind in _HOLD_KINDS and self.holds
        event = CallEvent(
            kind,
            round(max(0.0, at - self.started) * 1000),
            self._stamp(at),
            len(self.holds) if in_hold else None,
            detail,
            self.holds[-1].id if in_hold else None,
        )
        self.events.append(event)
        return event
