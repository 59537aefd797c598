"""Taking a payment through the real desk, database and sandbox gateway."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.codes import LedgerKind, PaymentStatus, TaskStatus
from app.domain.payment_entry import BankAccountType, BankEntry, CardEntry, parse_card
from app.integrations.gateway import StoredCard
from app.services.desk import Desk
from app.services.payments import (
    GatewayDown,
    OverpaymentNeedsConfirmation,
    PaymentRefused,
    new_key,
)
from app.store.models import LedgerEntry, OutboxItem, Payment, Task
from tests.support.desks import TODAY, accounts_with_due


def card(number: str = "4242424242424242") -> CardEntry:
    return parse_card(number, "12/29", "123", "02139", "Ana Ruiz", today=TODAY)


def balance(desk: Desk, account_id: uuid.UUID) -> int:
    with desk.engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == account_id
                )
            )
        )


def payment_count(desk: Desk) -> int:
    with desk.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Payment)) or 0)


def entries_of(desk: Desk, payment_id: uuid.UUID) -> list[LedgerEntry]:
    with desk.engine.connect() as conn:
        return list(conn.execute(select(LedgerEntry).where(LedgerEntry.payment_id == payment_id)))


@pytest.fixture
def account(paying_desk: Desk) -> uuid.UUID:
    return accounts_with_due(paying_desk, 5_000)[0]


def test_an_approved_card_posts_one_entry_per_visit_oldest_first(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    explanation, visits = paying_desk.payments.open_visits(account)
    before = balance(paying_desk, account)
    amount = visits[0].due_cents + 1  # the oldest visit in full and one cent of the next
    assert len(visits) >= 2 and amount <= explanation.due_now
    outcome = paying_desk.payments.take(account, amount, card(), new_key())
    assert outcome.approved and outcome.balance_after_cents == before - amount
    assert balance(paying_desk, account) == before - amount
    posted = sorted(entries_of(paying_desk, outcome.payment_id), key=lambda e: e.amount_cents)
    assert [e.kind for e in posted] == [LedgerKind.PATIENT_PAYMENT] * 2
    assert {(e.encounter_id, -e.amount_cents) for e in posted} == {
        (visits[0].encounter_id, visits[0].due_cents),
        (visits[1].encounter_id, 1),
    }
    assert len(paying_desk.gateway.charges()) == 1  # type: ignore[attr-defined]


def test_chosen_visits_take_the_payment(paying_desk: Desk, account: uuid.UUID) -> None:
    _, visits = paying_desk.payments.open_visits(account)
    newest = visits[-1]
    outcome = paying_desk.payments.take(
        account, newest.due_cents, card(), new_key(), chosen=[newest.encounter_id]
    )
    assert [e.encounter_id for e in entries_of(paying_desk, outcome.payment_id)] == [
        newest.encounter_id
    ]


def test_the_same_key_twice_charges_and_posts_once(paying_desk: Desk, account: uuid.UUID) -> None:
    key = new_key()
    first = paying_desk.payments.take(account, 2_500, card(), key)
    again = paying_desk.payments.take(account, 2_500, card(), key)
    assert again == first
    assert len(entries_of(paying_desk, first.payment_id)) == 1
    assert len(paying_desk.gateway.charges()) == 1  # type: ignore[attr-defined]


def test_declines_post_nothing_and_say_why(paying_desk: Desk, account: uuid.UUID) -> None:
    before = balance(paying_desk, account)
    words = {}
    for number in ("4000000000000002", "4000000000009995", "4000000000000069",
                   "4000000000000127", "4000000000000119"):  # fmt: skip
        outcome = paying_desk.payments.take(account, 1_000, card(number), new_key())
        assert outcome.status == PaymentStatus.DECLINED
        assert entries_of(paying_desk, outcome.payment_id) == []
        words[outcome.decline_code] = outcome.message
    assert set(words) == {
        "card_declined", "insufficient_funds", "expired_card", "incorrect_cvc",
        "processing_error",
    }  # fmt: skip
    assert all(words.values())
    assert balance(paying_desk, account) == before
    assert len(paying_desk.payments.declined()) == 5


def test_a_timeout_is_asked_again_with_the_same_key(paying_desk: Desk, account: uuid.UUID) -> None:
    outcome = paying_desk.payments.take(account, 1_500, card("4000000000000408"), new_key())
    assert outcome.approved
    assert len(paying_desk.gateway.charges()) == 1  # type: ignore[attr-defined]
    assert len(entries_of(paying_desk, outcome.payment_id)) == 1


def test_an_overpayment_needs_confirmation_and_becomes_a_credit(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    explanation, _ = paying_desk.payments.open_visits(account)
    amount = explanation.due_now + 1_234
    stored = payment_count(paying_desk)
    with pytest.raises(OverpaymentNeedsConfirmation) as refused:
        paying_desk.payments.take(account, amount, card(), new_key())
    assert refused.value.credit_cents == 1_234
    assert payment_count(paying_desk) == stored  # nothing stored, nothing charged
    assert paying_desk.gateway.charges() == []  # type: ignore[attr-defined]
    outcome = paying_desk.payments.take(account, amount, card(), new_key(), allow_overpayment=True)
    credit = [e for e in entries_of(paying_desk, outcome.payment_id) if e.encounter_id is None]
    assert [c.amount_cents for c in credit] == [-1_234]


def test_a_bank_payment_is_returned_later_and_reversed(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    before = balance(paying_desk, account)
    r01 = BankEntry("110000000", "000111111116", BankAccountType.CHECKING, "Ana Ruiz")
    outcome = paying_desk.payments.take(account, 3_000, r01, new_key())
    assert outcome.approved and balance(paying_desk, account) == before - 3_000
    assert paying_desk.payments.process_returns() == 1
    assert paying_desk.payments.process_returns() == 0  # idempotent
    assert balance(paying_desk, account) == before
    with paying_desk.engine.connect() as conn:
        payment = conn.execute(select(Payment).where(Payment.id == outcome.payment_id)).one()
        assert payment.status == PaymentStatus.RETURNED and payment.ach_return_code == "R01"
        tasks = conn.scalars(select(Task.kind).where(Task.account_id == account)).all()
    assert "ach_return" in tasks


def test_gateway_down_refuses_before_anything_is_stored_and_offers_a_promise(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    stored = payment_count(paying_desk)
    paying_desk.gateway.set_down(True)  # type: ignore[attr-defined]
    assert not paying_desk.payments.available()
    with pytest.raises(GatewayDown):
        paying_desk.payments.take(account, 1_000, card(), new_key())
    task_id = paying_desk.payments.promise_to_pay(account, 5_000, TODAY + timedelta(days=7))
    callback = paying_desk.payments.schedule_callback(
        account, datetime(2026, 11, 24, 15, 0, tzinfo=UTC), "after payday"
    )
    assert payment_count(paying_desk) == stored
    with paying_desk.engine.connect() as conn:
        kinds = dict(
            conn.execute(select(Task.id, Task.kind).where(Task.id.in_([task_id, callback]))).all()
        )
        status = conn.scalar(select(Task.status).where(Task.id == task_id))
    assert sorted(kinds.values()) == ["callback", "promise_to_pay"]
    assert status == TaskStatus.OPEN
    with pytest.raises(PaymentRefused):
        paying_desk.payments.promise_to_pay(account, 5_000, TODAY - timedelta(days=1))


def test_every_row_goes_through_the_outbox(paying_desk: Desk, account: uuid.UUID) -> None:
    outcome = paying_desk.payments.take(account, 2_000, card(), new_key())
    with paying_desk.engine.connect() as conn:
        tables = set(conn.scalars(select(OutboxItem.table_name)))
    assert {"payment", "ledger_entry"} <= tables
    assert outcome.approved


def test_the_receipt_says_where_the_money_went(paying_desk: Desk, account: uuid.UUID) -> None:
    outcome = paying_desk.payments.take(account, 2_000, card("5555555555554444"), new_key())
    receipt = paying_desk.payments.receipt(outcome.payment_id)
    assert receipt.method_label == "Mastercard ending 4444"  # no expiry on receipts (FACTA)
    assert sum(line.amount_cents for line in receipt.lines) == 2_000
    assert receipt.balance_after_cents == outcome.balance_after_cents
    assert receipt.sandbox and receipt.practice_name
    assert "5555555555554444" not in repr(receipt)
    history = paying_desk.payments.history(account)
    assert history[0].receipt_number == receipt.receipt_number


def test_a_credit_is_refunded_once_to_the_card_that_paid(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    explanation, _ = paying_desk.payments.open_visits(account)
    paying_desk.payments.take(
        account, explanation.balance + 4_000, card(), new_key(), allow_overpayment=True
    )
    assert balance(paying_desk, account) == -4_000
    with pytest.raises(PaymentRefused):
        paying_desk.payments.refund_credit(account, 4_001, new_key())
    key = new_key()
    refund = paying_desk.payments.refund_credit(account, 4_000, key)
    assert refund.approved
    assert paying_desk.payments.refund_credit(account, 4_000, key) == refund
    assert balance(paying_desk, account) == 0
    assert [e.kind for e in entries_of(paying_desk, refund.payment_id)] == [LedgerKind.REFUND]


def test_an_autopay_token_charges_without_a_card_number(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    stored = paying_desk.gateway.tokenize(new_key(), card())
    assert isinstance(stored, StoredCard) and "4242424242424242" not in repr(stored)
    outcome = paying_desk.payments.take(account, 2_500, stored, new_key())
    assert outcome.approved


def test_a_production_desk_never_pays_through_the_sandbox(tmp_path, demo_template) -> None:  # type: ignore[no-untyped-def]
    from app.services.central import init_central
    from app.services.desk import open_desk
    from app.store.db import make_engine
    from tests.support.desks import demo_desk

    desk = demo_desk(tmp_path / "desk", demo_template)
    desk.close()
    central = tmp_path / "central.sqlite3"
    engine = make_engine(f"sqlite:///{central}")
    init_central(engine, environment="production")
    engine.dispose()
    opened = open_desk(
        f"sqlite:///{tmp_path / 'desk' / 'desk.sqlite3'}", demo_patients=0,
        central_url=f"sqlite:///{central}", today=lambda: date(2026, 11, 23),
    )  # fmt: skip
    try:
        assert opened.policy.environment == "production"
        assert not opened.payments.available()
        with pytest.raises(GatewayDown):
            opened.payments.take(uuid.uuid4(), 100, card(), new_key())
    finally:
        opened.close()


def test_the_last_payment_is_the_whole_payment_and_never_a_returned_one(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    _, visits = paying_desk.payments.open_visits(account)
    two_visits = visits[0].due_cents + 100
    paying_desk.payments.take(account, two_visits, card(), new_key())
    assert paying_desk.account(account).last_payment_cents == two_visits
    r01 = BankEntry("110000000", "000111111116", BankAccountType.CHECKING, "Ana Ruiz")
    paying_desk.payments.take(account, 500, r01, new_key())
    assert paying_desk.account(account).last_payment_cents == 500
    paying_desk.payments.process_returns()
    assert paying_desk.account(account).last_payment_cents == two_visits


def test_a_decline_is_worked_once_any_retry_after_it_goes_through(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    first = paying_desk.payments.take(account, 1_000, card("4000000000000002"), new_key())
    second = paying_desk.payments.take(
        account, 1_000, card("4000000000009995"), new_key(), retry_of_id=first.payment_id
    )
    listed = {p.id for p in paying_desk.payments.declined()}
    assert {first.payment_id, second.payment_id} <= listed
    paying_desk.payments.take(account, 1_000, card(), new_key(), retry_of_id=second.payment_id)
    listed = {p.id for p in paying_desk.payments.declined()}
    assert first.payment_id not in listed and second.payment_id not in listed


def test_a_request_the_gateway_refuses_is_declined_not_left_pending(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    unknown = StoredCard("tok_nobody_knows", "visa", "4242")
    outcome = paying_desk.payments.take(account, 1_000, unknown, new_key())
    assert outcome.status == PaymentStatus.DECLINED
    assert outcome.decline_code == "gateway_refused" and "not known" in outcome.message
    demo_card = StoredCard("tok_demo_0123456789abcdef01234567", "visa", "1111")
    assert paying_desk.payments.take(account, 1_000, demo_card, new_key()).approved


def test_an_approved_payment_is_one_insert_and_one_update_in_the_outbox(
    paying_desk: Desk, account: uuid.UUID
) -> None:
    outcome = paying_desk.payments.take(account, 2_000, card(), new_key())
    with paying_desk.engine.connect() as conn:
        operations = conn.scalars(
            select(OutboxItem.operation)
            .where(OutboxItem.table_name == "payment", OutboxItem.row_id == outcome.payment_id)
            .order_by(OutboxItem.seq)
        ).all()
    assert operations == ["insert", "update"]
