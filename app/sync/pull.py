"""Pull what the central database accepted past this desk's cursor into the local store.

Rows are applied parents first, in one local transaction per batch together with the
new cursor, so a crash re-pulls the batch and applying it twice changes nothing:
insert-once rows are inserted unless present; a versioned row is taken when it is
newer than the local copy and the desk has no unsent change of its own to it (that
change will meet the central row at push time and become a conflict, never a silent
overwrite). Lookup rows of the accounts touched are rebuilt.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app.store.lookup_index import refresh_account
from app.store.models import GuarantorAccount, OutboxItem, SyncConflict, SyncLog, SyncState
from app.store.types import utcnow
from app.sync.outbox import CONFLICT, PENDING
from app.sync.push import CentralUnavailable, _chunks, _insert_ignoring_existing, _set_state
from app.sync.tables import is_versioned, rank, synced_tables

CURSOR = "pull_cursor"


@dataclass(frozen=True)
class PullResult:
    applied: int  # rows written locally
    unchanged: int  # rows the desk already had (or holds a newer change of)
    cursor: int


def cursor_of(conn: Connection) -> int:
    value = conn.scalar(select(SyncState.value).where(SyncState.name == CURSOR))
    return int(value) if value else 0


def pull(local: Engine, central: Engine, *, batch: int = 1000) -> PullResult:
    """Apply one batch of the central feed past the cursor."""
    with local.connect() as conn:
        cursor = cursor_of(conn)
    try:
        with central.connect() as cconn:
            feed = cconn.execute(
                select(SyncLog.seq, SyncLog.table_name, SyncLog.row_id)
                .where(SyncLog.seq > cursor)
                .order_by(SyncLog.seq)
                .limit(batch)
            ).all()
            rows = _central_rows(cconn, feed)
    except (OperationalError, DBAPIError) as error:
        raise CentralUnavailable(f"central database unavailable ({type(error).__name__})") from None
    if not feed:
        with local.begin() as conn:
            _set_state(conn, "last_pull_at", utcnow().isoformat())
        return PullResult(0, 0, cursor)
    new_cursor = int(feed[-1].seq)
    with local.begin() as conn:
        applied, unchanged, accounts = _apply_locally(conn, rows)
        _refresh_lookup(conn, accounts)
        _set_state(conn, CURSOR, str(new_cursor))
        _set_state(conn, "last_pull_at", utcnow().isoformat())
    return PullResult(applied, unchanged, new_cursor)


def pull_all(local: Engine, central: Engine, *, batch: int = 1000) -> PullResult:
    applied = unchanged = 0
    while True:
        result = pull(local, central, batch=batch)
        applied += result.applied
        unchanged += result.unchanged
        if result.applied + result.unchanged == 0:
            return PullResult(applied, unchanged, result.cursor)


def _central_rows(cconn: Connection, feed: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    """The current central rows named by the feed, by table."""
    wanted: dict[str, list[uuid.UUID]] = defaultdict(list)
    for _, table, row_id in feed:
        if table in synced_tables():
            wanted[table].append(row_id)
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, ids in wanted.items():
        table = synced_tables()[name]
        found: list[dict[str, Any]] = []
        for chunk in _chunks(list(dict.fromkeys(ids))):
            found.extend(
                dict(m)
                for m in cconn.execute(select(table).where(table.c.id.in_(chunk))).mappings()
            )
        rows[name] = found
    return rows


def _apply_locally(
    conn: Connection, rows: dict[str, list[dict[str, Any]]]
) -> tuple[int, int, set[uuid.UUID]]:
    applied = unchanged = 0
    accounts: set[uuid.UUID] = set()
    tables = synced_tables()
    for name in sorted(rows, key=rank().__getitem__):
        table = tables[name]
        values = rows[name]
        if not values:
            continue
        if is_versioned(name):
            a, u = _apply_versioned(conn, table, values)
        else:
            done = conn.execute(_insert_ignoring_existing(conn, table), values).rowcount
            a, u = max(done, 0), len(values) - max(done, 0)
        applied += a
        unchanged += u
        if name == "guarantor_account":
            accounts.update(v["id"] for v in values)
        elif name == "patient":
            accounts.update(v["account_id"] for v in values)
    return applied, unchanged, accounts


def _apply_versioned(
    conn: Connection, table: Table, values: list[dict[str, Any]]
) -> tuple[int, int]:
    ids = [v["id"] for v in values]
    local_versions: dict[uuid.UUID, int] = {}
    busy: set[uuid.UUID] = set()
    Ob, C = OutboxItem, SyncConflict
    for chunk in _chunks(ids):
        local_versions.update(
            conn.execute(select(table.c.id, table.c.version).where(table.c.id.in_(chunk))).all()
        )
        busy.update(
            conn.scalars(
                select(Ob.row_id).where(
                    Ob.table_name == table.name,
                    Ob.row_id.in_(chunk),
                    Ob.state.in_([PENDING, CONFLICT]),
                )
            )
        )
        busy.update(
            conn.scalars(
                select(C.row_id).where(
                    C.table_name == table.name, C.row_id.in_(chunk), C.resolved_at.is_(None)
                )
            )
        )
    applied = unchanged = 0
    for value in values:
        key = value["id"]
        if key not in local_versions:
            conn.execute(table.insert(), [value])
            applied += 1
        elif key in busy or local_versions[key] >= value["version"]:
            unchanged += 1
        else:
            changes = {k: v for k, v in value.items() if k != "id"}
            conn.execute(update(table).where(table.c.id == key).values(**changes))
            applied += 1
    return applied, unchanged


def _refresh_lookup(conn: Connection, accounts: set[uuid.UUID]) -> None:
    if not accounts:
        return
    session = Session(bind=conn, info={"sync_applying": True})
    for account in session.scalars(
        select(GuarantorAccount).where(GuarantorAccount.id.in_(list(accounts)))
    ):
        refresh_account(session, account)
    session.flush()
