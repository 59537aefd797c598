"""Insurance: payers, a patient's coverages, and benefits snapshots from 271s or portals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.codes import BenefitsSource, PayerKind, Relationship
from app.store.models.base import Base, Keyed, Stamped, Versioned

if TYPE_CHECKING:
    from app.store.models.people import Patient, User


class Payer(Keyed, Stamped, Base):
    __tablename__ = "payer"

    name: Mapped[str] = mapped_column(String(120))
    payer_code: Mapped[str] = mapped_column(String(20), unique=True)  # X12 payer id
    kind: Mapped[PayerKind]
    phone_e164: Mapped[str | None] = mapped_column(String(20))


class Coverage(Keyed, Versioned, Base):
    """A patient's plan: primary (1), secondary (2), tertiary (3)."""

    __tablename__ = "coverage"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    payer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payer.id"))
    priority: Mapped[int]
    plan_name: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    subscriber_name: Mapped[str] = mapped_column(String(160))
    subscriber_relationship: Mapped[Relationship]
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    verification_source: Mapped[BenefitsSource | None]

    patient: Mapped[Patient] = relationship(back_populates="coverages")
    payer: Mapped[Payer] = relationship()
    verified_by: Mapped[User | None] = relationship()


class BenefitsSnapshot(Keyed, Stamped, Base):
    """What the plan said on one day about one service type (e.g. MH outpatient).

    Amounts are integer cents; coinsurance is in basis points (2000 = 20 %).
    """

    __tablename__ = "benefits_snapshot"

    coverage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coverage.id"), index=True)
    captured_at: Mapped[datetime]
    source: Mapped[BenefitsSource]
    service_type: Mapped[str] = mapped_column(String(8))  # X12 EB03, e.g. "MH", "A6", "30"
    in_network: Mapped[bool] = mapped_column(default=True)
    plan_year_start: Mapped[date | None]
    deductible_cents: Mapped[int | None]
    deductible_met_cents: Mapped[int | None]
    oop_max_cents: Mapped[int | None]
    oop_met_cents: Mapped[int | None]
    copay_cents: Mapped[int | None]
    coinsurance_bp: Mapped[int | None]
    behavioral_health_covered: Mapped[bool | None]
    prior_auth_required: Mapped[bool | None]
    visits_allowed: Mapped[int | None]
    visits_used: Mapped[int | None]
    raw_reference: Mapped[str | None] = mapped_column(Text)  # trace number / file name, never PHI
