"""One account's books while it is generated: ledger postings and patient payments.

The ledger is append-only (charges positive, credits negative), so the account's
balance at any instant is the sum of what was posted up to it; statements and plans
read it that way. Card payments keep brand, last four and a fake gateway token only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.demo.tables import Row, Rows, new_key
from app.demo.timeline import Timeline
from app.domain.codes import LedgerKind, PaymentMethod, PaymentStatus

CHARGE = LedgerKind.CHARGE.value
INSURANCE_PAYMENT = LedgerKind.INSURANCE_PAYMENT.value
CONTRACTUAL = LedgerKind.CONTRACTUAL_ADJUSTMENT.value
PATIENT_PAYMENT = LedgerKind.PATIENT_PAYMENT.value
PATIENT_ADJUSTMENT = LedgerKind.PATIENT_ADJUSTMENT.value
REFUND = LedgerKind.REFUND.value
WRITE_OFF = LedgerKind.WRITE_OFF.value

CARD = PaymentMethod.CARD.value
ACH = PaymentMethod.ACH.value
CHECK = PaymentMethod.CHECK.value
APPROVED = PaymentStatus.APPROVED.value
DECLINED = PaymentStatus.DECLINED.value
REFUNDED = PaymentStatus.REFUNDED.value

_BRANDS = (("visa", 55), ("mastercard", 28), ("amex", 10), ("discover", 7))
_BRAND_NAMES = tuple(name for name, _ in _BRANDS)
_BRAND_WEIGHTS = tuple(weight for _, weight in _BRANDS)

_AMOUNT = 8
_POSTED_AT = 10


@dataclass(frozen=True, slots=True)
class Wallet:
    """How a family pays: one card and sometimes a bank account, as the gateway keeps them."""

    card_brand: str
    card_last4: str
    card_token: str
    bank_last4: str | None
    bank_token: str | None
    prefers: str  # card, ach or check


def make_wallet(rng: random.Random) -> Wallet:
    has_bank = rng.random() < 0.3
    r = rng.random()
    prefers = CARD if r < 0.72 else (ACH if has_bank and r < 0.9 else CHECK)
    return Wallet(
        card_brand=rng.choices(_BRAND_NAMES, weights=_BRAND_WEIGHTS)[0],
        card_last4=f"{int(rng.random() * 10_000):04d}",
        card_token=f"tok_demo_{rng.getrandbits(96):024x}",
        bank_last4=f"{int(rng.random() * 10_000):04d}" if has_bank else None,
        bank_token=f"tok_demo_{rng.getrandbits(96):024x}" if has_bank else None,
        prefers=prefers,
    )


class AccountBooks:
    """The ledger and payments of one account, written into ``out`` as they happen."""

    __slots__ = ("_pending", "account", "entries", "out", "rng", "timeline", "wallet")

    def __init__(
        self, account: str, timeline: Timeline, rng: random.Random, out: Rows, wallet: Wallet
    ) -> None:
        self.account = account
        self.timeline = timeline
        self.rng = rng
        self.out = out
        self.wallet = wallet
        self.entries: list[Row] = []
        # (charge posted at, insurance answered at or None, charge): what waits on a payer
        self._pending: list[tuple[str, str | None, int]] = []

    def post(
        self,
        kind: str,
        amount: int,
        d: int,
        posted_at: str,
        *,
        patient: str | None = None,
        encounter: str | None = None,
        claim: str | None = None,
        payment: str | None = None,
        by: str | None = None,
        memo: str | None = None,
    ) -> str:
        key = new_key(self.rng)
        self.entries.append(
            (
                key, self.account, patient, encounter, claim, payment, None, kind, amount,
                self.timeline.day(d), posted_at, by, memo,
            )
        )  # fmt: skip
        return key

    def awaiting_insurance(self, charge_at: str, answered_at: str | None, amount: int) -> None:
        """Note a charge the patient does not owe until the payer answers."""
        self._pending.append((charge_at, answered_at, amount))

    def balance_through(self, instant: str) -> int:
        return sum(row[_AMOUNT] for row in self.entries if row[_POSTED_AT] <= instant)

    def patient_owes_through(self, instant: str) -> int:
        """The balance at ``instant`` less charges still waiting on insurance then."""
        waiting = sum(
            amount
            for charged, answered, amount in self._pending
            if charged <= instant and (answered is None or answered > instant)
        )
        return self.balance_through(instant) - waiting

    def balance(self) -> int:
        return sum(row[_AMOUNT] for row in self.entries)

    def pay(
        self,
        amount: int,
        d: int,
        taken_at: str,
        *,
        channel: str,
        taken_by: str | None = None,
        method: str | None = None,
        patient: str | None = None,
        plan: str | None = None,
        status: str = APPROVED,
        memo: str = "Patient payment",
    ) -> str:
        """A patient payment: the Payment row, and its ledger credit when approved."""
        rng = self.rng
        wallet = self.wallet
        key = new_key(rng)
        method = method or wallet.prefers
        brand = last4 = token = reference = decline = None
        if method == CARD:
            brand, last4, token = wallet.card_brand, wallet.card_last4, wallet.card_token
            reference = f"ch_demo_{rng.getrandbits(64):016x}"
        elif method == ACH:
            last4, token = wallet.bank_last4, wallet.bank_token
            reference = f"ach_demo_{rng.getrandbits(64):016x}"
        else:
            reference = f"check {1001 + int(rng.random() * 8_000)}"
        if status == DECLINED:
            reference, decline = None, "insufficient_funds"
        if status != DECLINED:
            self.post(
                PATIENT_PAYMENT, -amount, d, taken_at,
                patient=patient, payment=key, by=taken_by, memo=memo,
            )  # fmt: skip
        # Card expiry from the token (no draw from the generator: the data stays the same).
        exp_month = exp_year = None
        if method == CARD and token:
            exp_month, exp_year = 1 + int(token[-2:], 16) % 12, 2027 + int(token[-3], 16) % 4
        self.out.payment.append(
            (
                key, self.account, f"demo-{key}", method, status, amount, brand, last4, token,
                reference, decline, channel, taken_by, taken_at, plan, 1, taken_at, taken_at,
                "payment", exp_month, exp_year, "checking" if method == ACH else None, None,
                None, self.balance() if status != DECLINED else None, decline, None, None,
                None, taken_at, None,
            )
        )  # fmt: skip
        return key

    def flush(self) -> None:
        self.out.ledger_entry.extend(self.entries)
