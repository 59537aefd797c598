"""Money that moved: the append-only ledger, payments and statements.

Balances are the sum of the ledger; nothing stores a typed-in balance.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
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
    """One request to the payment gateway: a payment taken (``kind`` "payment") or money
    sent back (``kind`` "refund"). Card data is brand, last four, expiry and the
    gateway's token only; the number and the CVV never reach the database.

    The row is written with status ``pending`` and its idempotency key *before* the
    gateway is asked, so a crash after the gateway's answer is reconciled by that key at
    the next start. Versioned: its status moves (pending, approved or declined, returned,
    refunded) after it is taken."""

    __tablename__ = "payment"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="payment")  # or "refund"
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
    exp_month: Mapped[int | None]
    exp_year: Mapped[int | None]
    bank_account_type: Mapped[str | None] = mapped_column(String(16))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interaction.id"))
    # Where the money goes, decided before the gateway is asked: JSON list of
    # [encounter id hex or null for a credit, cents]. No PHI, no card data.
    allocation: Mapped[str | None] = mapped_column(Text)
    balance_after_cents: Mapped[int | None]  # the account's balance once this posted
    decline_code: Mapped[str | None] = mapped_column(String(40))
    ach_return_code: Mapped[str | None] = mapped_column(String(4))  # R01, R02, ...
    retry_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment.id"))
    refund_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment.id"))
    finished_at: Mapped[datetime | None]  # when the gateway's answer was posted here
    # The desk that sent it: only that desk can ask its gateway what became of the key.
    workstation: Mapped[str | None] = mapped_column(String(80))


class AdjustmentRequest(Keyed, Versioned, Base):
    """A write-off or adjustment asked for by an agent. Within the asker's limit it is
    posted at once (status ``posted``); above it, it waits for a lead (or an admin)."""

    __tablename__ = "adjustment_request"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounter.id"))
    kind: Mapped[LedgerKind]  # write_off or patient_adjustment
    reason: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int]  # the reduction, positive
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # pending, posted, rejected
    needs: Mapped[str] = mapped_column(String(16))  # none, lead, admin
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    ledger_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entry.id"))


class Statement(Keyed, Stamped, Base):
    """A statement sent to the guarantor: what it said, so a caller's paper can be reconciled."""

    __tablename__ = "statement"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    statement_date: Mapped[date]
    due_date: Mapped[date]
    balance_cents: Mapped[int]  # as printed; the live balance is always the ledger's
    through_posted_at: Mapped[datetime]  # ledger entries up to this instant were on it
    delivery: Mapped[str] = mapped_column(String(16), default="mail")
