"""Running slow calls off the GUI thread, with sequence numbers so stale answers can be dropped.

A :class:`TaskRunner` lives on the GUI thread (usually a child of the widget that asks).
Each :meth:`TaskRunner.submit` gets the next sequence number and runs the call in a
``QThreadPool``; the answer comes back as a signal carrying that number. Because the
runner itself lives on the GUI thread, Qt queues the signals there: slots run on the
GUI thread even though the signal was emitted from a pool thread.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str], None]


class TaskRunner(QObject):
    """Runs calls in a thread pool and reports each answer with its sequence number."""

    succeeded = Signal(int, object)  # seq, the call's return value
    failed = Signal(int, object)  # seq, the exception it raised
    progressed = Signal(int, str)  # seq, a progress message from a reporting call

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool if pool is not None else QThreadPool.globalInstance()
        self._seq = 0

    @property
    def latest_seq(self) -> int:
        """The sequence number of the newest submitted call (0 before the first)."""
        return self._seq

    def outdate(self) -> None:
        """Make every call still in flight stale: its answer will carry an older seq."""
        self._seq += 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> int:
        """Run ``fn(*args, **kwargs)`` in the pool; return the call's sequence number."""
        self._seq += 1
        self._pool.start(_Job(self, self._seq, fn, args, kwargs, reporting=False))
        return self._seq

    def submit_reporting(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> int:
        """Like :meth:`submit`, and pass ``progress=callback``; each message it gets
        arrives as :attr:`progressed` on the GUI thread."""
        self._seq += 1
        self._pool.start(_Job(self, self._seq, fn, args, kwargs, reporting=True))
        return self._seq

    def _emit(self, signal_name: str, *values: Any) -> None:
        # Called from a pool thread. If the owning widget is gone there is nobody to tell.
        with contextlib.suppress(RuntimeError):  # the C++ object is gone (window closed)
            getattr(self, signal_name).emit(*values)


class _Job(QRunnable):
    def __init__(
        self,
        runner: TaskRunner,
        seq: int,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        reporting: bool,
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._runner = runner
        self._seq = seq
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        if reporting:
            self._kwargs["progress"] = self._report

    def _report(self, message: str) -> None:
        self._runner._emit("progressed", self._seq, str(message))

    def run(self) -> None:
        try:
            result = self._fn(*self._args, **self._kwargs)
        except Exception as exc:  # reported to the GUI, which decides what to show
            log.debug("job %d failed: %s", self._seq, type(exc).__name__)
            self._runner._emit("failed", self._seq, exc)
        else:
            self._runner._emit("succeeded", self._seq, result)
        finally:
            # Drop references in the pool thread so large answers are not kept alive.
            self._fn = _done
            self._args = ()
            self._kwargs = {}


def _done(*_args: Any, **_kwargs: Any) -> None:
    return None


def settle_garbage_collector() -> None:
    """Collect once, then move every live object out of the collector's sight.

    A full collection walks every object the process holds, with the GIL held, so
    every thread stops; with SQLAlchemy and Qt loaded that walk took 50 to 80 ms here,
    which the GUI felt as a stall during a sync. Objects alive after start-up live as
    long as the desk does, so they need not be walked again.
    """
    import gc

    gc.collect()
    gc.freeze()
