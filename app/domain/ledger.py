"""Rules for a ledger posting: which way each kind of entry moves the balance."""

from __future__ import annotations

from app.domain.codes import LedgerKind

# Entries that raise what is owed (positive cents) and those that lower it (negative).
RAISES = frozenset({LedgerKind.CHARGE, LedgerKind.REFUND})
LOWERS = frozenset(
    {
        LedgerKind.INSURANCE_PAYMENT,
        LedgerKind.CONTRACTUAL_ADJUSTMENT,
        LedgerKind.PATIENT_PAYMENT,
        LedgerKind.PATIENT_ADJUSTMENT,
        LedgerKind.WRITE_OFF,
    }
)
MAX_ENTRY_CENTS = 10_000_000  # $100,000: larger is a typing mistake at a patient desk


class InvalidPosting(ValueError):
    """A posting the ledger refuses; the message names the field, never the patient."""


def check_posting(kind: LedgerKind, amount_cents: int, reverses: bool = False) -> None:
    """Raise :class:`InvalidPosting` unless ``amount_cents`` fits ``kind``."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise InvalidPosting("amount must be whole cents")
    if amount_cents == 0:
        raise InvalidPosting("amount must not be zero")
    if abs(amount_cents) > MAX_ENTRY_CENTS:
        raise InvalidPosting("amount is larger than one entry may be")
    if kind in RAISES and amount_cents < 0:
        raise InvalidPosting(f"a {kind.value} raises the balance: the amount must be positive")
    if kind in LOWERS and amount_cents > 0:
        raise InvalidPosting(f"a {kind.value} lowers the balance: the amount must be negative")
    if kind == LedgerKind.REVERSAL and not reverses:
        raise InvalidPosting("a reversal must name the entry it undoes")
