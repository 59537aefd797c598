"""Calls: the phone system's own id for the call (CTI ``call_ref``) on the interaction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interaction") as batch:
        batch.add_column(sa.Column("phone_call_ref", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interaction") as batch:
        batch.drop_column("phone_call_ref")
