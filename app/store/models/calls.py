"""Calls: the interaction, its hold segments and its event trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.codes import CallerRelationship, InteractionEventKind
from app.store.models.base import Base, Keyed, Versioned


class Interaction(Keyed, Versioned, Base):
    """One phone call, from greeting to wrap-up."""

    __tablename__ = "interaction"

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("guarantor_account.id"), index=True
    )
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    direction: Mapped[str] = mapped_column(String(8), default="inbound")
    caller_number_e164: Mapped[str | None] = mapped_column(String(20))
    phone_call_ref: Mapped[str | None] = mapped_column(String(256))  # the CTI's call id
    caller_name: Mapped[str | None] = mapped_column(String(160))
    caller_relationship: Mapped[CallerRelationship | None]
    started_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]
    verification_method: Mapped[str | None] = mapped_column(String(80))
    ended_at: Mapped[datetime | None]
    disposition: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(default=False)
    escalation_target: Mapped[str | None] = mapped_column(String(40))
    after_call_seconds: Mapped[int | None]

    holds: Mapped[list[HoldSegment]] = relationship(order_by="HoldSegment.started_at")


class HoldSegment(Keyed, Versioned, Base):
    """One stretch on hold. Durations are measured on the desk's monotonic clock."""

    __tablename__ = "hold_segment"

    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    check_ins: Mapped[int] = mapped_column(default=0)
    longest_silence_ms: Mapped[int] = mapped_column(default=0)
    breached: Mapped[bool] = mapped_column(default=False)


class InteractionEvent(Keyed, Base):
    """An insert-only step of a call (start, verify, hold, check-in, breach, resume, ...)."""

    __tablename__ = "interaction_event"

    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interaction.id"), index=True)
    hold_segment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hold_segment.id"))
    kind: Mapped[InteractionEventKind]
    occurred_at: Mapped[datetime]
    elapsed_ms: Mapped[int | None]  # monotonic milliseconds since the call started
    detail: Mapped[str | None] = mapped_column(String(200))
