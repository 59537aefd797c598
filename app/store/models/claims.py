"""Claims and how the payer adjudicated them, line by line, in X12 835 terms."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.codes import ClaimStatus, GroupCode
from app.store.models.base import Base, Keyed, Versioned


class Claim(Keyed, Versioned, Base):
    """One claim to one payer for one encounter. Totals are the sum of its lines.

    Versioned: its status changes when the payer answers (an 835 import) or reverses."""

    __tablename__ = "claim"

    encounter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encounter.id"), index=True)
    coverage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coverage.id"))
    patient_control_number: Mapped[str] = mapped_column(String(38), index=True)  # CLP01
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))  # CLP07 (ICN)
    status: Mapped[ClaimStatus]
    payer_status_code: Mapped[str | None] = mapped_column(String(2))  # CLP02
    billed_cents: Mapped[int]
    paid_cents: Mapped[int] = mapped_column(default=0)
    patient_responsibility_cents: Mapped[int] = mapped_column(default=0)  # CLP05
    submitted_at: Mapped[datetime]
    adjudicated_on: Mapped[date | None]
    remittance_trace: Mapped[str | None] = mapped_column(String(50))  # TRN02 of the 835

    lines: Mapped[list[AdjudicationLine]] = relationship(order_by="AdjudicationLine.line_number")


class AdjudicationLine(Keyed, Base):
    """An 835 SVC: what was billed for a procedure, what the plan allowed and paid."""

    __tablename__ = "adjudication_line"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claim.id"), index=True)
    procedure_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("procedure_line.id"))
    line_number: Mapped[int]
    cpt_code: Mapped[str] = mapped_column(String(5))
    units: Mapped[int] = mapped_column(default=1)
    billed_cents: Mapped[int]
    allowed_cents: Mapped[int | None]
    paid_cents: Mapped[int]

    adjustments: Mapped[list[LineAdjustment]] = relationship()


class LineAdjustment(Keyed, Base):
    """An 835 CAS triplet: group code, CARC reason, amount (negative reverses)."""

    __tablename__ = "line_adjustment"

    adjudication_line_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("adjudication_line.id"), index=True
    )
    group_code: Mapped[GroupCode]
    reason_code: Mapped[str] = mapped_column(String(5))  # CARC, e.g. "1", "45", "96"
    amount_cents: Mapped[int]
    quantity: Mapped[int | None]
    remark_codes: Mapped[str | None] = mapped_column(String(60))  # RARC, comma-separated
