"""Reading one guarantor account with what the account view shows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.domain.codes import ClaimStatus, LedgerKind
from app.store.models import (
    Claim,
    Coverage,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    Patient,
)


@dataclass(frozen=True)
class AccountFigures:
    balance_cents: int
    by_patient_cents: dict[uuid.UUID, int]
    pending_insurance_cents: int
    last_payment: tuple[date, int] | None
    charges: list[tuple[date, int]]
    credits_cents: int


def load_account(session: Session, account_id: uuid.UUID) -> GuarantorAccount | None:
    stmt = (
        select(GuarantorAccount)
        .where(GuarantorAccount.id == account_id)
        .options(
            selectinload(GuarantorAccount.patients)
            .selectinload(Patient.coverages)
            .selectinload(Coverage.payer)
        )
    )
    return session.scalars(stmt).first()


def account_figures(session: Session, account_id: uuid.UUID) -> AccountFigures:
    """Balances from the ledger; the part of them still with insurance from unanswered claims."""
    L = LedgerEntry
    by_patient = dict(
        session.execute(
            select(L.patient_id, func.sum(L.amount_cents))
            .where(L.account_id == account_id)
            .group_by(L.patient_id)
        ).all()
    )
    balance = sum(int(v) for v in by_patient.values())
    # What is still with insurance: the open amount of visits whose claim is unanswered
    # (for a secondary claim, what the primary left over), never more than the visit owes.
    waiting = (
        select(Claim.encounter_id)
        .join(Encounter, Claim.encounter_id == Encounter.id)
        .where(Encounter.account_id == account_id, Claim.status == ClaimStatus.SUBMITTED)
    )
    open_per_visit = session.execute(
        select(func.sum(L.amount_cents))
        .where(L.account_id == account_id, L.encounter_id.in_(waiting))
        .group_by(L.encounter_id)
    ).scalars()
    pending = sum(max(int(amount or 0), 0) for amount in open_per_visit)
    # The latest payment as a whole (all its visits' entries), not one visit's line;
    # one the bank sent back (reversed) is no payment.
    reversed_ids = select(L.reverses_id).where(
        L.account_id == account_id, L.reverses_id.is_not(None)
    )
    newest = session.execute(
        select(L.effective_date, L.posted_at, func.coalesce(L.payment_id, L.id).label("paid_by"))
        .where(
            L.account_id == account_id,
            L.kind == LedgerKind.PATIENT_PAYMENT,
            L.id.not_in(reversed_ids),
        )
        .order_by(L.effective_date.desc(), L.posted_at.desc())
        .limit(1)
    ).first()
    last_payment = None
    if newest is not None:
        total = session.scalar(
            select(func.sum(L.amount_cents)).where(
                L.account_id == account_id,
                L.kind == LedgerKind.PATIENT_PAYMENT,
                (L.payment_id == newest.paid_by) | (L.id == newest.paid_by),
            )
        )
        last_payment = (newest.effective_date, int(total or 0))
    charges = [
        (day, int(amount))
        for day, amount in session.execute(
            select(L.effective_date, L.amount_cents).where(
                L.account_id == account_id, L.amount_cents > 0
            )
        )
    ]
    credits = -int(
        session.scalar(
            select(func.coalesce(func.sum(L.amount_cents), 0)).where(
                L.account_id == account_id, L.amount_cents < 0
            )
        )
        or 0
    )
    return AccountFigures(
        balance_cents=balance,
        by_patient_cents={k: int(v) for k, v in by_patient.items() if k is not None},
        pending_insurance_cents=pending,
        last_payment=(last_payment[0], -int(last_payment[1])) if last_payment else None,
        charges=charges,
        credits_cents=credits,
    )
