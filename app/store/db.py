"""Engines and sessions for the two engines the desk runs on: SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Accept a bare path or ``postgresql://`` and return a SQLAlchemy URL with our drivers."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine with the desk's settings.

    SQLite: WAL journal (readers never block the writer), foreign keys enforced,
    ``synchronous=FULL`` so a committed write survives a power cut, and a busy timeout
    so the GUI's reader and a background writer wait for each other instead of failing.
    """
    parsed = make_url(normalize_url(url)) if isinstance(url, str) else url
    url = parsed
    # Error messages never carry the statement's values: they may be PHI.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def describe(engine: Engine) -> str:
    """The database as the status bar shows it, without a password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite · {Path(url.database or ':memory:').name}"
    return f"PostgreSQL · {url.host}:{url.port or 5432}/{url.database}"
