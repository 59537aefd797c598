"""The payment gateway as the desk sees it: a protocol any processor plugs in behind.

Every operation carries an idempotency key that the desk created and stored *before*
the first request. A processor that sees a key again answers with the first result
instead of charging twice (Stripe, Adyen, Braintree and Authorize.net all offer this in
some form), so a retry after a timeout, a double click or a crash after the approval
always ends with one charge. ``lookup`` asks what became of a key: the desk uses it at
start to settle payments it had sent but not yet recorded.

The full card number and the CVV go to ``authorize`` or ``tokenize`` and nowhere else;
results carry brand, last four, expiry and the processor's token only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.domain.payment_entry import BankEntry, CardEntry


class GatewayStatus(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    VOIDED = "voided"
    REFUNDED = "refunded"
    RETURNED = "returned"  # an ACH debit the bank sent back after it was approved


@dataclass(frozen=True)
class StoredCard:
    """A card the processor keeps for us (autopay, reprocessing): its token, no number."""

    token: str
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None

    def __repr__(self) -> str:
        return f"StoredCard({self.brand} ending {self.last4})"


Source = CardEntry | BankEntry | StoredCard


@dataclass(frozen=True)
class GatewayResult:
    key: str  # the idempotency key the request carried
    status: GatewayStatus
    amount_cents: int
    reference: str = ""  # the processor's id for the charge (refunds and voids name it)
    token: str | None = None  # a reusable token for the card or account, when issued
    brand: str | None = None
    last4: str | None = None
    decline_code: str | None = None  # "insufficient_funds", "expired_card", ...
    message: str = ""  # the processor's words, for the agent (never card data)
    return_code: str | None = None  # ACH: R01, R02, ...
    at: datetime | None = None

    @property
    def approved(self) -> bool:
        return self.status == GatewayStatus.APPROVED


class GatewayError(Exception):
    """The gateway refused the request itself (not the card): a bad key reuse, an
    unknown reference. The message never holds card data."""


class GatewayUnavailable(GatewayError):
    """The gateway cannot be reached: no request was delivered, nothing was charged."""


class GatewayTimeout(GatewayError):
    """The request went out and no answer came back: it may or may not have been
    charged. Ask again with the same key (or ``lookup`` it) to find out."""


class PaymentGateway(Protocol):
    #: shown to the agent and printed on receipts ("Sandbox", "Stripe", ...)
    name: str
    #: False for a sandbox that moves no money; receipts and the form say so
    live: bool

    def ping(self) -> None:
        """Return if the gateway answers now; raise :class:`GatewayUnavailable` if not."""
        ...

    def authorize(
        self, key: str, amount_cents: int, source: Source, *, capture: bool = True
    ) -> GatewayResult:
        """Charge (``capture``) or hold ``amount_cents`` on the card or bank account."""
        ...

    def capture(self, key: str, reference: str, amount_cents: int) -> GatewayResult: ...

    def void(self, key: str, reference: str) -> GatewayResult: ...

    def refund(self, key: str, reference: str, amount_cents: int) -> GatewayResult:
        """Send ``amount_cents`` of the charge ``reference`` back to the payer."""
        ...

    def tokenize(self, key: str, source: CardEntry) -> StoredCard:
        """Keep a card for later charges (autopay) after a zero-amount check."""
        ...

    def lookup(self, key: str) -> GatewayResult | None:
        """What became of the request sent with ``key`` (None: it never arrived)."""
        ...

    def returns(self) -> list[GatewayResult]:
        """ACH debits the banks sent back (each with its ``return_code``)."""
        ...


class UnconfiguredGateway:
    """A production desk with no processor configured: every payment is refused, so a
    real account is never "paid" through a sandbox that moves no money."""

    name = "Not configured"
    live = True

    def _refuse(self) -> GatewayUnavailable:
        return GatewayUnavailable("no payment processor is configured for this desk")

    def ping(self) -> None:
        raise self._refuse()

    def authorize(
        self, key: str, amount_cents: int, source: Source, *, capture: bool = True
    ) -> GatewayResult:
        raise self._refuse()

    def capture(self, key: str, reference: str, amount_cents: int) -> GatewayResult:
        raise self._refuse()

    def void(self, key: str, reference: str) -> GatewayResult:
        raise self._refuse()

    def refund(self, key: str, reference: str, amount_cents: int) -> GatewayResult:
        raise self._refuse()

    def tokenize(self, key: str, source: CardEntry) -> StoredCard:
        raise self._refuse()

    def lookup(self, key: str) -> GatewayResult | None:
        raise self._refuse()

    def returns(self) -> list[GatewayResult]:
        raise self._refuse()
