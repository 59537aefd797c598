"""A sync workload: a fresh desk store holding N waiting ledger entries for one account.

The account and its patient are made through tracked sessions too, so the whole load is
ordinary outbox traffic that any central database at head accepts, whatever it holds.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from app.domain.codes import LedgerKind, Relationship
from app.store.db import make_engine, session_factory
from app.store.migrate import upgrade_to_head
from app.store.models import GuarantorAccount, LedgerEntry, Patient
from app.store.types import utcnow
from app.sync.outbox import track_writes
from app.sync.push import push_all


@dataclass(frozen=True)
class Load:
    local: Engine
    account_id: uuid.UUID
    events: int


def make_load(folder: Path, events: int, *, name: str = "desk") -> Load:
    """A migrated SQLite desk in ``folder`` with ``events`` ledger entries waiting."""
    local = make_engine(f"sqlite:///{folder / f'{name}.sqlite3'}")
    upgrade_to_head(local)
    account_id = uuid.uuid4()
    suffix = account_id.hex[:8]
    sessions = track_writes(session_factory(local))
    with sessions.begin() as session:
        session.add(
            GuarantorAccount(
                id=account_id,
                account_number=f"B{suffix}",
                first_name="Bench",
                last_name=f"Load{suffix}",
            )
        )
        session.flush()
        session.add(
            Patient(
                id=uuid.uuid4(),
                account_id=account_id,
                mrn=f"B{suffix}",
                first_name="Bench",
                last_name=f"Load{suffix}",
                date_of_birth=date(2015, 1, 1),
                relationship_to_guarantor=Relationship.CHILD,
            )
        )
    posted = 0
    while posted < events:
        with sessions.begin() as session:
            chunk = min(2_000, events - posted)
            session.add_all(
                LedgerEntry(
                    id=uuid.uuid4(),
                    account_id=account_id,
                    kind=LedgerKind.PATIENT_PAYMENT,
                    amount_cents=-(100 + (posted + i) % 900),
                    effective_date=date.today(),
                    posted_at=utcnow(),
                    memo="bench",
                )
                for i in range(chunk)
            )
            posted += chunk
    return Load(local, account_id, events)


def push_timed(load: Load, central: Engine, *, batch: int = 500) -> tuple[int, float]:
    """Push everything waiting; (items accepted, seconds on the monotonic clock)."""
    started = time.perf_counter()
    result = push_all(load.local, central, origin=f"bench-{load.account_id.hex[:8]}", batch=batch)
    return result.accepted, time.perf_counter() - started
