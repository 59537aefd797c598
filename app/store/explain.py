"""Reading what the balance explainer needs for one account: visits, claims, ledger."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.codes import ClaimStatus, LedgerKind
from app.domain.explain import Adjustment, ClaimFacts, Entry, VisitFacts
from app.store.models import (
    AdjudicationLine,
    Claim,
    Coverage,
    Encounter,
    LedgerEntry,
    LineAdjustment,
    Patient,
)


def explain_facts(session: Session, account_id: uuid.UUID) -> tuple[list[VisitFacts], list[Entry]]:
    """Four queries, whatever the account's size: visits, claims, CAS totals, ledger."""
    visits = session.execute(
        select(Encounter.id, Encounter.date_of_service, Encounter.provider_name, Patient.first_name)
        .join(Patient, Patient.id == Encounter.patient_id)
        .where(Encounter.account_id == account_id)
    ).all()
    claims = session.execute(
        select(
            Claim.id,
            Claim.encounter_id,
            Claim.status,
            Claim.billed_cents,
            Claim.paid_cents,
            Coverage.plan_name,
            Coverage.priority,
        )
        .join(Encounter, Encounter.id == Claim.encounter_id)
        .outerjoin(Coverage, Coverage.id == Claim.coverage_id)
        .where(Encounter.account_id == account_id)
    ).all()
    allowed: dict[uuid.UUID, int | None] = {}
    adjustments: dict[uuid.UUID, list[Adjustment]] = defaultdict(list)
    for claim_id, group, reason, cents in session.execute(
        select(
            AdjudicationLine.claim_id,
            LineAdjustment.group_code,
            LineAdjustment.reason_code,
            func.sum(LineAdjustment.amount_cents),
        )
        .join(AdjudicationLine, AdjudicationLine.id == LineAdjustment.adjudication_line_id)
        .join(Claim, Claim.id == AdjudicationLine.claim_id)
        .join(Encounter, Encounter.id == Claim.encounter_id)
        .where(Encounter.account_id == account_id)
        .group_by(AdjudicationLine.claim_id, LineAdjustment.group_code, LineAdjustment.reason_code)
    ):
        adjustments[claim_id].append(Adjustment(str(group), str(reason), int(cents)))
    for claim_id, allowed_sum in session.execute(
        select(AdjudicationLine.claim_id, func.sum(AdjudicationLine.allowed_cents))
        .join(Claim, Claim.id == AdjudicationLine.claim_id)
        .join(Encounter, Encounter.id == Claim.encounter_id)
        .where(Encounter.account_id == account_id)
        .group_by(AdjudicationLine.claim_id)
    ):
        allowed[claim_id] = int(allowed_sum) if allowed_sum is not None else None
    by_visit: dict[uuid.UUID, list[ClaimFacts]] = defaultdict(list)
    for c in claims:
        by_visit[c.encounter_id].append(
            ClaimFacts(
                id=c.id,
                payer=c.plan_name or "",
                priority=c.priority or 1,
                status=ClaimStatus(c.status),
                billed_cents=c.billed_cents,
                allowed_cents=allowed.get(c.id),
                paid_cents=c.paid_cents,
                adjustments=tuple(adjustments.get(c.id, ())),
            )
        )
    facts = [
        VisitFacts(v.id, v.date_of_service, v.first_name, v.provider_name, tuple(by_visit[v.id]))
        for v in visits
    ]
    entries = [
        Entry(LedgerKind(kind), int(cents), on, encounter, claim)
        for kind, cents, on, encounter, claim in session.execute(
            select(
                LedgerEntry.kind,
                LedgerEntry.amount_cents,
                LedgerEntry.effective_date,
                LedgerEntry.encounter_id,
                LedgerEntry.claim_id,
            ).where(LedgerEntry.account_id == account_id)
        )
    ]
    return facts, entries
