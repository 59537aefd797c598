"""Visits: an encounter on a date of service with its procedure lines (CPT codes)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.store.models.base import Base, Keyed, Stamped


class Encounter(Keyed, Stamped, Base):
    __tablename__ = "encounter"

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    date_of_service: Mapped[date]
    provider_name: Mapped[str] = mapped_column(String(120))
    place_of_service: Mapped[str] = mapped_column(String(2), default="11")  # CMS POS code
    diagnosis_codes: Mapped[str | None] = mapped_column(String(80))  # ICD-10, comma-separated

    lines: Mapped[list[ProcedureLine]] = relationship(order_by="ProcedureLine.line_number")


class ProcedureLine(Keyed, Base):
    __tablename__ = "procedure_line"
    __table_args__ = (UniqueConstraint("encounter_id", "line_number"),)

    encounter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encounter.id"))
    line_number: Mapped[int]
    cpt_code: Mapped[str] = mapped_column(String(5))
    modifier: Mapped[str | None] = mapped_column(String(8))
    units: Mapped[int] = mapped_column(default=1)
    charge_cents: Mapped[int]
