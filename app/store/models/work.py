"""Work that outlives a call: tasks with an SLA, disputes, financial assistance, notes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.codes import AssistanceStatus, DisputeStatus, TaskStatus
from app.store.models.base import Base, Keyed, Versioned


class Task(Keyed, Versioned, Base):
    """A work-queue item, e.g. "chase missing insurance" due within 24 hours."""

    __tablename__ = "task"

    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("guarantor_account.id"), index=True
    )
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[TaskStatus]
    priority: Mapped[int] = mapped_column(default=3)
    due_at: Mapped[datetime]
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[datetime | None]


class Dispute(Keyed, Versioned, Base):
    __tablename__ = "dispute"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounter.id"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction.id"))
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[DisputeStatus]
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)


class AssistanceApplication(Keyed, Versioned, Base):
    """A financial assistance (charity care) application for a guarantor."""

    __tablename__ = "assistance_application"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    status: Mapped[AssistanceStatus]
    household_size: Mapped[int]
    annual_income_cents: Mapped[int]
    fpl_percent: Mapped[int | None]  # income as a percentage of the federal poverty level
    discount_bp: Mapped[int | None]  # approved discount in basis points
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))


class AccountNote(Keyed, Base):
    """Insert-only: what an agent wrote on the account. A correction is a new note."""

    __tablename__ = "account_note"
    __table_args__ = (Index("ix_account_note_account_at", "account_id", "written_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction.id"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    workstation: Mapped[str] = mapped_column(String(80))
    written_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
