"""Writing many rows fast, per engine: SQLite ``executemany``, PostgreSQL ``COPY``.

The loader borrows one connection from the engine's pool, tunes it for bulk loading
and throws it away afterwards, so no pooled connection keeps those settings:

- SQLite: no fsync, a large page cache, foreign keys unchecked (the generator makes
  every parent before its children; the tests run ``foreign_key_check``), and the
  secondary indexes of the loaded tables dropped during the load and rebuilt from
  their own stored SQL afterwards, since sorting once is far cheaper than millions
  of random b-tree inserts. The schema after the load is the schema before it.
  Batches built by worker processes arrive *packed*: the image of an in-memory SQLite
  database holding the batch's rows, which is attached and copied with
  ``INSERT ... SELECT`` so that binding every value happens in the workers.
- PostgreSQL: the session zone is UTC, so naive instant strings mean UTC.

Many batches share one transaction: with random UUID keys every commit rewrites pages
all over the primary-key indexes, so few commits are much faster than many.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from app.demo.tables import COLUMNS, ORDER, Rows

SQLITE_CACHE_KIB = 2_097_152  # 2 GiB of page cache while loading
SQLITE_SORT_THREADS = 4  # helper threads for sorting when the indexes are rebuilt
SQLITE_ANALYSIS_LIMIT = 2_000  # rows sampled per index by ANALYZE after the load
ROWS_PER_COMMIT = 4_000_000  # about 200,000 patients
_SLOT = "demo_batch"  # the attached in-memory database each packed batch is opened as


@dataclass(frozen=True)
class PackedRows:
    """A batch's rows as the image of an in-memory SQLite database, one table each."""

    counts: dict[str, int]
    image: bytes


def pack_rows(rows: Rows) -> PackedRows:
    """``rows`` in plain (untyped, unconstrained) tables of a serialized SQLite database."""
    db = sqlite3.connect(":memory:")
    try:
        counts: dict[str, int] = {}
        for table, columns in COLUMNS.items():
            db.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
            batch = rows.of(table)
            counts[table] = len(batch)
            if batch:
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
        db.commit()
        return PackedRows(counts, db.serialize())
    finally:
        db.close()


def counts_of(rows: Rows | PackedRows) -> dict[str, int]:
    if isinstance(rows, PackedRows):
        return rows.counts
    return {table: len(rows.of(table)) for table in ORDER}


class BulkWriter(Protocol):
    @property
    def takes_packed(self) -> bool:
        """Whether :meth:`write` accepts :class:`PackedRows`."""

    def write(self, rows: Rows | PackedRows) -> None:
        """One batch, parents first; committed now or with a later batch."""

    def finish(self) -> None:
        """Commit, then make the loaded tables whole (indexes, statistics)."""


class _SQLiteWriter:
    def __init__(self, dbapi: Any) -> None:
        self._dbapi = dbapi
        self._insert = {
            table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            for table, cols in COLUMNS.items()
        }
        self._pending = 0  # rows written since the last commit
        self._copies = 0  # makes each copy statement new: see write()
        dbapi.commit()
        cursor = dbapi.cursor()
        # Durability is pointless for a load that is redone from the seed if it fails.
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute(f"PRAGMA threads={SQLITE_SORT_THREADS}")
        cursor.execute("PRAGMA foreign_keys=OFF")
        tables = ", ".join(f"'{table}'" for table in ORDER)
        self._indexes: list[tuple[str, str]] = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            f" AND tbl_name IN ({tables}) ORDER BY name"
        ).fetchall()
        for name, _ in self._indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        dbapi.commit()
        self.takes_packed = hasattr(dbapi, "deserialize")
        if self.takes_packed:
            cursor.execute(f"ATTACH DATABASE ':memory:' AS {_SLOT}")
        cursor.close()

    def write(self, rows: Rows | PackedRows) -> None:
        if isinstance(rows, PackedRows):
            self._dbapi.deserialize(rows.image, name=_SLOT)
            cursor = self._dbapi.cursor()
            for table in ORDER:
                if rows.counts.get(table):
                    cols = ", ".join(COLUMNS[table])
                    # A statement cached from an earlier image of the slot would read
                    # stale pages: the comment makes every copy a new statement.
                    self._copies += 1
                    cursor.execute(
                        f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM {_SLOT}.{table}"
                        f" /* {self._copies} */"
                    )
            cursor.close()
        else:
            for table in ORDER:
                batch = rows.of(table)
                if batch:
                    self._dbapi.executemany(self._insert[table], batch)
        self._pending += sum(counts_of(rows).values())
        if self._pending >= ROWS_PER_COMMIT:
            self._commit()

    def _commit(self) -> None:
        self._dbapi.commit()
        self._pending = 0

    def abandon(self) -> None:
        """After an error: drop the open transaction, put the indexes back."""
        self._dbapi.rollback()
        self._restore_indexes()

    def _restore_indexes(self) -> None:
        cursor = self._dbapi.cursor()
        for _, sql in self._indexes:
            cursor.execute(sql)
        self._dbapi.commit()
        self._indexes = []
        cursor.close()

    def finish(self) -> None:
        self._commit()
        self._restore_indexes()
        cursor = self._dbapi.cursor()
        cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
        cursor.close()
        self._dbapi.commit()


class _PostgresWriter:
    takes_packed = False

    def __init__(self, dbapi: Any) -> None:
        self._dbapi = dbapi
        self._copy = {
            table: f"COPY {table} ({', '.join(cols)}) FROM STDIN" for table, cols in COLUMNS.items()
        }
        with dbapi.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi.commit()

    def write(self, rows: Rows | PackedRows) -> None:
        if isinstance(rows, PackedRows):
            raise TypeError("PostgreSQL takes rows, not SQLite images")
        with self._dbapi.cursor() as cursor:
            for table in ORDER:
                batch = rows.of(table)
                if batch:
                    with cursor.copy(self._copy[table]) as copy:
                        for row in batch:
                            copy.write_row(row)
        self._dbapi.commit()

    def abandon(self) -> None:
        self._dbapi.rollback()

    def finish(self) -> None:
        with self._dbapi.cursor() as cursor:
            cursor.execute("ANALYZE")
        self._dbapi.commit()


@contextmanager
def bulk_writer(engine: Engine) -> Iterator[BulkWriter]:
    """A writer on a private connection of ``engine``; the connection is discarded after.

    On an error the open transaction is rolled back (committed batches stay) and, on
    SQLite, the dropped indexes are put back before the error goes on.
    """
    connection = engine.raw_connection()
    dbapi = connection.driver_connection
    name = engine.dialect.name
    try:
        writer: _SQLiteWriter | _PostgresWriter
        if name == "sqlite":
            writer = _SQLiteWriter(dbapi)
        elif name == "postgresql":
            writer = _PostgresWriter(dbapi)
        else:
            raise ValueError(f"no bulk loader for {name}")
        try:
            yield writer
        except BaseException:
            writer.abandon()
            raise
    finally:
        connection.invalidate()  # its session settings must not go back to the pool
