"""Every opening of a record leaves an audit event that waits in the outbox to sync."""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import select

from app.services.desk import open_desk
from app.store.models import AuditEvent, OutboxItem, Patient


def test_opening_an_account_is_audited_and_queued(sqlite_url: str) -> None:
    desk = open_desk(sqlite_url, demo_patients=20, seed=2, today=lambda: date(2026, 11, 20))
    desk.workstation = "desk-07"
    try:
        with desk.engine.connect() as conn:
            patient = conn.execute(select(Patient.id, Patient.account_id).limit(1)).one()
        desk.account(patient.account_id, patient.id)
        desk.account(patient.account_id)  # opened by the guarantor: no patient named
        with desk.engine.connect() as conn:
            events = conn.execute(select(AuditEvent).order_by(AuditEvent.occurred_at)).all()
            queued = conn.scalars(
                select(OutboxItem.row_id).where(OutboxItem.table_name == "audit_event")
            ).all()
        assert len(events) == 2
        first, second = events
        assert first.user_id == desk.user.id
        assert first.workstation == "desk-07"
        assert first.account_id == patient.account_id
        assert first.patient_id == patient.id
        assert second.patient_id is None
        assert first.action == "account.open"
        assert "balance" in first.detail  # what was shown, named, not copied
        assert first.occurred_at.tzinfo is not None
        assert first.occurred_at.utcoffset() == UTC.utcoffset(None)
        assert set(queued) == {first.id, second.id}
    finally:
        desk.close()
