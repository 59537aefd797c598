"""Initial schema: the core data of the desk, and append-only guards on the ledger and audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:04:52.323149
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "agent",
                "lead",
                "trainee",
                "admin",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "guarantor_account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("alt_phone_e164", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address_line1", sa.String(length=120), nullable=True),
        sa.Column("address_line2", sa.String(length=120), nullable=True),
        sa.Column("city", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("preferred_language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantor_account")),
        sa.UniqueConstraint(
            "account_number", name=op.f("uq_guarantor_account_account_number")
        ),
    )
    op.create_table(
        "payer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("payer_code", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "commercial",
                "medicaid",
                "medicare",
                "tricare",
                "self_pay",
                name="payerkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer")),
        sa.UniqueConstraint("payer_code", name=op.f("uq_payer_payer_code")),
    )
    op.create_table(
        "assistance_application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "denied",
                name="assistancestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("household_size", sa.Integer(), nullable=False),
        sa.Column("annual_income_cents", sa.Integer(), nullable=False),
        sa.Column("fpl_percent", sa.Integer(), nullable=True),
        sa.Column("discount_bp", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_assistance_application_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["app_user.id"],
            name=op.f("fk_assistance_application_decided_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_application")),
    )
    with op.batch_alter_table("assistance_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistance_application_account_id"),
            ["account_id"],
            unique=False,
        )

    op.create_table(
        "patient",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("mrn", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column(
            "relationship_to_guarantor",
            sa.Enum(
                "self",
                "child",
                "spouse",
                "ward",
                "other",
                name="relationship",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_patient_account_id_guarantor_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patient_mrn")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "payment_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "paused",
                "completed",
                "cancelled",
                "defaulted",
                name="planstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("down_payment_cents", sa.Integer(), nullable=False),
        sa.Column("installment_cents", sa.Integer(), nullable=False),
        sa.Column("installment_count", sa.Integer(), nullable=False),
        sa.Column("first_due_date", sa.Date(), nullable=False),
        sa.Column("autopay_token", sa.String(length=120), nullable=True),
        sa.Column("autopay_brand", sa.String(length=20), nullable=True),
        sa.Column("autopay_last4", sa.String(length=4), nullable=True),
        sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_payment_plan_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_payment_plan_created_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plan")),
    )
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_plan_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "statement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("balance_cents", sa.Integer(), nullable=False),
        sa.Column("through_posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_statement_account_id_guarantor_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
    )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("workstation", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_audit_event_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_audit_event_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_audit_event_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_event_patient_at", ["patient_id", "occurred_at"], unique=False
        )

    op.create_table(
        "coverage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("payer_id", sa.Uuid(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("plan_name", sa.String(length=120), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("group_number", sa.String(length=40), nullable=True),
        sa.Column("subscriber_name", sa.String(length=160), nullable=False),
        sa.Column(
            "subscriber_relationship",
            sa.Enum(
                "self",
                "child",
                "spouse",
                "ward",
                "other",
                name="relationship",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "verification_source",
            sa.Enum(
                "x12_271",
                "clearinghouse",
                "portal",
                "phone",
                "manual",
                name="benefitssource",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_coverage_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_coverage_payer_id_payer")
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["app_user.id"],
            name=op.f("fk_coverage_verified_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage")),
    )
    with op.batch_alter_table("coverage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coverage_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "encounter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("provider_name", sa.String(length=120), nullable=False),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column("diagnosis_codes", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_encounter_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_encounter_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounter")),
    )
    with op.batch_alter_table("encounter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_encounter_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_encounter_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "interaction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("caller_number_e164", sa.String(length=20), nullable=True),
        sa.Column("caller_name", sa.String(length=160), nullable=True),
        sa.Column(
            "caller_relationship",
            sa.Enum(
                "self",
                "child",
                "spouse",
                "ward",
                "other",
                name="relationship",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification_method", sa.String(length=80), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("escalation_target", sa.String(length=40), nullable=True),
        sa.Column("after_call_seconds", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_interaction_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["app_user.id"], name=op.f("fk_interaction_agent_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_interaction_patient_id_patient"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction")),
    )
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interaction_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_interaction_agent_id"), ["agent_id"], unique=False
        )

    op.create_table(
        "payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "card",
                "ach",
                "check",
                "cash",
                name="paymentmethod",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "declined",
                "voided",
                "refunded",
                name="paymentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("gateway_token", sa.String(length=120), nullable=True),
        sa.Column("gateway_reference", sa.String(length=120), nullable=True),
        sa.Column("decline_reason", sa.String(length=120), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("taken_by_id", sa.Uuid(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_payment_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["payment_plan.id"],
            name=op.f("fk_payment_plan_id_payment_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"],
            ["app_user.id"],
            name=op.f("fk_payment_taken_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payment_idempotency_key")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "person_lookup",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "patient", "guarantor", name="lookuprole", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column(
            "last_key",
            sa.String(length=80).with_variant(
                sa.String(length=80, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "first_key",
            sa.String(length=80).with_variant(
                sa.String(length=80, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column(
            "phone_rev",
            sa.String(length=16).with_variant(
                sa.String(length=16, collation="C"), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column(
            "account_number",
            sa.String(length=20).with_variant(
                sa.String(length=20, collation="C"), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "mrn",
            sa.String(length=20).with_variant(
                sa.String(length=20, collation="C"), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_person_lookup_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_person_lookup_patient_id_patient"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_lookup")),
    )
    with op.batch_alter_table("person_lookup", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_lookup_account_id", ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_person_lookup_account_number", ["account_number"], unique=False
        )
        batch_op.create_index(
            "ix_person_lookup_dob",
            ["date_of_birth", "last_key", "first_key", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_person_lookup_first_last",
            ["first_key", "last_key", "date_of_birth", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_person_lookup_last_first",
            ["last_key", "first_key", "date_of_birth", "id"],
            unique=False,
        )
        batch_op.create_index("ix_person_lookup_mrn", ["mrn"], unique=False)
        batch_op.create_index("ix_person_lookup_phone_rev", ["phone_rev"], unique=False)

    op.create_table(
        "benefits_snapshot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coverage_id", sa.Uuid(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "x12_271",
                "clearinghouse",
                "portal",
                "phone",
                "manual",
                name="benefitssource",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("service_type", sa.String(length=8), nullable=False),
        sa.Column("in_network", sa.Boolean(), nullable=False),
        sa.Column("plan_year_start", sa.Date(), nullable=True),
        sa.Column("deductible_cents", sa.Integer(), nullable=True),
        sa.Column("deductible_met_cents", sa.Integer(), nullable=True),
        sa.Column("oop_max_cents", sa.Integer(), nullable=True),
        sa.Column("oop_met_cents", sa.Integer(), nullable=True),
        sa.Column("copay_cents", sa.Integer(), nullable=True),
        sa.Column("coinsurance_bp", sa.Integer(), nullable=True),
        sa.Column("behavioral_health_covered", sa.Boolean(), nullable=True),
        sa.Column("prior_auth_required", sa.Boolean(), nullable=True),
        sa.Column("visits_allowed", sa.Integer(), nullable=True),
        sa.Column("visits_used", sa.Integer(), nullable=True),
        sa.Column("raw_reference", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coverage_id"],
            ["coverage.id"],
            name=op.f("fk_benefits_snapshot_coverage_id_coverage"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefits_snapshot")),
    )
    with op.batch_alter_table("benefits_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_benefits_snapshot_coverage_id"),
            ["coverage_id"],
            unique=False,
        )

    op.create_table(
        "claim",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("coverage_id", sa.Uuid(), nullable=True),
        sa.Column("patient_control_number", sa.String(length=38), nullable=False),
        sa.Column("payer_claim_number", sa.String(length=50), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "adjudicated",
                "denied",
                "reversed",
                name="claimstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payer_status_code", sa.String(length=2), nullable=True),
        sa.Column("billed_cents", sa.Integer(), nullable=False),
        sa.Column("paid_cents", sa.Integer(), nullable=False),
        sa.Column("patient_responsibility_cents", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adjudicated_on", sa.Date(), nullable=True),
        sa.Column("remittance_trace", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverage.id"], name=op.f("fk_claim_coverage_id_coverage")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_claim_encounter_id_encounter"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_encounter_id"), ["encounter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_patient_control_number"),
            ["patient_control_number"],
            unique=False,
        )

    op.create_table(
        "dispute",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=True),
        sa.Column("interaction_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "escalated",
                "resolved",
                "rejected",
                name="disputestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_dispute_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_dispute_encounter_id_encounter"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_dispute_interaction_id_interaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
    )
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispute_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "hold_segment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_ins", sa.Integer(), nullable=False),
        sa.Column("longest_silence_ms", sa.Integer(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_hold_segment_interaction_id_interaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_segment")),
    )
    with op.batch_alter_table("hold_segment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hold_segment_interaction_id"),
            ["interaction_id"],
            unique=False,
        )

    op.create_table(
        "plan_installment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "paid",
                "declined",
                "skipped",
                name="installmentstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_plan_installment_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["payment_plan.id"],
            name=op.f("fk_plan_installment_plan_id_payment_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_installment")),
        sa.UniqueConstraint(
            "plan_id", "sequence", name=op.f("uq_plan_installment_plan_id")
        ),
    )
    op.create_table(
        "procedure_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("cpt_code", sa.String(length=5), nullable=False),
        sa.Column("modifier", sa.String(length=8), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_procedure_line_encounter_id_encounter"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_line")),
        sa.UniqueConstraint(
            "encounter_id", "line_number", name=op.f("uq_procedure_line_encounter_id")
        ),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("interaction_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="taskstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_task_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["app_user.id"],
            name=op.f("fk_task_assigned_to_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_task_interaction_id_interaction"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_task_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "adjudication_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("procedure_line_id", sa.Uuid(), nullable=True),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("cpt_code", sa.String(length=5), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("billed_cents", sa.Integer(), nullable=False),
        sa.Column("allowed_cents", sa.Integer(), nullable=True),
        sa.Column("paid_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_adjudication_line_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["procedure_line_id"],
            ["procedure_line.id"],
            name=op.f("fk_adjudication_line_procedure_line_id_procedure_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjudication_line")),
    )
    with op.batch_alter_table("adjudication_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adjudication_line_claim_id"), ["claim_id"], unique=False
        )

    op.create_table(
        "interaction_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("hold_segment_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "start",
                "verify",
                "verify_failed",
                "hold",
                "check_in",
                "breach",
                "resume",
                "transfer",
                "end",
                name="interactioneventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_segment_id"],
            ["hold_segment.id"],
            name=op.f("fk_interaction_event_hold_segment_id_hold_segment"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_interaction_event_interaction_id_interaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_event")),
    )
    with op.batch_alter_table("interaction_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interaction_event_interaction_id"),
            ["interaction_id"],
            unique=False,
        )

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("encounter_id", sa.Uuid(), nullable=True),
        sa.Column("claim_id", sa.Uuid(), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "charge",
                "insurance_payment",
                "contractual_adjustment",
                "patient_payment",
                "patient_adjustment",
                "refund",
                "write_off",
                "transfer",
                "reversal",
                name="ledgerkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_by_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_ledger_entry_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_ledger_entry_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_ledger_entry_encounter_id_encounter"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_ledger_entry_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_ledger_entry_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["posted_by_id"],
            ["app_user.id"],
            name=op.f("fk_ledger_entry_posted_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_entry.id"],
            name=op.f("fk_ledger_entry_reverses_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_account_amount",
            ["account_id", "amount_cents"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ledger_entry_encounter_id", ["encounter_id"], unique=False
        )

    op.create_table(
        "line_adjustment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("adjudication_line_id", sa.Uuid(), nullable=False),
        sa.Column(
            "group_code",
            sa.Enum(
                "CO",
                "PR",
                "OA",
                "PI",
                "CR",
                name="groupcode",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason_code", sa.String(length=5), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("remark_codes", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["adjudication_line_id"],
            ["adjudication_line.id"],
            name=op.f("fk_line_adjustment_adjudication_line_id_adjudication_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_adjustment")),
    )
    with op.batch_alter_table("line_adjustment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_adjustment_adjudication_line_id"),
            ["adjudication_line_id"],
            unique=False,
        )
    _create_append_only_guards()


def downgrade() -> None:
    _drop_append_only_guards()
    with op.batch_alter_table("line_adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_adjustment_adjudication_line_id"))

    op.drop_table("line_adjustment")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_encounter_id")
        batch_op.drop_index("ix_ledger_entry_account_amount")

    op.drop_table("ledger_entry")
    with op.batch_alter_table("interaction_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interaction_event_interaction_id"))

    op.drop_table("interaction_event")
    with op.batch_alter_table("adjudication_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjudication_line_claim_id"))

    op.drop_table("adjudication_line")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_account_id"))

    op.drop_table("task")
    op.drop_table("procedure_line")
    op.drop_table("plan_installment")
    with op.batch_alter_table("hold_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_segment_interaction_id"))

    op.drop_table("hold_segment")
    with op.batch_alter_table("dispute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispute_account_id"))

    op.drop_table("dispute")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_patient_control_number"))
        batch_op.drop_index(batch_op.f("ix_claim_encounter_id"))

    op.drop_table("claim")
    with op.batch_alter_table("benefits_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_benefits_snapshot_coverage_id"))

    op.drop_table("benefits_snapshot")
    with op.batch_alter_table("person_lookup", schema=None) as batch_op:
        batch_op.drop_index("ix_person_lookup_phone_rev")
        batch_op.drop_index("ix_person_lookup_mrn")
        batch_op.drop_index("ix_person_lookup_last_first")
        batch_op.drop_index("ix_person_lookup_first_last")
        batch_op.drop_index("ix_person_lookup_dob")
        batch_op.drop_index("ix_person_lookup_account_number")
        batch_op.drop_index("ix_person_lookup_account_id")

    op.drop_table("person_lookup")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_account_id"))

    op.drop_table("payment")
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interaction_agent_id"))
        batch_op.drop_index(batch_op.f("ix_interaction_account_id"))

    op.drop_table("interaction")
    with op.batch_alter_table("encounter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounter_patient_id"))
        batch_op.drop_index(batch_op.f("ix_encounter_account_id"))

    op.drop_table("encounter")
    with op.batch_alter_table("coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_patient_id"))

    op.drop_table("coverage")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_patient_at")

    op.drop_table("audit_event")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_account_id"))

    op.drop_table("statement")
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plan_account_id"))

    op.drop_table("payment_plan")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_account_id"))

    op.drop_table("patient")
    with op.batch_alter_table("assistance_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistance_application_account_id"))

    op.drop_table("assistance_application")
    op.drop_table("payer")
    op.drop_table("guarantor_account")
    op.drop_table("app_user")


APPEND_ONLY = ("ledger_entry", "audit_event")


def _create_append_only_guards() -> None:
    """Refuse UPDATE and DELETE on append-only tables, whoever connects."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION pa_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: post a reversal instead', TG_TABLE_NAME;
            END $$
            """
        )
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            if dialect == "postgresql":
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION pa_refuse_change()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, '{table} is append-only: post a reversal instead'); END"
                )


def _drop_append_only_guards() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            suffix = f" ON {table}" if dialect == "postgresql" else ""
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}{suffix}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pa_refuse_change()")
