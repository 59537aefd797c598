"""A new desk joins a central PostgreSQL database: it gets every account with an open
balance and all that hangs off them, consistent and searchable, then pulls onward."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from app.domain.codes import LedgerKind
from app.services.central import init_central
from app.services.desk import open_desk
from app.store.models import GuarantorAccount, LedgerEntry, Patient, PersonLookup
from app.sync.bootstrap import NotEmpty, join_central, open_balance_accounts

TODAY = date(2026, 11, 20)
pytestmark = pytest.mark.postgres


@pytest.fixture
def central(pg_engine: Engine, pg_url: str) -> str:
    init_central(pg_engine)
    open_desk(pg_url, demo_patients=80, seed=9, today=lambda: TODAY).close()
    return pg_url


def test_a_new_desk_gets_the_open_accounts(central: str, pg_engine: Engine, tmp_path: Path):
    path = tmp_path / "new-desk.sqlite3"
    desk = open_desk(f"sqlite:///{path}", central_url=central, today=lambda: TODAY)
    try:
        with pg_engine.connect() as conn:
            wanted = set(conn.scalars(open_balance_accounts()))
            all_accounts = conn.scalar(select(func.count()).select_from(GuarantorAccount))
            central_balances = dict(
                conn.execute(
                    select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
                    .where(LedgerEntry.account_id.in_(wanted))
                    .group_by(LedgerEntry.account_id)
                ).all()
            )
        assert 0 < len(wanted) < all_accounts  # the demo has settled accounts too
        with desk.engine.connect() as conn:
            local_accounts = set(conn.scalars(select(GuarantorAccount.id)))
            patients = conn.scalar(select(func.count()).select_from(Patient))
            lookup_rows = conn.scalar(select(func.count()).select_from(PersonLookup))
        assert local_accounts == wanted
        assert lookup_rows == len(wanted) + patients
        for account, balance in central_balances.items():
            assert desk.account(account).balance_cents == balance
        # Every foreign key on the desk points at a row the desk has.
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.close()
        # Searchable at once, and syncing onward.
        some = next(iter(wanted))
        with desk.engine.connect() as conn:
            number = conn.scalar(
                select(GuarantorAccount.account_number).where(GuarantorAccount.id == some)
            )
        assert [r.account_id for r in desk.lookup(str(number)).results][:1] == [some]
        assert desk.link is not None
        other = open_desk(f"sqlite:///{tmp_path / 'other.sqlite3'}", central_url=central)
        try:
            entry = other.post_entry(some, LedgerKind.PATIENT_PAYMENT, -700)
            assert other.link is not None and other.link.sync_now().online
            assert desk.link.sync_now().pulled >= 1
            with desk.engine.connect() as conn:
                assert conn.scalar(select(LedgerEntry.id).where(LedgerEntry.id == entry))
        finally:
            other.close()
    finally:
        desk.close()


def test_joining_a_store_with_work_in_it_is_refused(central: str, tmp_path: Path) -> None:
    from app.store.db import make_engine

    desk = open_desk(f"sqlite:///{tmp_path / 'demo.sqlite3'}", demo_patients=10, seed=2)
    central_engine = make_engine(central)
    try:
        with pytest.raises(NotEmpty):
            join_central(desk.engine, central_engine)
    finally:
        central_engine.dispose()
        desk.close()
