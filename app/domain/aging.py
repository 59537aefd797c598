"""Which charges are still open once credits are applied oldest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def oldest_open_charge(charges: Iterable[tuple[date, int]], credits_cents: int) -> date | None:
    """The service date of the oldest charge not yet paid off.

    ``charges`` are (date, cents > 0); ``credits_cents`` is the total of payments and
    adjustments as a positive number, applied to the oldest charges first (FIFO), the
    way statements age a balance. None when nothing is open.
    """
    remaining = credits_cents
    for day, amount in sorted(charges):
        if remaining >= amount:
            remaining -= amount
            continue
        return day
    return None
