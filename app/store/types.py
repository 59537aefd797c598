"""Column types shared by every model: UTC instants and client-generated UUID keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every engine.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so the value is stored as naive
    UTC and given its zone back on the way out. A naive datetime is refused on the way in:
    it is a bug, because nobody can tell which clock it came from.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("stored instants must be timezone-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_id() -> uuid.UUID:
    """A fresh client-generated key, so two offline workstations never clash."""
    return uuid.uuid4()


def utcnow() -> datetime:
    return datetime.now(UTC)


def key_string(length: int) -> String:
    """A search-key column compared byte by byte.

    PostgreSQL gets the "C" collation so that a btree range ``prefix <= key < bound``
    uses the index whatever the database's locale; SQLite's default BINARY already does.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")
