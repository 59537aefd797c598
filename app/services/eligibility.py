"""Importing a 271: each answered member's benefits become a snapshot on their coverage.

One file, one transaction (through the tracked session, so snapshots sync). A coverage
is matched by member id; a file imported twice adds nothing the second time (one
snapshot per coverage, service type and trace). The coverage is marked verified by
X12 271 at that moment, by the desk's user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.codes import BenefitsSource
from app.integrations.x12.eligibility import Eligibility, benefits_for
from app.services.views import UserInfo
from app.store.models import BenefitsSnapshot, Coverage
from app.store.types import utcnow


@dataclass
class EligibilityImport:
    snapshots: int = 0
    already: int = 0
    unmatched: int = 0  # answers whose member id no coverage here carries
    rejected: list[str] = field(default_factory=list)  # AAA reason codes


def import_271(
    session: Session, answers: list[Eligibility], user: UserInfo, *, reference: str
) -> EligibilityImport:
    result = EligibilityImport()
    now = utcnow()
    for answer in answers:
        if answer.rejections:
            result.rejected.extend(answer.rejections)
        if not answer.member_id or not answer.benefits:
            if not answer.rejections:
                result.unmatched += 1
            continue
        coverages = session.scalars(
            select(Coverage).where(Coverage.member_id == answer.member_id)
        ).all()
        if not coverages:
            result.unmatched += 1
            continue
        summary = benefits_for(answer)
        trace = f"{reference}:{answer.trace}"[:200]
        for coverage in coverages:
            exists = session.scalar(
                select(BenefitsSnapshot.id).where(
                    BenefitsSnapshot.coverage_id == coverage.id,
                    BenefitsSnapshot.service_type == summary.service_type,
                    BenefitsSnapshot.raw_reference == trace,
                )
            )
            if exists is not None:
                result.already += 1
                continue
            session.add(
                BenefitsSnapshot(
                    id=uuid.uuid4(),
                    coverage_id=coverage.id,
                    captured_at=now,
                    source=BenefitsSource.X12_271,
                    service_type=summary.service_type,
                    in_network=summary.in_network,
                    plan_year_start=answer.plan_begin,
                    deductible_cents=summary.deductible_cents,
                    deductible_met_cents=summary.deductible_met_cents,
                    oop_max_cents=summary.oop_max_cents,
                    oop_met_cents=summary.oop_met_cents,
                    copay_cents=summary.copay_cents,
                    coinsurance_bp=summary.coinsurance_bp,
                    behavioral_health_covered=summary.active,
                    prior_auth_required=summary.prior_auth_required,
                    raw_reference=trace,
                )
            )
            coverage.verified_at = now
            coverage.verified_by_id = user.id
            coverage.verification_source = BenefitsSource.X12_271
            result.snapshots += 1
    return result


__all__ = ["EligibilityImport", "import_271"]
