"""Fill an empty, migrated database with a realistic, deterministic demo practice.

The run is split into batches of whole accounts. The household sizes of every account
are drawn first from the run's seed, so each batch knows its account numbers and MRNs
and draws everything else from its own seeded generator: the output depends only on
``seed``, ``today`` and ``patients``, never on how the work was scheduled.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select

from app.demo.billing import Due, bill_member
from app.demo.books import AccountBooks, make_wallet
from app.demo.bulk import PackedRows, bulk_writer, counts_of
from app.demo.catalog import Catalog, build_catalog
from app.demo.household import SELF, make_household
from app.demo.payers import ALL
from app.demo.paying import collect
from app.demo.registration import register
from app.demo.tables import Rows, new_key
from app.demo.timeline import Timeline
from app.demo.users import demo_users
from app.store.models import Patient, Payer, User

FIRST_ACCOUNT_NUMBER = 40_000_001  # 8 digits: the search reads 8 digits as an account
FIRST_MRN = 1_000_001  # 7 digits: the search reads 7 digits as an MRN
MAX_PATIENTS = 9_999_999 - FIRST_MRN + 1
ACCOUNTS_PER_BATCH = 2_000
PARALLEL_FROM_PATIENTS = 50_000  # below this, worker processes cost more than they save

SELF_SHARE = 0.05  # accounts whose only patient is the adult guarantor
_CHILDREN = (1, 2, 3, 4)
_CHILDREN_WEIGHTS = (22, 35, 27, 16)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    accounts: int
    patients: int
    encounters: int
    ledger_entries: int
    seconds: float


@dataclass(frozen=True)
class Batch:
    """Accounts ``first_account``... with these household sizes (``SELF`` = 0)."""

    index: int
    sizes: bytes
    first_account: int
    first_mrn: int

    @property
    def patients(self) -> int:
        return sum(max(size, 1) for size in self.sizes)


def generate_demo(
    engine: Engine,
    patients: int,
    *,
    seed: int = 1,
    today: date | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> DemoSummary:
    """Write ``patients`` demo patients with their families, visits, claims and money.

    The database must be migrated to head and have no patients yet (else ValueError).
    The desk users of :func:`demo_users` are added unless their usernames exist. Rows
    are committed a few batches at a time: a failed run leaves a partial demo behind.
    ``progress(patients_done, patients_total)`` is called after every batch.

    ``workers`` processes generate batches while this one writes (0: generate here too;
    None: one per CPU for large runs). The rows do not depend on it.
    """
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValueError(f"patients must be between 1 and {MAX_PATIENTS:,}")
    started = time.perf_counter()
    today = today or date.today()
    with engine.connect() as conn:
        if conn.scalar(select(Patient.id).limit(1)) is not None:
            raise ValueError("the database already has patients; demo data needs an empty one")
        users = {name: key.hex for name, key in conn.execute(select(User.username, User.id))}
        payers = {code: key.hex for code, key in conn.execute(select(Payer.payer_code, Payer.id))}

    rng = random.Random(f"pa-desk-demo:{seed}")
    head = Rows()
    since = Timeline(today).at(400, 15, rng)
    for user in demo_users():
        key = new_key(rng)
        if user["username"] not in users:
            users[user["username"]] = key
            head.app_user.append(
                (key, user["username"], user["display_name"], user["role"].value, 1, since, since)
            )
    for plan in ALL:
        key = new_key(rng)
        if plan.code not in payers:
            payers[plan.code] = key
            head.payer.append((key, plan.name, plan.code, plan.kind.value, None, since, since))
    agents = tuple(users[u["username"]] for u in demo_users() if u["role"].value == "agent")
    catalog = build_catalog(
        rng, seed=seed, today=today, patients=patients, payer_keys=payers, agent_keys=agents
    )
    batches = plan_batches(rng, patients)

    totals = {"guarantor_account": 0, "patient": 0, "encounter": 0, "ledger_entry": 0}
    done = 0
    if workers is None:
        workers = (os.cpu_count() or 1) if patients >= PARALLEL_FROM_PATIENTS else 0
    with bulk_writer(engine) as writer:
        writer.write(head)
        if progress:
            progress(0, patients)
        made = generated(catalog, batches, workers, pack=writer.takes_packed)
        for batch, rows in zip(batches, made, strict=True):
            writer.write(rows)
            counts = counts_of(rows)
            for table in totals:
                totals[table] += counts[table]
            done += batch.patients
            if progress:
                progress(done, patients)
        writer.finish()
    return DemoSummary(
        accounts=totals["guarantor_account"],
        patients=totals["patient"],
        encounters=totals["encounter"],
        ledger_entries=totals["ledger_entry"],
        seconds=round(time.perf_counter() - started, 3),
    )


def plan_batches(rng: random.Random, patients: int) -> list[Batch]:
    """Household sizes of every account, cut into batches of whole accounts."""
    sizes = bytearray()
    left = patients
    while left > 0:
        if rng.random() < SELF_SHARE:
            size = SELF
        else:
            size = min(left, rng.choices(_CHILDREN, weights=_CHILDREN_WEIGHTS)[0])
        sizes.append(size)
        left -= max(size, 1)
    batches: list[Batch] = []
    mrn = FIRST_MRN
    for index, start in enumerate(range(0, len(sizes), ACCOUNTS_PER_BATCH)):
        chunk = bytes(sizes[start : start + ACCOUNTS_PER_BATCH])
        batch = Batch(index, chunk, FIRST_ACCOUNT_NUMBER + start, mrn)
        batches.append(batch)
        mrn += batch.patients
    return batches


def build_batch(catalog: Catalog, batch: Batch) -> Rows:
    """Every row of the batch's accounts, drawn from the batch's own generator."""
    rng = random.Random(f"pa-desk-demo:{catalog.seed}:{batch.index}")
    out = Rows()
    mrn = batch.first_mrn
    for offset, size in enumerate(batch.sizes):
        household = make_household(catalog, rng, str(batch.first_account + offset), size, mrn)
        mrn += max(size, 1)
        books = AccountBooks(household.key, catalog.timeline, rng, out, make_wallet(rng))
        dues: list[Due] = []
        for member in household.members:
            bill_member(books, member, dues)
        collect(catalog, books, dues)
        books.flush()
        register(catalog, rng, household, out)
    return out


def generated(
    catalog: Catalog, batches: list[Batch], workers: int, *, pack: bool
) -> Iterator[Rows | PackedRows]:
    """The rows of each batch, in order; built by ``workers`` processes when > 0
    (packed for the writer if ``pack``), else here."""
    if workers > 0 and not getattr(sys, "frozen", False):
        # Imported here: ``python -m app.demo.workers`` must not find itself imported.
        from app.demo.workers import build_in_workers

        yield from build_in_workers(catalog, batches, workers, pack=pack)
        return
    for batch in batches:
        yield build_batch(catalog, batch)
