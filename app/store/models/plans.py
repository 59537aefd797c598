"""Payment plans and their scheduled installments."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.codes import InstallmentStatus, PlanStatus
from app.store.models.base import Base, Keyed, Versioned


class PaymentPlan(Keyed, Versioned, Base):
    __tablename__ = "payment_plan"
    __table_args__ = (
        # One open plan per account, on every engine (a second would charge twice).
        Index(
            "uq_payment_plan_open_account",
            "account_id",
            unique=True,
            sqlite_where=text("status IN ('active', 'paused')"),
            postgresql_where=text("status IN ('active', 'paused')"),
        ),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    status: Mapped[PlanStatus]
    total_cents: Mapped[int]
    down_payment_cents: Mapped[int] = mapped_column(default=0)
    installment_cents: Mapped[int]
    installment_count: Mapped[int]
    first_due_date: Mapped[date]
    autopay_token: Mapped[str | None] = mapped_column(String(120))
    autopay_brand: Mapped[str | None] = mapped_column(String(20))
    autopay_last4: Mapped[str | None] = mapped_column(String(4))
    consent_recorded_at: Mapped[datetime | None]
    consent_by: Mapped[str | None] = mapped_column(String(160))  # who agreed, as said
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))

    installments: Mapped[list[PlanInstallment]] = relationship(order_by="PlanInstallment.sequence")


class PlanInstallment(Keyed, Versioned, Base):
    __tablename__ = "plan_installment"
    __table_args__ = (UniqueConstraint("plan_id", "sequence"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_plan.id"))
    sequence: Mapped[int]
    due_date: Mapped[date]
    amount_cents: Mapped[int]
    status: Mapped[InstallmentStatus]
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment.id"))
    attempts: Mapped[int] = mapped_column(default=0)  # charges tried (each its own key)
