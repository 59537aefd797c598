"""Payment plans: quote, create, change, pause, resume, cancel, and charge what is due.

A plan finances what the account owes *now* (not what is still with insurance), less a
down payment. The down payment is an ordinary payment the payment form takes first; the
plan is then created naming it (``down_payment_id``), so the plan's total is what was
due before it and the installments add up, to the cent, to what is left. A plan that
names no down payment has none.

Autopay stores the processor's token, brand and last four of a card enrolled with
:meth:`Plans.enroll_card` (the number never leaves the form and the gateway), and only
with the payer's consent recorded (who agreed, and when).

:meth:`Plans.run_due` charges due installments exactly once. Each charge goes through
:meth:`Payments.take` with a key made from the installment and its attempt number, so a
second run (or two runs at once) sends the same key and the gateway answers with the
first result. An installment whose payment is still pending was sent and not answered
(a timeout, a run killed half-way): it is asked about with its own key
(:meth:`Payments.recheck`), never charged with a new one, until the gateway says that
request never arrived. Declined installments are not retried by themselves: a task asks
an agent to call the payer. Plans without autopay get one reminder task per installment.
An account that owes nothing now (paid off another way) is not charged: a task asks an
agent to complete or cancel the plan.

Every write goes through the tracked session (the outbox); paid installments are never
changed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.domain.codes import InstallmentStatus, PaymentMethod, PaymentStatus, PlanStatus, TaskStatus
from app.domain.money import format_usd
from app.domain.payment_entry import CardEntry
from app.domain.plans import (
    PlanError,
    PlanLimits,
    Schedule,
    add_months,
    build_schedule,
    hardship_reasons,
)
from app.integrations.gateway import GatewayError, StoredCard
from app.services.errors import DeskError
from app.services.payments import (
    GatewayDown,
    PaymentOutcome,
    PaymentRefused,
    Payments,
    _open_visits,
    method_label,
)
from app.services.views import UserInfo
from app.store.models import GuarantorAccount, Payment, PaymentPlan, PlanInstallment, Task
from app.store.types import utcnow

log = logging.getLogger(__name__)

#: A pending plan charge the gateway has not heard of is left alone this long: another
#: run may still be sending it. After that it counts as never sent.
SETTLE_AFTER = timedelta(minutes=10)
_TASK_IDS = uuid.UUID("0d6b2f4e-8a61-4f3c-b0a7-5e9c1d2f7a44")  # namespace: reminder ids
_OPEN = (PlanStatus.ACTIVE, PlanStatus.PAUSED)
_UNPAID = (InstallmentStatus.SCHEDULED, InstallmentStatus.DECLINED)


class PlanRefused(DeskError):
    """The desk will not do this to a plan; the message is one sentence for the agent.
    ``field`` names the form field to fix, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class PlanQuote:
    """What a plan would look like: a schedule, or the error that stops it."""

    balance_cents: int  # what the plan covers: due now (plus a down payment already taken)
    limits: PlanLimits
    schedule: Schedule | None = None
    error: PlanError | None = None
    hardship: tuple[str, ...] = ()  # reasons to offer financial-assistance screening
    down_payment_taken_cents: int = 0

    @property
    def ok(self) -> bool:
        return self.schedule is not None and self.error is None


class InstallmentLine(NamedTuple):
    sequence: int
    due_date: date
    amount_cents: int
    status: str  # scheduled, paid, declined, skipped


@dataclass(frozen=True)
class PlanInfo:
    id: uuid.UUID
    account_id: uuid.UUID
    status: str  # active, paused, completed, cancelled, defaulted
    total_cents: int  # what the plan covered when it was made, down payment included
    down_payment_cents: int
    installment_cents: int  # the regular monthly amount (the last may be smaller)
    months: int  # installments paid plus those still scheduled
    first_due_date: date
    next_due_date: date | None  # the next scheduled installment
    next_due_cents: int
    paid_cents: int  # installments paid so far (the down payment not included)
    remaining_cents: int  # scheduled and declined installments
    autopay_label: str | None  # "Visa ending 4242"; None without autopay
    consent_by: str | None
    consent_recorded_at: datetime | None
    created_at: datetime
    installments: tuple[InstallmentLine, ...]

    @property
    def open(self) -> bool:
        return self.status in (PlanStatus.ACTIVE, PlanStatus.PAUSED)


@dataclass(frozen=True)
class RunReport:
    """What :meth:`Plans.run_due` did, installment by installment."""

    on: date
    charged: int = 0  # installments that became paid in this run
    declined: int = 0  # installments the bank declined in this run (a task each)
    pending: int = 0  # sent, answer not known yet: asked again at the next run
    skipped_paused: int = 0  # due installments of paused plans
    already_done: int = 0  # due installments (active or paused plans) paid before this run
    reminded: int = 0  # reminder tasks made for plans without autopay
    nothing_owed: int = 0  # not charged: the account owes nothing now (a task to review)
    unreachable: int = 0  # not charged: the gateway could not be reached
    failed: int = 0  # refused by the desk or voided by the gateway (logged)
    completed: int = 0  # plans whose last installment is now paid
    charged_cents: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["on"] = self.on.isoformat()
        return out


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)
    gateway_down: bool = False

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def outcome(self, outcome: PaymentOutcome) -> str:
        """Count a payment's answer; return its status."""
        status = outcome.status
        if status == PaymentStatus.APPROVED:
            self.add("charged")
            self.add("charged_cents", outcome.amount_cents)
        elif status == PaymentStatus.DECLINED:
            self.add("declined")
        elif status == PaymentStatus.PENDING:
            self.add("pending")
        return status


class Plans:
    """The desk's plan use cases (``desk.plans``). Safe from worker threads: each call
    opens its own sessions, and the gateway is called outside any transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        payments: Payments,
        user: UserInfo,
        *,
        today: Callable[[], date],
        limits: Callable[[], PlanLimits],
    ) -> None:
        self.sessions = sessions
        self.payments = payments
        self.user = user
        self._today = today
        self._limits = limits

    # -- offering a plan ---------------------------------------------------------------

    def quote(
        self,
        account_id: uuid.UUID,
        *,
        down_payment_cents: int = 0,
        monthly_cents: int | None = None,
        months: int | None = None,
        first_due: date,
        down_payment_id: uuid.UUID | None = None,
    ) -> PlanQuote:
        """The schedule the caller would get, or why not; never raises for plan policy.

        ``down_payment_id`` names a down payment already taken (its amount is added back
        to what is due now, so the total stays what the caller owed)."""
        limits = self._limits()
        with self.sessions() as session:
            total, taken = self._plan_total(session, account_id, down_payment_id)
        hardship = hardship_reasons(total, limits, monthly_cents=monthly_cents, months=months)
        try:
            schedule = self._schedule(
                total, limits, down_payment_cents, monthly_cents, months, first_due, taken
            )
        except PlanError as exc:
            return PlanQuote(total, limits, None, exc, hardship, taken)
        return PlanQuote(total, limits, schedule, None, hardship, taken)

    def enroll_card(self, card: CardEntry, key: str) -> StoredCard:
        """Keep the card with the processor for autopay; the token comes back, the number
        goes nowhere else. ``key`` is made once per press (a retry sends the same)."""
        try:
            return self.payments.gateway.tokenize(key, card)
        except GatewayError as exc:
            raise PlanRefused(_sentence(str(exc)), field="card") from exc

    def create(
        self,
        account_id: uuid.UUID,
        *,
        down_payment_cents: int = 0,
        monthly_cents: int | None = None,
        months: int | None = None,
        first_due: date,
        autopay: StoredCard | None,
        consent_by: str,
        consent_recorded: bool,
        interaction_id: uuid.UUID | None = None,
        down_payment_id: uuid.UUID | None = None,
    ) -> PlanInfo:
        """Make the plan and its scheduled installments in one transaction.

        Refused (:class:`PlanRefused`) when the account already has an active or paused
        plan, autopay comes without the payer's consent, a down payment was not taken
        first, or the schedule is outside policy."""
        who = " ".join(consent_by.split())[:160]
        if autopay is not None and not consent_recorded:
            raise PlanRefused(
                "Automatic payments need the payer's consent: read the consent script and "
                "tick that the payer agreed.",
                field="consent",
            )
        if autopay is not None and not who:
            raise PlanRefused("Enter the name of the person who consented.", field="consent_by")
        if down_payment_cents > 0 and down_payment_id is None:
            raise PlanRefused(
                f"Take the down payment of {format_usd(down_payment_cents)} first, then "
                "create the plan.",
                field="down_payment",
            )
        limits = self._limits()
        try:
            return self._create(
                account_id, limits, down_payment_cents, monthly_cents, months, first_due,
                autopay, consent_recorded, who, interaction_id, down_payment_id,
            )  # fmt: skip
        except IntegrityError as exc:  # another desk or thread made one a moment ago
            raise PlanRefused(
                "This account already has a plan (active or paused): change that plan "
                "instead of making a second one."
            ) from exc

    def _create(
        self,
        account_id: uuid.UUID,
        limits: PlanLimits,
        down_payment_cents: int,
        monthly_cents: int | None,
        months: int | None,
        first_due: date,
        autopay: StoredCard | None,
        consent_recorded: bool,
        who: str,
        interaction_id: uuid.UUID | None,
        down_payment_id: uuid.UUID | None,
    ) -> PlanInfo:
        with self.sessions.begin() as session:
            account = session.scalar(
                select(GuarantorAccount).where(GuarantorAccount.id == account_id).with_for_update()
            )
            if account is None:
                raise PlanRefused("No such account.")
            if session.scalar(
                select(PaymentPlan.id).where(
                    PaymentPlan.account_id == account_id, PaymentPlan.status.in_(_OPEN)
                )
            ):
                raise PlanRefused(
                    "This account already has a plan (active or paused): change that plan "
                    "instead of making a second one."
                )
            total, taken = self._plan_total(session, account_id, down_payment_id)
            try:
                schedule = self._schedule(
                    total, limits, down_payment_cents, monthly_cents, months, first_due, taken
                )
            except PlanError as exc:
                raise PlanRefused(exc.message, field=exc.field) from exc
            plan = PaymentPlan(
                id=uuid.uuid4(), account_id=account_id, status=PlanStatus.ACTIVE,
                total_cents=schedule.total_cents,
                down_payment_cents=schedule.down_payment_cents,
                installment_cents=schedule.monthly_cents, installment_count=schedule.months,
                first_due_date=schedule.installments[0].due_date,
                autopay_token=autopay.token if autopay else None,
                autopay_brand=autopay.brand[:20] if autopay else None,
                autopay_last4=autopay.last4 if autopay else None,
                consent_recorded_at=utcnow() if consent_recorded else None,
                consent_by=(who or None) if consent_recorded else None,
                interaction_id=interaction_id, created_by_id=self.user.id,
            )  # fmt: skip
            for item in schedule.installments:
                plan.installments.append(
                    _installment(item.sequence, item.due_date, item.amount_cents)
                )
            session.add(plan)
            session.flush()  # the plan exists before the down payment names it
            if down_payment_id is not None:
                payment = session.get(Payment, down_payment_id)
                assert payment is not None  # checked by _plan_total
                payment.plan_id = plan.id
                session.flush()
            return _info(session, plan)

    # -- looking at plans ------------------------------------------------------------

    def plans_of(self, account_id: uuid.UUID) -> list[PlanInfo]:
        """The account's plans, newest first."""
        with self.sessions() as session:
            plans = session.scalars(
                select(PaymentPlan)
                .where(PaymentPlan.account_id == account_id)
                .order_by(PaymentPlan.created_at.desc())
            ).all()
            return [_info(session, plan) for plan in plans]

    def plan(self, plan_id: uuid.UUID) -> PlanInfo:
        with self.sessions() as session:
            return _info(session, _get_plan(session, plan_id))

    # -- changing a plan -------------------------------------------------------------

    def change(
        self,
        plan_id: uuid.UUID,
        *,
        monthly_cents: int | None = None,
        months: int | None = None,
        first_due: date,
    ) -> PlanInfo:
        """Spread what is left (scheduled and declined installments) over a new schedule:
        those installments become ``skipped`` and new ones continue the sequence."""
        limits = self._limits()
        with self.sessions.begin() as session:
            plan = _get_plan(session, plan_id, lock=True)
            if plan.status not in _OPEN:
                raise PlanRefused(f"This plan is {plan.status}: only an open plan can be changed.")
            _refuse_if_pending(session, plan)
            unpaid = [i for i in plan.installments if i.status in _UNPAID]
            remaining = sum(i.amount_cents for i in unpaid)
            if remaining <= 0:
                raise PlanRefused("Nothing is left to pay on this plan.")
            try:
                schedule = self._schedule(remaining, limits, 0, monthly_cents, months, first_due, 0)
            except PlanError as exc:
                field = "months" if exc.field in ("total", "down_payment") else exc.field
                raise PlanRefused(exc.message, field=field) from exc
            for installment in unpaid:
                installment.status = InstallmentStatus.SKIPPED
            after = max(i.sequence for i in plan.installments)
            for item in schedule.installments:
                plan.installments.append(
                    _installment(after + item.sequence, item.due_date, item.amount_cents)
                )
            paid = sum(1 for i in plan.installments if i.status == InstallmentStatus.PAID)
            plan.installment_cents = schedule.monthly_cents
            plan.installment_count = paid + schedule.months
            session.flush()
            return _info(session, plan)

    def pause(self, plan_id: uuid.UUID) -> PlanInfo:
        """Stop charging (and reminding) until :meth:`resume`."""
        with self.sessions.begin() as session:
            plan = _get_plan(session, plan_id, lock=True)
            if plan.status == PlanStatus.ACTIVE:
                plan.status = PlanStatus.PAUSED
            elif plan.status != PlanStatus.PAUSED:
                raise PlanRefused(f"This plan is {plan.status}: only an active plan can be paused.")
            session.flush()
            return _info(session, plan)

    def resume(self, plan_id: uuid.UUID) -> PlanInfo:
        """Charge again. Installments that fell due while the plan was paused move on by
        whole months (in order, amounts unchanged), so the payer is never charged for
        several months at once."""
        today = self._today()
        with self.sessions.begin() as session:
            plan = _get_plan(session, plan_id, lock=True)
            if plan.status == PlanStatus.ACTIVE:
                return _info(session, plan)
            if plan.status != PlanStatus.PAUSED:
                raise PlanRefused(f"This plan is {plan.status}: only a paused plan can resume.")
            plan.status = PlanStatus.ACTIVE
            waiting = [
                i
                for i in plan.installments
                if i.status == InstallmentStatus.SCHEDULED and i.payment_id is None
            ]
            if waiting and waiting[0].due_date < today:
                shift = 1
                while add_months(waiting[0].due_date, shift) < today:
                    shift += 1
                anchor = add_months(waiting[0].due_date, shift)
                for index, installment in enumerate(waiting):
                    installment.due_date = add_months(anchor, index)
            session.flush()
            return _info(session, plan)

    def cancel(self, plan_id: uuid.UUID) -> PlanInfo:
        """End the plan: what was not paid is skipped (the balance stays on the account)."""
        with self.sessions.begin() as session:
            plan = _get_plan(session, plan_id, lock=True)
            if plan.status == PlanStatus.CANCELLED:
                return _info(session, plan)
            if plan.status not in _OPEN:
                raise PlanRefused(f"This plan is {plan.status}: it cannot be cancelled.")
            _refuse_if_pending(session, plan)
            for installment in plan.installments:
                if installment.status in _UNPAID:
                    installment.status = InstallmentStatus.SKIPPED
            plan.status = PlanStatus.CANCELLED
            session.flush()
            return _info(session, plan)

    # -- charging what is due --------------------------------------------------------

    def run_due(self, on: date, *, settle_after: timedelta = SETTLE_AFTER) -> RunReport:
        """Charge every installment of an active plan due on or before ``on`` (see the
        module docstring); make reminder tasks for plans without autopay. Idempotent:
        run it again, or after a run was killed, and nothing is charged twice."""
        tally = _Tally()
        with self.sessions() as session:
            tally.add(
                "already_done",
                session.scalar(
                    select(func.count())
                    .select_from(PlanInstallment)
                    .join(PaymentPlan, PaymentPlan.id == PlanInstallment.plan_id)
                    .where(
                        PaymentPlan.status.in_(_OPEN),
                        PlanInstallment.status == InstallmentStatus.PAID,
                        PlanInstallment.due_date <= on,
                    )
                )
                or 0,
            )
            due = session.scalars(
                select(PlanInstallment.id)
                .join(PaymentPlan, PaymentPlan.id == PlanInstallment.plan_id)
                .where(
                    PaymentPlan.status.in_(_OPEN),
                    PlanInstallment.status == InstallmentStatus.SCHEDULED,
                    PlanInstallment.due_date <= on,
                )
                .order_by(
                    PlanInstallment.due_date, PlanInstallment.plan_id, PlanInstallment.sequence
                )
            ).all()
        for installment_id in due:
            self._due_one(installment_id, tally, settle_after)
        tally.add("completed", self._complete_finished())
        report = RunReport(on, **tally.counts)
        log.info("plans run-due %s: %s", on.isoformat(), report.as_dict())
        return report

    # -- inside ----------------------------------------------------------------------

    def _plan_total(
        self, session: Session, account_id: uuid.UUID, down_payment_id: uuid.UUID | None
    ) -> tuple[int, int]:
        """(what the plan covers, the down payment already taken)."""
        if session.get(GuarantorAccount, account_id) is None:
            raise PlanRefused("No such account.")
        explanation, _ = _open_visits(session, account_id, self._today())
        taken = 0
        if down_payment_id is not None:
            payment = session.get(Payment, down_payment_id)
            if (
                payment is None
                or payment.account_id != account_id
                or payment.kind != "payment"
                or payment.status != PaymentStatus.APPROVED
            ):
                raise PlanRefused(
                    "The down payment has not gone through on this account.", field="down_payment"
                )
            if payment.plan_id is not None:
                raise PlanRefused("That payment already belongs to a plan.", field="down_payment")
            taken = payment.amount_cents
        return explanation.due_now + taken, taken

    def _schedule(
        self,
        total: int,
        limits: PlanLimits,
        down_payment_cents: int,
        monthly_cents: int | None,
        months: int | None,
        first_due: date,
        taken: int,
    ) -> Schedule:
        if monthly_cents is None and months is None:
            raise PlanError("months", "Enter a monthly amount or a number of months.")
        if monthly_cents is not None and months is not None:
            raise PlanError("months", "Choose either a monthly amount or a number of months.")
        if taken and down_payment_cents != taken:
            raise PlanError("down_payment", f"The down payment taken was {format_usd(taken)}.")
        return build_schedule(
            total, first_due=first_due, limits=limits, down_payment_cents=down_payment_cents,
            monthly_cents=monthly_cents, months=months, today=self._today(),
        )  # fmt: skip

    def _due_one(self, installment_id: uuid.UUID, tally: _Tally, settle_after: timedelta) -> None:
        state = self._state(installment_id)
        if state is None:
            return
        if state.status == InstallmentStatus.PAID:
            tally.add("already_done")  # another run paid it a moment ago
            return
        if state.status != InstallmentStatus.SCHEDULED:
            return
        if state.pending is not None:
            if not self._settle(state, tally, settle_after):
                return
            state = self._state(installment_id)  # the earlier request never arrived
            if state is None or state.status != InstallmentStatus.SCHEDULED:
                return
        if state.plan_status == PlanStatus.PAUSED:
            tally.add("skipped_paused")
            return
        if state.plan_status != PlanStatus.ACTIVE:
            return
        due_now = self._due_now(state.account_id)
        if due_now <= 0:
            # Paid off some other way (or moved back to insurance): charging now would
            # only make a credit to refund. An agent decides what becomes of the plan.
            tally.add("nothing_owed")
            title = (
                f"Plan installment {state.sequence} not charged: the account owes nothing "
                "now. Complete or cancel the plan"
            )
            self._task_once(state, "plan_review", title)
            return
        if state.token is None:
            title = (
                f"Plan installment {state.sequence} of {format_usd(state.amount_cents)} due "
                f"{state.due_date:%m/%d/%Y}: no autopay, take the payment"
            )
            if self._task_once(state, "plan_due", title):
                tally.add("reminded")
            return
        if tally.gateway_down:
            tally.add("unreachable")
            return
        card = StoredCard(state.token, state.brand or "card", state.last4 or "")
        key = f"plan-{installment_id.hex}-{state.attempts + 1}"
        try:
            # Never more than is due now: the rest of the account may have been paid.
            outcome = self.payments.take(
                state.account_id, min(state.amount_cents, due_now), card, key,
                plan_id=state.plan_id, installment_id=installment_id,
            )  # fmt: skip
        except GatewayDown:
            tally.gateway_down = True
            tally.add("unreachable")
            return
        except PaymentRefused as exc:
            log.warning("plan installment %s not charged: %s", installment_id, exc)
            tally.add("failed")
            return
        if tally.outcome(outcome) == PaymentStatus.VOIDED:
            tally.add("failed")

    def _settle(self, state: _State, tally: _Tally, settle_after: timedelta) -> bool:
        """Ask about the installment's pending payment with its own key. True when the
        gateway never received it (voided here), so a new attempt may be made."""
        assert state.pending is not None
        payment_id, key, taken_at = state.pending
        if tally.gateway_down:
            tally.add("pending")
            return False
        try:
            known = self.payments.gateway.lookup(key)
            if known is None and utcnow() - taken_at < settle_after:
                tally.add("pending")  # perhaps still on its way from another run
                return False
            outcome = self.payments.recheck(payment_id, settle_after=settle_after)
        except GatewayError as exc:
            tally.gateway_down = True
            tally.add("pending")
            log.warning("plan payment %s left pending: %s", payment_id, type(exc).__name__)
            return False
        status = tally.outcome(outcome)
        return status == PaymentStatus.VOIDED

    def _state(self, installment_id: uuid.UUID) -> _State | None:
        with self.sessions() as session:
            installment = session.get(PlanInstallment, installment_id)
            if installment is None:
                return None
            plan = session.get(PaymentPlan, installment.plan_id)
            assert plan is not None
            pending = None
            if installment.payment_id is not None:
                payment = session.get(Payment, installment.payment_id)
                if payment is not None and payment.status == PaymentStatus.PENDING:
                    pending = (payment.id, payment.idempotency_key, payment.taken_at)
            return _State(
                installment.id, plan.id, plan.account_id, PlanStatus(plan.status),
                InstallmentStatus(installment.status), installment.sequence,
                installment.due_date, installment.amount_cents, installment.attempts,
                plan.autopay_token, plan.autopay_brand, plan.autopay_last4, pending,
            )  # fmt: skip

    def _due_now(self, account_id: uuid.UUID) -> int:
        with self.sessions() as session:
            explanation, _ = _open_visits(session, account_id, self._today())
        return explanation.due_now

    def _task_once(self, state: _State, kind: str, title: str) -> bool:
        """One task of ``kind`` per installment (its id is derived from both); False
        when it already exists."""
        task_id = uuid.uuid5(_TASK_IDS, f"{kind}:{state.installment_id.hex}")
        try:
            with self.sessions.begin() as session:
                if session.get(Task, task_id) is not None:
                    return False
                session.add(
                    Task(
                        id=task_id, account_id=state.account_id, kind=kind, title=title[:200],
                        details=None, status=TaskStatus.OPEN, priority=2,
                        due_at=(utcnow() + timedelta(hours=24)).astimezone(UTC),
                    )
                )  # fmt: skip
        except IntegrityError:
            return False  # another run made it first
        return True

    def _complete_finished(self) -> int:
        """Active plans with nothing left to pay become completed."""
        unpaid = exists().where(
            PlanInstallment.plan_id == PaymentPlan.id, PlanInstallment.status.in_(_UNPAID)
        )
        paid = exists().where(
            PlanInstallment.plan_id == PaymentPlan.id,
            PlanInstallment.status == InstallmentStatus.PAID,
        )
        with self.sessions.begin() as session:
            plans = session.scalars(
                select(PaymentPlan).where(PaymentPlan.status == PlanStatus.ACTIVE, ~unpaid, paid)
            ).all()
            for plan in plans:
                plan.status = PlanStatus.COMPLETED
            return len(plans)


class _State(NamedTuple):
    installment_id: uuid.UUID
    plan_id: uuid.UUID
    account_id: uuid.UUID
    plan_status: PlanStatus
    status: InstallmentStatus
    sequence: int
    due_date: date
    amount_cents: int
    attempts: int
    token: str | None
    brand: str | None
    last4: str | None
    pending: tuple[uuid.UUID, str, datetime] | None  # payment id, key, taken at


def _installment(sequence: int, due_date: date, amount_cents: int) -> PlanInstallment:
    return PlanInstallment(
        id=uuid.uuid4(), sequence=sequence, due_date=due_date, amount_cents=amount_cents,
        status=InstallmentStatus.SCHEDULED, attempts=0,
    )  # fmt: skip


def _get_plan(session: Session, plan_id: uuid.UUID, *, lock: bool = False) -> PaymentPlan:
    query = select(PaymentPlan).where(PaymentPlan.id == plan_id)
    plan = session.scalar(query.with_for_update() if lock else query)
    if plan is None:
        raise PlanRefused("No such plan.")
    return plan


def _refuse_if_pending(session: Session, plan: PaymentPlan) -> None:
    """A charge still waiting for the gateway's answer may yet be paid: changing the
    schedule under it could take the same money twice."""
    waiting = session.scalar(
        select(func.count())
        .select_from(Payment)
        .where(Payment.plan_id == plan.id, Payment.status == PaymentStatus.PENDING)
    )
    if waiting:
        raise PlanRefused(
            "A plan payment is still waiting for the gateway's answer; check it again "
            "before changing the plan."
        )


def _info(session: Session, plan: PaymentPlan) -> PlanInfo:
    lines = tuple(
        InstallmentLine(i.sequence, i.due_date, i.amount_cents, str(i.status))
        for i in sorted(plan.installments, key=lambda i: i.sequence)
    )
    upcoming = [line for line in lines if line.status == InstallmentStatus.SCHEDULED]
    label = None
    if plan.autopay_token:
        label = method_label(PaymentMethod.CARD, plan.autopay_brand, plan.autopay_last4)
    return PlanInfo(
        id=plan.id, account_id=plan.account_id, status=str(plan.status),
        total_cents=plan.total_cents, down_payment_cents=plan.down_payment_cents,
        installment_cents=plan.installment_cents, months=plan.installment_count,
        first_due_date=plan.first_due_date,
        next_due_date=upcoming[0].due_date if upcoming else None,
        next_due_cents=upcoming[0].amount_cents if upcoming else 0,
        paid_cents=sum(line.amount_cents for line in lines if line.status == "paid"),
        remaining_cents=sum(line.amount_cents for line in lines if line.status in _UNPAID),
        autopay_label=label, consent_by=plan.consent_by,
        consent_recorded_at=plan.consent_recorded_at, created_at=plan.created_at,
        installments=lines,
    )  # fmt: skip


def _sentence(text: str) -> str:
    text = text.strip() or "The gateway refused the card"
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
