"""Payments: which desk sent a payment (only it can ask its gateway about the key), and
one open payment plan per account.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('active', 'paused')"


def upgrade() -> None:
    op.add_column("payment", sa.Column("workstation", sa.String(length=80), nullable=True))
    op.create_index(
        "uq_payment_plan_open_account",
        "payment_plan",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_payment_plan_open_account", table_name="payment_plan")
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("workstation")
