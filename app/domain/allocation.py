"""Where a patient payment goes: which visits it pays, and what is left as a credit.

By default the oldest visit is paid first: the oldest balances are the ones that reach
collections first, and it is what statements tell the caller. A caller may instead name
the visits they want to pay ("just my son's visit in March"); then only those are paid,
oldest first among them. Nothing is ever placed beyond what a visit owes: what is left
stays on the account as a credit, so the sum of the lines and the credit is always the
amount taken.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class OpenVisit:
    """A visit with what the patient still owes on it (cents; zero or less owes nothing)."""

    encounter_id: uuid.UUID
    service_date: date
    due_cents: int
    patient: str = ""  # display only (whose visit it is), never used to decide


@dataclass(frozen=True)
class Allocation:
    """How one payment is placed: (encounter id, cents) lines, oldest first, and the
    credit left on the account."""

    lines: tuple[tuple[uuid.UUID, int], ...]
    credit_cents: int = 0

    def __post_init__(self) -> None:
        if any(cents <= 0 for _, cents in self.lines):
            raise ValueError("allocation: every line must place more than zero cents")
        if self.credit_cents < 0:
            raise ValueError("allocation: the credit cannot be negative")

    @property
    def applied_cents(self) -> int:
        """What went to visits."""
        return sum(cents for _, cents in self.lines)

    @property
    def total(self) -> int:
        """The whole payment: the visits' lines plus the credit."""
        return self.applied_cents + self.credit_cents


def _oldest_first(visit: OpenVisit) -> tuple[date, str]:
    # The id breaks ties between visits of the same day, so the order never depends on
    # the order the rows happened to come back in.
    return visit.service_date, str(visit.encounter_id)


def allocate(
    amount_cents: int,
    visits: Iterable[OpenVisit],
    chosen: Collection[uuid.UUID] | None = None,
) -> Allocation:
    """Place ``amount_cents`` on ``visits``: oldest first, each up to what it owes.

    With ``chosen``, only those visits are paid (an id that is not among ``visits`` is a
    mistake and raises ``ValueError``); an empty ``chosen`` pays no visit at all. Whatever
    is not placed is the credit.
    """
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("allocation: the amount must be whole cents")
    if amount_cents <= 0:
        raise ValueError("allocation: the amount must be more than zero")
    candidates = list(visits)
    by_id = {visit.encounter_id: visit for visit in candidates}
    if len(by_id) != len(candidates):
        raise ValueError("allocation: the same visit is listed twice")
    if chosen is not None:
        missing = [str(encounter_id) for encounter_id in chosen if encounter_id not in by_id]
        if missing:
            raise ValueError(f"allocation: chosen visits not open here: {', '.join(missing)}")
        wanted = set(chosen)
        candidates = [visit for visit in candidates if visit.encounter_id in wanted]
    remaining = amount_cents
    lines: list[tuple[uuid.UUID, int]] = []
    for visit in sorted(candidates, key=_oldest_first):
        if remaining == 0:
            break
        if visit.due_cents <= 0:
            continue
        placed = min(remaining, visit.due_cents)
        lines.append((visit.encounter_id, placed))
        remaining -= placed
    return Allocation(tuple(lines), remaining)
