"""Money that moved: the append-only ledger, payments and statements.

Balances are the sum of the ledger; nothing stores a typed-in balance.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.codes import LedgerKind, PaymentMethod, PaymentStatus
from app.store.models.base import Base, Keyed, Stamped, Versioned
from app.store.types import utcnow


class LedgerEntry(Keyed, Base):
    """One posting. Charges are positive, payments and adjustments negative.

    Rows are never updated or deleted (database triggers refuse it); a mistake is
    corrected by a reversal that points at the entry it undoes.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        Index("ix_ledger_entry_account_amount", "account_id", "amount_cents"),
        Index("ix_ledger_entry_encounter_id", "encounter_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounter.id"))
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claim.id"))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment.id"))
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entry.id"))
    kind: Mapped[LedgerKind]
    amount_cents: Mapped[int]
    effective_date: Mapped[date]
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    memo: Mapped[str | None] = mapped_column(String(200))


class Payment(Keyed, Versioned, Base):
    """A patient payment attempt. Card data is brand + last four + gateway token only.

    Versioned: its status moves (pending, approved, settled, refunded) after it is taken."""

    __tablename__ = "payment"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[PaymentMethod]
    status: Mapped[PaymentStatus]
    amount_cents: Mapped[int]
    card_brand: Mapped[str | None] = mapped_column(String(20))
    last4: Mapped[str | None] = mapped_column(String(4))
    gateway_token: Mapped[str | None] = mapped_column(String(120))
    gateway_reference: Mapped[str | None] = mapped_column(String(120))
    decline_reason: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(16), default="phone")
    taken_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_plan.id"))


class Statement(Keyed, Stamped, Base):
    """A statement sent to the guarantor: what it said, so a caller's paper can be reconciled."""

    __tablename__ = "statement"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    statement_date: Mapped[date]
    due_date: Mapped[date]
    balance_cents: Mapped[int]  # as printed; the live balance is always the ledger's
    through_posted_at: Mapped[datetime]  # ledger entries up to this instant were on it
    delivery: Mapped[str] = mapped_column(String(16), default="mail")
