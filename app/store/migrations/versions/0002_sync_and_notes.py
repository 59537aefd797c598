"""Sync: the desk's outbox, cursor and conflicts, the central feed and policy; account notes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:09:29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "central_policy",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_central_policy")),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("local_version", sa.Integer(), nullable=False),
        sa.Column("central_version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("detected_at", _AT, nullable=False),
        sa.Column("resolved_at", _AT, nullable=True),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.create_index(
        "ix_sync_conflict_open", "sync_conflict", ["resolved_at", "table_name", "row_id"]
    )
    op.create_table(
        "sync_log",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=80), nullable=False),
        sa.Column("accepted_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_log")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sync_log_idempotency_key")),
    )
    op.create_index("ix_sync_log_row", "sync_log", ["table_name", "row_id"])
    op.create_table(
        "sync_outbox",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=8), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("pushed_at", _AT, nullable=True),
        sa.Column("central_seq", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sync_outbox_idempotency_key")),
    )
    op.create_index("ix_sync_outbox_row", "sync_outbox", ["table_name", "row_id"])
    op.create_index("ix_sync_outbox_state_seq", "sync_outbox", ["state", "seq"])
    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "account_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("interaction_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("workstation", sa.String(length=80), nullable=False),
        sa.Column("written_at", _AT, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["guarantor_account.id"],
            name=op.f("fk_account_note_account_id_guarantor_account"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_account_note_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_account_note_interaction_id_interaction"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_account_note_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_note")),
    )
    op.create_index("ix_account_note_account_at", "account_note", ["account_id", "written_at"])
    _guard_append_only("account_note")
    # Claims change status when the payer answers; payments when they settle: both sync
    # as versioned rows.
    for table in ("claim", "payment"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("version", sa.Integer(), nullable=False, server_default="1")
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for action in ("update", "delete"):
        suffix = " ON account_note" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS account_note_no_{action}{suffix}")
    for table in ("claim", "payment"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    op.drop_index("ix_account_note_account_at", table_name="account_note")
    op.drop_table("account_note")
    op.drop_table("sync_state")
    op.drop_index("ix_sync_outbox_state_seq", table_name="sync_outbox")
    op.drop_index("ix_sync_outbox_row", table_name="sync_outbox")
    op.drop_table("sync_outbox")
    op.drop_index("ix_sync_log_row", table_name="sync_log")
    op.drop_table("sync_log")
    op.drop_index("ix_sync_conflict_open", table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_table("central_policy")


def _guard_append_only(table: str) -> None:
    """As 0001 does for the ledger: UPDATE and DELETE are refused on every engine."""
    dialect = op.get_bind().dialect.name
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
                f"SELECT RAISE(ABORT, '{table} is append-only: write a new row instead'); END"
            )
