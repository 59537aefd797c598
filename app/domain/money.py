"""Money: Decimal dollars in the domain, integer cents in the store. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | str) -> int:
    """Dollars (Decimal, int or decimal string) to integer cents, rounding half up."""
    if isinstance(amount, float):  # pragma: no cover - guarded by the type hint
        raise TypeError("money must never be a float")
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return int(value * 100)


def from_cents(cents: int) -> Decimal:
    """Integer cents to Decimal dollars with two places."""
    return (Decimal(cents) / 100).quantize(CENT)


def format_usd(cents: int) -> str:
    """Cents as the agent reads them: ``$1,234.50``, ``-$20.00`` for a credit."""
    sign = "-" if cents < 0 else ""
    dollars = from_cents(abs(cents))
    return f"{sign}${dollars:,.2f}"
