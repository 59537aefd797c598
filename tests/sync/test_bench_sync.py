"""`pa-desk bench sync` runs end to end (the figures themselves live in the README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui.cli import main


def test_bench_sync_prints_its_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    assert main(["bench", "sync", "--events", "300", "--db", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"] == 302  # the account, its patient and 300 ledger entries
    assert report["events_per_s"] > 0
    assert report["worst_stall_ms"] >= 0
    assert report["naive_events"] == 502


def test_bench_explain_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "explain", "--lines", "40", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lines"] == 40
    assert report["same_result_as_naive"] is True
    assert report["p95_ms"] > 0 and report["naive_p95_ms"] > 0
