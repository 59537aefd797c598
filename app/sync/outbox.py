"""The outbox: every write to the local store leaves a reference to itself, atomically.

:func:`track_writes` gives sessions of :class:`TrackedSession`. Before each flush,
each new row of a synced table adds an ``insert`` item, and each changed versioned row
gets its version raised and adds an ``update`` item holding the version it had before.
The items are flushed with the rows, so they commit or roll back together. Items name
a table and a key only; the pusher reads the row itself when it sends it.

Rows of insert-once tables are never changed after the insert (the ledger, audit and
notes are also guarded by triggers); changing one is a programming error and raises.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from app.store.models import OutboxItem
from app.store.types import utcnow
from app.sync.tables import is_versioned, rank, synced_tables

PENDING = "pending"  # waiting to be sent
PUSHED = "pushed"  # accepted centrally
CONFLICT = "conflict"  # refused; waits for a person (app.sync.conflicts)
DROPPED = "dropped"  # given up for the central version by a person


class ImmutableRowChanged(RuntimeError):
    """A row of an insert-once table was changed in a session."""


class TrackedSession(Session):
    """A session whose flushes record their writes in the outbox."""


def track_writes(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A sessionmaker like ``factory`` whose sessions record their writes in the outbox."""
    if issubclass(factory.class_, TrackedSession):
        return factory
    return sessionmaker(class_=TrackedSession, **factory.kw)


def _record(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("sync_applying"):  # rows arriving from central: not ours to push
        return
    tables = synced_tables()
    order = rank()
    now = utcnow()
    items: list[OutboxItem] = []
    new = [o for o in session.new if _table_of(o) in tables]
    new.sort(key=lambda o: order[_table_of(o)])  # parents first: seq order is FK-safe
    for obj in new:
        items.append(_item(obj, "insert", None, now))
    for obj in session.dirty:
        table = _table_of(obj)
        if table not in tables or not session.is_modified(obj, include_collections=False):
            continue
        if not is_versioned(table):
            raise ImmutableRowChanged(f"{table} rows are written once; add a new row instead")
        base = obj.version
        obj.version = base + 1
        items.append(_item(obj, "update", base, now))
    for obj in session.deleted:
        if _table_of(obj) in tables:
            raise ImmutableRowChanged("synced rows are never deleted; mark them instead")
    session.add_all(items)


# Listening on the class, once: a listener on a sessionmaker *instance* is keyed by its
# id(), which a later sessionmaker can reuse after garbage collection.
event.listen(TrackedSession, "before_flush", _record)


def _item(obj: Any, operation: str, base: int | None, now: Any) -> OutboxItem:
    if obj.id is None:
        obj.id = uuid.uuid4()
    return OutboxItem(
        idempotency_key=uuid.uuid4(),
        table_name=_table_of(obj),
        row_id=obj.id,
        operation=operation,
        base_version=base,
        created_at=now,
        state=PENDING,
        attempts=0,
    )


def _table_of(obj: Any) -> str:
    table = getattr(obj, "__table__", None)
    return table.name if table is not None else ""


def waiting(conn: Connection) -> int:
    """Items not yet accepted by the central database (conflicts included)."""
    return int(
        conn.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.state.in_([PENDING, CONFLICT]))
        )
        or 0
    )
