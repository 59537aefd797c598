"""Which tables sync, and how: insert-once rows versus versioned (mutable) rows."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table

from app.store.models import Base

# Derived or bookkeeping tables: never pushed or pulled.
LOCAL_ONLY = frozenset(
    {
        "person_lookup",  # rebuilt from the rows it projects
        "sync_outbox",
        "sync_state",
        "sync_conflict",
        "sync_log",
        "central_policy",
        "alembic_version",
    }
)


@cache
def synced_tables() -> dict[str, Table]:
    """Every synced table by name, in dependency order (parents before children)."""
    return {t.name: t for t in Base.metadata.sorted_tables if t.name not in LOCAL_ONLY}


@cache
def rank() -> dict[str, int]:
    """A table's place in dependency order: rows are written parents first."""
    return {name: i for i, name in enumerate(synced_tables())}


def is_versioned(table: str) -> bool:
    """Mutable rows carry ``version``; the rest are written once (upserted by key)."""
    return "version" in synced_tables()[table].c
