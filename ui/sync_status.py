"""Sync in the window: a background sync every half minute and on demand, shown in the
status bar (online/offline, waiting items, last sync, conflicts) and, when the central
database cannot be reached, as a banner above the work. Nothing here blocks the GUI:
every sync and every status read runs in a worker.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from ui import theme
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.sync import CentralLink, SyncReport, SyncStatus

log = logging.getLogger(__name__)

INTERVAL_MS = 30_000
OFFLINE_TEXT = (
    "Offline: the central database cannot be reached. Keep working; everything you save "
    "is kept on this desk and sent when the connection is back."
)


def describe(status: SyncStatus, *, now: datetime | None = None) -> tuple[str, str]:
    """The status bar's words and tooltip for a sync status."""
    if status.online is None:
        head = "Sync: starting"
    elif status.online:
        head = "Online"
    else:
        head = "Offline"
    parts = [head]
    if status.waiting:
        parts.append(f"{status.waiting:,} waiting")
    if status.conflicts:
        parts.append(f"{status.conflicts} conflict{'s' if status.conflicts != 1 else ''}")
    if status.last_sync_at is not None:
        local = status.last_sync_at.astimezone()
        parts.append(f"synced {local:%H:%M}")
    tip = f"Central database: {status.central}"
    if status.last_sync_at is not None:
        tip += f"\nLast sync: {status.last_sync_at.astimezone():%m/%d/%Y %H:%M:%S}"
    if status.conflicts:
        tip += "\nConflicts: changes someone else made first; open Sync > Conflicts"
    return " · ".join(parts), tip


class SyncController(QObject):
    """Runs :meth:`CentralLink.sync_now` in a worker on a timer and on request."""

    statusChanged = Signal(object)  # SyncStatus
    synced = Signal(object)  # SyncReport of the sync that just ended

    def __init__(
        self, link: CentralLink, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS
    ) -> None:
        super().__init__(parent)
        self.link = link
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_done)
        self._runner.failed.connect(self._on_failed)
        self._status_runner = TaskRunner(self)
        self._status_runner.succeeded.connect(self._on_status)
        self._running = False
        self._again = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.sync_now)

    def start(self) -> None:
        self.timer.start()
        self.sync_now()

    def stop(self) -> None:
        self.timer.stop()

    @property
    def running(self) -> bool:
        return self._running

    def sync_now(self) -> None:
        """Start a sync unless one is running (then one more follows it)."""
        if self._running:
            self._again = True
            return
        self._running = True
        self._runner.submit(_sync_and_status, self.link)

    def refresh_status(self) -> None:
        """Re-read waiting items and conflicts (after a local write), in a worker."""
        self._status_runner.submit(self.link.status)

    def _on_done(self, _seq: int, answer: Any) -> None:
        report, status = answer
        self._finish()
        self.synced.emit(report)
        self.statusChanged.emit(status)

    def _on_failed(self, _seq: int, error: object) -> None:
        # CentralLink turns an unreachable server into an offline report; anything
        # arriving here is a bug or a broken local store: log the class, not the data.
        log.error("sync failed: %s", type(error).__name__)
        self._finish()

    def _on_status(self, _seq: int, status: object) -> None:
        self.statusChanged.emit(status)

    def _finish(self) -> None:
        self._running = False
        if self._again:
            self._again = False
            self.sync_now()


def _sync_and_status(link: CentralLink) -> tuple[SyncReport, SyncStatus]:
    report = link.sync_now()
    return report, link.status()


class OfflineBanner(QLabel):
    """A clear, calm strip above the work while the central database is out of reach."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(OFFLINE_TEXT, parent)
        self.setObjectName("offlineBanner")
        self.setWordWrap(True)
        self.setAccessibleName("Offline")
        self.setStyleSheet(
            f"QLabel#offlineBanner {{ background: {theme.WARNING_BG}; color: {theme.WARNING_FG};"
            f" padding: {theme.SPACE_S}px {theme.SPACE_M}px; border-radius: 4px; }}"
        )
        self.hide()
