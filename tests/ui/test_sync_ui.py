"""Sync in the window: status bar, Sync now, the offline banner, and the conflicts dialog,
against real local stores and a real (SQLite) central database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.codes import LedgerKind
from app.services.desk import Desk, open_desk
from app.services.sync import CentralLink, SyncStatus
from app.store.db import session_factory
from app.store.models import GuarantorAccount, Patient
from app.sync.conflicts import open_conflicts
from app.sync.outbox import track_writes
from ui.conflicts import ConflictsDialog
from ui.main_window import MainWindow
from ui.sync_status import describe

TODAY = date(2026, 11, 20)
PATIENTS = 30


def _desk(tmp_path: Path, name: str, central: str) -> Desk:
    return open_desk(
        f"sqlite:///{tmp_path / name}",
        demo_patients=PATIENTS,
        seed=4,
        today=lambda: TODAY,
        central_url=central,
    )


@pytest.fixture
def central(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'central.sqlite3'}"


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.sync is not None:
        win.sync.stop()


def _account(desk: Desk) -> object:
    with desk.engine.connect() as conn:
        return conn.scalar(select(GuarantorAccount.id).limit(1))


def test_status_bar_follows_sync(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, central: str
) -> None:
    desk = _desk(tmp_path, "a.sqlite3", central)
    try:
        window.set_desk(desk)
        assert window.sync is not None
        with qtbot.waitSignal(window.sync.statusChanged, timeout=10_000):
            pass
        assert window.sync_label.text().startswith("Online")
        assert not window.offline_banner.isVisible()
        assert window.sync_action.isEnabled()

        desk.post_entry(_account(desk), LedgerKind.PATIENT_PAYMENT, -1_500)  # type: ignore[arg-type]
        window.sync.refresh_status()
        qtbot.waitUntil(lambda: "1 waiting" in window.sync_label.text(), timeout=5_000)
        with qtbot.waitSignal(window.sync.synced, timeout=10_000) as synced:
            window.sync_action.trigger()  # F5
        assert synced.args[0].online and synced.args[0].pushed == 1
        qtbot.waitUntil(lambda: "waiting" not in window.sync_label.text(), timeout=5_000)
        assert "synced" in window.sync_label.text()
    finally:
        window.set_desk(None)
        desk.close()


def test_offline_shows_a_banner_and_keeps_working(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, central: str
) -> None:
    desk = _desk(tmp_path, "a.sqlite3", central)
    desk.link.close()  # type: ignore[union-attr]
    desk.link = CentralLink(desk.engine, "postgresql://postgres@127.0.0.1:1/none", origin="t")
    try:
        window.set_desk(desk)
        assert window.sync is not None
        with qtbot.waitSignal(window.sync.statusChanged, timeout=15_000):
            pass
        assert window.offline_banner.isVisible()
        assert window.sync_label.text().startswith("Offline")
        # The desk still finds callers and opens accounts.
        window.lookup.search.setText("a")
        qtbot.waitUntil(lambda: window.lookup.model.rowCount() > 0, timeout=5_000)
    finally:
        window.set_desk(None)
        desk.close()


def test_conflicts_dialog_keeps_this_desks_version(
    qtbot: QtBot, tmp_path: Path, central: str
) -> None:
    a = _desk(tmp_path, "a.sqlite3", central)
    b = _desk(tmp_path, "b.sqlite3", central)
    try:
        with a.engine.connect() as conn:
            patient_id = conn.scalar(select(Patient.id).order_by(Patient.mrn).limit(1))
        for desk, name in ((a, "Central"), (b, "Mine")):
            with track_writes(session_factory(desk.engine)).begin() as session:
                patient = session.get(Patient, patient_id)
                assert patient is not None
                patient.first_name = name
        assert a.link is not None and b.link is not None
        a.link.sync_now()
        assert b.link.sync_now().new_conflicts == 1

        dialog = ConflictsDialog(b.link)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=5_000)
        assert dialog.table.item(0, 0).text() == "Patient details"
        assert dialog.keep_button.isEnabled()
        dialog.keep_button.click()
        qtbot.waitUntil(lambda: dialog.message.text() == "No conflicts.", timeout=5_000)
        assert open_conflicts(b.engine) == []
        assert b.link.sync_now().pushed == 1
        a.link.sync_now()
        with a.engine.connect() as conn:
            assert conn.scalar(select(Patient.first_name).where(Patient.id == patient_id)) == (
                "Mine"
            )
    finally:
        a.close()
        b.close()


def test_status_words() -> None:
    at = datetime(2026, 11, 20, 15, 4, tzinfo=UTC)
    online = SyncStatus(True, 0, 0, at, "SQLite · central.sqlite3")
    text, tip = describe(online)
    assert text.startswith("Online · synced ")
    assert "central.sqlite3" in tip
    offline = SyncStatus(False, 12, 1, None, "PostgreSQL · db:5432/pa")
    assert describe(offline)[0] == "Offline · 12 waiting · 1 conflict"
    assert describe(SyncStatus(None, 0, 0, None, "x"))[0] == "Sync: starting"
