"""Alembic alone makes the schema: an empty database upgrades to head on both engines,
and the result is exactly what the models describe."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from app.domain.codes import LedgerKind
from app.services.registration import NewAccount, register_account
from app.store.db import make_engine, session_factory
from app.store.migrate import current_revision, head_revision, is_empty, upgrade_to_head
from app.store.models import Base, LedgerEntry


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


def test_empty_database_upgrades_to_head_and_matches_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        assert is_empty(engine)
        upgrade_to_head(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        upgrade_to_head(engine)  # a second run is a no-op
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(DBAPIError), session_factory(engine).begin() as session:
        session.add(
            LedgerEntry(
                account_id=uuid.uuid4(),
                kind=LedgerKind.CHARGE,
                amount_cents=100,
                effective_date=date(2026, 1, 1),
            )
        )


def test_ledger_is_append_only(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        account = register_account(session, NewAccount("40000009", "Ana", "Ruiz"))
        entry = LedgerEntry(
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=18000,
            effective_date=date(2026, 3, 14),
        )
        session.add(entry)
    for statement in (
        "UPDATE ledger_entry SET amount_cents = 1",
        "DELETE FROM ledger_entry",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT amount_cents FROM ledger_entry")).scalar() == 18000


def test_instants_come_back_utc_aware_and_naive_ones_are_refused(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        account = register_account(session, NewAccount("40000010", "Ana", "Ruiz"))
        account_id = account.id
    with sessions() as session:
        from app.store.models import GuarantorAccount

        loaded = session.get(GuarantorAccount, account_id)
        assert loaded is not None
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == UTC.utcoffset(None)
    with pytest.raises(Exception, match="timezone-aware"), sessions.begin() as session:
        session.add(
            LedgerEntry(
                account_id=account_id,
                kind=LedgerKind.CHARGE,
                amount_cents=1,
                effective_date=date(2026, 1, 1),
                posted_at=datetime(2026, 1, 1, 12, 0),
            )
        )


def test_enums_are_stored_by_their_value(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        account = register_account(session, NewAccount("40000011", "Ana", "Ruiz"))
        session.add(
            LedgerEntry(
                account_id=account.id,
                kind=LedgerKind.PATIENT_PAYMENT,
                amount_cents=-500,
                effective_date=date(2026, 1, 1),
            )
        )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT kind FROM ledger_entry")).scalar() == "patient_payment"
