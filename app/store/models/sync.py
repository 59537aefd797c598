"""Sync bookkeeping: the desk's outbox, cursor and conflicts; the central feed and policy.

Every database has all of these tables (one migration history for desk and central);
a desk uses the outbox, state and conflict tables, the central database the feed
(``sync_log``) and ``central_policy``.

The outbox holds references only (table, row key, versions), never row contents: the
pusher reads the row when it pushes, so no PHI or card data ever sits in the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base
from app.store.types import new_id

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
SeqInt = BigInteger().with_variant(Integer(), "sqlite")


class OutboxItem(Base):
    """One local write waiting to reach the central database (or already there).

    ``seq`` orders the writes on this desk; ``idempotency_key`` makes a retried push
    land once. ``base_version`` is the version of a mutable row before this change
    (None for an insert): the central row must still be at the version of the row's
    first unpushed change, else the push is a conflict.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        Index("ix_sync_outbox_state_seq", "state", "seq"),
        Index("ix_sync_outbox_row", "table_name", "row_id"),
    )

    seq: Mapped[int] = mapped_column(SeqInt, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    operation: Mapped[str] = mapped_column(String(8))  # insert | update
    base_version: Mapped[int | None]
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending|pushed|conflict
    pushed_at: Mapped[datetime | None]
    central_seq: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))  # error class only, no data


class SyncState(Base):
    """Small named values of the desk's sync: the pull cursor, the last sync time."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class SyncConflict(Base):
    """A local change the central database refused because someone changed the row first.

    Shown to a person, who keeps their version (pushed again over the central one) or
    takes the central one; never resolved silently.
    """

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_open", "resolved_at", "table_name", "row_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    local_version: Mapped[int]
    central_version: Mapped[int | None]  # None: the row is missing centrally
    reason: Mapped[str] = mapped_column(String(12), default="changed")  # changed | refused
    detected_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(12))  # mine | theirs


class SyncLog(Base):
    """The central feed: one row per accepted write, numbered by a global sequence.

    Pushes take a lock against each other, so sequence numbers commit in order and a desk
    that pulls ``seq > cursor`` never skips a row committed late.
    """

    __tablename__ = "sync_log"
    __table_args__ = (Index("ix_sync_log_row", "table_name", "row_id"),)

    seq: Mapped[int] = mapped_column(SeqInt, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[uuid.UUID] = mapped_column(unique=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    version: Mapped[int | None]
    origin: Mapped[str] = mapped_column(String(80))  # the workstation that wrote it
    accepted_at: Mapped[datetime]


class CentralPolicy(Base):
    """Central settings every desk reads: environment marker, hold thresholds, limits."""

    __tablename__ = "central_policy"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
