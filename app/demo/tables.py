"""The rows the demo writes: column order per table, the row buffers, deterministic keys.

Rows are plain tuples of database-ready values, the same on every engine: keys are
32-digit hex (SQLite's CHAR(32); PostgreSQL's ``uuid`` input accepts it), dates are
ISO strings, instants naive UTC strings (the PostgreSQL writer sets the session zone
to UTC), enums their lower-case value, booleans 0/1, money integer cents.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import MetaData

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "app_user": ("id", "username", "display_name", "role", "active", "created_at", "updated_at"),
    "payer": ("id", "name", "payer_code", "kind", "phone_e164", "created_at", "updated_at"),
    "guarantor_account": (
        "id", "account_number", "first_name", "last_name", "date_of_birth", "phone_e164",
        "alt_phone_e164", "email", "address_line1", "address_line2", "city", "state",
        "postal_code", "preferred_language", "version", "created_at", "updated_at",
    ),
    "patient": (
        "id", "account_id", "mrn", "first_name", "last_name", "date_of_birth", "sex",
        "relationship_to_guarantor", "version", "created_at", "updated_at",
    ),
    "person_lookup": (
        "id", "role", "account_id", "patient_id", "last_key", "first_key", "date_of_birth",
        "phone_rev", "account_number", "mrn", "first_name", "last_name", "phone_e164",
    ),
    "coverage": (
        "id", "patient_id", "payer_id", "priority", "plan_name", "member_id", "group_number",
        "subscriber_name", "subscriber_relationship", "effective_from", "effective_to",
        "verified_at", "verified_by_id", "verification_source", "version", "created_at",
        "updated_at",
    ),
    "benefits_snapshot": (
        "id", "coverage_id", "captured_at", "source", "service_type", "in_network",
        "plan_year_start", "deductible_cents", "deductible_met_cents", "oop_max_cents",
        "oop_met_cents", "copay_cents", "coinsurance_bp", "behavioral_health_covered",
        "prior_auth_required", "visits_allowed", "visits_used", "raw_reference", "created_at",
        "updated_at",
    ),
    "encounter": (
        "id", "patient_id", "account_id", "date_of_service", "provider_name",
        "place_of_service", "diagnosis_codes", "created_at", "updated_at",
    ),
    "procedure_line": (
        "id", "encounter_id", "line_number", "cpt_code", "modifier", "units", "charge_cents",
    ),
    "claim": (
        "id", "encounter_id", "coverage_id", "patient_control_number", "payer_claim_number",
        "status", "payer_status_code", "billed_cents", "paid_cents",
        "patient_responsibility_cents", "submitted_at", "adjudicated_on", "remittance_trace",
        "version", "created_at", "updated_at",
    ),
    "adjudication_line": (
        "id", "claim_id", "procedure_line_id", "line_number", "cpt_code", "units",
        "billed_cents", "allowed_cents", "paid_cents",
    ),
    "line_adjustment": (
        "id", "adjudication_line_id", "group_code", "reason_code", "amount_cents", "quantity",
        "remark_codes",
    ),
    "payment_plan": (
        "id", "account_id", "status", "total_cents", "down_payment_cents", "installment_cents",
        "installment_count", "first_due_date", "autopay_token", "autopay_brand",
        "autopay_last4", "consent_recorded_at", "created_by_id", "version", "created_at",
        "updated_at", "consent_by", "interaction_id",
    ),
    "payment": (
        "id", "account_id", "idempotency_key", "method", "status", "amount_cents",
        "card_brand", "last4", "gateway_token", "gateway_reference", "decline_reason",
        "channel", "taken_by_id", "taken_at", "plan_id", "version", "created_at", "updated_at",
        "kind", "exp_month", "exp_year", "bank_account_type", "interaction_id", "allocation",
        "balance_after_cents", "decline_code", "ach_return_code", "retry_of_id", "refund_of_id",
        "finished_at", "workstation",
    ),
    "plan_installment": (
        "id", "plan_id", "sequence", "due_date", "amount_cents", "status", "payment_id",
        "version", "created_at", "updated_at", "attempts",
    ),
    "statement": (
        "id", "account_id", "statement_date", "due_date", "balance_cents",
        "through_posted_at", "delivery", "created_at", "updated_at",
    ),
    "ledger_entry": (
        "id", "account_id", "patient_id", "encounter_id", "claim_id", "payment_id",
        "reverses_id", "kind", "amount_cents", "effective_date", "posted_at", "posted_by_id",
        "memo",
    ),
}  # fmt: skip

# Parents before children, so PostgreSQL's foreign keys hold at every statement.
ORDER: tuple[str, ...] = tuple(COLUMNS)

_V4_CLEAR = ((1 << 128) - 1) ^ ((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_key(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng``, as 32 hex digits (what SQLite stores).

    The same as ``uuid.UUID(int=rng.getrandbits(128), version=4).hex``, without the object.
    """
    return "%032x" % (rng.getrandbits(128) & _V4_CLEAR | _V4_SET)


def new_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from ``rng``; the same draw as :func:`new_key`."""
    return uuid.UUID(int=rng.getrandbits(128) & _V4_CLEAR | _V4_SET)


class Rows:
    """Row buffers for one batch of accounts, one list per table (named as the table)."""

    def __init__(self) -> None:
        self.app_user: list[Row] = []
        self.payer: list[Row] = []
        self.guarantor_account: list[Row] = []
        self.patient: list[Row] = []
        self.person_lookup: list[Row] = []
        self.coverage: list[Row] = []
        self.benefits_snapshot: list[Row] = []
        self.encounter: list[Row] = []
        self.procedure_line: list[Row] = []
        self.claim: list[Row] = []
        self.adjudication_line: list[Row] = []
        self.line_adjustment: list[Row] = []
        self.payment_plan: list[Row] = []
        self.payment: list[Row] = []
        self.plan_installment: list[Row] = []
        self.statement: list[Row] = []
        self.ledger_entry: list[Row] = []

    def of(self, table: str) -> list[Row]:
        rows: list[Row] = getattr(self, table)
        return rows


def missing_columns(metadata: MetaData) -> dict[str, set[str]]:
    """Columns of each demo table that the demo does not write (empty when in step)."""
    gaps: dict[str, set[str]] = {}
    for table, columns in COLUMNS.items():
        gap = set(metadata.tables[table].columns.keys()) - set(columns)
        if gap:
            gaps[table] = gap
    return gaps
