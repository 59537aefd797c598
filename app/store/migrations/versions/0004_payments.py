"""Payments by phone: what a payment row needs to be reconciled, refunded, returned and
printed (expiry, allocation, links between attempts), plan consent, installment attempts,
and adjustment requests waiting for a lead.

Columns that point at other rows are added with their reference in place. SQLite's
``ALTER TABLE ... ADD COLUMN ... REFERENCES`` keeps the table (a batch copy would have
to drop ``payment``, which ledger entries refer to).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_COLUMNS: dict[str, list[tuple[str, sa.types.TypeEngine[object], str | None]]] = {
    "payment": [
        ("kind", sa.String(length=16), None),
        ("exp_month", sa.Integer(), None),
        ("exp_year", sa.Integer(), None),
        ("bank_account_type", sa.String(length=16), None),
        ("interaction_id", sa.Uuid(), "interaction"),
        ("allocation", sa.Text(), None),
        ("balance_after_cents", sa.Integer(), None),
        ("decline_code", sa.String(length=40), None),
        ("ach_return_code", sa.String(length=4), None),
        ("retry_of_id", sa.Uuid(), "payment"),
        ("refund_of_id", sa.Uuid(), "payment"),
        ("finished_at", sa.DateTime(timezone=True), None),
    ],
    "payment_plan": [
        ("consent_by", sa.String(length=160), None),
        ("interaction_id", sa.Uuid(), "interaction"),
    ],
    "plan_installment": [("attempts", sa.Integer(), None)],
}


# Required columns and the value existing rows take.
_REQUIRED = {("payment", "kind"): "'payment'", ("plan_installment", "attempts"): "0"}


def _add(table: str, name: str, type_: sa.types.TypeEngine[object], parent: str | None) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        ddl = type_.compile(dialect=bind.dialect)
        if isinstance(type_, sa.DateTime):
            ddl = "DATETIME"
        reference = f" REFERENCES {parent} (id)" if parent else ""
        required = _REQUIRED.get((table, name))
        if required is not None:  # SQLite adds a NOT NULL column only with a default
            reference += f" NOT NULL DEFAULT {required}"
        op.execute(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}{reference}")
        return
    op.add_column(table, sa.Column(name, type_, nullable=True))
    if parent:
        op.create_foreign_key(op.f(f"fk_{table}_{name}_{parent}"), table, parent, [name], ["id"])


def upgrade() -> None:
    for table, columns in _NEW_COLUMNS.items():
        for name, type_, parent in columns:
            _add(table, name, type_, parent)
    # Existing rows get the values new rows get by default, then the columns are required.
    if op.get_bind().dialect.name != "sqlite":
        for (table, name), value in _REQUIRED.items():
            op.execute(f"UPDATE {table} SET {name} = {value}")
            op.alter_column(table, name, nullable=False)

    op.create_table(
        "adjustment_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("encounter_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Enum(
            "charge", "insurance_payment", "contractual_adjustment", "patient_payment",
            "patient_adjustment", "refund", "write_off", "transfer", "reversal",
            name="ledgerkind", native_enum=False, length=32,
        ), nullable=False),  # fmt: skip
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("needs", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_entry_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["guarantor_account.id"],
                                name=op.f("fk_adjustment_request_account_id_guarantor_account")),
        sa.ForeignKeyConstraint(["encounter_id"], ["encounter.id"],
                                name=op.f("fk_adjustment_request_encounter_id_encounter")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["app_user.id"],
                                name=op.f("fk_adjustment_request_requested_by_id_app_user")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["app_user.id"],
                                name=op.f("fk_adjustment_request_decided_by_id_app_user")),
        sa.ForeignKeyConstraint(["ledger_entry_id"], ["ledger_entry.id"],
                                name=op.f("fk_adjustment_request_ledger_entry_id_ledger_entry")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment_request")),
    )  # fmt: skip
    op.create_index(op.f("ix_adjustment_request_account_id"), "adjustment_request", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_adjustment_request_account_id"), table_name="adjustment_request")
    op.drop_table("adjustment_request")
    for table, columns in _NEW_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, _type, _parent in columns:
                batch.drop_column(name)
