"""``run_gui(startup_probe=True)`` in a fresh process: READY <rss> once the box takes input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from ui.app import run_gui
code = run_gui(sys.argv[1], startup_probe=True)
import sys as _s
print("SQLALCHEMY_IMPORTED", any(m.startswith("sqlalchemy") for m in _s.modules), flush=True)
sys.exit(code)
"""


def test_startup_probe_prints_ready_and_exits_zero(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        PA_DESK_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
        PYTHONPATH=str(ROOT),
    )
    url = f"sqlite:///{tmp_path / 'data' / 'desk.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    ready = [line for line in lines if line.startswith("READY ")]
    assert len(ready) == 1, done.stdout
    rss = float(ready[0].split()[1])
    assert 10 < rss < 1024
    # The window comes up before (and here without) the database layer.
    assert "SQLALCHEMY_IMPORTED False" in lines
    assert "Traceback" not in done.stderr
