"""Shared fixtures: offscreen Qt, throwaway SQLite and PostgreSQL databases at head."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PA_DESK_NO_SOUND", "1")

import pytest
from sqlalchemy import Engine

from app.services.desk import Desk
from app.store.db import make_engine
from app.store.migrate import upgrade_to_head


@pytest.fixture(autouse=True)
def desk_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Every test gets its own data folder: nothing reads or writes the real one, and a
    window's screen-pop socket (named after the folder) is its own."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PA_DESK_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[object]:
    """Every test gets a fresh in-memory keyring: none ever touches a real one."""
    import keyring

    from tests.support.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


PG_ADMIN_URL = os.environ.get(
    "PA_DESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'desk.sqlite3'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def _pg_admin() -> Engine:
    return make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A uniquely named, empty PostgreSQL database, dropped afterwards.

    The test command starts the server before pytest runs; an unreachable server is a
    failure here, never a skip.
    """
    from sqlalchemy import text

    name = f"pa_desk_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin.url.set(database=name)
    try:
        yield base.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The same store test on both engines."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's demo database template lives (see tests/support/desks.py)."""
    return tmp_path_factory.mktemp("demo-template")


@pytest.fixture
def paying_desk(tmp_path: Path, demo_template: Path) -> Iterator[Desk]:
    """A real desk on its own copy of the demo practice, with its own sandbox gateway."""
    from tests.support.desks import demo_desk

    desk = demo_desk(tmp_path / "desk", demo_template)
    yield desk
    desk.close()
