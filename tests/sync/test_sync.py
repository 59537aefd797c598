"""Two desks, one central database (SQLite and the real PostgreSQL): push, pull, once only,
conflicts shown instead of lost updates, and offline work that syncs on reconnect."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update

from app.domain.codes import LedgerKind
from app.services.desk import Desk, open_desk
from app.services.notes import InvalidNote
from app.services.sync import CentralLink
from app.store.db import make_engine, session_factory
from app.store.models import (
    AccountNote,
    GuarantorAccount,
    LedgerEntry,
    OutboxItem,
    Patient,
    SyncLog,
)
from app.store.types import utcnow
from app.sync.conflicts import keep_mine, open_conflicts, take_theirs
from app.sync.outbox import PENDING, ImmutableRowChanged, track_writes
from app.sync.pull import pull_all
from app.sync.push import push, push_all

TODAY = date(2026, 11, 20)
PATIENTS = 40


@dataclass
class Pair:
    central: Engine
    central_url: str
    a: Desk
    b: Desk
    link_a: CentralLink
    link_b: CentralLink


def _desk(url: str, workstation: str) -> Desk:
    desk = open_desk(url, demo_patients=PATIENTS, seed=3, today=lambda: TODAY)
    desk.workstation = workstation
    return desk


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    if request.param == "sqlite":
        central_url = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    else:
        central_url = request.getfixturevalue("pg_url")
    # The central database starts with the same demo practice the desks have.
    open_desk(central_url, demo_patients=PATIENTS, seed=3, today=lambda: TODAY).close()
    a = _desk(f"sqlite:///{tmp_path / 'a.sqlite3'}", "desk-a")
    b = _desk(f"sqlite:///{tmp_path / 'b.sqlite3'}", "desk-b")
    link_a = CentralLink(a.engine, central_url, origin="desk-a")
    link_b = CentralLink(b.engine, central_url, origin="desk-b")
    central = make_engine(central_url)
    yield Pair(central, central_url, a, b, link_a, link_b)
    for closable in (link_a, link_b, a, b):
        closable.close()
    central.dispose()


@pytest.fixture
def lone_desk(sqlite_url: str) -> Iterator[Desk]:
    """One desk with no central database."""
    desk = open_desk(sqlite_url, demo_patients=PATIENTS, seed=3, today=lambda: TODAY)
    yield desk
    desk.close()


def _first_account(desk: Desk) -> uuid.UUID:
    with desk.engine.connect() as conn:
        key = conn.scalar(
            select(GuarantorAccount.id).order_by(GuarantorAccount.account_number).limit(1)
        )
    assert key is not None
    return key


def _count(engine: Engine, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    with engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def _balance(desk: Desk, account: uuid.UUID) -> int:
    return desk.account(account).balance_cents


def test_payments_and_notes_reach_the_other_desk(pair: Pair) -> None:
    account = _first_account(pair.a)
    before = _balance(pair.b, account)
    assert _balance(pair.a, account) == before  # the same practice on both desks
    entry = pair.a.post_entry(account, LedgerKind.PATIENT_PAYMENT, -2_500, memo="phone payment")
    note = pair.a.add_note(account, "Caller will pay the rest on Friday.")
    b_note = pair.b.add_note(account, "Sent an itemized statement by email.")

    assert pair.link_a.status().waiting >= 3  # entry, note, and the audit of the account view
    report_a = pair.link_a.sync_now()
    report_b = pair.link_b.sync_now()
    pair.link_a.sync_now()
    assert report_a.online and report_b.online
    assert report_a.pushed >= 3

    assert _balance(pair.b, account) == before - 2_500
    assert _count(pair.b.engine, LedgerEntry, id=entry) == 1
    assert {n.id for n in pair.b.notes(account)} >= {note.id, b_note.id}
    assert {n.id for n in pair.a.notes(account)} >= {note.id, b_note.id}
    assert _count(pair.central, LedgerEntry, id=entry) == 1
    # Audit events of both desks' account views reached the centre.
    with pair.central.connect() as conn:
        origins = set(
            conn.scalars(
                select(SyncLog.origin).where(SyncLog.table_name == "audit_event").distinct()
            )
        )
    assert origins == {"desk-a", "desk-b"}
    assert pair.link_a.status().waiting == 0
    assert pair.link_b.status().last_sync_at is not None


def test_the_same_batch_pushed_five_times_lands_once(pair: Pair) -> None:
    account = _first_account(pair.a)
    entries = [
        pair.a.post_entry(account, LedgerKind.PATIENT_PAYMENT, -100 * (i + 1)) for i in range(5)
    ]
    first = push(pair.a.engine, pair.central, origin="desk-a")
    assert first.accepted == 5 and first.duplicates == 0
    for _ in range(4):
        # As if the desk died after the central commit and before it marked its outbox.
        with pair.a.engine.begin() as conn:
            conn.execute(update(OutboxItem).values(state=PENDING, pushed_at=None))
        again = push(pair.a.engine, pair.central, origin="desk-a")
        assert again.accepted == 0
        assert again.duplicates == 5
    for entry in entries:
        assert _count(pair.central, LedgerEntry, id=entry) == 1
    assert _count(pair.central, SyncLog) == 5


def _rename(desk: Desk, patient_id: uuid.UUID, first_name: str) -> None:
    with track_writes(session_factory(desk.engine)).begin() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        patient.first_name = first_name


def _a_patient(desk: Desk) -> uuid.UUID:
    with desk.engine.connect() as conn:
        key = conn.scalar(select(Patient.id).order_by(Patient.mrn).limit(1))
    assert key is not None
    return key


def _central_patient(pair: Pair, patient_id: uuid.UUID) -> tuple[str, int]:
    with pair.central.connect() as conn:
        row = conn.execute(
            select(Patient.first_name, Patient.version).where(Patient.id == patient_id)
        ).one()
    return row[0], row[1]


def test_concurrent_edits_are_a_conflict_not_a_lost_update(pair: Pair) -> None:
    patient = _a_patient(pair.a)
    _rename(pair.a, patient, "Annabel")
    _rename(pair.b, patient, "Anabelle")
    assert pair.link_a.sync_now().new_conflicts == 0
    report = pair.link_b.sync_now()
    assert report.new_conflicts == 1
    assert _central_patient(pair, patient)[0] == "Annabel"  # A's edit stands centrally
    with pair.b.engine.connect() as conn:  # B's edit is still on B, not overwritten
        assert conn.scalar(select(Patient.first_name).where(Patient.id == patient)) == "Anabelle"
    conflicts = open_conflicts(pair.b.engine)
    assert [(c.table, c.row_id) for c in conflicts] == [("patient", patient)]
    assert pair.link_b.status().conflicts == 1

    # A person decides: keep B's version, sent over the central version they saw.
    keep_mine(pair.b.engine, conflicts[0].id)
    assert pair.link_b.sync_now().new_conflicts == 0
    name, version = _central_patient(pair, patient)
    assert name == "Anabelle"
    pair.link_a.sync_now()
    with pair.a.engine.connect() as conn:
        assert conn.scalar(select(Patient.first_name).where(Patient.id == patient)) == "Anabelle"
        assert conn.scalar(select(Patient.version).where(Patient.id == patient)) == version
    # The lookup index of desk A follows the pulled name.
    found = pair.a.lookup(f"{patient_last(pair)}, anabelle").results
    assert any(r.patient_id == patient for r in found)


def patient_last(pair: Pair) -> str:
    with pair.a.engine.connect() as conn:
        return str(conn.scalar(select(Patient.last_name).order_by(Patient.mrn).limit(1)))


def test_taking_theirs_replaces_the_local_row(pair: Pair) -> None:
    patient = _a_patient(pair.a)
    _rename(pair.a, patient, "Central")
    _rename(pair.b, patient, "Local")
    pair.link_a.sync_now()
    assert pair.link_b.sync_now().new_conflicts == 1
    (conflict,) = open_conflicts(pair.b.engine)
    take_theirs(pair.b.engine, pair.link_b.central, conflict.id)
    assert open_conflicts(pair.b.engine) == []
    assert pair.link_b.sync_now().new_conflicts == 0
    with pair.b.engine.connect() as conn:
        assert conn.scalar(select(Patient.first_name).where(Patient.id == patient)) == "Central"
    assert _central_patient(pair, patient)[0] == "Central"
    assert pair.link_b.status().waiting == 0


def test_offline_work_syncs_after_reconnect(pair: Pair, tmp_path: Path) -> None:
    account = _first_account(pair.a)
    offline = CentralLink(
        pair.a.engine, "postgresql://postgres@127.0.0.1:1/nowhere", origin="desk-a"
    )
    entry = pair.a.post_entry(account, LedgerKind.PATIENT_PAYMENT, -4_200)
    pair.a.add_note(account, "Written while the central database was down.")
    report = offline.sync_now()
    offline.close()
    assert not report.online
    assert "unavailable" in report.message
    assert pair.a.lookup("a").results is not None  # the desk keeps working
    waiting = pair.link_a.status().waiting
    assert waiting >= 2
    # Back online: everything goes, once.
    assert pair.link_a.sync_now().online
    assert _count(pair.central, LedgerEntry, id=entry) == 1
    assert pair.link_a.status().waiting == 0
    pair.link_b.sync_now()
    assert _count(pair.b.engine, LedgerEntry, id=entry) == 1


def test_pull_twice_changes_nothing(pair: Pair) -> None:
    account = _first_account(pair.a)
    pair.a.add_note(account, "Once.")
    pair.link_a.sync_now()
    first = pull_all(pair.b.engine, pair.link_b.central)
    second = pull_all(pair.b.engine, pair.link_b.central)
    assert first.applied >= 1
    assert second.applied == 0 and second.cursor == first.cursor
    assert _count(pair.b.engine, AccountNote) == 1


def test_a_failed_write_leaves_no_outbox_item(lone_desk: Desk) -> None:
    desk = lone_desk
    account = _first_account(desk)
    before = _count(desk.engine, OutboxItem)
    with pytest.raises(InvalidNote):
        desk.add_note(account, "   ")
    sessions = track_writes(session_factory(desk.engine))
    with pytest.raises(RuntimeError), sessions.begin() as session:
        session.add(
            AccountNote(
                account_id=account,
                workstation="t",
                written_at=utcnow(),
                body="rolled back",
            )
        )
        session.flush()
        raise RuntimeError("the rest of the transaction failed")
    assert _count(desk.engine, OutboxItem) == before
    assert _count(desk.engine, AccountNote) == 0


def test_insert_once_rows_cannot_be_changed_through_a_session(lone_desk: Desk) -> None:
    desk = lone_desk
    account = _first_account(desk)
    entry = desk.post_entry(account, LedgerKind.PATIENT_PAYMENT, -500)
    with (
        pytest.raises(ImmutableRowChanged),
        track_writes(session_factory(desk.engine)).begin() as session,
    ):
        row = session.get(LedgerEntry, entry)
        assert row is not None
        row.amount_cents = -5
        session.flush()


def test_the_outbox_holds_references_only(lone_desk: Desk) -> None:
    """No PHI in the outbox: a note's words and a patient's name never appear in it."""
    desk = lone_desk
    account = _first_account(desk)
    desk.add_note(account, "Mother says the card ending 4242 was lost")
    patient = _a_patient(desk)
    _rename(desk, patient, "Zebulon")
    with desk.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM sync_outbox")).all())
    assert "4242" not in dump and "Zebulon" not in dump and "Mother" not in dump
    assert {c.name for c in OutboxItem.__table__.columns} == {
        "seq",
        "idempotency_key",
        "table_name",
        "row_id",
        "operation",
        "base_version",
        "created_at",
        "state",
        "pushed_at",
        "central_seq",
        "attempts",
        "last_error",
    }


def test_push_all_with_nothing_waiting(pair: Pair) -> None:
    result = push_all(pair.b.engine, pair.central, origin="desk-b")
    assert result.sent == 0 and result.remaining == 0


def test_pull_never_overwrites_an_unsent_edit(pair: Pair) -> None:
    """The check and the write are one statement: a row with an unsent change here is
    left alone, whatever arrives; the change then meets the centre as a conflict."""
    patient = _a_patient(pair.a)
    _rename(pair.b, patient, "FromB")
    pair.link_b.sync_now()
    _rename(pair.a, patient, "Unsent")
    result = pull_all(pair.a.engine, pair.link_a.central)
    assert result.unchanged >= 1
    with pair.a.engine.connect() as conn:
        assert conn.scalar(select(Patient.first_name).where(Patient.id == patient)) == "Unsent"
    assert pair.link_a.sync_now().new_conflicts == 1


def test_a_row_refused_by_a_central_rule_does_not_block_the_rest(pair: Pair) -> None:
    """Two desks register the same MRN offline: the second is refused and shown, and
    everything else that desk writes still goes through."""
    account = _first_account(pair.a)
    for desk, first in ((pair.a, "Ann"), (pair.b, "Bea")):
        with track_writes(session_factory(desk.engine)).begin() as session:
            session.add(
                Patient(
                    id=uuid.uuid4(),
                    account_id=account,
                    mrn="9999999",
                    first_name=first,
                    last_name="Same",
                    date_of_birth=date(2015, 5, 5),
                    relationship_to_guarantor="child",
                )
            )
    assert pair.link_a.sync_now().new_conflicts == 0
    report = pair.link_b.sync_now()
    assert report.online and report.new_conflicts == 1
    (refused,) = open_conflicts(pair.b.engine)
    assert refused.reason == "refused"
    entry = pair.b.post_entry(account, LedgerKind.PATIENT_PAYMENT, -300)
    later = pair.link_b.sync_now()
    assert later.online and later.pushed == 1
    assert _count(pair.central, LedgerEntry, id=entry) == 1
