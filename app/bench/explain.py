"""``pa-desk bench explain``: the time to explain an account with N ledger lines.

Builds, in a throwaway SQLite store, one account whose visits carry N ledger lines
(charge, insurance payment, contractual adjustment, patient payment per visit, with an
adjudicated claim and its CAS), then times ``Desk.explain`` (reading the facts in five
queries and taking the balance apart) against a naive baseline in the same run: the
same explanation with the ledger read one visit at a time (a query per visit, as lazy
loading would).
"""

from __future__ import annotations

import gc
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.bench.stats import percentile
from app.domain.codes import ClaimStatus, GroupCode, LedgerKind, Relationship
from app.domain.explain import Entry, VisitFacts, explain_account
from app.store.explain import explain_facts
from app.store.models import (
    AdjudicationLine,
    Claim,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    LineAdjustment,
    Patient,
)
from app.store.types import utcnow

TODAY = date(2026, 11, 20)


def run(lines: int, *, runs: int = 200, naive_runs: int = 30) -> dict[str, Any]:
    from app.services.desk import open_desk

    with tempfile.TemporaryDirectory(prefix="pa-desk-bench-") as folder:
        desk = open_desk(f"sqlite:///{Path(folder) / 'explain.sqlite3'}", demo_patients=0,
                         today=lambda: TODAY)  # fmt: skip
        try:
            account = _build(desk, lines)
            gc.collect()
            gc.freeze()  # as the desk does once its database is open (ui/workers.py)
            times = _time(lambda: desk.explain(account), runs)
            naive = _time(lambda: _naive(desk, account), naive_runs)
            same = desk.explain(account) == _naive(desk, account)
            with desk.engine.connect() as conn:
                count = len(
                    conn.execute(
                        select(LedgerEntry.id).where(LedgerEntry.account_id == account)
                    ).all()
                )
        finally:
            desk.close()
    return {
        "lines": count,
        "p50_ms": round(percentile(times, 50), 3),
        "p95_ms": round(percentile(times, 95), 3),
        "naive_p95_ms": round(percentile(naive, 95), 3),
        "same_result_as_naive": same,
        "runs": runs,
    }


def _time(call: Any, runs: int) -> list[float]:
    call()  # warm caches and compiled statements, as a desk in use has them
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _build(desk: Any, lines: int) -> uuid.UUID:
    """One account; four ledger lines per visit until ``lines`` are written."""
    from app.store.db import session_factory
    from app.sync.outbox import track_writes

    account_id = uuid.uuid4()
    now = utcnow()
    with track_writes(session_factory(desk.engine)).begin() as session:
        session.add(GuarantorAccount(id=account_id, account_number="B0000001",
                                     first_name="Bench", last_name="Explain"))  # fmt: skip
        patient = Patient(id=uuid.uuid4(), account_id=account_id, mrn="B000001",
                          first_name="Ana", last_name="Explain", date_of_birth=date(2014, 2, 2),
                          relationship_to_guarantor=Relationship.CHILD)  # fmt: skip
        session.add(patient)
        session.flush()
        for n in range(max(lines // 4, 1)):
            day = TODAY - timedelta(days=3 * n)
            visit = Encounter(id=uuid.uuid4(), patient_id=patient.id, account_id=account_id,
                              date_of_service=day, provider_name="Dr. Lee")  # fmt: skip
            claim = Claim(id=uuid.uuid4(), encounter_id=visit.id, patient_control_number=f"B-{n}",
                          status=ClaimStatus.ADJUDICATED, payer_status_code="1",
                          billed_cents=25_000, paid_cents=10_800,
                          patient_responsibility_cents=7_200, submitted_at=now)  # fmt: skip
            line = AdjudicationLine(id=uuid.uuid4(), claim_id=claim.id, line_number=1,
                                    cpt_code="90834", billed_cents=25_000, allowed_cents=18_000,
                                    paid_cents=10_800)  # fmt: skip
            session.add_all([visit, claim, line])
            session.flush()
            for group, reason, cents in (("CO", "45", 7_000), ("PR", "1", 4_000),
                                         ("PR", "2", 3_200)):  # fmt: skip
                session.add(LineAdjustment(id=uuid.uuid4(), adjudication_line_id=line.id,
                                           group_code=GroupCode(group), reason_code=reason,
                                           amount_cents=cents))  # fmt: skip
            for kind, cents in ((LedgerKind.CHARGE, 25_000),
                                (LedgerKind.INSURANCE_PAYMENT, -10_800),
                                (LedgerKind.CONTRACTUAL_ADJUSTMENT, -7_000),
                                (LedgerKind.PATIENT_PAYMENT, -2_000)):  # fmt: skip
                session.add(LedgerEntry(id=uuid.uuid4(), account_id=account_id,
                                        patient_id=patient.id, encounter_id=visit.id,
                                        claim_id=None if kind == LedgerKind.CHARGE else claim.id,
                                        kind=kind, amount_cents=cents, effective_date=day,
                                        posted_at=now))  # fmt: skip
    return account_id


def _naive(desk: Any, account_id: uuid.UUID) -> Any:
    """The same answer, the ledger read with a query per visit (lazy-loading style)."""
    with Session(desk.engine) as session:
        all_visits, _ = explain_facts(session, account_id)  # for the visit list only
        visits: list[VisitFacts] = []
        entries: list[Entry] = []
        for visit in all_visits:
            visits.append(visit)
            entries.extend(
                Entry(
                    LedgerKind(e.kind), e.amount_cents, e.effective_date, e.encounter_id, e.claim_id
                )
                for e in session.scalars(
                    select(LedgerEntry).where(
                        LedgerEntry.account_id == account_id, LedgerEntry.encounter_id == visit.id
                    )
                )
            )
        entries.extend(
            Entry(LedgerKind(e.kind), e.amount_cents, e.effective_date, e.encounter_id, e.claim_id)
            for e in session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.account_id == account_id, LedgerEntry.encounter_id.is_(None)
                )
            )
        )
    return explain_account(visits, entries, TODAY)
