"""Calls: the identity check against the record, the card shown before it, and storing
each call's trail (interaction, hold segments, events) through the sync outbox.

The GUI keeps the live :class:`app.domain.call.Call`; after every step it hands a
:class:`CallRecord` snapshot to :func:`save_call` in a worker. Saving is idempotent
(events by id, rows upserted), so snapshots can be saved again after a failure and a
later snapshot heals an earlier one that did not arrive.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.call import CallRecord
from app.domain.identity import (
    Answers,
    IdentityRecord,
    Person,
    Verification,
    VerificationPolicy,
    check_identity,
)
from app.services.errors import AccountNotFound
from app.services.views import AccountCard, UserInfo
from app.store.models import (
    AuditEvent,
    GuarantorAccount,
    HoldSegment,
    Interaction,
    InteractionEvent,
    Patient,
)
from app.store.types import utcnow


def account_card(session: Session, account_id: uuid.UUID) -> AccountCard:
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise AccountNotFound(str(account_id))
    count = len(session.scalars(select(Patient.id).where(Patient.account_id == account_id)).all())
    return AccountCard(
        account.id,
        account.account_number,
        f"{account.first_name} {account.last_name}",
        count,
    )


def identity_record(session: Session, account_id: uuid.UUID) -> IdentityRecord:
    """The facts answers are checked against (read for the check, never returned to the GUI)."""
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise AccountNotFound(str(account_id))
    patients = session.scalars(select(Patient).where(Patient.account_id == account_id)).all()
    people = (
        Person(
            account.id,
            account.first_name,
            account.last_name,
            account.date_of_birth,
            is_guarantor=True,
        ),
        *(Person(p.id, p.first_name, p.last_name, p.date_of_birth) for p in patients),
    )
    return IdentityRecord(
        account_number=account.account_number,
        people=people,
        addresses=tuple(a for a in (account.address_line1,) if a),
        postal_codes=tuple(z for z in (account.postal_code,) if z),
        phones_e164=tuple(p for p in (account.phone_e164, account.alt_phone_e164) if p),
    )


def verify_caller(
    session: Session,
    account_id: uuid.UUID,
    answers: Answers,
    policy: VerificationPolicy,
    user: UserInfo,
    workstation: str,
) -> Verification:
    """Check the caller's answers against the account; the attempt is audited (which
    facts matched, never their values), passed or not."""
    result = check_identity(answers, identity_record(session, account_id), policy)
    matched = ",".join(f.value for f in result.matched) or "none"
    failed = ",".join(f.value for f in result.failed) or "none"
    session.add(
        AuditEvent(
            occurred_at=utcnow(),
            user_id=user.id,
            workstation=workstation,
            action="caller.verify" if result.passed else "caller.verify_failed",
            account_id=account_id,
            patient_id=_patient_or_none(session, result.person_id),
            detail=f"matched {matched}; failed {failed}",
        )
    )
    return result


def save_call(session: Session, record: CallRecord, agent: UserInfo) -> None:
    """Store (or bring up to date) the call's interaction, hold segments and events."""
    interaction = session.get(Interaction, record.id)
    wrap = record.wrap_up
    values: dict[str, Any] = {
        "account_id": record.account_id,
        "patient_id": _patient_or_none(session, record.patient_id),
        "caller_number_e164": record.caller_number,
        "phone_call_ref": record.call_ref,
        "caller_name": record.caller_name,
        "caller_relationship": record.caller_relationship,
        "verified_at": record.verified_at,
        "verification_method": record.verification_method,
        "ended_at": record.ended_at,
        "disposition": wrap.disposition.value if wrap else None,
        "notes": wrap.notes if wrap else None,
        "escalated": wrap.escalated if wrap else False,
        "escalation_target": wrap.escalation_target if wrap else None,
        "after_call_seconds": record.after_call_seconds,
    }
    if interaction is None:
        interaction = Interaction(
            id=record.id, agent_id=agent.id, started_at=record.started_at, **values
        )
        session.add(interaction)
    else:
        _assign(interaction, values)
    for hold in record.holds:
        segment = session.get(HoldSegment, hold.id)
        fields = {
            "ended_at": hold.ended_at,
            "check_ins": hold.check_ins,
            "longest_silence_ms": hold.longest_silence_ms,
            "breached": hold.breached,
        }
        if segment is None:
            session.add(
                HoldSegment(
                    id=hold.id, interaction_id=record.id, started_at=hold.started_at, **fields
                )
            )
        else:
            _assign(segment, fields)
    session.flush()  # parents before the events that point at them
    known = set(
        session.scalars(
            select(InteractionEvent.id).where(InteractionEvent.interaction_id == record.id)
        )
    )
    for event in record.events:
        if event.id in known:
            continue
        session.add(
            InteractionEvent(
                id=event.id,
                interaction_id=record.id,
                hold_segment_id=event.hold_id,
                kind=event.kind,
                occurred_at=event.at,
                elapsed_ms=event.elapsed_ms,
                detail=event.detail,
            )
        )


def close_unfinished_calls(session: Session, agent: UserInfo) -> int:
    """Calls this agent left open when the desk stopped (a crash, a power cut): ended now,
    with an END event that says so, so leads never watch a call that is not happening.
    Returns how many were closed. Their wrap-up stays empty (nobody documented them)."""
    from app.domain.codes import InteractionEventKind

    now = utcnow()
    open_calls = session.scalars(
        select(Interaction).where(Interaction.agent_id == agent.id, Interaction.ended_at.is_(None))
    ).all()
    for interaction in open_calls:
        for segment in session.scalars(
            select(HoldSegment).where(
                HoldSegment.interaction_id == interaction.id, HoldSegment.ended_at.is_(None)
            )
        ):
            segment.ended_at = now
        interaction.ended_at = now
        session.add(
            InteractionEvent(
                interaction_id=interaction.id,
                kind=InteractionEventKind.END,
                occurred_at=now,
                detail="the desk stopped during the call",
            )
        )
    return len(open_calls)


def _assign(row: Any, values: dict[str, Any]) -> None:
    """Set only what changed: an unchanged row must not become a new version to sync."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _patient_or_none(session: Session, patient_id: uuid.UUID | None) -> uuid.UUID | None:
    """The guarantor's own id is not a patient id (a parent verified as themself)."""
    if patient_id is None:
        return None
    return patient_id if session.get(Patient, patient_id) is not None else None
