"""Edge cases of payments found in review (issue 6): lost answers, races, limits stepped
round. Real desks, real sandbox gateways; a gateway is only wrapped to lose answers on the
way back (as a network does), never to fake the processor. The window's cases are in
tests/ui/test_payment_wiring.py."""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.domain.adjustments import AdjustmentLimits, AdjustmentReason
from app.domain.codes import LedgerKind, PaymentStatus
from app.integrations.sandbox_gateway import SandboxGateway
from app.services.adjustments import AdjustmentRefused, Adjustments
from app.services.desk import Desk
from app.services.payments import OverpaymentNeedsConfirmation, PaymentRefused, Payments, new_key
from app.services.plans import PlanRefused, Plans
from app.services.views import UserInfo
from app.store.models import LedgerEntry, Payment, User
from tests.support.desks import TODAY, accounts_with_due, card, ledger_balance
from tests.support.gateways import LostAnswers


def _user(desk: Desk, username: str) -> UserInfo:
    with desk._sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return UserInfo(user.id, user.username, user.display_name, str(user.role))


# -- 1. a refund whose answer was lost is not counted: the credit is refunded twice ----------


def test_a_refund_whose_answer_was_lost_counts_against_the_credit(
    paying_desk: Desk,
) -> None:
    account = accounts_with_due(paying_desk, 5_000)[0]
    payments = paying_desk.payments
    balance = ledger_balance(paying_desk, account)
    paid = payments.take(account, balance + 5_000, card(), new_key(), allow_overpayment=True)
    assert paid.approved and ledger_balance(paying_desk, account) == -5_000  # a $50 credit

    real = payments.gateway
    lossy = LostAnswers(real)
    payments.gateway = lossy  # type: ignore[assignment]
    # The processor refunds $50; the desk hears only timeouts: the refund waits for its
    # answer (it is not called refused) and counts against the credit meanwhile.
    waiting = payments.refund_credit(account, 5_000, new_key())
    assert waiting.status == PaymentStatus.PENDING

    # The agent closes the dialog and refunds again (a new dialog is a new key).
    lossy.lose = False
    # The fix: a refund still waiting for its answer counts against the credit.
    with contextlib.suppress(PaymentRefused):
        payments.refund_credit(account, 5_000, new_key())
    payments.gateway = real
    payments.reconcile()  # the next start posts the first refund too

    with real._tx() as db:  # type: ignore[attr-defined]
        sent_back = db.execute(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM operation WHERE op = 'refund'"
        ).fetchone()[0]
    assert sent_back <= 5_000, f"${sent_back / 100:.2f} refunded for a $50.00 credit"
    assert ledger_balance(paying_desk, account) <= 0


# -- 2. a payment waiting for its answer is not counted: paid twice, no overpayment prompt ----


def test_a_payment_waiting_for_its_answer_blocks_charging_the_balance_again(
    paying_desk: Desk,
) -> None:
    account = accounts_with_due(paying_desk, 5_000)[0]
    payments = paying_desk.payments
    explanation, visits = payments.open_visits(account)
    due = explanation.due_now
    owed = {v.encounter_id: v.due_cents for v in visits}

    real = payments.gateway
    lossy = LostAnswers(real)
    payments.gateway = lossy  # type: ignore[assignment]
    first = payments.take(account, due, card(), new_key())
    assert first.status == PaymentStatus.PENDING  # charged at the processor, answer lost

    # The form said "Nothing is lost"; the agent closes it, opens it again: the same
    # amount is still "due now", and is charged again with no overpayment question.
    lossy.lose = False
    assert payments.open_visits(account)[0].due_now == due
    # The fix: the pending payment counts, so the second one is an overpayment.
    with contextlib.suppress(OverpaymentNeedsConfirmation):
        payments.take(account, due, card("5555555555554444"), new_key())
    payments.gateway = real
    payments.reconcile()

    with paying_desk.engine.connect() as conn:
        rows = conn.execute(
            select(LedgerEntry.encounter_id, func.sum(LedgerEntry.amount_cents))
            .join(Payment, Payment.id == LedgerEntry.payment_id)
            .where(Payment.account_id == account, LedgerEntry.encounter_id.is_not(None))
            .group_by(LedgerEntry.encounter_id)
        ).all()
    charged = sum(c.amount_cents for c in real.charges())  # type: ignore[attr-defined]
    over = {eid: -paid for eid, paid in rows if eid and -paid > owed.get(eid, 0)}
    assert charged <= due and not over, (
        f"${charged / 100:.2f} charged for ${due / 100:.2f} due, with no overpayment "
        f"question; {len(over)} visits are posted as paid beyond what they owed"
    )


# -- 3. another desk's pending payment is voided here, and then never posted ---------------


def test_only_the_desk_that_sent_a_payment_reconciles_it(
    paying_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Desk A took a payment and lost the answer; sync brought its pending row here
    (desk B). B's start-up reconcile asks *its own* sandbox, which never saw the key, and
    voids it as "not sent". When desk A reconciles, ``recheck`` stops at the voided row,
    so A's real charge never gets its ledger entry."""
    account = accounts_with_due(paying_desk, 5_000)[0]
    gateway_a = SandboxGateway(tmp_path / "desk-a" / "sandbox-gateway.sqlite3")
    lossy = LostAnswers(gateway_a)
    desk_a = Payments(
        paying_desk._sessions, lossy, paying_desk.user, "desk-a",  # type: ignore[arg-type]
        today=lambda: TODAY,
    )  # fmt: skip
    outcome = desk_a.take(account, 2_500, card(), new_key())
    assert outcome.status == PaymentStatus.PENDING
    assert len(gateway_a.charges()) == 1  # the money moved at desk A's processor

    import app.services.payments as payments_module
    from app.store.types import utcnow

    later = utcnow() + timedelta(minutes=5)
    monkeypatch.setattr(payments_module, "utcnow", lambda: later)
    paying_desk.payments.reconcile()  # desk B opens (its own sandbox gateway)

    lossy.lose = False
    desk_a.reconcile()  # desk A opens again
    with paying_desk.engine.connect() as conn:
        status = conn.scalar(select(Payment.status).where(Payment.id == outcome.payment_id))
        posted = conn.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.payment_id == outcome.payment_id)
        )
    assert (status, posted) == (PaymentStatus.APPROVED, 1), (
        f"charged at the processor, but the desk says {status} with {posted} ledger entries"
    )


# -- 4. role limits ------------------------------------------------------------------------

LIMITS = AdjustmentLimits(agent_cents=500, lead_cents=1_500)


def _adjustments(desk: Desk, username: str) -> Adjustments:
    return Adjustments(
        desk._sessions, _user(desk, username), desk.workstation, today=desk._today,
        limits=lambda: LIMITS,
    )  # fmt: skip


def test_a_lead_cannot_reverse_a_charge_beyond_the_lead_limit(
    paying_desk: Desk,
) -> None:
    lead = _adjustments(paying_desk, "lead")
    for account in accounts_with_due(paying_desk, 5_000):
        charges = [
            e for e in lead.entries(account)
            if e.kind == LedgerKind.CHARGE and e.correctable and e.amount_cents > LIMITS.lead_cents
        ]  # fmt: skip
        if charges:
            break
    else:
        pytest.skip("no correctable charge above the lead limit in the demo")
    before = ledger_balance(paying_desk, account)
    try:
        lead.correct(charges[0].id, None, "charge posted by mistake")
    except AdjustmentRefused:
        return  # the fix: a reduction above the lead's limit needs an admin
    lowered = before - ledger_balance(paying_desk, account)
    assert lowered <= LIMITS.lead_cents, (
        f"a lead (limit ${LIMITS.lead_cents / 100:.2f}) lowered the balance by "
        f"${lowered / 100:.2f} with no approval"
    )


def test_small_write_offs_add_up_against_the_limit(paying_desk: Desk) -> None:
    agent = _adjustments(paying_desk, paying_desk.user.username)
    account = accounts_with_due(paying_desk, 5_000)[0]
    before = ledger_balance(paying_desk, account)
    posted = 0
    for _ in range(4):  # 4 x $5.00 against a $5.00 limit
        info = agent.request(
            account, amount_cents=LIMITS.agent_cents, reason=AdjustmentReason.COURTESY
        )
        posted += info.amount_cents if info.posted else 0
    assert before - ledger_balance(paying_desk, account) == posted
    assert posted <= LIMITS.agent_cents, (
        f"an agent with a ${LIMITS.agent_cents / 100:.2f} limit wrote off "
        f"${posted / 100:.2f} on one account the same day with no lead"
    )


# -- 5. autopay charges more than the account owes --------------------------------------------


def test_autopay_charges_no_more_than_is_owed(paying_desk: Desk) -> None:
    plans: Plans = paying_desk.plans
    account = accounts_with_due(paying_desk, 30_000)[0]
    stored = plans.enroll_card(card(), new_key())
    plan = plans.create(
        account, months=3, first_due=TODAY, autopay=stored, consent_by="Ana Ruiz",
        consent_recorded=True,
    )  # fmt: skip
    # The caller pays most of it another way (by phone, the next week).
    due = paying_desk.payments.open_visits(account)[0].due_now
    assert paying_desk.payments.take(account, due - 1_000, card(), new_key()).approved
    assert paying_desk.payments.open_visits(account)[0].due_now == 1_000  # $10 left

    report = plans.run_due(date(2026, 11, 23))
    first = plan.installments[0].amount_cents
    assert first > 1_000
    assert report.charged_cents <= 1_000, (
        f"autopay charged the ${report.charged_cents / 100:.2f} installment on a $10.00 "
        f"balance: ${(report.charged_cents - 1_000) / 100:.2f} became a credit to refund"
    )


# -- 7. two open plans for one account --------------------------------------------------------


def test_two_plans_created_at_once_leave_one_open(
    paying_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``create`` checks "no open plan" and then inserts; the ``with_for_update`` that
    would serialize it is a no-op on SQLite (and two desks never share a lock), so two
    creations for one account both succeed and run-due charges both plans."""
    plans: Plans = paying_desk.plans
    account = accounts_with_due(paying_desk, 30_000)[0]
    stored = plans.enroll_card(card(), new_key())
    both_checked = threading.Barrier(2, timeout=5)
    original = Plans._plan_total

    def after_the_check(self: Plans, *args: object) -> tuple[int, int]:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()  # both have seen "no open plan" before either inserts
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Plans, "_plan_total", after_the_check)
    results: list[object] = []

    def create() -> None:
        try:
            results.append(
                plans.create(
                    account,
                    months=3,
                    first_due=TODAY,
                    autopay=stored,
                    consent_by="Ana Ruiz",
                    consent_recorded=True,
                )
            )
        except PlanRefused as exc:
            results.append(exc)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    monkeypatch.undo()
    open_plans = [p for p in plans.plans_of(account) if p.open]
    assert len(open_plans) <= 1, f"{len(open_plans)} open plans on one account"
    report = plans.run_due(TODAY)
    assert report.charged <= 1, f"{report.charged} installments charged on {TODAY}"


# -- 8. run-due charges an installment the agent just cancelled -------------------------------


def test_run_due_does_not_charge_a_plan_cancelled_during_the_run(
    paying_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_due_one`` reads the installment, then ``take`` links and charges it without
    checking again that it is still scheduled on an active plan. A cancel (or a change)
    committed in between is overridden: the skipped installment is charged and marked
    paid on a cancelled plan."""
    plans: Plans = paying_desk.plans
    account = accounts_with_due(paying_desk, 30_000)[0]
    stored = plans.enroll_card(card(), new_key())
    plan = plans.create(
        account, months=3, first_due=TODAY, autopay=stored, consent_by="Ana Ruiz",
        consent_recorded=True,
    )  # fmt: skip
    original = Plans._due_now

    def the_agent_cancels_now(self: Plans, account_id: uuid.UUID) -> int:
        plans.cancel(plan.id)  # the caller asked to cancel; the agent did, at this moment
        return original(self, account_id)

    monkeypatch.setattr(Plans, "_due_now", the_agent_cancels_now)
    report = plans.run_due(TODAY)
    monkeypatch.undo()
    after = plans.plan(plan.id)
    assert after.status == "cancelled"
    assert report.charged == 0 and after.paid_cents == 0, (
        f"{report.charged} installment(s) charged (${report.charged_cents / 100:.2f}) on a "
        f"plan cancelled before the charge; installments now "
        f"{[i.status for i in after.installments]}"
    )


# -- 9. a credit is refunded from a bank debit that then comes back -------------------------


def test_a_credit_is_not_refunded_from_a_bank_debit(paying_desk: Desk) -> None:
    """``refund_credit`` sends a credit back through the newest approved payment, even an
    ACH debit still inside its return window; when the bank returns the debit the
    practice has paid out money it never received (the account now owes the refund)."""
    from app.domain.payment_entry import parse_bank

    account = accounts_with_due(paying_desk, 5_000)[0]
    payments = paying_desk.payments
    balance = ledger_balance(paying_desk, account)
    bank = parse_bank("110000000", "000111111116", "checking", "Pat Payer")  # returns R01
    assert payments.take(account, balance + 2_500, bank, new_key(), allow_overpayment=True).approved
    try:
        refund = payments.refund_credit(account, 2_500, new_key())
    except PaymentRefused:
        return  # the fix: no refund from a debit that may still be returned
    assert refund.approved
    assert payments.process_returns() == 1
    assert not refund.approved or ledger_balance(paying_desk, account) <= balance, (
        f"$25.00 refunded from a debit the bank returned: the balance went from "
        f"${balance / 100:.2f} to ${ledger_balance(paying_desk, account) / 100:.2f}"
    )
