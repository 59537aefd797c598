"""Payment plans on a real desk (its own demo database and sandbox gateway)."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.codes import InstallmentStatus, PlanStatus
from app.domain.payment_entry import parse_card
from app.integrations.gateway import (
    GatewayResult,
    GatewayUnavailable,
    PaymentGateway,
    Source,
    StoredCard,
)
from app.services.desk import Desk
from app.services.payments import new_key
from app.services.plans import PlanInfo, PlanRefused, Plans
from app.store.models import PlanInstallment, Task
from tests.support.desks import TODAY, accounts_with_due
from ui.cli_plans import plans_command

VISA = "4242424242424242"
NO_FUNDS = "4000000000009995"
DECLINED = "4000000000000002"


def plans_for(desk: Desk, today: date = TODAY) -> Plans:
    return Plans(
        desk._sessions, desk.payments, desk.user, today=lambda: today,
        limits=lambda: desk.policy.plans,
    )  # fmt: skip


@pytest.fixture
def plans(paying_desk: Desk) -> Plans:
    found = getattr(paying_desk, "plans", None)
    return found if isinstance(found, Plans) else plans_for(paying_desk)


@pytest.fixture
def account(paying_desk: Desk) -> uuid.UUID:
    return accounts_with_due(paying_desk, 30_000)[0]


def enroll(plans: Plans, number: str = VISA) -> StoredCard:
    card = parse_card(number, "12/30", "123", "97201", "Ana Payer", today=TODAY)
    return plans.enroll_card(card, new_key())


def due_now(desk: Desk, account_id: uuid.UUID) -> int:
    explanation, _ = desk.payments.open_visits(account_id)
    return explanation.due_now


def make_plan(
    plans: Plans, account_id: uuid.UUID, *, months: int = 3, card: str | None = VISA
) -> PlanInfo:
    stored = enroll(plans, card) if card else None
    return plans.create(
        account_id, months=months, first_due=TODAY, autopay=stored,
        consent_by="Ana Payer" if stored else "", consent_recorded=stored is not None,
    )  # fmt: skip


def statuses(plans: Plans, plan_id: uuid.UUID) -> list[str]:
    return [line.status for line in plans.plan(plan_id).installments]


def charges(desk: Desk) -> list[GatewayResult]:
    return desk.gateway.charges()  # type: ignore[attr-defined,no-any-return]


# -- quotes ------------------------------------------------------------------------


def test_quote_covers_what_is_due_now_to_the_cent(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    balance = due_now(paying_desk, account)
    quote = plans.quote(account, down_payment_cents=2_000, months=5, first_due=TODAY)
    assert quote.ok and quote.schedule is not None
    assert quote.balance_cents == balance
    amounts = [i.amount_cents for i in quote.schedule.installments]
    assert len(amounts) == 5
    assert sum(amounts) + 2_000 == balance
    assert max(amounts) - min(amounts) <= 1
    dates = [i.due_date for i in quote.schedule.installments]
    assert dates[0] == TODAY and dates[1] == date(2026, 12, 23) and dates[4] == date(2027, 3, 23)

    by_amount = plans.quote(account, monthly_cents=5_000, first_due=TODAY)
    assert by_amount.schedule is not None
    assert sum(i.amount_cents for i in by_amount.schedule.installments) == balance
    assert by_amount.schedule.installments[0].amount_cents == 5_000


def test_quote_errors_name_the_field_and_suggest_help(plans: Plans, account: uuid.UUID) -> None:
    low = plans.quote(account, monthly_cents=1_000, first_due=TODAY)
    assert low.schedule is None and low.error is not None
    assert low.error.field == "monthly"
    assert any("less than" in reason for reason in low.hardship)
    neither = plans.quote(account, first_due=TODAY)
    assert neither.error is not None and neither.error.field == "months"
    past = plans.quote(account, months=3, first_due=TODAY - timedelta(days=1))
    assert past.error is not None and past.error.field == "first_due"
    big = plans_for_limits(plans, hardship=1_000).quote(account, months=3, first_due=TODAY)
    assert big.ok and big.hardship and "at or above" in big.hardship[0]


def plans_for_limits(plans: Plans, *, hardship: int) -> Plans:
    from app.domain.plans import PlanLimits

    return Plans(
        plans.sessions, plans.payments, plans.user, today=lambda: TODAY,
        limits=lambda: PlanLimits(hardship_balance_cents=hardship),
    )  # fmt: skip


# -- creating ----------------------------------------------------------------------


def test_create_records_autopay_and_consent_without_the_card_number(
    paying_desk: Desk, plans: Plans, account: uuid.UUID, tmp_path: Path
) -> None:
    balance = due_now(paying_desk, account)
    plan = make_plan(plans, account, months=4)
    assert plan.status == "active" and plan.months == 4
    assert plan.total_cents == balance and plan.remaining_cents == balance
    assert plan.autopay_label == "Visa ending 4242"
    assert plan.consent_by == "Ana Payer"
    assert plan.consent_recorded_at is not None and plan.consent_recorded_at.tzinfo is not None
    assert plan.consent_recorded_at.utcoffset() == timedelta(0)
    assert plan.next_due_date == TODAY
    assert [line.status for line in plan.installments] == ["scheduled"] * 4
    assert sum(line.amount_cents for line in plan.installments) == balance
    assert plans.plans_of(account) == [plan]
    paying_desk.close()
    for path in (tmp_path / "desk").iterdir():
        if path.is_file():
            assert VISA.encode() not in path.read_bytes(), path.name


def test_create_refuses_a_second_plan_and_autopay_without_consent(
    plans: Plans, account: uuid.UUID
) -> None:
    card = enroll(plans)
    with pytest.raises(PlanRefused) as no_consent:
        plans.create(
            account, months=3, first_due=TODAY, autopay=card, consent_by="Ana",
            consent_recorded=False,
        )  # fmt: skip
    assert no_consent.value.field == "consent"
    with pytest.raises(PlanRefused) as nobody:
        plans.create(
            account, months=3, first_due=TODAY, autopay=card, consent_by="  ",
            consent_recorded=True,
        )  # fmt: skip
    assert nobody.value.field == "consent_by"
    with pytest.raises(PlanRefused) as too_long:
        plans.create(account, months=99, first_due=TODAY, autopay=None, consent_by="",
                     consent_recorded=False)  # fmt: skip
    assert too_long.value.field == "months"
    with pytest.raises(PlanRefused) as no_down:
        plans.create(account, down_payment_cents=1_000, months=3, first_due=TODAY,
                     autopay=None, consent_by="", consent_recorded=False)  # fmt: skip
    assert no_down.value.field == "down_payment"
    assert plans.plans_of(account) == []

    make_plan(plans, account)
    with pytest.raises(PlanRefused, match="already has a plan"):
        make_plan(plans, account)
    assert len(plans.plans_of(account)) == 1


def test_down_payment_taken_first_keeps_the_total(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    before = due_now(paying_desk, account)
    card = parse_card(VISA, "12/30", "123", "97201", "Ana Payer", today=TODAY)
    down = paying_desk.payments.take(account, 5_000, card, new_key())
    assert down.approved
    quote = plans.quote(
        account, down_payment_cents=5_000, months=3, first_due=TODAY,
        down_payment_id=down.payment_id,
    )  # fmt: skip
    assert quote.balance_cents == before and quote.down_payment_taken_cents == 5_000
    plan = plans.create(
        account, down_payment_cents=5_000, months=3, first_due=TODAY, autopay=None,
        consent_by="", consent_recorded=False, down_payment_id=down.payment_id,
    )  # fmt: skip
    assert plan.total_cents == before and plan.down_payment_cents == 5_000
    assert sum(line.amount_cents for line in plan.installments) == before - 5_000
    assert paying_desk.payments.history(account)[0].plan_id == plan.id
    plans.cancel(plan.id)
    with pytest.raises(PlanRefused, match="already belongs"):
        plans.quote(account, down_payment_cents=5_000, months=3, first_due=TODAY,
                    down_payment_id=down.payment_id)  # fmt: skip


def test_enrolment_refusals_carry_the_gateways_words(paying_desk: Desk, plans: Plans) -> None:
    with pytest.raises(PlanRefused, match="declined"):
        enroll(plans, DECLINED)
    paying_desk.gateway.set_down(True)  # type: ignore[attr-defined]
    with pytest.raises(PlanRefused, match="cannot be reached"):
        enroll(plans)


# -- charging what is due -----------------------------------------------------------


def test_run_due_charges_each_installment_once_and_completes(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    balance = due_now(paying_desk, account)
    plan = make_plan(plans, account, months=3)
    first = plans.run_due(date(2026, 12, 31))
    assert (first.charged, first.declined, first.pending, first.already_done) == (2, 0, 0, 0)
    amounts = [line.amount_cents for line in plan.installments]
    assert first.charged_cents == amounts[0] + amounts[1]
    assert len(charges(paying_desk)) == 2
    again = plans.run_due(date(2026, 12, 31))
    assert (again.charged, again.already_done, again.charged_cents) == (0, 2, 0)
    assert len(charges(paying_desk)) == 2
    assert statuses(plans, plan.id) == ["paid", "paid", "scheduled"]
    info = plans.plan(plan.id)
    assert info.paid_cents == amounts[0] + amounts[1]
    assert info.next_due_date == date(2027, 1, 23)
    history = paying_desk.payments.history(account)
    assert [p.status for p in history if p.plan_id == plan.id] == ["approved", "approved"]

    last = plans.run_due(date(2027, 1, 23))
    assert (last.charged, last.completed) == (1, 1)
    assert plans.plan(plan.id).status == "completed"
    assert due_now(paying_desk, account) == 0
    assert sum(c.amount_cents for c in charges(paying_desk)) == balance
    assert plans.run_due(date(2027, 6, 1)).charged == 0


class _LosesAnswers:
    """The sandbox, but the first charge's answer is lost and the gateway then goes down
    (as when the run is killed half-way); or the request never reaches it at all."""

    def __init__(self, real: PaymentGateway, *, delivered: bool) -> None:
        self.real = real
        self.delivered = delivered
        self.name, self.live = real.name, real.live

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def authorize(
        self, key: str, amount_cents: int, source: Source, *, capture: bool = True
    ) -> GatewayResult:
        if self.delivered:
            self.real.authorize(key, amount_cents, source)
            self.real.set_down(True)  # type: ignore[attr-defined]
        raise GatewayUnavailable("lost on the way")


def test_a_pending_charge_is_rechecked_with_its_key_never_charged_again(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3)
    real = paying_desk.payments.gateway
    paying_desk.payments.gateway = _LosesAnswers(real, delivered=True)  # type: ignore[assignment]
    first = plans.run_due(date(2026, 12, 31))
    assert (first.charged, first.pending, first.unreachable) == (0, 1, 1)
    assert len(charges(paying_desk)) == 1  # charged at the processor, not yet posted here
    assert statuses(plans, plan.id) == ["scheduled", "scheduled", "scheduled"]

    paying_desk.payments.gateway = real
    still_down = plans.run_due(date(2026, 12, 31))
    assert (still_down.charged, still_down.pending, still_down.unreachable) == (0, 1, 1)

    real.set_down(False)  # type: ignore[attr-defined]
    second = plans.run_due(date(2026, 12, 31))
    assert (second.charged, second.pending) == (2, 0)
    assert len(charges(paying_desk)) == 2
    assert statuses(plans, plan.id) == ["paid", "paid", "scheduled"]
    with paying_desk.engine.connect() as conn:
        attempts = conn.scalars(
            select(PlanInstallment.attempts)
            .where(PlanInstallment.plan_id == plan.id)
            .order_by(PlanInstallment.sequence)
        ).all()
    assert attempts == [1, 1, 0]
    assert plans.run_due(date(2026, 12, 31)).charged == 0
    assert len(charges(paying_desk)) == 2


def test_a_charge_that_never_arrived_waits_then_gets_a_new_key(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3)
    real = paying_desk.payments.gateway
    paying_desk.payments.gateway = _LosesAnswers(real, delivered=False)  # type: ignore[assignment]
    assert plans.run_due(TODAY).pending == 1
    paying_desk.payments.gateway = real
    young = plans.run_due(TODAY)  # maybe still on its way from another run: left alone
    assert (young.pending, young.charged) == (1, 0)
    assert charges(paying_desk) == []
    settled = plans.run_due(TODAY, settle_after=timedelta(0))
    assert (settled.charged, settled.pending) == (1, 0)
    assert [c.key for c in charges(paying_desk)] == [
        f"plan-{_installment_ids(paying_desk, plan.id)[0].hex}-2"
    ]


def _installment_ids(desk: Desk, plan_id: uuid.UUID) -> list[uuid.UUID]:
    with desk.engine.connect() as conn:
        return list(
            conn.scalars(
                select(PlanInstallment.id)
                .where(PlanInstallment.plan_id == plan_id)
                .order_by(PlanInstallment.sequence)
            )
        )


def _tasks(desk: Desk, kind: str) -> list[Task]:
    with desk._sessions() as session:
        return list(session.scalars(select(Task).where(Task.kind == kind)))


def test_a_declined_installment_makes_a_task_and_is_not_retried(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3, card=NO_FUNDS)  # a zero-amount check passes
    first = plans.run_due(TODAY)
    assert (first.declined, first.charged) == (1, 0)
    assert statuses(plans, plan.id) == ["declined", "scheduled", "scheduled"]
    tasks = _tasks(paying_desk, "plan_declined")
    assert len(tasks) == 1 and tasks[0].account_id == account
    again = plans.run_due(TODAY)
    assert (again.declined, again.charged) == (0, 0)
    assert len(_tasks(paying_desk, "plan_declined")) == 1
    # The agent re-plans: the declined amount goes into the new schedule.
    changed = plans.change(plan.id, months=2, first_due=date(2026, 12, 1))
    assert changed.remaining_cents == plan.total_cents
    assert [line.status for line in changed.installments] == ["skipped"] * 3 + ["scheduled"] * 2


def test_paused_plans_are_skipped_and_resume_moves_overdue_dates(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3)
    plans.pause(plan.id)
    report = plans.run_due(date(2026, 12, 31))
    assert (report.skipped_paused, report.charged) == (2, 0)
    assert charges(paying_desk) == []
    later = plans_for(paying_desk, today=date(2027, 1, 5))
    resumed = later.resume(plan.id)
    assert resumed.status == "active"
    assert [line.due_date for line in resumed.installments] == [
        date(2027, 1, 23), date(2027, 2, 23), date(2027, 3, 23)
    ]  # fmt: skip
    assert later.run_due(date(2027, 1, 5)).charged == 0


def test_change_reschedules_what_is_left_and_keeps_the_sum(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=6)
    assert plans.run_due(TODAY).charged == 1
    paid = plan.installments[0]
    changed = plans.change(plan.id, months=3, first_due=date(2027, 1, 10))
    lines = changed.installments
    assert lines[0] == paid._replace(status="paid")
    assert [line.status for line in lines[1:6]] == ["skipped"] * 5
    new = lines[6:]
    assert [line.sequence for line in new] == [7, 8, 9]
    assert [line.due_date for line in new] == [
        date(2027, 1, 10), date(2027, 2, 10), date(2027, 3, 10)
    ]  # fmt: skip
    assert sum(line.amount_cents for line in new) == plan.total_cents - paid.amount_cents
    assert changed.months == 4 and changed.installment_cents == new[0].amount_cents
    assert changed.paid_cents + changed.remaining_cents == plan.total_cents
    by_amount = plans.change(plan.id, monthly_cents=5_000, first_due=date(2027, 1, 10))
    assert by_amount.remaining_cents == plan.total_cents - paid.amount_cents
    with pytest.raises(PlanRefused) as low:
        plans.change(plan.id, monthly_cents=100, first_due=date(2027, 1, 10))
    assert low.value.field == "monthly"


def test_cancel_skips_what_is_left_and_keeps_what_was_paid(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3)
    plans.run_due(TODAY)
    cancelled = plans.cancel(plan.id)
    assert cancelled.status == "cancelled"
    assert [line.status for line in cancelled.installments] == ["paid", "skipped", "skipped"]
    assert plans.cancel(plan.id) == cancelled
    assert plans.run_due(date(2027, 6, 1)).charged == 0
    assert len(charges(paying_desk)) == 1
    with pytest.raises(PlanRefused):
        plans.change(plan.id, months=2, first_due=TODAY)
    with pytest.raises(PlanRefused):
        plans.pause(plan.id)
    make_plan(plans, account, months=2)  # a new plan is allowed once the old one ended


def test_change_and_cancel_wait_for_a_pending_charge(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3)
    real = paying_desk.payments.gateway
    paying_desk.payments.gateway = _LosesAnswers(real, delivered=True)  # type: ignore[assignment]
    plans.run_due(TODAY)
    paying_desk.payments.gateway = real
    with pytest.raises(PlanRefused, match="waiting for the gateway"):
        plans.cancel(plan.id)
    with pytest.raises(PlanRefused, match="waiting for the gateway"):
        plans.change(plan.id, months=2, first_due=TODAY)
    real.set_down(False)  # type: ignore[attr-defined]
    assert plans.run_due(TODAY).charged == 1
    assert plans.cancel(plan.id).status == "cancelled"


def test_plans_without_autopay_get_one_reminder_per_installment(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=3, card=None)
    assert plan.autopay_label is None
    assert plans.run_due(date(2026, 12, 31)).reminded == 2
    assert plans.run_due(date(2026, 12, 31)).reminded == 0
    assert plans.run_due(date(2027, 1, 31)).reminded == 1
    assert len(_tasks(paying_desk, "plan_due")) == 3
    assert charges(paying_desk) == []


def test_an_account_paid_off_otherwise_is_not_charged(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    make_plan(plans, account, months=3)
    card = parse_card(VISA, "12/30", "123", "97201", "Ana Payer", today=TODAY)
    assert paying_desk.payments.take(
        account, due_now(paying_desk, account), card, new_key()
    ).approved
    report = plans.run_due(date(2026, 12, 31))
    assert (report.charged, report.nothing_owed) == (0, 2)
    assert plans.run_due(date(2026, 12, 31)).nothing_owed == 2
    assert len(_tasks(paying_desk, "plan_review")) == 2  # one per installment, once
    assert len(charges(paying_desk)) == 1  # the caller's own payment only


def test_plan_rows_are_stored_as_scheduled_installments(
    paying_desk: Desk, plans: Plans, account: uuid.UUID
) -> None:
    plan = make_plan(plans, account, months=2)
    with paying_desk._sessions() as session:
        rows = session.scalars(
            select(PlanInstallment).where(PlanInstallment.plan_id == plan.id)
        ).all()
        assert {row.status for row in rows} == {InstallmentStatus.SCHEDULED}
    assert PlanStatus(plan.status) is PlanStatus.ACTIVE


# -- the command --------------------------------------------------------------------


def _args(paying_desk: Desk, **values: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "plans": "run-due", "date": None, "db": str(paying_desk.engine.url), "json": False,
        "user": None, "account": None,
    }  # fmt: skip
    base.update(values)
    return argparse.Namespace(**base)


def test_plans_command_runs_due_and_lists(
    paying_desk: Desk, plans: Plans, account: uuid.UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = make_plan(plans, account, months=3)
    assert plans_command(_args(paying_desk, date="2026-12-31", json=True)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["on"] == "2026-12-31" and out["charged"] == 2
    assert out["charged_cents"] == sum(line.amount_cents for line in plan.installments[:2])
    assert plans_command(_args(paying_desk, date="2026-12-31")) == 0
    assert "charged 0" in capsys.readouterr().out

    assert plans_command(_args(paying_desk, date="12/31/2026")) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert plans_command(_args(paying_desk, date="2026-02-30")) == 2

    number = paying_desk.account_card(account).account_number
    assert plans_command(_args(paying_desk, plans="list", account=number)) == 0
    listed = capsys.readouterr().out
    assert "active" in listed and "Visa ending 4242" in listed and "paid" in listed
    assert plans_command(_args(paying_desk, plans="list", account="99999999")) == 2
