"""``pa-desk bench post``: payments per second through the whole posting path.

The database at the URL (a SQLite file or a PostgreSQL database that already exists) is
opened as the desk opens it (:func:`app.services.desk.open_desk`: migrated to head, a
demo practice written when it has no patients, the first agent signed in, unfinished
payments reconciled), so the payments land on accounts with real visits and the
explainer's balances decide the allocation. Then ``payments`` payments are taken with
the sandbox's test cards through :meth:`Payments.take`: the pending row and its key
stored first, the gateway asked, the answer posted (ledger entries per visit paid, the
payment's status), every row through the tracked session and so the outbox. Mostly
4242 4242 4242 4242 (and other approving cards), some declines (4000 0000 0000 0002)
and insufficient funds (4000 0000 0000 9995), a few ACH debits (000123456789).

The baseline runs in the same process, on the same accounts, database and gateway,
before the timed run (so the timed run meets the larger ledgers): the same payments
posted the straightforward way, as a first version would write them. For each payment a
fresh session factory; the due amounts read through the ORM a visit at a time (lazy
loading style); the pending row committed; the gateway asked; then one transaction per
ledger entry, the balance summed in Python from every ledger row of the account loaded
as ORM objects, the status written in its own transaction, and the account explained
again for the receipt. It writes the same rows (payment, ledger entries, outbox items),
so the ratio compares two ways of doing the same work. Its payments are real payments
in the database too: ``ledger_before_cents`` is the ledger's sum before either run.

Files: the sandbox gateway's file is the one the desk would use for this database
(:func:`app.services.desk.gateway_for`): next to a SQLite database, in the user's data
folder (``PA_DESK_HOME``) for PostgreSQL. Nothing else is written outside the database.
"""

from __future__ import annotations

import gc
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.bench.stats import percentile
from app.domain.allocation import OpenVisit, allocate
from app.domain.codes import LedgerKind, PaymentStatus
from app.domain.explain import Entry, explain_account
from app.domain.payment_entry import parse_bank, parse_card
from app.integrations.gateway import GatewayStatus, PaymentGateway, Source
from app.services.payments import _describe, _encode, new_key
from app.services.views import UserInfo
from app.store.db import normalize_url, session_factory
from app.store.explain import explain_facts
from app.store.models import Encounter, LedgerEntry, OutboxItem, Payment
from app.store.types import utcnow
from app.sync.outbox import track_writes

CVV = "917"  # any CVV works in the sandbox; it goes to the gateway and nowhere else
AMEX_CID = "7319"
MIN_CENTS = 500
MAX_CENTS = 4_000
# (weight, kind, number): what the callers pay with.
MIX: tuple[tuple[int, str, str], ...] = (
    (70, "card", "4242424242424242"),  # approved
    (5, "card", "5555555555554444"),  # approved (Mastercard)
    (4, "card", "378282246310005"),  # approved (American Express)
    (7, "card", "4000000000000002"),  # declined
    (7, "card", "4000000000009995"),  # insufficient funds
    (7, "ach", "000123456789"),  # bank debit, settles
)

Say = Callable[[str], None]


@dataclass
class _Run:
    """What one way of posting did."""

    times_ms: list[float]
    approved: int = 0
    declined: int = 0
    pending: int = 0
    approved_cents: int = 0
    credit_payments: int = 0
    seconds: float = 0.0

    def figures(self) -> dict[str, Any]:
        count = len(self.times_ms)
        return {
            "payments": count,
            "approved": self.approved,
            "declined": self.declined,
            "pending": self.pending,
            "approved_cents": self.approved_cents,
            "seconds": round(self.seconds, 3),
            "payments_per_s": round(count / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(self.times_ms, 50), 3) if count else 0.0,
            "p95_ms": round(percentile(self.times_ms, 95), 3) if count else 0.0,
        }


def run(
    db_url: str,
    payments: int,
    *,
    seed: int | None = None,
    say: Say | None = None,
    patients: int | None = None,
    naive_payments: int | None = None,
) -> dict[str, Any]:
    """Prepare the database at ``db_url`` and take ``payments`` payments (see the module
    docstring); returns the figures as a JSON-ready dict."""
    from app.services.desk import open_desk

    if payments < 1:
        raise ValueError("payments must be at least 1")
    tell = say or (lambda _message: None)
    rng = random.Random(seed)
    today = date.today()
    patients = patients or max(500, payments * 3 // 2)
    naive_count = (
        naive_payments if naive_payments is not None else min(payments, max(100, payments // 10))
    )
    url = normalize_url(db_url)
    refuse_production(url)
    started = time.perf_counter()
    tell("opening the database (a demo practice is written if it has no patients)…")
    desk = open_desk(url, demo_patients=patients, seed=1, today=lambda: today)
    try:
        prepared_s = time.perf_counter() - started
        tell(f"database ready in {prepared_s:.1f} s")
        due = _money_due(desk)
        tell(f"{len(due):,} accounts with money due now ({sum(due.values()) / 100:,.2f} USD)")
        sources = _sources(today)
        plan = _Plan(rng, due, sources, _accounts(desk.engine))
        counts_before = _counts(desk.engine)
        gc.collect()
        gc.freeze()  # as the desk does once its database is open (ui/workers.py)

        tell(f"baseline: {naive_count:,} payments posted the straightforward way…")
        naive = _Run([])
        began = time.perf_counter()
        for _ in range(naive_count):
            account, amount, source, overpay = plan.next()
            t0 = time.perf_counter()
            status = _naive_take(desk.engine, desk.gateway, desk.user, account, amount, source,
                                 new_key(), today)  # fmt: skip
            naive.times_ms.append((time.perf_counter() - t0) * 1000)
            plan.record(naive, account, amount, status, overpay)
        naive.seconds = time.perf_counter() - began

        tell(f"timed run: {payments:,} payments through Payments.take…")
        counts_mid = _counts(desk.engine)
        timed = _Run([])
        began = time.perf_counter()
        for n in range(payments):
            account, amount, source, overpay = plan.next()
            t0 = time.perf_counter()
            outcome = desk.payments.take(
                account, amount, source, new_key(), allow_overpayment=overpay
            )
            timed.times_ms.append((time.perf_counter() - t0) * 1000)
            plan.record(timed, account, amount, outcome.status, overpay)
            if (n + 1) % 1000 == 0:
                tell(f"{n + 1:,}/{payments:,}")
        timed.seconds = time.perf_counter() - began
        counts_after = _counts(desk.engine)
        gateway_file = getattr(desk.gateway, "path", None)
        engine_name = desk.engine.dialect.name
    finally:
        gc.unfreeze()
        desk.close()

    main = timed.figures()
    baseline = naive.figures()
    return {
        "engine": engine_name,
        "patients": counts_before.patients,
        "accounts_with_due": len(due),
        **main,
        "credit_payments": timed.credit_payments,
        "ledger_entries_written": counts_after.ledger - counts_mid.ledger,
        "outbox_items_written": counts_after.outbox - counts_mid.outbox,
        "ledger_before_cents": counts_before.ledger_sum,
        "ledger_after_cents": counts_after.ledger_sum,
        "prepare_seconds": round(prepared_s, 3),
        "gateway_file": str(gateway_file) if gateway_file else None,
        "naive": {
            **baseline,
            "ledger_entries_written": counts_mid.ledger - counts_before.ledger,
            "outbox_items_written": counts_mid.outbox - counts_before.outbox,
            "what": (
                "same payments, same database and gateway: ORM reads a visit at a time, a "
                "transaction per ledger entry, the balance summed from every ledger row, "
                "the account explained again for the receipt"
            ),
        },
        "speedup_p50": round(baseline["p50_ms"] / main["p50_ms"], 2) if main["p50_ms"] else None,
        "speedup_per_s": (
            round(main["payments_per_s"] / baseline["payments_per_s"], 2)
            if baseline["payments_per_s"]
            else None
        ),
    }


def refuse_production(url: str) -> None:
    """Raise before anything is written if the database is marked production: the
    payment benches take fake payments and belong on demo or sandbox data only."""
    from sqlalchemy.exc import DBAPIError

    from app.services.central import central_policy
    from app.store.db import make_engine

    engine = make_engine(url)
    try:
        marker = central_policy(engine).get("environment")
    except DBAPIError:  # no schema yet: a new database
        marker = None
    finally:
        engine.dispose()
    if marker == "production":
        raise RuntimeError(
            "this database is marked production: the payment benches run on demo or "
            "sandbox data only"
        )


# -- the workload ----------------------------------------------------------------------


def _sources(today: date) -> list[tuple[int, Source]]:
    """The mix as checked entries (parsed once, as the form does when Pay is pressed)."""
    expiry = f"12/{(today.year + 3) % 100:02d}"
    out: list[tuple[int, Source]] = []
    for weight, kind, number in MIX:
        if kind == "ach":
            source: Source = parse_bank("110000000", number, "checking", "Bench Payer")
        else:
            cvv = AMEX_CID if number.startswith(("34", "37")) else CVV
            source = parse_card(number, expiry, cvv, "02139", "Bench Payer", today=today)
        out.append((weight, source))
    return out


class _Plan:
    """Which account pays how much with what: amounts stay within what is due now
    (tracked here as payments are approved); once no account has a dollar due, the
    payments become confirmed overpayments (a credit), still through the same path."""

    def __init__(
        self,
        rng: random.Random,
        due: dict[uuid.UUID, int],
        sources: list[tuple[int, Source]],
        accounts: list[uuid.UUID],
    ) -> None:
        self.rng = rng
        self.due = dict(due)
        self.open = sorted(due, key=lambda a: a.hex)
        self.all = accounts
        self.weights = [w for w, _ in sources]
        self.sources = [s for _, s in sources]

    def next(self) -> tuple[uuid.UUID, int, Source, bool]:
        source = self.rng.choices(self.sources, self.weights)[0]
        while self.open:
            index = self.rng.randrange(len(self.open))
            account = self.open[index]
            left = self.due[account]
            if left >= 100:
                return account, min(left, self.rng.randint(MIN_CENTS, MAX_CENTS)), source, False
            self.open[index] = self.open[-1]
            self.open.pop()
        if not self.all:
            raise RuntimeError("the database has no account with money due to pay")
        account = self.rng.choice(self.all)
        return account, self.rng.randint(MIN_CENTS, MAX_CENTS), source, True

    def record(
        self, run: _Run, account: uuid.UUID, amount: int, status: str, overpay: bool
    ) -> None:
        if status == PaymentStatus.APPROVED:
            run.approved += 1
            run.approved_cents += amount
            self.due[account] = self.due.get(account, 0) - amount
            run.credit_payments += int(overpay)
        elif status == PaymentStatus.DECLINED:
            run.declined += 1
        else:
            run.pending += 1


def _money_due(desk: Any) -> dict[uuid.UUID, int]:
    """Accounts with something due now, by the explainer (accounts owing nothing on the
    ledger are skipped without being explained)."""
    with desk.engine.connect() as conn:
        owing = conn.scalars(
            select(LedgerEntry.account_id)
            .group_by(LedgerEntry.account_id)
            .having(func.sum(LedgerEntry.amount_cents) > 0)
        ).all()
    due: dict[uuid.UUID, int] = {}
    for account_id in owing:
        explanation, _ = desk.payments.open_visits(account_id)
        if explanation.due_now > 0:
            due[account_id] = explanation.due_now
    return due


def _accounts(engine: Engine) -> list[uuid.UUID]:
    from app.store.models import GuarantorAccount

    with engine.connect() as conn:
        return list(conn.scalars(select(GuarantorAccount.id).order_by(GuarantorAccount.id)))


@dataclass(frozen=True)
class _Counts:
    patients: int
    ledger: int
    ledger_sum: int
    outbox: int


def _counts(engine: Engine) -> _Counts:
    from app.store.models import Patient

    with engine.connect() as conn:
        return _Counts(
            patients=int(conn.scalar(select(func.count()).select_from(Patient)) or 0),
            ledger=int(conn.scalar(select(func.count()).select_from(LedgerEntry)) or 0),
            ledger_sum=int(
                conn.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))) or 0
            ),
            outbox=int(conn.scalar(select(func.count()).select_from(OutboxItem)) or 0),
        )


# -- the baseline ----------------------------------------------------------------------


def _naive_take(
    engine: Engine,
    gateway: PaymentGateway,
    user: UserInfo,
    account_id: uuid.UUID,
    amount_cents: int,
    source: Source,
    key: str,
    today: date,
) -> str:
    """One payment posted the straightforward way (see the module docstring)."""
    sessions = track_writes(session_factory(engine))  # nothing reused between payments
    with sessions() as session:
        visits = _naive_open_visits(session, account_id, today)
    allocation = allocate(amount_cents, visits)
    method, brand, last4, exp_month, exp_year, account_type = _describe(source)
    payment_id = uuid.uuid4()
    with sessions.begin() as session:
        session.add(
            Payment(
                id=payment_id, account_id=account_id, idempotency_key=key, kind="payment",
                method=method, status=PaymentStatus.PENDING, amount_cents=amount_cents,
                card_brand=brand, last4=last4, exp_month=exp_month, exp_year=exp_year,
                bank_account_type=account_type, taken_by_id=user.id, taken_at=utcnow(),
                allocation=_encode(allocation),
            )
        )  # fmt: skip
    result = gateway.authorize(key, amount_cents, source)
    lines: list[tuple[uuid.UUID | None, int]] = list(allocation.lines)
    if allocation.credit_cents:
        lines.append((None, allocation.credit_cents))
    if result.status == GatewayStatus.APPROVED:
        for encounter_id, cents in lines:
            with sessions.begin() as session:
                visit = session.get(Encounter, encounter_id) if encounter_id else None
                session.add(
                    LedgerEntry(
                        id=uuid.uuid4(), account_id=account_id,
                        patient_id=visit.patient_id if visit else None,
                        encounter_id=encounter_id, payment_id=payment_id,
                        kind=LedgerKind.PATIENT_PAYMENT, amount_cents=-cents,
                        effective_date=today, posted_at=utcnow(), posted_by_id=user.id,
                        memo="Payment (baseline)",
                    )
                )  # fmt: skip
    with sessions() as session:
        balance = sum(
            e.amount_cents
            for e in session.scalars(
                select(LedgerEntry).where(LedgerEntry.account_id == account_id)
            )
        )
    with sessions.begin() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        payment.finished_at = utcnow()
        payment.gateway_reference = result.reference or None
        payment.gateway_token = result.token
        if result.status == GatewayStatus.APPROVED:
            payment.status = PaymentStatus.APPROVED
            payment.balance_after_cents = balance
        else:
            payment.status = PaymentStatus.DECLINED
            payment.decline_code = (result.decline_code or "declined")[:40]
            payment.decline_reason = (result.message or "Declined by the bank")[:120]
    with sessions() as session:  # the receipt's "remaining balance", explained again
        _naive_open_visits(session, account_id, today)
    return str(payment.status)


def _naive_open_visits(session: Session, account_id: uuid.UUID, today: date) -> list[OpenVisit]:
    """The visits with something due now, the ledger read a visit at a time as ORM
    objects (as lazy loading would) instead of in one query."""
    facts, _ = explain_facts(session, account_id)  # for the visit list and claims only
    entries: list[Entry] = []
    for visit in facts:
        entries.extend(
            Entry(LedgerKind(e.kind), e.amount_cents, e.effective_date, e.encounter_id, e.claim_id)
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
    explanation = explain_account(facts, entries, today)
    return [
        OpenVisit(v.id, v.service_date, v.due_now, v.patient)
        for v in explanation.visits
        if v.due_now > 0
    ]
