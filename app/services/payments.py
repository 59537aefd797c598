"""Taking payments by phone, exactly once, with no card data kept.

The path of one payment (:meth:`Payments.take`):

1. The GUI makes an idempotency key when the agent presses Pay and keeps it until the
   form is reset, so a double click or a retry sends the same key.
2. A ``payment`` row is committed with that key, status ``pending``, the amount and
   where it goes (the allocation), before the gateway hears anything. Card data in it:
   brand, last four, expiry. A second press with the same key finds this row.
3. The gateway is asked with the same key. A timeout is retried with the same key (the
   processor answers with the first result, so it never charges twice).
4. The answer is posted in one transaction: the payment's status and, when approved,
   one ledger entry per visit paid (and one for any credit). Ledger entry ids are
   derived from the payment's id, so posting the same answer twice is refused by the
   primary key on every engine: a race between two threads or a reconcile cannot post
   twice.

A crash between 3 and 4 leaves a ``pending`` row whose key the gateway knows:
:meth:`Payments.reconcile` (run when the desk opens) asks the gateway what became of
each and posts it, or marks it not charged when the request never arrived.

Everything is written through the tracked session, so each row goes through the outbox.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.domain.allocation import Allocation, OpenVisit, allocate
from app.domain.codes import LedgerKind, PaymentMethod, PaymentStatus, TaskStatus
from app.domain.explain import AccountExplanation, explain_account
from app.domain.money import format_usd
from app.domain.payment_entry import BankEntry, CardEntry
from app.integrations.gateway import (
    GatewayError,
    GatewayResult,
    GatewayStatus,
    GatewayTimeout,
    GatewayUnavailable,
    PaymentGateway,
    Source,
    StoredCard,
)
from app.services.errors import DeskError
from app.services.views import ReceiptLine, ReceiptView, UserInfo
from app.store.explain import explain_facts
from app.store.models import (
    Encounter,
    GuarantorAccount,
    Interaction,
    LedgerEntry,
    Patient,
    Payment,
    PlanInstallment,
    Task,
    User,
)
from app.store.types import utcnow

log = logging.getLogger(__name__)

TIMEOUT_RETRIES = 3  # the same key is asked again this many times after a timeout
_LEDGER_IDS = uuid.UUID("6f1c8a52-54c1-4b0c-9d8e-2b7a0c1f3e90")  # namespace for entry ids
DECLINED_LIST_DAYS = 60
# A key the gateway has not seen after this long was never sent: the payment is voided.
SETTLE_AFTER = timedelta(minutes=2)


class PaymentRefused(DeskError):
    """The desk will not send this payment (the message says why, for the agent)."""


class GatewayDown(PaymentRefused):
    """The gateway is out of reach: take a promise to pay or a callback instead."""


class OverpaymentNeedsConfirmation(PaymentRefused):
    def __init__(self, credit_cents: int) -> None:
        super().__init__(
            f"This is {format_usd(credit_cents)} more than is due now; it would become a "
            "credit on the account. Confirm with the caller to go on."
        )
        self.credit_cents = credit_cents


@dataclass(frozen=True)
class PaymentOutcome:
    payment_id: uuid.UUID
    key: str
    status: str  # approved, declined, pending (the gateway's answer is not known yet), voided
    amount_cents: int
    message: str  # one sentence for the agent
    decline_code: str | None = None
    balance_after_cents: int | None = None

    @property
    def approved(self) -> bool:
        return self.status == PaymentStatus.APPROVED


@dataclass(frozen=True)
class PaymentInfo:
    """A payment or refund as the history and the declined list show it."""

    id: uuid.UUID
    kind: str
    status: str
    amount_cents: int
    method_label: str
    taken_at: datetime
    taken_by: str
    receipt_number: str
    message: str  # decline or return words, "" when approved
    refundable_cents: int  # what may still be sent back (approved payments)
    plan_id: uuid.UUID | None
    account_id: uuid.UUID
    account_number: str = ""
    payer_name: str = ""


def new_key() -> str:
    """A fresh idempotency key: made when the agent presses Pay."""
    return "pay-" + uuid.uuid4().hex


def receipt_number(payment_id: uuid.UUID, taken_at: datetime) -> str:
    return f"R-{taken_at:%y%m%d}-{payment_id.hex[:6].upper()}"


def method_label(
    method: str,
    brand: str | None,
    last4: str | None,
    exp_month: int | None = None,
    exp_year: int | None = None,
    account_type: str | None = None,
) -> str:
    if method == PaymentMethod.ACH:
        kind = (account_type or "bank").capitalize()
        return f"{kind} account ending {last4 or '????'}"
    names = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express",
             "discover": "Discover"}  # fmt: skip
    label = f"{names.get(brand or '', 'Card')} ending {last4 or '????'}"
    if exp_month and exp_year:
        label += f", expires {exp_month:02d}/{exp_year % 100:02d}"
    return label


class Payments:
    """The desk's payment use cases. Every method is safe from worker threads; the
    gateway is called outside any database transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: PaymentGateway,
        user: UserInfo,
        workstation: str,
        *,
        today: Callable[[], date] = date.today,
        practice_name: Callable[[], str] = lambda: "",
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway
        self.user = user
        self.workstation = workstation
        self._today = today
        self._practice = practice_name

    # -- taking a payment -----------------------------------------------------------

    def available(self) -> bool:
        """Whether a payment can be taken now (the gateway answers)."""
        try:
            self.gateway.ping()
        except GatewayError:
            return False
        return True

    def open_visits(self, account_id: uuid.UUID) -> tuple[AccountExplanation, list[OpenVisit]]:
        """The account's explanation and its visits with something due now, oldest first."""
        with self.sessions() as session:
            return _open_visits(session, account_id, self._today())

    def preview(
        self, account_id: uuid.UUID, amount_cents: int, chosen: Sequence[uuid.UUID] | None = None
    ) -> Allocation:
        _, visits = self.open_visits(account_id)
        return allocate(amount_cents, visits, chosen)

    def take(
        self,
        account_id: uuid.UUID,
        amount_cents: int,
        source: Source,
        key: str,
        *,
        chosen: Sequence[uuid.UUID] | None = None,
        allow_overpayment: bool = False,
        interaction_id: uuid.UUID | None = None,
        retry_of_id: uuid.UUID | None = None,
        plan_id: uuid.UUID | None = None,
        installment_id: uuid.UUID | None = None,
    ) -> PaymentOutcome:
        """Charge ``source`` once for ``key`` and post it (see the module docstring)."""
        try:
            self.gateway.ping()
        except GatewayUnavailable as exc:
            raise GatewayDown(
                "The payment gateway cannot be reached. No card can be taken now: record "
                "a promise to pay or a callback instead."
            ) from exc
        self._settle_account(account_id, key)
        payment_id = self._begin(
            account_id, amount_cents, source, key, chosen=chosen,
            allow_overpayment=allow_overpayment, interaction_id=interaction_id,
            retry_of_id=retry_of_id, plan_id=plan_id, installment_id=installment_id,
        )  # fmt: skip
        done = self._finished(payment_id)
        if done is not None:  # a second press after the first one finished
            return done
        try:
            result = self._ask(lambda: self.gateway.authorize(key, amount_cents, source))
        except (GatewayTimeout, GatewayUnavailable) as exc:
            log.warning("payment %s: gateway gave no answer (%s)", payment_id, type(exc).__name__)
            return PaymentOutcome(
                payment_id, key, PaymentStatus.PENDING.value, amount_cents,
                "The gateway did not answer. Nothing is lost: the desk checks this payment "
                "again (same key, never a second charge) when you press Check again or at "
                "the next start.",
            )  # fmt: skip
        except GatewayError as exc:
            # The gateway answered, refusing the request itself (an unknown stored card,
            # say): nothing was charged. It is posted as declined, with its words.
            refused = GatewayResult(
                key, GatewayStatus.DECLINED, amount_cents, decline_code="gateway_refused",
                message=f"The gateway refused it: {exc}"[:120],
            )  # fmt: skip
            return self._post(payment_id, refused)
        return self._post(payment_id, result)

    def recheck(
        self, payment_id: uuid.UUID, *, settle_after: timedelta = SETTLE_AFTER
    ) -> PaymentOutcome:
        """Ask the gateway again about a pending payment and post its answer.

        A key the gateway has not seen is marked *not charged* only once the payment is
        older than ``settle_after``: a younger one may be a request still on its way
        (another process of this desk sending it right now), and voiding it then would
        leave a charge without its ledger entry."""
        done = self._finished(payment_id)
        if done is not None and not _not_sent(done):
            return done
        with self.sessions() as session:
            payment = session.get(Payment, payment_id)
            if payment is None:
                raise PaymentRefused("No such payment")
            key, taken_at = payment.idempotency_key, payment.taken_at
        result = self._ask(lambda: self.gateway.lookup(key))
        if done is not None:  # voided as never sent: post it only if it was charged after all
            return self._post(payment_id, result) if result is not None else done
        if result is None and utcnow() - taken_at < settle_after:
            with self.sessions() as session:
                pending = session.get(Payment, payment_id)
                assert pending is not None
                return _outcome(pending)
        return self._post(payment_id, result)

    def reconcile(self) -> list[PaymentOutcome]:
        """Settle this desk's payments left pending (a crash, a timeout): run at start.

        Only payments this workstation sent: a pending row pulled from another desk was
        sent to that desk's gateway, which only that desk can ask. Payments voided as
        never sent in the last day are asked once more, so a request that arrived late
        still gets its ledger entries."""
        since = utcnow() - timedelta(days=1)
        with self.sessions() as session:
            pending = list(
                session.scalars(
                    select(Payment.id)
                    .where(
                        Payment.workstation == self.workstation,
                        (Payment.status == PaymentStatus.PENDING)
                        | (
                            (Payment.status == PaymentStatus.VOIDED)
                            & (Payment.decline_code == "not_sent")
                            & (Payment.taken_at >= since)
                        ),
                    )
                    .order_by(Payment.taken_at)
                )
            )
        outcomes = []
        for payment_id in pending:
            try:
                outcomes.append(self.recheck(payment_id))
            except GatewayError:
                log.warning("reconcile: the gateway is out of reach; %d left pending", len(pending))
                break
        return outcomes

    # -- when no card can be taken ---------------------------------------------------

    def promise_to_pay(
        self, account_id: uuid.UUID, amount_cents: int, on: date, note: str = ""
    ) -> uuid.UUID:
        """Record the caller's promise to pay ``amount_cents`` by ``on`` (a task due that
        day). Never a card number to charge later."""
        if amount_cents <= 0:
            raise PaymentRefused("The promised amount must be more than zero")
        if on < self._today():
            raise PaymentRefused("The promised date cannot be in the past")
        from datetime import time as clock_time

        due = datetime.combine(on, clock_time(17, 0)).astimezone()
        with self.sessions.begin() as session:
            return _task(
                session, account_id, "promise_to_pay",
                f"Promise to pay {format_usd(amount_cents)} by {on:%m/%d/%Y}",
                note[:500] or None, due_at=due,
            )  # fmt: skip

    def schedule_callback(self, account_id: uuid.UUID, at: datetime, note: str = "") -> uuid.UUID:
        """Call the payer back at ``at`` (aware) to take the payment."""
        if at.tzinfo is None:
            raise PaymentRefused("The callback time needs a time zone")
        with self.sessions.begin() as session:
            return _task(
                session, account_id, "callback",
                f"Call back to take a payment ({at.astimezone():%m/%d %I:%M %p})",
                note[:500] or None, due_at=at,
            )  # fmt: skip

    # -- refunds, returns, declines ---------------------------------------------------

    def refund_credit(self, account_id: uuid.UUID, amount_cents: int, key: str) -> PaymentOutcome:
        """Send a credit balance back to the card or account that paid it."""
        if amount_cents <= 0:
            raise PaymentRefused("The refund must be more than zero")
        with self.sessions.begin() as session:
            existing = session.scalar(select(Payment).where(Payment.idempotency_key == key))
            if existing is None:
                balance = _balance(session, account_id)
                waiting = session.scalar(
                    select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                        Payment.account_id == account_id, Payment.kind == "refund",
                        Payment.status == PaymentStatus.PENDING,
                    )
                ) or 0  # fmt: skip
                credit = max(-balance - waiting, 0)
                if amount_cents > credit:
                    raise PaymentRefused(
                        f"The account's credit is {format_usd(credit)}"
                        + (f" (with {format_usd(waiting)} of refunds waiting for the gateway)"
                           if waiting else "")
                        + ": a refund cannot be larger."
                    )  # fmt: skip
                original = _refundable_payment(session, account_id, amount_cents)
                if original is None:
                    raise PaymentRefused(
                        "No single approved payment on this account can take this refund."
                    )
                existing = Payment(
                    account_id=account_id, idempotency_key=key, kind="refund",
                    method=original.method, status=PaymentStatus.PENDING,
                    amount_cents=amount_cents, card_brand=original.card_brand,
                    last4=original.last4, exp_month=original.exp_month,
                    exp_year=original.exp_year, bank_account_type=original.bank_account_type,
                    taken_by_id=self.user.id, taken_at=utcnow(), refund_of_id=original.id,
                    gateway_reference=None, workstation=self.workstation,
                )  # fmt: skip
                session.add(existing)
                session.flush()
            payment_id = existing.id
            original_reference = session.scalar(
                select(Payment.gateway_reference).where(Payment.id == existing.refund_of_id)
            )
        done = self._finished(payment_id)
        if done is not None:
            return done
        try:
            result = self._ask(
                lambda: self.gateway.refund(key, original_reference or "", amount_cents)
            )
        except (GatewayTimeout, GatewayUnavailable):
            # It may have gone out: it stays pending (and counts against the credit)
            # until the gateway answers for this key.
            return PaymentOutcome(
                payment_id, key, PaymentStatus.PENDING.value, amount_cents,
                "The gateway did not answer. The refund waits for its answer (same key, "
                "never sent twice); the desk checks it again at the next start.",
            )  # fmt: skip
        except GatewayError as exc:
            self._post(payment_id, None)  # refused outright: nothing was sent
            raise PaymentRefused(f"The gateway refused the refund: {exc}") from exc
        return self._post(payment_id, result)

    def process_returns(self) -> int:
        """Post the ACH debits the banks sent back: a reversal of each ledger entry, the
        payment marked returned, and a task to call the payer. Idempotent."""
        returned = 0
        for result in self.gateway.returns():
            with self.sessions.begin() as session:
                payment = session.scalar(
                    select(Payment).where(Payment.idempotency_key == result.key)
                )
                if payment is None or payment.status != PaymentStatus.APPROVED:
                    continue
                for entry in session.scalars(
                    select(LedgerEntry).where(
                        LedgerEntry.payment_id == payment.id,
                        LedgerEntry.kind == LedgerKind.PATIENT_PAYMENT,
                    )
                ):
                    session.add(
                        LedgerEntry(
                            id=uuid.uuid5(_LEDGER_IDS, f"{entry.id.hex}:returned"),
                            account_id=entry.account_id, patient_id=entry.patient_id,
                            encounter_id=entry.encounter_id, payment_id=payment.id,
                            reverses_id=entry.id, kind=LedgerKind.REVERSAL,
                            amount_cents=-entry.amount_cents, effective_date=self._today(),
                            posted_at=utcnow(), posted_by_id=self.user.id,
                            memo=f"ACH returned {result.return_code}",
                        )
                    )  # fmt: skip
                payment.status = PaymentStatus.RETURNED
                payment.ach_return_code = result.return_code
                payment.decline_reason = result.message[:120]
                _task(
                    session, payment.account_id, "ach_return",
                    f"Bank payment returned ({result.return_code}): call the payer",
                    f"{format_usd(payment.amount_cents)} {result.message}",
                )  # fmt: skip
                returned += 1
        return returned

    def declined(self, days: int = DECLINED_LIST_DAYS) -> list[PaymentInfo]:
        """Declined or returned payments of the last ``days`` days that no later payment
        (a reprocess) has replaced: the list to work."""

        since = utcnow() - timedelta(days=days)
        with self.sessions() as session:
            # Retries form chains (declined, declined again, approved): every payment
            # up a chain that ends in a payment that went through has been worked.
            links = session.execute(
                select(Payment.id, Payment.retry_of_id, Payment.status).where(
                    Payment.retry_of_id.is_not(None), Payment.taken_at >= since
                )
            ).all()
            parent = {pid: of for pid, of, _ in links}
            worked: set[uuid.UUID] = set()
            for pid, _of, status in links:
                if status in (PaymentStatus.APPROVED, PaymentStatus.PENDING):
                    up = parent.get(pid)
                    while up is not None and up not in worked:
                        worked.add(up)
                        up = parent.get(up)
            rows = session.scalars(
                select(Payment)
                .where(
                    Payment.status.in_([PaymentStatus.DECLINED, PaymentStatus.RETURNED]),
                    Payment.taken_at >= since,
                )
                .order_by(Payment.taken_at.desc())
                .limit(1000)
            ).all()
            return [self._info(session, p, with_account=True) for p in rows if p.id not in worked]

    def history(self, account_id: uuid.UUID) -> list[PaymentInfo]:
        """The account's payments and refunds, newest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(Payment)
                .where(Payment.account_id == account_id)
                .order_by(Payment.taken_at.desc())
                .limit(200)
            ).all()
            return [self._info(session, p) for p in rows]

    def receipt(self, payment_id: uuid.UUID) -> ReceiptView:
        """The receipt of an approved payment or refund (a copy is the same receipt)."""
        with self.sessions() as session:
            payment = session.get(Payment, payment_id)
            if payment is None or payment.status not in (
                PaymentStatus.APPROVED, PaymentStatus.REFUNDED, PaymentStatus.RETURNED
            ):  # fmt: skip
                raise PaymentRefused("Only a payment that went through has a receipt")
            account = session.get(GuarantorAccount, payment.account_id)
            assert account is not None
            guarantor = _guarantor_name(session, account)
            agent = session.get(User, payment.taken_by_id) if payment.taken_by_id else None
            lines = _receipt_lines(session, payment)
            return ReceiptView(
                payment_id=payment.id,
                receipt_number=receipt_number(payment.id, payment.taken_at),
                kind=payment.kind,
                practice_name=self._practice(),
                account_number=account.account_number,
                payer_name=guarantor,
                email=account.email,
                taken_at=payment.taken_at,
                # Printed receipts show the last four only, never the expiry (FACTA).
                method_label=method_label(
                    str(payment.method),
                    payment.card_brand,
                    payment.last4,
                    None,
                    None,
                    payment.bank_account_type,
                ),
                amount_cents=payment.amount_cents,
                authorization=payment.gateway_reference or "",
                lines=lines,
                balance_after_cents=payment.balance_after_cents or 0,
                agent_name=agent.display_name if agent else "",
                sandbox=not self.gateway.live,
            )

    # -- inside -----------------------------------------------------------------------

    def _ask(self, call: Callable[[], GatewayResult | None]) -> GatewayResult | None:
        """Call the gateway, asking again with the same key after a timeout."""
        for attempt in range(TIMEOUT_RETRIES + 1):
            try:
                return call()
            except GatewayTimeout:
                if attempt == TIMEOUT_RETRIES:
                    raise
                log.info("gateway timeout; asking again with the same key")
        raise AssertionError("unreachable")

    def _begin(
        self,
        account_id: uuid.UUID,
        amount_cents: int,
        source: Source,
        key: str,
        *,
        chosen: Sequence[uuid.UUID] | None,
        allow_overpayment: bool,
        interaction_id: uuid.UUID | None,
        retry_of_id: uuid.UUID | None,
        plan_id: uuid.UUID | None,
        installment_id: uuid.UUID | None,
    ) -> uuid.UUID:
        """Store the payment as pending with its key (step 2); the same key finds it."""
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
            raise PaymentRefused("The amount must be more than zero")
        try:
            with self.sessions.begin() as session:
                found = session.scalar(select(Payment.id).where(Payment.idempotency_key == key))
                if found is not None:
                    return found
                if session.get(GuarantorAccount, account_id) is None:
                    raise PaymentRefused("No such account")
                _, visits = _open_visits(session, account_id, self._today())
                try:
                    allocation = allocate(amount_cents, visits, chosen)
                except ValueError as exc:
                    raise PaymentRefused(str(exc)) from exc
                if allocation.credit_cents and not allow_overpayment:
                    raise OverpaymentNeedsConfirmation(allocation.credit_cents)
                if interaction_id is not None and session.get(Interaction, interaction_id) is None:
                    interaction_id = None  # the call's trail is not stored yet: no link
                method, brand, last4, exp_m, exp_y, account_type = _describe(source)
                payment = Payment(
                    account_id=account_id, idempotency_key=key, kind="payment", method=method,
                    status=PaymentStatus.PENDING, amount_cents=amount_cents, card_brand=brand,
                    last4=last4, exp_month=exp_m, exp_year=exp_y,
                    bank_account_type=account_type,
                    gateway_token=source.token if isinstance(source, StoredCard) else None,
                    taken_by_id=self.user.id, taken_at=utcnow(), plan_id=plan_id,
                    interaction_id=interaction_id, retry_of_id=retry_of_id,
                    allocation=_encode(allocation), workstation=self.workstation,
                )  # fmt: skip
                session.add(payment)
                session.flush()
                if installment_id is not None:
                    _claim_installment(session, installment_id, payment.id)
                return payment.id
        except IntegrityError:
            # Two presses raced: the other one stored the key first.
            with self.sessions() as session:
                found = session.scalar(select(Payment.id).where(Payment.idempotency_key == key))
            if found is None:
                raise
            return found

    def _settle_account(self, account_id: uuid.UUID, key: str) -> None:
        """Before a new payment: ask about the account's payments still waiting for an
        answer. One that stays unknown blocks the new one: it may have been charged, and
        the balance would then be taken twice."""
        with self.sessions() as session:
            if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)):
                return  # the same payment again (Pay pressed twice): not a new one
            waiting = session.execute(
                select(
                    Payment.id, Payment.amount_cents, Payment.taken_at, Payment.workstation
                ).where(Payment.account_id == account_id, Payment.status == PaymentStatus.PENDING)
            ).all()
        for payment_id, cents, taken_at, workstation in waiting:
            if workstation == self.workstation:
                try:
                    if self.recheck(payment_id).status != PaymentStatus.PENDING:
                        continue
                except GatewayError:
                    pass
            where = "" if workstation == self.workstation else " on another desk"
            raise PaymentRefused(
                f"A payment of {format_usd(cents)} taken{where} at "
                f"{taken_at.astimezone():%I:%M %p} is still waiting for the gateway's answer. "
                "Press Check again on it (Payments and receipts) before taking another."
            )

    def _finished(self, payment_id: uuid.UUID) -> PaymentOutcome | None:
        with self.sessions() as session:
            payment = session.get(Payment, payment_id)
            if payment is None or payment.status == PaymentStatus.PENDING:
                return None
            return _outcome(payment)

    def _post(self, payment_id: uuid.UUID, result: GatewayResult | None) -> PaymentOutcome:
        """Post the gateway's answer once (step 4)."""
        try:
            with self.sessions.begin() as session:
                payment = session.get(Payment, payment_id)
                if payment is None:
                    raise PaymentRefused("No such payment")
                reopened = (
                    payment.status == PaymentStatus.VOIDED
                    and payment.decline_code == "not_sent"
                    and result is not None
                    and result.approved
                )
                if payment.status != PaymentStatus.PENDING and not reopened:
                    return _outcome(payment)
                if reopened:  # voided as never sent, yet the gateway charged it: post it
                    log.warning("payment %s: approved after it was voided; posting", payment_id)
                    payment.decline_code = payment.decline_reason = None
                with session.no_autoflush:  # one UPDATE of the payment, not one per query
                    _apply(session, payment, result, self.user, self._today())
                return _outcome(payment)
        except IntegrityError:
            # Another thread (a double click, the start-up reconcile) posted it first.
            done = self._finished(payment_id)
            if done is None:
                raise
            return done

    def _info(self, session: Session, p: Payment, *, with_account: bool = False) -> PaymentInfo:
        refunded = 0
        if p.kind == "payment" and p.status == PaymentStatus.APPROVED:
            refunded = (
                session.scalar(
                    select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                        Payment.refund_of_id == p.id, Payment.status == PaymentStatus.APPROVED
                    )
                )
                or 0
            )
        agent = session.get(User, p.taken_by_id) if p.taken_by_id else None
        number = payer = ""
        if with_account:
            account = session.get(GuarantorAccount, p.account_id)
            if account is not None:
                number, payer = account.account_number, _guarantor_name(session, account)
        return PaymentInfo(
            id=p.id, kind=p.kind, status=str(p.status), amount_cents=p.amount_cents,
            method_label=_label_of(p), taken_at=p.taken_at,
            taken_by=agent.display_name if agent else "",
            receipt_number=receipt_number(p.id, p.taken_at),
            message=p.decline_reason or "",
            refundable_cents=(p.amount_cents - refunded)
            if p.kind == "payment" and p.status == PaymentStatus.APPROVED else 0,
            plan_id=p.plan_id, account_id=p.account_id, account_number=number,
            payer_name=payer,
        )  # fmt: skip


def _apply(
    session: Session, payment: Payment, result: GatewayResult | None, user: UserInfo, today: date
) -> None:
    # Read before anything changes: a flush in between would store the payment twice
    # (two versions, two outbox items) for one answer.
    before = _balance(session, payment.account_id)
    payment.finished_at = utcnow()
    if result is None:
        payment.status = PaymentStatus.VOIDED
        payment.decline_code = "not_sent"
        payment.decline_reason = "The request never reached the gateway: nothing was charged."
        _release_installment(session, payment)
        return
    payment.gateway_reference = result.reference or None
    if result.token:
        payment.gateway_token = result.token
    if result.status == GatewayStatus.DECLINED:
        payment.status = PaymentStatus.DECLINED
        payment.decline_code = (result.decline_code or "declined")[:40]
        payment.decline_reason = (result.message or "Declined by the bank")[:120]
        _release_installment(session, payment)
        return
    if result.status != GatewayStatus.APPROVED:
        payment.status = PaymentStatus.VOIDED
        payment.decline_reason = f"The gateway answered {result.status.value}"[:120]
        return
    payment.status = PaymentStatus.APPROVED
    label = _label_of(payment)
    if payment.kind == "refund":
        session.add(
            LedgerEntry(
                id=uuid.uuid5(_LEDGER_IDS, f"{payment.id.hex}:refund"),
                account_id=payment.account_id, payment_id=payment.id, kind=LedgerKind.REFUND,
                amount_cents=payment.amount_cents, effective_date=today, posted_at=utcnow(),
                posted_by_id=user.id, memo=f"Refund to {label}"[:200],
            )
        )  # fmt: skip
    else:
        patients = _patients_of(session, _decode(payment.allocation))
        for index, (encounter_id, cents) in enumerate(_decode(payment.allocation)):
            session.add(
                LedgerEntry(
                    id=uuid.uuid5(_LEDGER_IDS, f"{payment.id.hex}:{index}"),
                    account_id=payment.account_id, patient_id=patients.get(encounter_id),
                    encounter_id=encounter_id, payment_id=payment.id,
                    kind=LedgerKind.PATIENT_PAYMENT, amount_cents=-cents, effective_date=today,
                    posted_at=utcnow(), posted_by_id=user.id,
                    memo=(f"Payment {label}" if encounter_id else f"Credit {label}")[:200],
                )
            )  # fmt: skip
        installment = session.scalar(
            select(PlanInstallment).where(PlanInstallment.payment_id == payment.id)
        )
        if installment is not None:
            from app.domain.codes import InstallmentStatus

            installment.status = InstallmentStatus.PAID
    sign = 1 if payment.kind == "refund" else -1
    payment.balance_after_cents = before + sign * payment.amount_cents


def _claim_installment(session: Session, installment_id: uuid.UUID, payment_id: uuid.UUID) -> None:
    """Link a plan installment to the payment about to charge it, checking in the same
    transaction that it is still due: a plan cancelled, paused or changed a moment ago
    (or another run that took it first) must not be charged."""
    from app.domain.codes import InstallmentStatus, PlanStatus
    from app.store.models import PaymentPlan

    installment = session.get(PlanInstallment, installment_id)
    plan = session.get(PaymentPlan, installment.plan_id) if installment is not None else None
    if (
        installment is None
        or plan is None
        or plan.status != PlanStatus.ACTIVE
        or installment.status != InstallmentStatus.SCHEDULED
        or installment.payment_id is not None
    ):
        raise PaymentRefused("This installment is no longer due (the plan changed)")
    installment.payment_id = payment_id
    installment.attempts += 1


def _not_sent(outcome: PaymentOutcome) -> bool:
    return outcome.status == PaymentStatus.VOIDED and outcome.decline_code == "not_sent"


def _release_installment(session: Session, payment: Payment) -> None:
    """A declined or unsent installment charge: the installment shows it and a task is
    made for the declined one (an agent calls the payer)."""
    from app.domain.codes import InstallmentStatus

    installment = session.scalar(
        select(PlanInstallment).where(PlanInstallment.payment_id == payment.id)
    )
    if installment is None:
        return
    if payment.status == PaymentStatus.DECLINED:
        installment.status = InstallmentStatus.DECLINED
        _task(
            session, payment.account_id, "plan_declined",
            f"Plan installment {installment.sequence} declined: call the payer",
            payment.decline_reason,
        )  # fmt: skip
    else:
        installment.payment_id = None


def _task(
    session: Session,
    account_id: uuid.UUID,
    kind: str,
    title: str,
    details: str | None,
    *,
    due_at: datetime | None = None,
) -> uuid.UUID:
    """A work-queue item; by default due within 24 hours."""
    from datetime import UTC, timedelta

    task = Task(
        id=uuid.uuid4(), account_id=account_id, kind=kind, title=title[:200], details=details,
        status=TaskStatus.OPEN, priority=2,
        due_at=(due_at or utcnow() + timedelta(hours=24)).astimezone(UTC),
    )  # fmt: skip
    session.add(task)
    return task.id


def _outcome(payment: Payment) -> PaymentOutcome:
    status = PaymentStatus(payment.status)
    if status == PaymentStatus.APPROVED:
        verb = "Refunded" if payment.kind == "refund" else "Approved"
        message = f"{verb}: {format_usd(payment.amount_cents)} on {_label_of(payment)}."
    elif status == PaymentStatus.DECLINED:
        message = payment.decline_reason or "Declined by the bank."
    elif status == PaymentStatus.PENDING:
        message = "Waiting for the gateway's answer."
    else:
        message = payment.decline_reason or status.value
    return PaymentOutcome(
        payment.id, payment.idempotency_key, status.value, payment.amount_cents, message,
        payment.decline_code, payment.balance_after_cents,
    )  # fmt: skip


def _open_visits(
    session: Session, account_id: uuid.UUID, today: date
) -> tuple[AccountExplanation, list[OpenVisit]]:
    visits, entries = explain_facts(session, account_id)
    explanation = explain_account(visits, entries, today)
    open_visits = [
        OpenVisit(v.id, v.service_date, v.due_now, v.patient)
        for v in explanation.visits
        if v.due_now > 0
    ]
    return explanation, open_visits


def _balance(session: Session, account_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.account_id == account_id
            )
        )
        or 0
    )


def _refundable_payment(
    session: Session, account_id: uuid.UUID, amount_cents: int
) -> Payment | None:
    candidates = session.scalars(
        select(Payment)
        .where(
            Payment.account_id == account_id,
            Payment.kind == "payment",
            Payment.status == PaymentStatus.APPROVED,
            Payment.gateway_reference.is_not(None),
            # A bank debit can still come back (R01...): refunding it could pay out money
            # the practice never receives. Credits from bank payments wait for an agent.
            Payment.method == PaymentMethod.CARD,
        )
        .order_by(Payment.taken_at.desc())
    ).all()
    for payment in candidates:
        refunded = (
            session.scalar(
                select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
                    Payment.refund_of_id == payment.id,
                    Payment.status.in_([PaymentStatus.APPROVED, PaymentStatus.PENDING]),
                )
            )
            or 0
        )
        if payment.amount_cents - refunded >= amount_cents:
            return payment
    return None


def _describe(
    source: Source,
) -> tuple[PaymentMethod, str | None, str, int | None, int | None, str | None]:
    if isinstance(source, CardEntry):
        return (PaymentMethod.CARD, source.brand.value, source.last4, source.exp_month,
                source.exp_year, None)  # fmt: skip
    if isinstance(source, BankEntry):
        return PaymentMethod.ACH, None, source.last4, None, None, source.account_type.value
    return (PaymentMethod.CARD, source.brand, source.last4, source.exp_month, source.exp_year,
            None)  # fmt: skip


def _label_of(p: Payment) -> str:
    return method_label(
        str(p.method), p.card_brand, p.last4, p.exp_month, p.exp_year, p.bank_account_type
    )


def _encode(allocation: Allocation) -> str:
    lines: list[list[object]] = [[eid.hex, cents] for eid, cents in allocation.lines]
    if allocation.credit_cents:
        lines.append([None, allocation.credit_cents])
    return json.dumps(lines)


def _decode(text: str | None) -> list[tuple[uuid.UUID | None, int]]:
    if not text:
        return []
    return [(uuid.UUID(hex=eid) if eid else None, int(cents)) for eid, cents in json.loads(text)]


def _patients_of(
    session: Session, lines: Sequence[tuple[uuid.UUID | None, int]]
) -> dict[uuid.UUID | None, uuid.UUID | None]:
    ids = [eid for eid, _ in lines if eid is not None]
    if not ids:
        return {}
    rows = session.execute(select(Encounter.id, Encounter.patient_id).where(Encounter.id.in_(ids)))
    return {eid: pid for eid, pid in rows}


def _receipt_lines(session: Session, payment: Payment) -> tuple[ReceiptLine, ...]:
    if payment.kind == "refund":
        return (ReceiptLine(None, "", "Refund of a credit on the account", payment.amount_cents),)
    lines = _decode(payment.allocation)
    ids = [eid for eid, _ in lines if eid is not None]
    visits: dict[uuid.UUID, tuple[date, str, str]] = {}
    if ids:
        rows = session.execute(
            select(
                Encounter.id, Encounter.date_of_service, Patient.first_name, Encounter.provider_name
            )
            .join(Patient, Patient.id == Encounter.patient_id)
            .where(Encounter.id.in_(ids))
        )
        visits = {eid: (on, first, provider) for eid, on, first, provider in rows}
    out = []
    for eid, cents in lines:
        if eid is None or eid not in visits:
            out.append(ReceiptLine(None, "", "Credit on the account", cents))
        else:
            on, first, provider = visits[eid]
            out.append(ReceiptLine(on, first, f"Visit with {provider}", cents))
    return tuple(out)


def _guarantor_name(session: Session, account: GuarantorAccount) -> str:
    return f"{account.first_name} {account.last_name}".strip()
