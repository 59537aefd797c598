"""``pa-desk bench startup``: process start to a window that takes input, and its memory.

Each run is a fresh process (offscreen) that prints ``READY <rss MiB>`` once the main
window is shown and the search box has focus. The reference is a bare PySide6 process
showing an empty window, measured in the same run: the desk's cost is the difference.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BARE_QT = """
import sys, time
from PySide6.QtWidgets import QApplication, QLineEdit
app = QApplication(sys.argv)
box = QLineEdit(); box.show(); box.setFocus()
def ready():
    rss = [l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]
    print('READY', int(rss) / 1024, flush=True); app.quit()
from PySide6.QtCore import QTimer
QTimer.singleShot(0, ready)
app.exec()
"""


def _time_process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    )
    assert proc.stdout is not None
    rss = float("nan")
    elapsed = float("nan")
    for line in proc.stdout:
        if line.startswith("READY"):
            elapsed = (time.perf_counter() - started) * 1000
            rss = float(line.split()[1])
            break
    proc.wait(timeout=60)
    if elapsed != elapsed:  # NaN: the process never became ready
        raise RuntimeError(f"{argv[2:]} exited {proc.returncode} without READY")
    return elapsed, rss


def run(runs: int = 5, say: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pa-desk-bench-") as tmp:
        home = Path(tmp)
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            PA_DESK_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
        )
        url = f"sqlite:///{home / 'data' / 'desk.sqlite3'}"
        say("preparing a demo database…")
        from app.services.desk import open_desk

        open_desk(url, demo_patients=2000).close()
        desk_argv = [sys.executable, "-m", "ui", "--startup-probe", "--db", url]
        bare_argv = [sys.executable, "-c", BARE_QT]
        _time_process(desk_argv, env)  # first run warms the OS file cache
        desk, bare = [], []
        for i in range(runs):
            say(f"run {i + 1}/{runs}")
            desk.append(_time_process(desk_argv, env))
            bare.append(_time_process(bare_argv, env))
    return {
        "startup_ms": round(statistics.median(t for t, _ in desk), 1),
        "rss_mib": round(statistics.median(r for _, r in desk), 1),
        "bare_qt_startup_ms": round(statistics.median(t for t, _ in bare), 1),
        "bare_qt_rss_mib": round(statistics.median(r for _, r in bare), 1),
        "runs": runs,
    }
