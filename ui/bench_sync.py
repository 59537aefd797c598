"""``pa-desk bench sync``: push throughput to a central database, and how long the GUI's
event loop stalls meanwhile.

The push runs in a ``QThreadPool`` worker, exactly as the window runs it, while a 5 ms
timer ticks on the GUI thread; the worst gap between ticks (minus the interval) is the
stall a person would feel. The baseline in the same run pushes a smaller load one item
per transaction, the naive way, with no batching.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

TICK_MS = 5


def run(central_url: str, events: int, *, baseline_events: int = 500) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.bench.sync_load import make_load, push_timed
    from app.store.db import make_engine
    from app.store.migrate import upgrade_to_head
    from ui.workers import TaskRunner, settle_garbage_collector

    # A QApplication (not a bare core one): the process may go on to show windows.
    app = QApplication.instance() or QApplication([])
    central = make_engine(central_url)
    upgrade_to_head(central)
    with tempfile.TemporaryDirectory(prefix="pa-desk-bench-") as folder:
        load = make_load(Path(folder), events, name="desk")
        baseline = make_load(Path(folder), baseline_events, name="baseline")

        loop = QEventLoop()
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append((now - last[0]) * 1000 - TICK_MS)
            last[0] = now

        timer = QTimer()
        timer.setInterval(TICK_MS)
        timer.timeout.connect(tick)
        runner = TaskRunner()
        answer: dict[str, Any] = {}

        def done(_seq: int, value: object) -> None:
            answer["value"] = value
            loop.quit()

        def failed(_seq: int, error: object) -> None:
            answer["error"] = error
            loop.quit()

        runner.succeeded.connect(done)
        runner.failed.connect(failed)
        settle_garbage_collector()  # as the desk does once its database is open
        timer.start()
        last[0] = time.perf_counter()
        runner.submit(push_timed, load, central)
        loop.exec()
        timer.stop()
        if "error" in answer:
            raise answer["error"]
        accepted, seconds = answer["value"]
        naive_accepted, naive_seconds = push_timed(baseline, central, batch=1)
        load.local.dispose()
        baseline.local.dispose()
    central.dispose()
    del app
    return {
        "events": accepted,
        "seconds": round(seconds, 3),
        "events_per_s": round(accepted / seconds, 1) if seconds else None,
        "worst_stall_ms": round(max(gaps, default=0.0), 1),
        "naive_events": naive_accepted,
        "naive_events_per_s": round(naive_accepted / naive_seconds, 1) if naive_seconds else None,
        "engine": central_url.split(":", 1)[0].split("+", 1)[0],
    }
