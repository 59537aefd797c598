"""`pa-desk bench post` on both engines (a short run): the figures it prints, the money it
moved (exactly the approved amounts, each charge posted once), and where its files go
(under the database's folder, or the data folder for PostgreSQL; nowhere else)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.bench.post import run as run_post
from app.integrations.sandbox_gateway import SandboxGateway
from app.store.db import make_engine
from app.store.models import LedgerEntry, Payment

PAYMENTS = 200
KEYS = {
    "engine", "patients", "accounts_with_due", "payments", "approved", "declined", "pending",
    "approved_cents", "seconds", "payments_per_s", "p50_ms", "p95_ms", "credit_payments",
    "ledger_entries_written", "outbox_items_written", "ledger_before_cents",
    "ledger_after_cents", "prepare_seconds", "gateway_file", "naive", "speedup_p50",
    "speedup_per_s",
}  # fmt: skip
NAIVE_KEYS = {
    "payments", "approved", "declined", "pending", "approved_cents", "seconds",
    "payments_per_s", "p50_ms", "p95_ms", "ledger_entries_written", "outbox_items_written",
    "what",
}  # fmt: skip


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An empty working directory and an empty temp folder: the bench must leave both
    empty (nothing written where it was started, no temp files)."""
    cwd = tmp_path / "cwd"
    tmp = tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    return cwd, tmp


def _check_figures(report: dict[str, Any], url: str) -> None:
    assert set(report) == KEYS
    assert set(report["naive"]) == NAIVE_KEYS
    assert report["payments"] == PAYMENTS
    assert report["approved"] + report["declined"] == PAYMENTS
    assert report["pending"] == 0
    assert report["approved"] > report["declined"] > 0
    assert report["payments_per_s"] > 0 and report["p95_ms"] >= report["p50_ms"] > 0
    assert report["naive"]["payments"] > 0 and report["naive"]["payments_per_s"] > 0
    # Each approved payment wrote at least one ledger entry; every payment its pending
    # row, its answer, and those entries through the outbox.
    assert report["ledger_entries_written"] >= report["approved"]
    assert report["outbox_items_written"] >= 2 * PAYMENTS + report["ledger_entries_written"]

    approved = report["approved_cents"] + report["naive"]["approved_cents"]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)))
            posted = dict(
                conn.execute(
                    select(Payment.idempotency_key, func.sum(LedgerEntry.amount_cents))
                    .join(LedgerEntry, LedgerEntry.payment_id == Payment.id)
                    .group_by(Payment.idempotency_key)
                ).all()
            )
            statuses = dict(conn.execute(select(Payment.idempotency_key, Payment.status)).all())
    finally:
        engine.dispose()
    # The ledger dropped by exactly what was approved, no more, no less.
    assert total == report["ledger_after_cents"] == report["ledger_before_cents"] - approved
    # Every charge the gateway made is an approved payment posted once for its amount.
    charges = SandboxGateway(Path(report["gateway_file"])).charges()
    assert len(charges) == report["approved"] + report["naive"]["approved"]
    assert sum(c.amount_cents for c in charges) == approved
    for charge in charges:
        assert statuses[charge.key] == "approved"
        assert posted[charge.key] == -charge.amount_cents


def test_bench_post_on_sqlite(
    tmp_path: Path, desk_home: Path, elsewhere: tuple[Path, Path]
) -> None:
    folder = tmp_path / "bench"
    url = f"sqlite:///{folder / 'post.sqlite3'}"
    home_before = _files(desk_home)
    tmp_before = _files(tmp_path)

    report = run_post(url, PAYMENTS, seed=7)

    assert report["engine"] == "sqlite"
    assert Path(report["gateway_file"]) == folder / "sandbox-gateway.sqlite3"
    _check_figures(report, url)
    new = _files(tmp_path) - tmp_before
    assert new and all(p.parent == folder for p in new), sorted(new)
    assert _files(desk_home) == home_before  # nothing in the data folder for SQLite
    cwd, tmp = elsewhere
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_post_on_postgres(
    pg_url: str, tmp_path: Path, desk_home: Path, elsewhere: tuple[Path, Path]
) -> None:
    tmp_before = _files(tmp_path)
    home_before = _files(desk_home)

    report = run_post(pg_url, PAYMENTS, seed=8)

    assert report["engine"] == "postgresql"
    assert Path(report["gateway_file"]) == desk_home / "sandbox-gateway.sqlite3"
    _check_figures(report, pg_url)
    new = _files(desk_home) - home_before
    assert new and all(p.parent == desk_home for p in new), sorted(new)
    assert {p.name for p in new} <= {
        "sandbox-gateway.sqlite3", "sandbox-gateway.sqlite3-wal", "sandbox-gateway.sqlite3-shm"
    }  # fmt: skip
    assert _files(tmp_path) == tmp_before
    cwd, tmp = elsewhere
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []


def test_bench_post_refuses_a_production_database(tmp_path: Path) -> None:
    from app.services.central import init_central
    from app.store.models import Patient

    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    engine = make_engine(url)
    init_central(engine, environment="production")
    try:
        with pytest.raises(RuntimeError, match="production"):
            run_post(url, 10, seed=1)
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Patient)) == 0
            assert conn.scalar(select(func.count()).select_from(Payment)) == 0
    finally:
        engine.dispose()
    assert not (tmp_path / "sandbox-gateway.sqlite3").exists()
