"""A call's trail stored through the outbox; the identity check against the real record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.call import Call, Disposition, WrapUp
from app.domain.clock import ManualClock
from app.domain.codes import CallerRelationship
from app.domain.codes import InteractionEventKind as Kind
from app.domain.identity import Answers, Factor
from app.domain.phones import to_e164
from app.services.desk import Desk, open_desk
from app.store.models import (
    AuditEvent,
    GuarantorAccount,
    HoldSegment,
    Interaction,
    InteractionEvent,
    OutboxItem,
    Patient,
)


@pytest.fixture
def desk(sqlite_url: str) -> Iterator[Desk]:
    desk = open_desk(sqlite_url, demo_patients=20, seed=5, today=lambda: date(2026, 11, 20))
    yield desk
    desk.close()


def _child_with_address(desk: Desk) -> tuple[GuarantorAccount, Patient]:
    with Session(desk.engine, expire_on_commit=False) as session:
        row = session.execute(
            select(GuarantorAccount, Patient)
            .join(Patient, Patient.account_id == GuarantorAccount.id)
            .where(GuarantorAccount.postal_code.is_not(None))
            .limit(1)
        ).one()
        session.expunge_all()
    return row[0], row[1]


def test_the_card_before_verification_holds_no_phi(desk: Desk) -> None:
    account, _ = _child_with_address(desk)
    card = desk.account_card(account.id)
    assert card.id == account.id and card.patient_count >= 1
    assert card.account_number == account.account_number
    assert card.guarantor_name == f"{account.first_name} {account.last_name}"
    assert set(card.__dataclass_fields__) == {
        "id", "account_number", "guarantor_name", "patient_count",
    }  # fmt: skip


def test_verifying_a_parent_calling_about_a_child(desk: Desk) -> None:
    account, child = _child_with_address(desk)
    answers = Answers(
        f"{child.first_name} {child.last_name}", child.date_of_birth, zip=account.postal_code
    )
    result = desk.verify_caller(account.id, answers)
    assert result.passed and result.person_id == child.id
    wrong = Answers(f"{child.first_name} {child.last_name}", date(1900, 1, 1), zip="00000")
    failed = desk.verify_caller(account.id, wrong)
    assert not failed.passed and set(failed.failed) == {Factor.DOB, Factor.ZIP}
    with desk.engine.connect() as conn:
        audits = conn.execute(
            select(AuditEvent.action, AuditEvent.detail, AuditEvent.patient_id)
            .where(AuditEvent.action.like("caller.%"))
            .order_by(AuditEvent.occurred_at)
        ).all()
    assert [a.action for a in audits] == ["caller.verify", "caller.verify_failed"]
    assert audits[0].patient_id == child.id
    # The audit names facts, never the values the caller gave.
    assert "1900" not in audits[1].detail and "00000" not in audits[1].detail
    assert audits[1].detail == "matched name; failed dob,zip"


def test_a_call_is_stored_step_by_step_and_queued_to_sync(desk: Desk) -> None:
    account, child = _child_with_address(desk)
    clock = ManualClock()
    call = Call(clock, caller_number=to_e164("214-555-0134"), call_ref="CX-4471")
    call.about(account.id)
    call.identify_caller("Ana Lopez", CallerRelationship.PARENT)
    desk.save_call(call.record())
    answers = Answers(
        f"{child.first_name} {child.last_name}", child.date_of_birth, zip=account.postal_code
    )
    call.record_verification(account.id, desk.verify_caller(account.id, answers))
    call.start_hold()
    clock.advance(200)
    call.poll()
    desk.save_call(call.record())  # mid-hold: the lead sees the open segment
    with desk.engine.connect() as conn:
        open_segment = conn.execute(select(HoldSegment)).one()
    assert open_segment.ended_at is None and open_segment.breached
    assert open_segment.longest_silence_ms == 200_000
    call.check_in()
    clock.advance(20)
    call.resume()
    clock.advance(5)
    call.end()
    clock.advance(40)
    call.finish(WrapUp(Disposition.BALANCE_EXPLAINED, "Explained the deductible."))
    record = call.record()
    desk.save_call(record)
    desk.save_call(record)  # again: changes nothing
    with desk.engine.connect() as conn:
        interaction = conn.execute(select(Interaction)).one()
        events = conn.execute(select(InteractionEvent).order_by(InteractionEvent.elapsed_ms)).all()
        segment = conn.execute(select(HoldSegment)).one()
        queued = conn.execute(
            select(OutboxItem.table_name, func.count()).group_by(OutboxItem.table_name)
        ).all()
    assert interaction.caller_relationship is CallerRelationship.PARENT
    assert interaction.phone_call_ref == "CX-4471"  # secure mode pauses recording by it
    assert interaction.patient_id == child.id
    assert interaction.verification_method == "name+dob+zip"
    assert interaction.disposition == "balance_explained"
    assert interaction.after_call_seconds == 40
    assert interaction.started_at.tzinfo is not None
    assert [e.kind for e in events] == [
        Kind.START, Kind.VERIFY, Kind.HOLD, Kind.WARN, Kind.BREACH, Kind.CHECK_IN,
        Kind.RESUME, Kind.END, Kind.WRAP_UP,
    ]  # fmt: skip
    assert all(e.hold_segment_id == segment.id for e in events if e.kind in {Kind.WARN})
    assert segment.ended_at is not None and segment.check_ins == 1
    assert segment.longest_silence_ms == 200_000
    counts = dict(queued)
    assert counts["interaction_event"] == 9
    # Each save that changed the row is a new version to sync; the repeat added nothing.
    assert counts["interaction"] == 3
    assert counts["hold_segment"] == 2


def test_a_call_left_open_by_a_crash_is_ended_at_the_next_start(sqlite_url: str) -> None:
    today = lambda: date(2026, 11, 20)  # noqa: E731
    desk = open_desk(sqlite_url, demo_patients=5, seed=5, today=today)
    call = Call(ManualClock())
    call.start_hold()
    desk.save_call(call.record())
    desk.close()  # as if killed: the call never ended
    again = open_desk(sqlite_url, demo_patients=5, seed=5, today=today)
    try:
        with again.engine.connect() as conn:
            interaction = conn.execute(select(Interaction)).one()
            segment = conn.execute(select(HoldSegment)).one()
            last = conn.execute(
                select(InteractionEvent).order_by(InteractionEvent.occurred_at.desc())
            ).first()
        assert interaction.ended_at is not None and segment.ended_at is not None
        assert last is not None and last.kind is Kind.END
        assert last.detail == "the desk stopped during the call"
        assert again.close_unfinished_calls() == 0  # once only
    finally:
        again.close()
