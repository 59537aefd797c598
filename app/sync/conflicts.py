"""Conflicts: a local change the central database refused, until a person decides.

"Keep mine" sends the desk's row again, this time over the central version the person
saw; "take theirs" replaces the desk's row with the central one and drops the desk's
unsent changes to it. Either way the decision is recorded on the conflict row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from app.store.models import OutboxItem, SyncConflict
from app.store.types import utcnow
from app.sync.outbox import CONFLICT, DROPPED, PENDING
from app.sync.pull import _refresh_lookup
from app.sync.push import CentralUnavailable
from app.sync.tables import synced_tables


@dataclass(frozen=True)
class Conflict:
    id: uuid.UUID
    table: str
    row_id: uuid.UUID
    local_version: int
    central_version: int | None
    detected_at: datetime
    reason: str = "changed"  # changed: someone edited it first; refused: a central rule


def open_conflicts(local: Engine) -> list[Conflict]:
    C = SyncConflict
    with local.connect() as conn:
        return [
            Conflict(
                r.id,
                r.table_name,
                r.row_id,
                r.local_version,
                r.central_version,
                r.detected_at,
                r.reason,
            )
            for r in conn.execute(
                select(C)
                .where(C.resolved_at.is_(None), C.reason != "incoming")
                .order_by(C.detected_at)
            )
        ]


def keep_mine(local: Engine, conflict_id: uuid.UUID) -> None:
    """Push the desk's version over the central version that caused the conflict."""
    with local.begin() as conn:
        conflict = _open(conn, conflict_id)
        items = _items(conn, conflict)
        if items:
            first, *_ = items
            conn.execute(
                update(OutboxItem)
                .where(OutboxItem.seq == first)
                .values(base_version=conflict.central_version, operation="update")
            )
            conn.execute(update(OutboxItem).where(OutboxItem.seq.in_(items)).values(state=PENDING))
            # The desk's row goes out as the next version after the one the person saw.
            table = synced_tables()[conflict.table_name]
            conn.execute(
                update(table)
                .where(table.c.id == conflict.row_id)
                .values(version=(conflict.central_version or 0) + 1)
            )
        _close(conn, conflict_id, "mine")


def take_theirs(local: Engine, central: Engine, conflict_id: uuid.UUID) -> None:
    """Replace the desk's row with the central one; the desk's unsent changes are dropped."""
    with local.connect() as conn:
        conflict = _open(conn, conflict_id)
    table = synced_tables()[conflict.table_name]
    try:
        with central.connect() as cconn:
            row = (
                cconn.execute(select(table).where(table.c.id == conflict.row_id)).mappings().first()
            )
    except Exception as error:  # any driver failure means "not now"
        raise CentralUnavailable(f"central database unavailable ({type(error).__name__})") from None
    with local.begin() as conn:
        if row is not None:
            values = {k: v for k, v in dict(row).items() if k != "id"}
            conn.execute(update(table).where(table.c.id == conflict.row_id).values(**values))
            account = values.get("account_id") if table.name == "patient" else None
            if table.name == "guarantor_account":
                account = conflict.row_id
            if account is not None:
                _refresh_lookup(conn, {account})
        items = _items(conn, conflict)
        conn.execute(update(OutboxItem).where(OutboxItem.seq.in_(items)).values(state=DROPPED))
        _close(conn, conflict_id, "theirs")


def _open(conn: Connection, conflict_id: uuid.UUID) -> Any:
    row = conn.execute(
        select(SyncConflict).where(
            SyncConflict.id == conflict_id, SyncConflict.resolved_at.is_(None)
        )
    ).first()
    if row is None:
        raise LookupError("no open conflict with that id")
    return row


def _items(conn: Connection, conflict: Any) -> list[int]:
    Ob = OutboxItem
    return list(
        conn.scalars(
            select(Ob.seq)
            .where(
                Ob.table_name == conflict.table_name,
                Ob.row_id == conflict.row_id,
                Ob.state.in_([CONFLICT, PENDING]),
            )
            .order_by(Ob.seq)
        )
    )


def _close(conn: Connection, conflict_id: uuid.UUID, resolution: str) -> None:
    conn.execute(
        update(SyncConflict)
        .where(SyncConflict.id == conflict_id)
        .values(resolved_at=utcnow(), resolution=resolution)
    )
