"""Exactly once: a payment killed at random (short CI version of `pa-desk bench
pay-faults`), and each way a payment can be interrupted or repeated, played out exactly on
a real desk with its own sandbox gateway: a crash between the gateway's approval and the
local commit, a timeout, a double click, a reconcile run twice, a request that never
reached the gateway (voided once it is old enough), and a gateway still down at the next
start."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import app.services.payments as payments_module
from app.bench.pay_faults import run as run_pay_faults
from app.domain.payment_entry import CardEntry, parse_card
from app.integrations.sandbox_gateway import SandboxGateway
from app.services.desk import Desk, open_desk
from app.services.payments import _decode, new_key
from app.store.models import LedgerEntry, OutboxItem, Payment
from tests.support.desks import TODAY, accounts_with_due

# -- the fault script ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_while_paying_charges_once_and_posts_once(pg_url: str) -> None:
    report = run_pay_faults(pg_url, trials=14, seed=21)
    assert report["children_not_killed"] == 0, report["child_errors"]
    assert report["approved"] > 0 and report["declined"] > 0
    # Kills landed between the gateway's approval and the desk's commit.
    assert report["killed_after_approval"] > 0, report
    assert report["charged_without_ledger"] == 0, report
    assert report["posted_twice"] == 0, report
    assert report["ledger_without_charge"] == 0, report
    assert report["approved_without_charge"] == 0, report
    assert report["pending_left"] == 0, report
    assert report["gateway_charges"] == report["approved"]
    assert report["central_ledger_missing"] == 0 and report["central_ledger_extra"] == 0, report
    assert report["ledger_sum_central_cents"] == report["ledger_sum_local_cents"]
    assert report["central_payments_differ"] == 0, report
    assert report["outbox_waiting"] == 0


# -- each case, exactly -----------------------------------------------------------------


def _card(number: str = "4242424242424242", cvv: str = "917") -> CardEntry:
    return parse_card(number, "12/29", cvv, "02139", "Ana Test", today=TODAY)


@pytest.fixture
def reopen() -> Iterator[Callable[[Desk], Desk]]:
    """Close a desk and open it again on the same files, as a restart does (open_desk
    reconciles unfinished payments); the reopened desks are closed afterwards."""
    opened: list[Desk] = []

    def again(desk: Desk) -> Desk:
        path = desk.engine.url.database
        desk.close()
        fresh = open_desk(f"sqlite:///{path}", demo_patients=0, today=lambda: TODAY)
        opened.append(fresh)
        return fresh

    yield again
    for desk in opened:
        desk.close()


def _gateway(desk: Desk) -> SandboxGateway:
    gateway = desk.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


def _balance(desk: Desk, account: uuid.UUID) -> int:
    with desk.engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == account
                )
            )
            or 0
        )


def _posted(desk: Desk, key: str) -> dict[str, Any]:
    """Everything the desk and its gateway hold for one idempotency key."""
    with desk.engine.connect() as conn:
        payments = conn.execute(select(Payment).where(Payment.idempotency_key == key)).all()
        ids = [p.id for p in payments]
        entries = conn.execute(
            select(LedgerEntry.id, LedgerEntry.amount_cents).where(LedgerEntry.payment_id.in_(ids))
        ).all()
        outboxed = set(
            conn.scalars(
                select(OutboxItem.row_id).where(
                    OutboxItem.table_name == "ledger_entry",
                    OutboxItem.row_id.in_([e.id for e in entries]),
                )
            )
        )
    return {
        "payments": payments,
        "entries": entries,
        "entries_in_outbox": len(outboxed),
        "charges": [c for c in _gateway(desk).charges() if c.key == key],
    }


def _assert_once(desk: Desk, key: str, amount: int) -> None:
    state = _posted(desk, key)
    assert len(state["payments"]) == 1
    payment = state["payments"][0]
    assert payment.status == "approved"
    assert len(state["charges"]) == 1 and state["charges"][0].amount_cents == amount
    assert len(state["entries"]) == len(_decode(payment.allocation)) >= 1
    assert sum(e.amount_cents for e in state["entries"]) == -amount
    assert state["entries_in_outbox"] == len(state["entries"])  # they will sync


def _later(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the payment service's clock reads past the settling time."""
    now = payments_module.utcnow
    ahead = payments_module.SETTLE_AFTER + timedelta(seconds=5)
    monkeypatch.setattr(payments_module, "utcnow", lambda: now() + ahead)


def _begin(desk: Desk, account: uuid.UUID, amount: int, card: CardEntry, key: str) -> uuid.UUID:
    """Step 2 of a payment only: the pending row and its key, stored."""
    return desk.payments._begin(
        account, amount, card, key, chosen=None, allow_overpayment=False, interaction_id=None,
        retry_of_id=None, plan_id=None, installment_id=None,
    )  # fmt: skip


def test_crash_between_approval_and_commit_is_posted_once_at_start(
    paying_desk: Desk, reopen: Callable[[Desk], Desk]
) -> None:
    account = accounts_with_due(paying_desk)[0]
    before = _balance(paying_desk, account)
    key, card, amount = new_key(), _card(), 2_500
    _begin(paying_desk, account, amount, card, key)
    assert paying_desk.gateway.authorize(key, amount, card).approved
    # The desk dies here: the gateway charged, nothing was posted.
    assert _posted(paying_desk, key)["entries"] == []

    desk = reopen(paying_desk)
    _assert_once(desk, key, amount)
    assert _balance(desk, account) == before - amount
    assert desk.payments.reconcile() == []  # nothing left


def test_timeout_is_asked_again_with_the_same_key(paying_desk: Desk) -> None:
    account = accounts_with_due(paying_desk)[0]
    key, amount = new_key(), 1_800
    outcome = paying_desk.payments.take(account, amount, _card("4000000000000408"), key)
    assert outcome.approved
    _assert_once(paying_desk, key, amount)


def test_pay_again_after_no_answer_charges_once(
    paying_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gateway charged and its answer never came (no retries left): the payment
    waits as pending; the agent presses Pay again (same key) and then Check again."""
    monkeypatch.setattr(payments_module, "TIMEOUT_RETRIES", 0)
    account = accounts_with_due(paying_desk)[0]
    key, amount, card = new_key(), 2_100, _card("4000000000000408")
    first = paying_desk.payments.take(account, amount, card, key)
    assert first.status == "pending"
    assert len(_posted(paying_desk, key)["charges"]) == 1  # charged all the same
    second = paying_desk.payments.take(account, amount, card, key)
    assert second.approved and second.payment_id == first.payment_id
    assert paying_desk.payments.recheck(first.payment_id).approved
    _assert_once(paying_desk, key, amount)


def _press_twice(desk: Desk, account: uuid.UUID, amount: int, key: str) -> list[Any]:
    """Two threads press Pay with the same key at the same moment."""
    card = _card()
    outcomes: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def press() -> None:
        start.wait()
        try:
            outcomes.append(desk.payments.take(account, amount, card, key))
        except BaseException as exc:  # reported below
            errors.append(exc)

    presses = [threading.Thread(target=press) for _ in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join(timeout=60)
    assert errors == []
    return outcomes


def test_double_click_charges_and_posts_once(paying_desk: Desk) -> None:
    gateway = _gateway(paying_desk)
    gateway.latency_s = 0.05  # both presses are in flight at the gateway together
    for account in accounts_with_due(paying_desk, 2_000)[:3]:
        key, amount = new_key(), 1_234
        outcomes = _press_twice(paying_desk, account, amount, key)
        assert len(outcomes) == 2
        assert outcomes[0].payment_id == outcomes[1].payment_id
        assert all(o.approved for o in outcomes)
        _assert_once(paying_desk, key, amount)


def _snapshot(desk: Desk) -> tuple[Any, ...]:
    with desk.engine.connect() as conn:
        payments = sorted(
            conn.execute(
                select(Payment.id, Payment.status, Payment.version, Payment.balance_after_cents)
            ).all()
        )
        entries = sorted(conn.scalars(select(LedgerEntry.id)))
        outbox = conn.scalar(select(func.count()).select_from(OutboxItem))
    gateway = _gateway(desk)
    return payments, entries, outbox, len(gateway.charges())


def test_reconcile_twice_changes_nothing_the_second_time(
    paying_desk: Desk, reopen: Callable[[Desk], Desk], monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = accounts_with_due(paying_desk, 2_000)
    charged, unsent = new_key(), new_key()
    _begin(paying_desk, accounts[0], 1_500, _card(), charged)
    paying_desk.gateway.authorize(charged, 1_500, _card())
    _begin(paying_desk, accounts[1], 1_600, _card(), unsent)
    monkeypatch.setattr(payments_module, "TIMEOUT_RETRIES", 0)
    timed_out = new_key()
    assert (
        paying_desk.payments.take(accounts[0], 1_700, _card("4000000000000408"), timed_out).status
        == "pending"
    )

    # The payment taken on the same account first asked about the pending one there
    # (it was charged): it is posted before the new one goes out.
    _assert_once(paying_desk, charged, 1_500)
    _later(monkeypatch)  # the unsent one is old enough to be called never sent
    first = paying_desk.payments.reconcile()
    assert sorted(o.status for o in first) == ["approved", "voided"]
    settled = _snapshot(paying_desk)
    # The voided one is asked once more (a late arrival would still be posted): no change.
    assert [o.status for o in paying_desk.payments.reconcile()] == ["voided"]
    assert _snapshot(paying_desk) == settled
    desk = reopen(paying_desk)  # and a start reconciles once more: still nothing
    assert _snapshot(desk) == settled
    _assert_once(desk, charged, 1_500)
    _assert_once(desk, timed_out, 1_700)


def test_request_that_never_reached_the_gateway_is_voided_once_settled(
    paying_desk: Desk, reopen: Callable[[Desk], Desk], monkeypatch: pytest.MonkeyPatch
) -> None:
    account = accounts_with_due(paying_desk)[0]
    before = _balance(paying_desk, account)
    key = new_key()
    _begin(paying_desk, account, 2_000, _card(), key)
    # The desk dies before the request leaves. Restarted at once, the payment waits: its
    # request might still be on its way (another process of this desk sending it).
    desk = reopen(paying_desk)
    assert [p.status for p in _posted(desk, key)["payments"]] == ["pending"]
    # A start after the settling time calls it never sent.
    _later(monkeypatch)
    desk = reopen(desk)
    state = _posted(desk, key)
    assert [(p.status, p.decline_code) for p in state["payments"]] == [("voided", "not_sent")]
    assert state["entries"] == [] and state["charges"] == []
    assert _gateway(desk).lookup(key) is None
    assert _balance(desk, account) == before


def test_gateway_down_at_start_leaves_the_payment_pending_until_it_answers(
    paying_desk: Desk, reopen: Callable[[Desk], Desk]
) -> None:
    """Out of reach is not "never sent": the payment stays pending, then is posted."""
    account = accounts_with_due(paying_desk)[0]
    key, card, amount = new_key(), _card(), 2_200
    _begin(paying_desk, account, amount, card, key)
    paying_desk.gateway.authorize(key, amount, card)
    _gateway(paying_desk).set_down(True)
    desk = reopen(paying_desk)
    assert [p.status for p in _posted(desk, key)["payments"]] == ["pending"]
    _gateway(desk).set_down(False)
    assert [o.status for o in desk.payments.reconcile()] == ["approved"]
    _assert_once(desk, key, amount)


def test_reopen_keeps_the_gateway_file_next_to_the_database(paying_desk: Desk) -> None:
    """The files the cases above rely on: the gateway the desk reconciles with is the
    one it charged (next to its database)."""
    database = Path(str(paying_desk.engine.url.database))
    assert _gateway(paying_desk).path == database.parent / "sandbox-gateway.sqlite3"
