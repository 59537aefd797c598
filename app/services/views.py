"""What the services hand to the GUI: plain, immutable, display-ready records.

Nothing here is an ORM object, so a worker thread can pass them across to the GUI thread.
Money stays in integer cents; the GUI formats it with ``app.domain.money.format_usd``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    username: str
    display_name: str
    role: str


@dataclass(frozen=True)
class LookupResult:
    """One row of the lookup list: a patient, or the guarantor of an account."""

    person_id: uuid.UUID
    account_id: uuid.UUID
    patient_id: uuid.UUID | None
    role: str  # "patient" or "guarantor"
    name: str  # "Garcia, José"
    date_of_birth: date | None
    age: str  # "7", "8 mo", "" when unknown
    account_number: str
    mrn: str | None
    phone: str  # national format
    balance_cents: int


@dataclass(frozen=True)
class LookupAnswer:
    text: str  # the text this answers (stale answers are recognised by it and by seq)
    hint: str  # how the text was understood
    results: tuple[LookupResult, ...]
    elapsed_ms: float


@dataclass(frozen=True)
class CoverageInfo:
    patient_id: uuid.UUID
    patient_name: str
    priority: int  # 1 primary, 2 secondary, ...
    payer_name: str
    payer_kind: str
    plan_name: str
    member_id: str
    group_number: str | None
    subscriber_name: str
    effective_from: date
    effective_to: date | None
    verified_at: datetime | None
    verification_source: str | None


@dataclass(frozen=True)
class PatientInfo:
    id: uuid.UUID
    name: str
    date_of_birth: date
    age: str
    mrn: str
    relationship: str  # to the guarantor, e.g. "child"
    balance_cents: int


@dataclass(frozen=True)
class AccountDetail:
    id: uuid.UUID
    account_number: str
    guarantor_name: str
    guarantor_dob: date | None
    phone: str
    alt_phone: str
    email: str | None
    address: str  # one line
    preferred_language: str
    patients: tuple[PatientInfo, ...]
    coverages: tuple[CoverageInfo, ...]
    balance_cents: int  # the ledger's sum (negative = credit), pending insurance included
    pending_insurance_cents: int  # part of the balance on claims still with insurance
    last_payment_cents: int | None
    last_payment_on: date | None
    oldest_open_charge_on: date | None


@dataclass(frozen=True)
class AccountCard:
    """What the agent sees of an account before the caller is verified: enough to say
    "am I speaking with ...?", nothing about money, visits or care."""

    id: uuid.UUID
    account_number: str
    guarantor_name: str  # "Ana López García"
    patient_count: int


@dataclass(frozen=True)
class ReceiptLine:
    """Where part of a payment went: a visit, or the account as a credit."""

    service_date: date | None  # None: a credit on the account
    patient: str  # first name, as on the statement
    description: str  # "Visit with Dr. Rivera" or "Credit on the account"
    amount_cents: int


@dataclass(frozen=True)
class ReceiptView:
    """Everything a receipt shows. Card data is brand, last four and expiry only."""

    payment_id: uuid.UUID
    receipt_number: str  # "R-2026-1123-7F3A9C", printed and said on the phone
    kind: str  # "payment" or "refund"
    practice_name: str
    account_number: str
    payer_name: str  # the guarantor the receipt is addressed to
    email: str | None  # the guarantor's address on file, if any
    taken_at: datetime  # UTC
    method_label: str  # "Visa ending 4242, expires 12/28" or "Checking account ending 6789"
    amount_cents: int
    authorization: str  # the gateway's reference
    lines: tuple[ReceiptLine, ...]
    balance_after_cents: int  # the account's balance once this payment posted
    agent_name: str
    sandbox: bool  # a sandbox receipt says no money moved
