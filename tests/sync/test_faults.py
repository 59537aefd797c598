"""Faults: the sync killed at random (short CI version of `pa-desk bench faults`), and the
central server's network cut in the middle of a sync."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.bench.faults import run as run_faults
from app.bench.sync_load import make_load
from app.services.sync import CentralLink
from app.store.db import make_engine
from app.store.migrate import upgrade_to_head
from app.store.models import LedgerEntry
from tests.support.tcp_proxy import TcpProxy


@pytest.mark.postgres
def test_sigkill_loses_and_duplicates_nothing_on_postgres(pg_url: str) -> None:
    report = run_faults(pg_url, trials=8, seed=11)
    assert report["committed_locally"] > 0
    assert report["lost"] == 0
    assert report["duplicated"] == 0
    assert report["balance_matches"]
    assert report["central"] == report["committed_locally"]


def test_sigkill_loses_and_duplicates_nothing_on_sqlite(tmp_path: Path) -> None:
    report = run_faults(f"sqlite:///{tmp_path / 'central.sqlite3'}", trials=5, seed=12)
    assert report["lost"] == 0 and report["duplicated"] == 0
    assert report["central"] == report["committed_locally"] > 0


def _central_count(url: str, account: object) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(LedgerEntry)
                    .where(LedgerEntry.account_id == account)
                )
                or 0
            )
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_server_gone_mid_sync_then_back(pg_url: str, tmp_path: Path) -> None:
    """The network to the server dies while a large push runs: the desk reports offline,
    keeps its writes, and once the server is reachable again everything arrives once."""
    central = make_engine(pg_url)
    upgrade_to_head(central)
    central.dispose()
    parts = urlsplit(pg_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    try:
        load = make_load(tmp_path, 6_000)
        link = CentralLink(load.local, proxy.url(parts.path.lstrip("/")), origin="desk-cut")
        reports = []
        worker = threading.Thread(target=lambda: reports.append(link.sync_now()))
        worker.start()
        # Cut as soon as the first batches have landed.
        for _ in range(400):
            if _central_count(pg_url, load.account_id) > 0:
                break
            threading.Event().wait(0.01)
        proxy.cut()
        worker.join(timeout=60)
        assert reports and not reports[0].online, "the cut should have been felt mid-sync"
        landed = _central_count(pg_url, load.account_id)
        assert 0 < landed < 6_000
        assert link.status().waiting > 0

        # Working offline: a new write is kept.
        assert link.sync_now().online is False
        proxy.restore()
        back = link.sync_now()
        assert back.online
        assert _central_count(pg_url, load.account_id) == 6_000
        assert link.status().waiting == 0
        link.close()
        load.local.dispose()
    finally:
        proxy.close()
