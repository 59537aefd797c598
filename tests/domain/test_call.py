"""A call from greeting to wrap-up, with a clock the tests move."""

from __future__ import annotations

import uuid

import pytest

from app.domain.call import Call, CallAction, CallError, CallPhase, Disposition, WrapUp
from app.domain.clock import ManualClock
from app.domain.codes import InteractionEventKind as Kind
from app.domain.identity import Factor, Verification

ACCOUNT = uuid.uuid4()
PASSED = Verification(True, (Factor.NAME, Factor.DOB, Factor.ZIP), (), method="name+dob+zip")
FAILED = Verification(False, (Factor.NAME,), (Factor.DOB,))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_the_phases_of_a_call(clock: ManualClock) -> None:
    call = Call(clock)
    assert call.phase is CallPhase.GREETING
    call.record_verification(ACCOUNT, FAILED)
    assert call.phase is CallPhase.IDENTITY and not call.is_verified_for(ACCOUNT)
    call.record_verification(ACCOUNT, PASSED)
    assert call.phase is CallPhase.WORK and call.is_verified_for(ACCOUNT)
    assert not call.is_verified_for(uuid.uuid4())  # verified for this account only
    call.start_hold()
    assert call.phase is CallPhase.ON_HOLD
    call.resume()
    call.end()
    assert call.phase is CallPhase.WRAP_UP
    call.finish(WrapUp(Disposition.BALANCE_EXPLAINED, "Explained."))
    assert call.phase is CallPhase.DONE
    assert [e.kind for e in call.events] == [
        Kind.START, Kind.VERIFY_FAILED, Kind.VERIFY, Kind.HOLD, Kind.RESUME, Kind.END,
        Kind.WRAP_UP,
    ]  # fmt: skip
    assert call.events[1].detail == "failed: dob"  # the fact, never the value
    assert call.events[2].detail == "name+dob+zip"


def test_several_hold_segments_with_monotonic_offsets(clock: ManualClock) -> None:
    call = Call(clock)
    clock.advance(30)
    call.start_hold()
    clock.advance(100)
    call.check_in()
    clock.advance(200)  # 3:20 since the check-in: warn and breach, then resumed
    events = call.resume()
    assert [e.kind for e in events] == [Kind.WARN, Kind.BREACH, Kind.RESUME]
    assert [e.elapsed_ms for e in events] == [280_000, 310_000, 330_000]
    assert all(e.hold_number == 1 for e in events)
    clock.advance(10)
    call.start_hold()
    clock.advance(151)
    assert [e.kind for e in call.poll()] == [Kind.WARN]
    [resume] = call.resume()
    assert resume.hold_number == 2
    assert len(call.holds) == 2 and call.holds[0].breached and not call.holds[1].breached
    assert "longest without an update 3:20; 1 over the limit." in " ".join(call.summary_lines())


def test_stamps_follow_the_monotonic_clock(clock: ManualClock) -> None:
    call = Call(clock)
    clock.advance(60)
    clock.jump_wall(-3600)  # the wall clock is corrected mid-call
    hold = call.start_hold()
    assert (hold.at - call.started_at).total_seconds() == 60
    assert hold.at.tzinfo is not None


def test_no_wrap_up_or_end_while_on_hold(clock: ManualClock) -> None:
    call = Call(clock)
    call.start_hold()
    with pytest.raises(CallError, match="on hold"):
        call.finish(WrapUp(Disposition.OTHER, "x"))
    with pytest.raises(CallError, match="on hold"):
        call.end()
    with pytest.raises(CallError, match="already on hold"):
        call.start_hold()
    call.resume()
    with pytest.raises(CallError, match="not on hold"):
        call.check_in()
    call.finish(WrapUp(Disposition.OTHER, "Caller asked for hours."))
    assert call.ended is not None


def test_wrap_up_needs_notes_and_an_escalation_target(clock: ManualClock) -> None:
    call = Call(clock)
    call.end()
    with pytest.raises(CallError, match="Notes"):
        call.finish(WrapUp(Disposition.OTHER, "  "))
    with pytest.raises(CallError, match="escalated to"):
        call.finish(WrapUp(Disposition.DISPUTE_ESCALATED, "Dispute.", escalated=True))
    clock.advance(42)
    assert call.after_call_seconds() == 42
    call.finish(WrapUp(Disposition.DISPUTE_ESCALATED, "Dispute.", True, "billing_vendor"))
    with pytest.raises(CallError, match="already"):
        call.finish(WrapUp(Disposition.OTHER, "again"))


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ([], Disposition.OTHER),
        ([CallAction.EXPLAINED_BALANCE], Disposition.BALANCE_EXPLAINED),
        ([CallAction.EXPLAINED_BALANCE, CallAction.PAYMENT_TAKEN], Disposition.PAYMENT_TAKEN),
        ([CallAction.PLAN_SET_UP, CallAction.DISPUTE_ESCALATED], Disposition.DISPUTE_ESCALATED),
        ([CallAction.INSURANCE_UPDATED], Disposition.INSURANCE_UPDATED),
    ],
)
def test_the_disposition_follows_what_was_done(
    clock: ManualClock, actions: list[CallAction], expected: Disposition
) -> None:
    call = Call(clock)
    call.record_verification(ACCOUNT, PASSED)
    for action in actions:
        call.note_action(action)
    assert call.suggested_disposition() is expected


def test_an_unverified_caller_is_suggested_as_such(clock: ManualClock) -> None:
    call = Call(clock)
    call.record_verification(ACCOUNT, FAILED)
    assert call.suggested_disposition() is Disposition.NOT_VERIFIED
    assert "Caller not verified (1 attempt(s))." in call.summary_lines()


def test_transfer_is_an_event_and_an_action(clock: ManualClock) -> None:
    call = Call(clock)
    event = call.transfer("manager")
    assert event.kind is Kind.TRANSFER and event.detail == "manager"
    assert call.suggested_disposition() is Disposition.TRANSFERRED
    call.end()
    with pytest.raises(CallError, match="ended"):
        call.start_hold()


def test_secure_mode_pauses_and_resumes_the_recording_once(clock: ManualClock) -> None:
    call = Call(clock, call_ref="cx-1")
    paused = call.secure_mode(True, "phone system")
    assert paused is not None and paused.kind == Kind.RECORDING_PAUSED
    assert call.secure_mode(True) is None  # already paused: nothing new
    clock.advance(42)
    resumed = call.secure_mode(False, "phone system")
    assert resumed is not None and resumed.kind == Kind.RECORDING_RESUMED
    assert resumed.elapsed_ms == 42_000
    assert [e.kind for e in call.record().events].count(Kind.RECORDING_PAUSED) == 1


def test_ending_a_call_in_secure_mode_resumes_the_recording_first(clock: ManualClock) -> None:
    call = Call(clock)
    call.secure_mode(True)
    call.end()
    kinds = [e.kind for e in call.events]
    assert kinds[-2:] == [Kind.RECORDING_RESUMED, Kind.END]
    assert not call.recording_paused
    with pytest.raises(CallError):
        call.secure_mode(True)  # no card fields on a call that has ended
