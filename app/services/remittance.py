"""Importing an 835: the payer's answers become adjudicated claims and ledger postings.

One file is one transaction (through the desk's tracked session, so every row syncs):
either every matched claim is applied or nothing is. A claim is matched by its patient
control number (CLP01) to the claim still waiting for that answer; a reversal
(CLP02 = 22) by the payer's claim number (CLP07) to the answer it takes back, and the
correction that follows it becomes a new claim of the same visit. Importing the same
file twice changes nothing the second time: each applied answer is recognized by its
control number, remittance trace and CLP02.

Postings follow the answer: the insurance payment, and the plan's adjustments (CO, PI,
and OA other than OA-23, which only restates what a prior payer did) as a contractual
adjustment, or as a write-off when the claim was denied. PR amounts are not posted:
they are what remains of the charge, the patient's share.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.codes import ClaimStatus, GroupCode, LedgerKind
from app.domain.money import to_cents
from app.integrations.x12.remit835 import REVERSAL, Cas, ClaimPayment, Remittance
from app.services.views import UserInfo
from app.store.models import (
    AdjudicationLine,
    Claim,
    Encounter,
    LedgerEntry,
    LineAdjustment,
    ProcedureLine,
)
from app.store.types import utcnow

DENIED_STATUS = "4"
_PRIOR_PAYER = "23"  # OA-23: the impact of a prior payer's adjudication (not posted again)


@dataclass
class ImportResult:
    applied: int = 0
    already: int = 0  # answers this desk had imported before
    unmatched: list[int] = field(default_factory=list)  # segment numbers of their CLPs
    ledger_entries: int = 0


def import_835(
    session: Session, remittance: Remittance, user: UserInfo, *, today: date
) -> ImportResult:
    """Apply every claim of ``remittance`` (see the module's docstring)."""
    result = ImportResult()
    posted_on = remittance.paid_on or today
    for answer in remittance.claims:
        if _already(session, remittance, answer):
            result.already += 1
            continue
        apply = _apply_reversal if answer.status == REVERSAL else _apply_answer
        apply(session, remittance, answer, user, posted_on, result)
    return result


def _already(session: Session, remittance: Remittance, answer: ClaimPayment) -> bool:
    return (
        session.scalar(
            select(Claim.id).where(
                Claim.patient_control_number == answer.patient_control_number,
                Claim.remittance_trace == remittance.trace,
                Claim.payer_status_code == answer.status,
            )
        )
        is not None
    )


def _apply_answer(
    session: Session,
    remittance: Remittance,
    answer: ClaimPayment,
    user: UserInfo,
    posted_on: date,
    result: ImportResult,
) -> None:
    claim = session.scalars(
        select(Claim)
        .where(
            Claim.patient_control_number == answer.patient_control_number,
            Claim.status == ClaimStatus.SUBMITTED,
        )
        .order_by(Claim.submitted_at)
    ).first()
    if claim is None:
        # A correction after a reversal: a new answer for the reversed claim's visit.
        reversed_claim = session.scalars(
            select(Claim)
            .where(
                Claim.patient_control_number == answer.patient_control_number,
                Claim.status == ClaimStatus.REVERSED,
            )
            .order_by(Claim.submitted_at.desc())
        ).first()
        if reversed_claim is None:
            result.unmatched.append(answer.position)
            return
        claim = Claim(
            id=uuid.uuid4(),
            encounter_id=reversed_claim.encounter_id,
            coverage_id=reversed_claim.coverage_id,
            patient_control_number=answer.patient_control_number,
            status=ClaimStatus.SUBMITTED,
            billed_cents=to_cents(answer.billed),
            submitted_at=reversed_claim.submitted_at,
        )
        session.add(claim)
        session.flush()
    denied = answer.status == DENIED_STATUS
    claim.status = ClaimStatus.DENIED if denied else ClaimStatus.ADJUDICATED
    claim.payer_status_code = answer.status
    claim.payer_claim_number = answer.payer_claim_number or claim.payer_claim_number
    claim.paid_cents = to_cents(answer.paid)
    claim.patient_responsibility_cents = _cents_of(answer.all_adjustments, {"PR"})
    claim.adjudicated_on = posted_on
    claim.remittance_trace = remittance.trace
    _write_lines(session, claim, answer)
    result.ledger_entries += _post(session, claim, answer, user, posted_on, remittance.trace,
                                   denied=denied)  # fmt: skip
    result.applied += 1


def _apply_reversal(
    session: Session,
    remittance: Remittance,
    answer: ClaimPayment,
    user: UserInfo,
    posted_on: date,
    result: ImportResult,
) -> None:
    query = select(Claim).where(
        Claim.patient_control_number == answer.patient_control_number,
        Claim.status.in_([ClaimStatus.ADJUDICATED, ClaimStatus.DENIED]),
    )
    if answer.payer_claim_number:
        query = query.where(Claim.payer_claim_number == answer.payer_claim_number)
    claim = session.scalars(query.order_by(Claim.adjudicated_on.desc())).first()
    if claim is None:
        result.unmatched.append(answer.position)
        return
    # A reversal's amounts carry their own (negative) signs: posted like an answer,
    # they take back exactly what the original answer posted.
    denied = claim.status == ClaimStatus.DENIED
    result.ledger_entries += _post(
        session, claim, answer, user, posted_on, remittance.trace, denied=denied
    )
    claim.status = ClaimStatus.REVERSED
    claim.payer_status_code = answer.status
    claim.remittance_trace = remittance.trace
    result.applied += 1


def _write_lines(session: Session, claim: Claim, answer: ClaimPayment) -> None:
    procedures = {
        p.cpt_code: p.id
        for p in session.scalars(
            select(ProcedureLine).where(ProcedureLine.encounter_id == claim.encounter_id)
        )
    }
    number = 0
    for number, line in enumerate(answer.lines, start=1):
        row = AdjudicationLine(
            id=uuid.uuid4(),
            claim_id=claim.id,
            procedure_line_id=procedures.get(line.code[:5]),
            line_number=number,
            cpt_code=line.code[:5],
            units=int(line.units or 1),
            billed_cents=to_cents(line.billed),
            allowed_cents=to_cents(line.allowed) if line.allowed is not None else None,
            paid_cents=to_cents(line.paid),
        )
        session.add(row)
        _write_adjustments(session, row.id, line.adjustments, ",".join(line.remarks) or None)
    if answer.adjustments:  # claim-level CAS: kept on a line of their own (number 0)
        row = AdjudicationLine(
            id=uuid.uuid4(),
            claim_id=claim.id,
            line_number=0 if number else 1,
            cpt_code="",
            units=1,
            billed_cents=(
                to_cents(answer.billed) if not answer.lines else _cents_of(answer.adjustments)
            ),
            allowed_cents=None,
            paid_cents=to_cents(answer.paid) if not answer.lines else 0,
        )
        session.add(row)
        _write_adjustments(session, row.id, answer.adjustments, None)


def _write_adjustments(
    session: Session, line_id: uuid.UUID, adjustments: list[Cas], remarks: str | None
) -> None:
    for adj in adjustments:
        session.add(
            LineAdjustment(
                id=uuid.uuid4(),
                adjudication_line_id=line_id,
                group_code=GroupCode(adj.group),
                reason_code=adj.reason[:5],
                amount_cents=to_cents(adj.amount),
                quantity=int(adj.quantity) if adj.quantity is not None else None,
                remark_codes=remarks[:60] if remarks else None,
            )
        )


def _post(
    session: Session,
    claim: Claim,
    answer: ClaimPayment,
    user: UserInfo,
    posted_on: date,
    trace: str,
    *,
    denied: bool,
) -> int:
    """The insurance payment and the plan's adjustment (a write-off when denied)."""
    encounter = session.get(Encounter, claim.encounter_id)
    assert encounter is not None
    kind = LedgerKind.WRITE_OFF if denied else LedgerKind.CONTRACTUAL_ADJUSTMENT
    postings = (
        (LedgerKind.INSURANCE_PAYMENT, -to_cents(answer.paid)),
        (kind, -_plan_adjustment(answer.all_adjustments)),
    )
    count = 0
    for posting_kind, cents in postings:
        if cents == 0:
            continue
        session.add(
            LedgerEntry(
                id=uuid.uuid4(),
                account_id=encounter.account_id,
                patient_id=encounter.patient_id,
                encounter_id=encounter.id,
                claim_id=claim.id,
                kind=posting_kind,
                amount_cents=cents,
                effective_date=posted_on,
                posted_at=utcnow(),
                posted_by_id=user.id,
                memo=f"835 {trace}"[:200],
            )
        )
        count += 1
    return count


def _plan_adjustment(adjustments: list[Cas]) -> int:
    return sum(
        to_cents(a.amount)
        for a in adjustments
        if a.group in ("CO", "PI", "CR") or (a.group == "OA" and a.reason != _PRIOR_PAYER)
    )


def _cents_of(adjustments: list[Cas], groups: set[str] | None = None) -> int:
    return sum(to_cents(a.amount) for a in adjustments if groups is None or a.group in groups) or 0
