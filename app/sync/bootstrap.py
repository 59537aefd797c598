"""A new desk joins a central database: copy what it needs to work offline, then pull.

The desk's share is the reference rows (users, payers) and every account with an open
balance, with everything that hangs off those accounts (patients, coverage, visits,
claims, ledger, plans, calls, work items, notes). Each table's share is found by
following one foreign key towards ``guarantor_account``, written as nested subqueries
that the central database answers itself. The feed position is read *before* the
copy, so anything that changes during the copy is pulled again afterwards (applying a
row twice changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, func, insert, select
from sqlalchemy.orm import Session, selectinload

from app.store.lookup_index import account_rows
from app.store.models import (
    GuarantorAccount,
    LedgerEntry,
    OutboxItem,
    Patient,
    PersonLookup,
    SyncLog,
)
from app.sync.push import _set_state, lock_feed
from app.sync.tables import synced_tables

REFERENCE = ("app_user", "payer")  # copied whole: every share refers to them
LEFT_CENTRAL = ("audit_event",)  # other desks' audit trails stay with the centre
ROOT = "guarantor_account"
CHUNK = 2_000
CURSOR = "pull_cursor"  # as in app.sync.pull


class NotEmpty(RuntimeError):
    """The desk's store already has work in it; joining would mix two histories."""


@dataclass(frozen=True)
class JoinResult:
    accounts: int
    rows: int
    cursor: int


def open_balance_accounts() -> Select[Any]:
    """Keys of accounts whose ledger does not sum to zero."""
    return (
        select(LedgerEntry.account_id)
        .group_by(LedgerEntry.account_id)
        .having(func.sum(LedgerEntry.amount_cents) != 0)
    )


def share_queries(accounts: Select[Any]) -> dict[str, Select[Any] | None]:
    """For each synced table, a query for the keys of its rows in the desk's share
    (None: the whole table)."""
    tables = synced_tables()
    keys: dict[str, Select[Any] | None] = {}
    for name, table in tables.items():
        if name in LEFT_CENTRAL:
            continue
        if name in REFERENCE:
            keys[name] = None
            continue
        if name == ROOT:
            keys[name] = select(table.c.id).where(table.c.id.in_(accounts))
            continue
        via = _path_to_share(table, keys)
        if via is None:
            continue  # not tied to an account: not part of a desk's share
        column, parent = via
        parent_keys = keys[parent]
        assert parent_keys is not None
        keys[name] = select(table.c.id).where(column.in_(parent_keys))
    return keys


def _path_to_share(table: Any, known: dict[str, Select[Any] | None]) -> tuple[Any, str] | None:
    """The foreign key to follow: to the account itself if the table has one, else to
    the first already-scoped (non-reference) parent, preferring non-null columns."""
    candidates = []
    for fk in table.foreign_keys:
        parent = fk.column.table.name
        if parent in REFERENCE or parent == table.name or known.get(parent) is None:
            continue
        candidates.append((parent != ROOT, fk.parent.nullable, fk.parent.name, fk.parent, parent))
    if not candidates:
        return None
    *_, column, parent = min(candidates, key=lambda c: c[:3])
    return column, parent


def join_central(
    local: Engine,
    central: Engine,
    *,
    progress: Callable[[str], None] | None = None,
) -> JoinResult:
    """Fill an empty, migrated desk store with its share of the central database."""
    say = progress or (lambda _message: None)
    with local.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Patient)) or conn.scalar(
            select(func.count()).select_from(OutboxItem)
        ):
            raise NotEmpty("this desk already holds data; join with an empty store")
    tables = synced_tables()
    copied = 0
    with central.begin() as cconn:
        lock_feed(cconn)  # no push half-way: every seq up to the end is committed
        cursor = int(cconn.scalar(select(func.coalesce(func.max(SyncLog.seq), 0))) or 0)
    with central.connect() as cconn, local.begin() as conn:
        if cconn.dialect.name == "postgresql":
            # One snapshot for the whole copy: no child without its parent.
            cconn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        accounts = open_balance_accounts()
        for name, keys in share_queries(accounts).items():
            table = tables[name]
            query = select(table) if keys is None else select(table).where(table.c.id.in_(keys))
            say(f"Copying {name.replace('_', ' ')}…")
            copied += _copy(cconn, conn, query, table)
        _rebuild_lookup(conn)
        account_count = int(conn.scalar(select(func.count()).select_from(GuarantorAccount)) or 0)
        _set_state(conn, CURSOR, str(cursor))
    return JoinResult(account_count, copied, cursor)


def _copy(cconn: Connection, conn: Connection, query: Select[Any], table: Any) -> int:
    total = 0
    result = cconn.execution_options(yield_per=CHUNK).execute(query).mappings()
    for rows in result.partitions(CHUNK):
        conn.execute(insert(table), [dict(r) for r in rows])
        total += len(rows)
    return total


def _rebuild_lookup(conn: Connection) -> None:
    """Lookup rows for every copied account and its patients, built as everywhere else."""
    conn.execute(delete(PersonLookup))
    session = Session(bind=conn)  # only to read typed rows; nothing is flushed from it
    accounts = session.scalars(
        select(GuarantorAccount)
        .options(selectinload(GuarantorAccount.patients))
        .execution_options(yield_per=CHUNK)  # a chunk of accounts in memory at a time
    )
    batch: list[dict[str, Any]] = []
    for account in accounts:
        batch.extend(account_rows(account))
        if len(batch) >= CHUNK:
            conn.execute(insert(PersonLookup), batch)
            batch = []
    if batch:
        conn.execute(insert(PersonLookup), batch)
    session.close()
