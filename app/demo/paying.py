"""How families pay what they owe, and what the practice sends them.

Each account has a habit: prompt (pays each amount within weeks), slow (months, often
in part), never (old balances; the oldest sometimes go to bad debt) or plan (sets up a
payment plan once the balance is large). Now and then a payment is made twice, which
leaves a credit that is sometimes refunded. Statements go out monthly on the account's
cycle day while the patient owes something, printing the ledger balance of that moment.
"""

from __future__ import annotations

from app.demo.billing import Due
from app.demo.books import (
    ACH,
    APPROVED,
    CARD,
    CHECK,
    DECLINED,
    PATIENT_ADJUSTMENT,
    REFUND,
    REFUNDED,
    WRITE_OFF,
    AccountBooks,
)
from app.demo.catalog import Catalog
from app.demo.tables import new_key
from app.demo.timeline import PAYMENT_HOURS
from app.domain.codes import InstallmentStatus, PlanStatus

PROMPT, SLOW, NEVER, PLAN = "prompt", "slow", "never", "plan"
_HABITS = ((PROMPT, 50), (SLOW, 22), (NEVER, 20), (PLAN, 8))

SMALL_BALANCE_CENTS = 500
PLAN_MINIMUM_CENTS = 15_000
STATEMENT_MONTHS = 4

_PAID = InstallmentStatus.PAID.value
_SCHEDULED = InstallmentStatus.SCHEDULED.value
_SKIPPED = InstallmentStatus.SKIPPED.value
_DECLINED_INSTALLMENT = InstallmentStatus.DECLINED.value


def collect(catalog: Catalog, books: AccountBooks, dues: list[Due]) -> None:
    """Pay (or not) what ``dues`` asked of the family, per its habit; then its statements."""
    rng = books.rng
    habit = rng.choices([h for h, _ in _HABITS], weights=[w for _, w in _HABITS])[0]
    for due in sorted(dues, key=lambda due: -due.day):  # oldest first
        if habit == PROMPT:
            _pay_promptly(catalog, books, due)
        elif habit == SLOW:
            _pay_slowly(catalog, books, due)
        elif habit == NEVER and due.day > 400 and rng.random() < 0.35:
            books.post(
                WRITE_OFF, -due.amount, due.day - 365, books.timeline.at(due.day - 365, 14, rng),
                patient=due.patient, encounter=due.encounter, memo="Bad debt: sent to collections",
            )  # fmt: skip
    if habit == PLAN:
        offer_plan(catalog, books)
    send_statements(books)


def _pay_promptly(catalog: Catalog, books: AccountBooks, due: Due) -> None:
    rng = books.rng
    if rng.random() < 0.06:  # forgotten
        return
    day = due.day - 4 - int(rng.random() * 24)
    if day < 1:
        return
    if due.amount < SMALL_BALANCE_CENTS and rng.random() < 0.4:
        books.post(
            PATIENT_ADJUSTMENT, -due.amount, day, books.timeline.at(day, 14, rng),
            patient=due.patient, encounter=due.encounter, memo="Small balance adjustment",
        )  # fmt: skip
        return
    _payment(catalog, books, due.amount, day, due.patient)
    if rng.random() < 0.015:  # paid twice: once by phone, again by mail
        again = day - 2 - int(rng.random() * 6)
        if again < 1:
            return
        refund_day = again - 14 - int(rng.random() * 30)
        refunded = refund_day >= 1 and rng.random() < 0.5
        taken_at = books.timeline.between(again, PAYMENT_HOURS, rng)
        payment = books.pay(
            due.amount, again, taken_at, channel="mail", method=CHECK, patient=due.patient,
            status=REFUNDED if refunded else APPROVED,
        )  # fmt: skip
        if refunded:
            books.post(
                REFUND, due.amount, refund_day, books.timeline.at(refund_day, 15, rng),
                patient=due.patient, payment=payment, memo="Refund of duplicate payment",
            )  # fmt: skip


def _pay_slowly(catalog: Catalog, books: AccountBooks, due: Due) -> None:
    rng = books.rng
    if rng.random() < 0.3:
        return
    day = due.day - 30 - int(rng.random() * 120)
    if day < 1:
        return
    amount = due.amount
    if amount > 2_000 and rng.random() < 0.4:  # pays part, in whole dollars
        amount = max(1_000, amount * (30 + int(rng.random() * 50)) // 100 // 100 * 100)
    _payment(catalog, books, min(amount, due.amount), day, due.patient)


def _payment(catalog: Catalog, books: AccountBooks, amount: int, day: int, patient: str) -> str:
    rng = books.rng
    method = books.wallet.prefers
    taken_at = books.timeline.between(day, PAYMENT_HOURS, rng)
    if method == CARD and rng.random() < 0.55:
        by: str | None = catalog.agent(rng)
        channel = "phone"
    else:
        by, channel = None, {CARD: "portal", ACH: "portal", CHECK: "mail"}[method]
    return books.pay(amount, day, taken_at, channel=channel, taken_by=by, patient=patient)


def offer_plan(catalog: Catalog, books: AccountBooks) -> None:
    """A payment plan for what the family owed on a day, with its installments so far."""
    rng, timeline, out = books.rng, books.timeline, books.out
    start = 20 + int(rng.random() * 200)
    agreed_at = timeline.at(start, 16, rng)
    total = books.patient_owes_through(agreed_at)
    if total < PLAN_MINIMUM_CENTS:
        return
    plan = new_key(rng)
    agent = catalog.agent(rng)
    down = 0
    if rng.random() < 0.4:
        down = total * (10 + int(rng.random() * 15)) // 100 // 100 * 100
        if down:
            books.pay(down, start, agreed_at, channel="phone", taken_by=agent, plan=plan,
                      method=CARD, memo="Payment plan down payment")  # fmt: skip
    rest = total - down
    count = max(3, min(12, -(-rest // 7_500)))
    installment = -(-rest // count)
    autopay = rng.random() < 0.6
    wallet = books.wallet
    rows = []
    missed = 0
    for sequence in range(1, count + 1):
        due_day = start - 30 * sequence
        amount = installment if sequence < count else rest - installment * (count - 1)
        status, payment = _SCHEDULED, None
        if due_day >= 1:
            taken_at = timeline.at(due_day, 14, rng)
            if rng.random() < (0.94 if autopay else 0.85):
                status = _PAID
                payment = books.pay(
                    amount, due_day, taken_at, channel="autopay" if autopay else "portal",
                    method=CARD, plan=plan, memo=f"Payment plan installment {sequence}/{count}",
                )  # fmt: skip
            elif autopay:
                status, missed = _DECLINED_INSTALLMENT, missed + 1
                payment = books.pay(
                    amount, due_day, taken_at, channel="autopay", method=CARD, plan=plan,
                    status=DECLINED,
                )  # fmt: skip
            else:
                status, missed = _SKIPPED, missed + 1
        stamp = agreed_at if payment is None else timeline.at(max(due_day, 1), 14, rng)
        rows.append(
            (new_key(rng), plan, sequence, timeline.day(due_day), amount, status, payment, 1,
             agreed_at, max(stamp, agreed_at), 0 if payment is None else 1)
        )  # fmt: skip
    paid_all = all(row[5] == _PAID for row in rows)
    state = (
        PlanStatus.COMPLETED
        if paid_all
        else (PlanStatus.DEFAULTED if missed >= 2 else PlanStatus.ACTIVE)
    )
    out.payment_plan.append(
        (
            plan, books.account, state.value, total, down, installment, count,
            timeline.day(start - 30),
            wallet.card_token if autopay else None, wallet.card_brand if autopay else None,
            wallet.card_last4 if autopay else None, agreed_at, agent, 1, agreed_at, agreed_at,
            "Guarantor" if autopay else None, None,
        )
    )  # fmt: skip
    out.plan_installment.extend(rows)


def send_statements(books: AccountBooks) -> None:
    """Monthly statements on the account's cycle day while the patient owed something."""
    if not books.entries:
        return
    rng, timeline = books.rng, books.timeline
    cycle_day = 1 + int(rng.random() * 28)
    delivery = "email" if rng.random() < 0.3 else "mail"
    for months_back in range(STATEMENT_MONTHS - 1, -1, -1):
        day = timeline.month_day(months_back, cycle_day)
        if day < 1:
            continue
        run_at = timeline.statement_run(day)
        if books.patient_owes_through(run_at) <= 0:
            continue
        books.out.statement.append(
            (
                new_key(rng), books.account, timeline.day(day), timeline.day(day - 25),
                books.balance_through(run_at), run_at, delivery, run_at, run_at,
            )
        )  # fmt: skip
