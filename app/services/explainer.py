"""What the explainer panel shows for one account, ready for the screen: the visit table,
the words to read in both languages, the statement comparison, and benefits progress."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.codes import ClaimStatus
from app.domain.explain import AccountExplanation, VisitExplanation, VisitFacts
from app.domain.statements import StatementComparison, comparison_words
from app.domain.words import LANGUAGES, Deductible, account_summary, visit_script
from app.integrations.x12.reasons import describe
from app.store.models import BenefitsSnapshot, Coverage, Patient


@dataclass(frozen=True)
class BenefitsLine:
    patient: str
    patient_id: uuid.UUID
    plan: str
    captured_on: date
    source: str
    deductible_cents: int | None
    deductible_met_cents: int | None
    oop_max_cents: int | None
    oop_met_cents: int | None


_STANDING = (ClaimStatus.ADJUDICATED, ClaimStatus.DENIED)


@dataclass(frozen=True)
class Reason:
    """One adjustment reason of a visit's current answer, with its words."""

    group: str  # CO, PR, OA, PI
    code: str  # CARC
    cents: int
    text: str  # our plain words, or the administrator's licensed list

    @property
    def label(self) -> str:
        return f"{self.group}-{self.code}"


@dataclass(frozen=True)
class ExplainerView:
    explanation: AccountExplanation
    summary: dict[str, str]  # language -> words
    statement: dict[str, str] | None  # the newest statement's comparison, or None
    scripts: dict[uuid.UUID, dict[str, str]]  # visit -> language -> words
    benefits: tuple[BenefitsLine, ...]
    statements: tuple[tuple[date, dict[str, str]], ...] = ()  # every statement, newest first
    reasons: dict[uuid.UUID, tuple[Reason, ...]] | None = None  # visit -> the payer's reasons

    @property
    def visits(self) -> tuple[VisitExplanation, ...]:
        return self.explanation.visits


def explainer_view(
    session: Session,
    account_id: uuid.UUID,
    explanation: AccountExplanation,
    comparisons: list[StatementComparison],
    visits: Sequence[VisitFacts] = (),
) -> ExplainerView:
    """``visits`` are the facts ``explanation`` was computed from (for the payer's reasons)."""
    summary = {lang: account_summary(explanation, lang) for lang in LANGUAGES}
    statements = tuple(
        (c.statement_date, {lang: comparison_words(c, lang) for lang in LANGUAGES})
        for c in comparisons
    )
    statement = statements[0][1] if statements else None
    benefits = _benefits(session, account_id)
    # Where a patient stands on the deductible, from their newest benefits snapshot.
    deductibles = {
        b.patient_id: Deductible(b.deductible_cents, b.deductible_met_cents)
        for b in benefits
        if b.deductible_cents and b.deductible_met_cents is not None
    }
    scripts = {
        v.id: {
            lang: visit_script(
                v, lang, deductible=deductibles.get(v.patient_id) if v.patient_id else None
            )
            for lang in LANGUAGES
        }
        for v in explanation.visits
    }
    return ExplainerView(
        explanation, summary, statement, scripts, benefits, statements,
        _reasons(visits),
    )  # fmt: skip


def _reasons(visits: Sequence[VisitFacts]) -> dict[uuid.UUID, tuple[Reason, ...]]:
    """Each visit's adjustment reasons from its standing answers (reversed ones are gone),
    from the same facts the explanation was computed from: no second query."""
    reasons: dict[uuid.UUID, tuple[Reason, ...]] = {}
    for visit in visits:
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for claim in visit.claims:
            if claim.status in _STANDING:
                for adjustment in claim.adjustments:
                    totals[adjustment.group, adjustment.reason] += adjustment.cents
        found = tuple(
            Reason(group, code, cents, describe("CARC", code))
            for (group, code), cents in sorted(totals.items())
            if cents
        )
        if found:
            reasons[visit.id] = found
    return reasons


def _benefits(session: Session, account_id: uuid.UUID) -> tuple[BenefitsLine, ...]:
    """The newest snapshot of each patient's primary coverage."""
    rows = session.execute(
        select(
            Patient.first_name,
            Coverage.plan_name,
            BenefitsSnapshot.captured_at,
            BenefitsSnapshot.source,
            BenefitsSnapshot.deductible_cents,
            BenefitsSnapshot.deductible_met_cents,
            BenefitsSnapshot.oop_max_cents,
            BenefitsSnapshot.oop_met_cents,
            Coverage.id,
            Patient.id,
        )
        .join(Coverage, Coverage.patient_id == Patient.id)
        .join(BenefitsSnapshot, BenefitsSnapshot.coverage_id == Coverage.id)
        .where(Patient.account_id == account_id, Coverage.priority == 1)
        .order_by(Patient.first_name, BenefitsSnapshot.captured_at.desc())
    ).all()
    seen: set[uuid.UUID] = set()
    lines = []
    for first, plan, captured, source, ded, ded_met, oop, oop_met, coverage_id, patient in rows:
        if coverage_id in seen:
            continue
        seen.add(coverage_id)
        lines.append(
            BenefitsLine(
                first, patient, plan, captured.date(), str(source), ded, ded_met, oop, oop_met
            )
        )
    return tuple(lines)
