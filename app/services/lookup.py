"""Finding the caller: the one function the lookup panel (and the benchmark) calls."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import Connection

from app.domain.dates import age_label
from app.domain.lookup import parse_lookup
from app.domain.phones import display
from app.services.views import LookupAnswer, LookupResult
from app.store import search


def lookup(
    conn: Connection, text: str, today: date, limit: int = 20, *, naive: bool = False
) -> LookupAnswer:
    """Parse what the agent typed, run it, and map the rows for display.

    Never raises for odd text: anything the parser cannot read is simply not a criterion.
    ``naive`` runs the same criteria as unindexed ``LIKE`` scans: the benchmark's baseline.
    """
    started = time.perf_counter()
    query = parse_lookup(text, today)
    rows = search.find_people(conn, query, limit, naive=naive) if not query.is_empty else []
    balance = search.balances(conn, (row.account_id for row in rows))
    results = tuple(
        LookupResult(
            person_id=row.id,
            account_id=row.account_id,
            patient_id=row.patient_id,
            role=str(row.role),
            name=f"{row.last_name}, {row.first_name}",
            date_of_birth=row.date_of_birth,
            age=age_label(row.date_of_birth, today) if row.date_of_birth else "",
            account_number=row.account_number,
            mrn=row.mrn,
            phone=display(row.phone_e164),
            balance_cents=balance.get(row.account_id, 0),
        )
        for row in rows
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    return LookupAnswer(query.text, query.hint, results, elapsed_ms)
