"""Push the outbox to the central database: every accepted write lands exactly once.

One push sends up to ``batch`` outbox items (and every other waiting item of the same
rows) in one central transaction, then marks them pushed locally:

- Each item's idempotency key is written to the central ``sync_log`` in the same
  transaction as the row, so a batch sent again (a retry, or a crash after the central
  commit and before the local mark) finds its keys there and changes nothing.
- Insert-once rows are inserted with "on conflict do nothing" by key.
- A versioned row is written only if the central row is still at the version the
  desk's first unsent change started from; otherwise the change is a conflict, kept
  on the desk for a person to resolve, and nothing central is overwritten.
- Pushes take a lock against each other, so sequence numbers commit in
  order and pulls never skip one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from app.store.models import OutboxItem, SyncConflict, SyncLog, SyncState
from app.store.types import utcnow
from app.sync.outbox import CONFLICT, PENDING, PUSHED
from app.sync.tables import is_versioned, rank, synced_tables

CHUNK = 500  # keys per IN (...) list
PUSH_LOCK = 0x50414445534B  # the advisory lock pushes take on PostgreSQL ("PADESK")


class CentralUnavailable(RuntimeError):
    """The central database could not be reached or refused the batch (no data inside)."""


@dataclass(frozen=True)
class PushResult:
    accepted: int  # items the central database took now
    duplicates: int  # items it already had (a batch sent again)
    conflicts: int  # rows refused because someone changed them first
    remaining: int  # items still waiting after this push

    @property
    def sent(self) -> int:
        return self.accepted + self.duplicates


@dataclass
class _Row:
    """All waiting outbox items of one row, in the order they were written."""

    table: str
    row_id: uuid.UUID
    items: list[Any]


def push(local: Engine, central: Engine, *, origin: str, batch: int = 500) -> PushResult:
    """Send up to ``batch`` waiting items (see the module's docstring)."""
    with local.connect() as conn:
        rows = _waiting_rows(conn, batch)
        values = _local_values(conn, rows)
    if not rows:
        return PushResult(0, 0, 0, 0)
    try:
        with central.begin() as cconn:
            outcome = _apply(cconn, rows, values, origin)
    except (OperationalError, DBAPIError) as error:
        _note_failure(local, rows, error)
        raise CentralUnavailable(f"central database unavailable ({type(error).__name__})") from None
    accepted, duplicates, conflicts = _mark(local, rows, outcome)
    with local.connect() as conn:
        remaining = _count_waiting(conn)
    return PushResult(accepted, duplicates, conflicts, remaining)


def push_all(local: Engine, central: Engine, *, origin: str, batch: int = 500) -> PushResult:
    """Push until nothing is waiting that can be sent (conflicts wait for a person)."""
    accepted = duplicates = conflicts = 0
    while True:
        result = push(local, central, origin=origin, batch=batch)
        accepted += result.accepted
        duplicates += result.duplicates
        conflicts += result.conflicts
        if result.sent + result.conflicts == 0:
            return PushResult(accepted, duplicates, conflicts, result.remaining)


# -- reading the desk ------------------------------------------------------------------


def _waiting_rows(conn: Connection, batch: int) -> list[_Row]:
    """The next waiting rows in write order, each with all its waiting items; rows with
    an open conflict wait for a person and are left out."""
    Ob = OutboxItem
    C = SyncConflict
    blocked = (
        select(C.id)
        .where(C.resolved_at.is_(None), C.row_id == Ob.row_id, C.table_name == Ob.table_name)
        .exists()
    )
    head = conn.execute(
        select(Ob.table_name, Ob.row_id)
        .where(Ob.state == PENDING, ~blocked)
        .order_by(Ob.seq)
        .limit(batch)
    ).all()
    keys = set(head)
    if not keys:
        return []
    grouped: dict[tuple[str, uuid.UUID], _Row] = {}
    for chunk in _chunks(list(dict.fromkeys(r for _, r in head))):
        for item in conn.execute(
            select(Ob).where(Ob.state == PENDING, Ob.row_id.in_(chunk)).order_by(Ob.seq)
        ):
            key = (item.table_name, item.row_id)
            if key in keys:
                grouped.setdefault(key, _Row(item.table_name, item.row_id, [])).items.append(item)
    return sorted(grouped.values(), key=lambda row: row.items[0].seq)


def _local_values(
    conn: Connection, rows: list[_Row]
) -> dict[tuple[str, uuid.UUID], dict[str, Any]]:
    """The rows as they are now on the desk, by (table, key)."""
    by_table: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_table[row.table].append(row.row_id)
    values: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    tables = synced_tables()
    for name, ids in by_table.items():
        table = tables[name]
        for chunk in _chunks(ids):
            for found in conn.execute(select(table).where(table.c.id.in_(chunk))).mappings():
                values[(name, found["id"])] = dict(found)
    return values


def _count_waiting(conn: Connection) -> int:
    from app.sync.outbox import waiting

    return waiting(conn)


# -- writing centrally -----------------------------------------------------------------


@dataclass
class _Outcome:
    accepted: dict[uuid.UUID, int]  # idempotency key -> central seq
    duplicates: dict[uuid.UUID, int]
    conflicts: dict[tuple[str, uuid.UUID], int | None]  # row -> central version
    refused: set[tuple[str, uuid.UUID]] = field(default_factory=set)  # by a central rule


def _apply(
    cconn: Connection,
    rows: list[_Row],
    values: dict[tuple[str, uuid.UUID], dict[str, Any]],
    origin: str,
) -> _Outcome:
    lock_feed(cconn)
    keys = [item.idempotency_key for row in rows for item in row.items]
    known = _known_keys(cconn, keys)
    outcome = _Outcome({}, {k: s for k, s in known.items()}, {})
    tables = synced_tables()
    order = rank()
    fresh_rows = []
    for row in rows:
        fresh = [item for item in row.items if item.idempotency_key not in known]
        if fresh:
            fresh_rows.append(_Row(row.table, row.row_id, fresh))
    fresh_rows.sort(key=lambda row: (order[row.table], row.items[0].seq))

    now = utcnow()
    sent: list[_Row] = []
    once: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in fresh_rows:
        value = values.get((row.table, row.row_id))
        if value is None:  # the row vanished locally: nothing to send, nothing to wait for
            continue
        table = tables[row.table]
        if is_versioned(row.table):
            _refuse(outcome, _flush_once(cconn, once))
            conflict = _write_versioned(cconn, table, row, value)
            if conflict is not None:
                outcome.conflicts[(row.table, row.row_id)] = conflict[0]
                if conflict[1]:
                    outcome.refused.add((row.table, row.row_id))
                continue
        else:
            once[row.table].append(value)
        sent.append(row)
    _refuse(outcome, _flush_once(cconn, once))
    log = [
        {
            "idempotency_key": item.idempotency_key,
            "table_name": row.table,
            "row_id": row.row_id,
            "version": values[(row.table, row.row_id)].get("version"),
            "origin": origin,
            "accepted_at": now,
        }
        for row in sent
        if (row.table, row.row_id) not in outcome.conflicts
        for item in row.items
    ]
    if log:
        cconn.execute(insert(SyncLog), log)
        outcome.accepted.update(_known_keys(cconn, [entry["idempotency_key"] for entry in log]))
    return outcome


def _refuse(outcome: _Outcome, rows: set[tuple[str, uuid.UUID]]) -> None:
    for key in rows:
        outcome.conflicts[key] = None
        outcome.refused.add(key)


def lock_feed(cconn: Connection) -> None:
    """Hold the feed until this transaction ends. Everything that writes ``sync_log``
    (or reads its end to start from) takes it, so sequence numbers commit in order and
    a desk pulling ``seq > cursor`` never skips one. An advisory lock on PostgreSQL
    (needs no table privilege: desks do not own the tables); SQLite has one writer."""
    if cconn.dialect.name == "postgresql":
        cconn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PUSH_LOCK})")


def _flush_once(
    cconn: Connection, once: dict[str, list[dict[str, Any]]]
) -> set[tuple[str, uuid.UUID]]:
    """Insert the gathered insert-once rows, parents first; rows already there stay.

    A row the central database refuses (a rule of its own, such as a unique number) is
    returned, not raised: the rest of the batch goes on, and a person sees the refusal.
    """
    tables = synced_tables()
    refused: set[tuple[str, uuid.UUID]] = set()
    for name in sorted(once, key=rank().__getitem__):
        statement = _insert_ignoring_existing(cconn, tables[name])
        try:
            with cconn.begin_nested():
                cconn.execute(statement, once[name])
            continue
        except IntegrityError:
            pass
        for value in once[name]:  # one by one, to find the refused rows
            try:
                with cconn.begin_nested():
                    cconn.execute(statement, [value])
            except IntegrityError:
                refused.add((name, value["id"]))
    once.clear()
    return refused


def _write_versioned(
    cconn: Connection, table: Table, row: _Row, value: dict[str, Any]
) -> tuple[int | None, bool] | None:
    """Write a mutable row if nobody changed it first; else (central version, refused)."""
    try:
        with cconn.begin_nested():
            return _compare_and_set(cconn, table, row, value)
    except IntegrityError:  # e.g. an MRN another desk registered first
        return (None, True)


def _compare_and_set(
    cconn: Connection, table: Table, row: _Row, value: dict[str, Any]
) -> tuple[int | None, bool] | None:
    first = row.items[0]
    if first.operation == "insert":
        done = cconn.execute(_insert_ignoring_existing(cconn, table), [value]).rowcount
        if done == 1:
            return None
    else:
        changes = {k: v for k, v in value.items() if k != "id"}
        done = cconn.execute(
            update(table)
            .where(and_(table.c.id == row.row_id, table.c.version == first.base_version))
            .values(**changes)
        ).rowcount
        if done == 1:
            return None
    current = cconn.execute(select(table).where(table.c.id == row.row_id)).mappings().first()
    if current is None:
        if first.operation == "update":
            # Not known centrally at all (made before this desk synced): new there.
            cconn.execute(insert(table), [value])
            return None
        return (None, False)
    if dict(current) == value:
        return None  # the centre already holds exactly this row (sent before): no conflict
    return (current["version"], False)


def _insert_ignoring_existing(cconn: Connection, table: Table) -> Any:
    if cconn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["id"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=["id"])


def _known_keys(cconn: Connection, keys: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    found: dict[uuid.UUID, int] = {}
    for chunk in _chunks(list(keys)):
        found.update(
            (key, int(seq))
            for key, seq in cconn.execute(
                select(SyncLog.idempotency_key, SyncLog.seq).where(
                    SyncLog.idempotency_key.in_(chunk)
                )
            )
        )
    return found


# -- marking the desk ------------------------------------------------------------------


def _mark(local: Engine, rows: list[_Row], outcome: _Outcome) -> tuple[int, int, int]:
    now = utcnow()
    Ob = OutboxItem
    done = {**outcome.duplicates, **outcome.accepted}
    with local.begin() as conn:
        by_seq = [
            {"s": item.seq, "c": done[item.idempotency_key]}
            for row in rows
            for item in row.items
            if item.idempotency_key in done
        ]
        if by_seq:
            from sqlalchemy import bindparam

            conn.execute(
                update(Ob)
                .where(Ob.seq == bindparam("s"))
                .values(state=PUSHED, pushed_at=now, central_seq=bindparam("c")),
                by_seq,
            )
        for row in rows:
            key = (row.table, row.row_id)
            if key not in outcome.conflicts:
                continue
            conn.execute(
                update(Ob)
                .where(Ob.seq.in_([item.seq for item in row.items]))
                .values(state=CONFLICT)
            )
            local_version = conn.scalar(
                select(synced_tables()[row.table].c.version).where(
                    synced_tables()[row.table].c.id == row.row_id
                )
            )
            conn.execute(
                insert(SyncConflict).values(
                    id=uuid.uuid4(),
                    table_name=row.table,
                    row_id=row.row_id,
                    local_version=int(local_version or 0),
                    central_version=outcome.conflicts[key],
                    reason="refused" if key in outcome.refused else "changed",
                    detected_at=now,
                )
            )
        _set_state(conn, "last_push_at", now.isoformat())
    accepted = sum(1 for row in rows for i in row.items if i.idempotency_key in outcome.accepted)
    duplicates = sum(
        1 for row in rows for i in row.items if i.idempotency_key in outcome.duplicates
    )
    return accepted, duplicates, len(outcome.conflicts)


def _note_failure(local: Engine, rows: list[_Row], error: BaseException) -> None:
    Ob = OutboxItem
    seqs = [item.seq for row in rows for item in row.items]
    try:
        with local.begin() as conn:
            for chunk in _chunks(seqs):
                conn.execute(
                    update(Ob)
                    .where(Ob.seq.in_(chunk))
                    .values(attempts=Ob.attempts + 1, last_error=type(error).__name__[:200])
                )
    except DBAPIError:  # the desk's own store is busy: the next push counts again
        pass


def _set_state(conn: Connection, name: str, value: str) -> None:
    S = SyncState
    if conn.execute(update(S).where(S.name == name).values(value=value)).rowcount == 0:
        conn.execute(insert(S).values(name=name, value=value))


def _chunks(items: Sequence[Any] | Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
