"""The audit trail: who saw or changed what, when, from which workstation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, Keyed


class AuditEvent(Keyed, Base):
    """Insert-only. ``detail`` names what was shown or done, never the PHI itself."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_patient_at", "patient_id", "occurred_at"),)

    occurred_at: Mapped[datetime]
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    workstation: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guarantor_account.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    detail: Mapped[str | None] = mapped_column(String(200))
