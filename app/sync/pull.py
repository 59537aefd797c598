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

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
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
    """Apply one batch of the central feed past the cursor (and retry parked rows)."""
    with local.connect() as conn:
        cursor = cursor_of(conn)
        parked = _parked(conn)
    try:
        with central.connect() as cconn:
            feed = cconn.execute(
                select(SyncLog.seq, SyncLog.table_name, SyncLog.row_id)
                .where(SyncLog.seq > cursor)
                .order_by(SyncLog.seq)
                .limit(batch)
            ).all()
            rows = _central_rows(cconn, [*feed, *((0, t, r) for t, r in parked)])
            new_cursor = int(feed[-1].seq) if feed else cursor
            with local.begin() as conn:
                applier = _Applier(conn, cconn)
                applier.apply(rows)
                _refresh_lookup(conn, applier.accounts)
                _set_state(conn, CURSOR, str(new_cursor))
                _set_state(conn, "last_pull_at", utcnow().isoformat())
    except IntegrityError:
        raise  # a bug in applying rows, not an outage (parameters are never in messages)
    except (OperationalError, DBAPIError) as error:
        raise CentralUnavailable(f"central database unavailable ({type(error).__name__})") from None
    if not feed:
        return PullResult(applied=0, unchanged=0, cursor=cursor)
    return PullResult(applier.applied, applier.unchanged, new_cursor)


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


PARKED = "incoming"  # a conflict reason: a central row that clashes with one here


def _parked(conn: Connection) -> list[tuple[str, uuid.UUID]]:
    """Central rows that clashed with a row here (say, the same MRN): tried every pull."""
    C = SyncConflict
    return [
        (t, r)
        for t, r in conn.execute(
            select(C.table_name, C.row_id).where(C.resolved_at.is_(None), C.reason == PARKED)
        )
    ]


class _Applier:
    """Writes central rows into the desk's store, parents first, one savepoint each."""

    def __init__(self, conn: Connection, cconn: Connection) -> None:
        self.conn = conn
        self.cconn = cconn
        self.applied = 0
        self.unchanged = 0
        self.accounts: set[uuid.UUID] = set()
        self._present: dict[str, set[uuid.UUID]] = defaultdict(set)

    def apply(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        for name in sorted(rows, key=rank().__getitem__):
            for value in rows[name]:
                self._apply_row(name, value)

    def _apply_row(self, name: str, value: dict[str, Any], depth: int = 0) -> None:
        table = synced_tables()[name]
        self._ensure_parents(table, value, depth)
        try:
            with self.conn.begin_nested():
                changed = self._write(table, value)
        except IntegrityError:  # clashes with a row of this desk: park it, retry later
            self._park(name, value)
            self.unchanged += 1
            return
        self._present[name].add(value["id"])
        self._unpark(name, value["id"])
        if changed:
            self.applied += 1
            if name == "guarantor_account":
                self.accounts.add(value["id"])
            elif name == "patient":
                self.accounts.add(value["account_id"])
        else:
            self.unchanged += 1

    def _ensure_parents(self, table: Any, value: dict[str, Any], depth: int) -> None:
        """Rows this row points at that the desk lacks (e.g. a settled account it did not
        copy when it joined) are fetched from the centre first."""
        if depth > 20:
            return
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            key = value.get(fk.parent.name)
            if key is None or parent not in synced_tables():
                continue
            if key in self._present[parent] or self._exists(parent, key):
                self._present[parent].add(key)
                continue
            parent_table = synced_tables()[parent]
            found = (
                self.cconn.execute(select(parent_table).where(parent_table.c.id == key))
                .mappings()
                .first()
            )
            if found is not None:
                self._apply_row(parent, dict(found), depth + 1)

    def _exists(self, name: str, key: uuid.UUID) -> bool:
        table = synced_tables()[name]
        return self.conn.scalar(select(table.c.id).where(table.c.id == key)) is not None

    def _write(self, table: Any, value: dict[str, Any]) -> bool:
        if not is_versioned(table.name):
            done = self.conn.execute(_insert_ignoring_existing(self.conn, table), [value])
            return bool(done.rowcount)
        if not self._exists(table.name, value["id"]):
            self.conn.execute(table.insert(), [value])
            return True
        # One statement decides, so an edit committed on this desk a moment ago is never
        # overwritten: only an older row with no unsent change or open conflict is taken.
        Ob, C = OutboxItem, SyncConflict
        unsent = (
            select(Ob.seq)
            .where(
                Ob.table_name == table.name,
                Ob.row_id == value["id"],
                Ob.state.in_([PENDING, CONFLICT]),
            )
            .exists()
        )
        disputed = (
            select(C.id)
            .where(C.table_name == table.name, C.row_id == value["id"], C.resolved_at.is_(None))
            .exists()
        )
        changes = {k: v for k, v in value.items() if k != "id"}
        done = self.conn.execute(
            update(table)
            .where(
                table.c.id == value["id"],
                table.c.version < value["version"],
                ~unsent,
                ~disputed,
            )
            .values(**changes)
        )
        return bool(done.rowcount)

    def _park(self, name: str, value: dict[str, Any]) -> None:
        C = SyncConflict
        exists = self.conn.scalar(
            select(C.id).where(
                C.table_name == name,
                C.row_id == value["id"],
                C.resolved_at.is_(None),
                C.reason == PARKED,
            )
        )
        if exists is None:
            self.conn.execute(
                insert(C).values(
                    id=uuid.uuid4(),
                    table_name=name,
                    row_id=value["id"],
                    local_version=0,
                    central_version=value.get("version"),
                    reason=PARKED,
                    detected_at=utcnow(),
                )
            )

    def _unpark(self, name: str, key: uuid.UUID) -> None:
        C = SyncConflict
        self.conn.execute(
            update(C)
            .where(
                C.table_name == name, C.row_id == key, C.reason == PARKED, C.resolved_at.is_(None)
            )
            .values(resolved_at=utcnow(), resolution="applied")
        )


def _refresh_lookup(conn: Connection, accounts: set[uuid.UUID]) -> None:
    if not accounts:
        return
    session = Session(bind=conn, info={"sync_applying": True})
    for account in session.scalars(
        select(GuarantorAccount).where(GuarantorAccount.id.in_(list(accounts)))
    ):
        refresh_account(session, account)
    session.flush()
