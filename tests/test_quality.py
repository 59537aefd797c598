"""The code passes its linters: ruff everywhere, mypy (strict) on app/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff() -> None:
    lint = _run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout[-4000:]
    layout = _run("ruff", "format", "--check", ".")
    assert layout.returncode == 0, layout.stdout[-4000:]


def test_mypy() -> None:
    types = _run("mypy")
    assert types.returncode == 0, types.stdout[-4000:]
