"""``pa-desk bench lookup``: the desk's search against a naive scan, on one database.

Both run through :func:`app.services.lookup.lookup` (parsing, query, mapping); the
baseline differs only in matching by ``LIKE`` over expressions no index serves, with
the same ORDER BY, so it must find the same rows in the same order (checked).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from app.bench.stats import percentile
from app.services.lookup import lookup
from app.store.models import Patient, PersonLookup

KINDS = ("name_prefix", "last_first", "phone_suffix", "account_exact", "dob_plus_name")


@dataclass
class KindResult:
    times_ms: list[float]
    naive_ms: list[float]
    disagreements: int


def ensure_patients(engine: Engine, patients: int, say: Callable[[str], None]) -> int:
    """Reuse a database that has demo patients, or build ``patients`` of them."""
    with engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Patient.__table__)) or 0
    if have:
        if have != patients:
            say(f"reusing the database's {have:,} patients (asked for {patients:,})")
        return int(have)
    from app.demo import generate_demo

    started = time.perf_counter()
    generate_demo(engine, patients, progress=None)
    say(f"generated {patients:,} demo patients in {time.perf_counter() - started:.0f} s")
    return patients


def run(
    engine: Engine,
    *,
    queries: int = 200,
    naive_queries: int = 12,
    seed: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Time every kind; a fresh mix of common and rare terms each run unless ``seed``."""
    rng = random.Random(seed)
    today = today or date.today()
    results: dict[str, Any] = {}
    with engine.connect() as conn:
        samples = _sample_people(conn, rng, queries)
        for kind in KINDS:
            terms = [_term(kind, samples[i % len(samples)], rng) for i in range(queries)]
            for text in terms[:20]:  # warm the caches the same way for both
                lookup(conn, text, today)
            lookup(conn, terms[0], today, naive=True)
            outcome = _measure(conn, terms, naive_queries, today)
            results[kind] = {
                "p50_ms": round(percentile(outcome.times_ms, 50), 3),
                "p95_ms": round(percentile(outcome.times_ms, 95), 3),
                "naive_p95_ms": round(percentile(outcome.naive_ms, 95), 3),
                "speedup_p95": round(
                    percentile(outcome.naive_ms, 95) / max(percentile(outcome.times_ms, 95), 1e-6),
                    1,
                ),
                "queries": len(outcome.times_ms),
                "naive_queries": len(outcome.naive_ms),
                "same_rows_as_naive": outcome.disagreements == 0,
            }
    return results


def _measure(conn: Connection, terms: list[str], naive_queries: int, today: date) -> KindResult:
    times: list[float] = []
    naive: list[float] = []
    disagreements = 0
    for i, text in enumerate(terms):
        started = time.perf_counter()
        answer = lookup(conn, text, today)
        times.append((time.perf_counter() - started) * 1000)
        if i < naive_queries:
            started = time.perf_counter()
            baseline = lookup(conn, text, today, naive=True)
            naive.append((time.perf_counter() - started) * 1000)
            if [r.person_id for r in baseline.results] != [r.person_id for r in answer.results]:
                disagreements += 1
    return KindResult(times, naive, disagreements)


def _sample_people(conn: Connection, rng: random.Random, count: int) -> list[Any]:
    """Random people: the first row at or after a random key, so sampling costs no scan."""
    L = PersonLookup.__table__.c
    people = []
    for _ in range(count):
        pivot = uuid.UUID(int=rng.getrandbits(128))
        row = conn.execute(select(*L).where(L.id >= pivot).order_by(L.id).limit(1)).first()
        if row is None:
            row = conn.execute(select(*L).order_by(L.id).limit(1)).first()
        if row is not None:
            people.append(row)
    if not people:
        raise SystemExit("the database has no patients to search")
    return people


def _term(kind: str, person: Any, rng: random.Random) -> str:
    """What an agent would type for this kind; about one in five is rare or absent."""
    rare = rng.random() < 0.2
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "name_prefix":
        if rare:
            return "".join(rng.choice(letters) for _ in range(rng.randint(2, 4)))
        return str(person.last_name[: rng.randint(2, 5)])
    if kind == "last_first":
        return f"{person.last_name}, {person.first_name[: rng.randint(1, 3)]}"
    if kind == "phone_suffix":
        if rare or not person.phone_e164:
            return "".join(rng.choice("0123456789") for _ in range(4))
        return str(person.phone_e164[-rng.randint(4, 7) :])
    if kind == "account_exact":
        if rare:
            return str(rng.randint(10_000_000, 99_999_999))
        return str(person.account_number)
    if kind == "dob_plus_name":
        born = person.date_of_birth or date(2012, 1, 1)
        return f"{person.last_name[: rng.randint(3, 6)]} {born:%m/%d/%Y}"
    raise ValueError(kind)
