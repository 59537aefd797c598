"""Placing a payment on visits: oldest first, never past what a visit owes, rest a credit."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.allocation import Allocation, OpenVisit, allocate

A, B, C, D = (uuid.UUID(int=n) for n in (1, 2, 3, 4))
VISITS = [
    OpenVisit(C, date(2025, 3, 1), 5000, "Mia"),
    OpenVisit(A, date(2025, 1, 10), 3000, "Leo"),
    OpenVisit(B, date(2025, 1, 10), 2000, "Mia"),  # same day as A: the id decides
    OpenVisit(D, date(2024, 12, 1), 0, "Leo"),  # paid: skipped
]


def test_oldest_first_up_to_each_visit() -> None:
    allocation = allocate(6000, VISITS)
    assert allocation.lines == ((A, 3000), (B, 2000), (C, 1000))
    assert allocation.credit_cents == 0
    assert allocation.total == allocation.applied_cents == 6000


def test_overpayment_becomes_a_credit() -> None:
    allocation = allocate(12000, VISITS)
    assert allocation.lines == ((A, 3000), (B, 2000), (C, 5000))
    assert allocation.credit_cents == 2000
    assert allocation.applied_cents == 10000 and allocation.total == 12000


def test_chosen_visits_only_oldest_first_among_them() -> None:
    allocation = allocate(6000, VISITS, chosen={C, B})
    assert allocation.lines == ((B, 2000), (C, 4000))
    assert allocation.credit_cents == 0
    assert allocate(9000, VISITS, chosen=[C]) == Allocation(((C, 5000),), 4000)


def test_choosing_nothing_or_only_paid_visits_is_all_credit() -> None:
    assert allocate(500, VISITS, chosen=()) == Allocation((), 500)
    assert allocate(500, VISITS, chosen=[D]) == Allocation((), 500)
    assert allocate(500, []) == Allocation((), 500)


def test_a_chosen_visit_that_is_not_open_here_is_refused() -> None:
    stranger = uuid.UUID(int=99)
    with pytest.raises(ValueError, match=str(stranger)):
        allocate(500, VISITS, chosen=[A, stranger])


def test_credits_on_a_visit_are_skipped() -> None:
    visits = [OpenVisit(A, date(2025, 1, 1), -700), OpenVisit(B, date(2025, 2, 1), 900)]
    assert allocate(1000, visits) == Allocation(((B, 900),), 100)


@pytest.mark.parametrize("amount", [0, -1])
def test_amount_must_be_positive(amount: int) -> None:
    with pytest.raises(ValueError):
        allocate(amount, VISITS)


@pytest.mark.parametrize("amount", [True, 12.5, "100"])
def test_amount_must_be_whole_cents(amount: object) -> None:
    with pytest.raises(TypeError):
        allocate(amount, VISITS)  # type: ignore[arg-type]


def test_the_same_visit_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        allocate(100, [VISITS[0], VISITS[0]])


def test_allocation_lines_are_positive() -> None:
    with pytest.raises(ValueError):
        Allocation(((A, 0),), 0)
    with pytest.raises(ValueError):
        Allocation((), -1)


visit_lists = st.lists(
    st.builds(
        OpenVisit,
        encounter_id=st.uuids(),
        service_date=st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31)),
        due_cents=st.integers(min_value=-5000, max_value=50000),
    ),
    max_size=12,
    unique_by=lambda visit: visit.encounter_id,
)


def _key(visit: OpenVisit) -> tuple[date, str]:
    return visit.service_date, str(visit.encounter_id)


@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    visits=visit_lists,
    data=st.data(),
)
def test_allocation_properties(amount: int, visits: list[OpenVisit], data: st.DataObject) -> None:
    chosen = None
    if data.draw(st.booleans()) and visits:
        chosen = data.draw(st.sets(st.sampled_from([v.encounter_id for v in visits])))
    allocation = allocate(amount, visits, chosen)
    by_id = {visit.encounter_id: visit for visit in visits}

    # Every cent is accounted for, nothing is placed beyond what a visit owes.
    assert sum(cents for _, cents in allocation.lines) + allocation.credit_cents == amount
    assert allocation.total == amount
    assert allocation.credit_cents >= 0
    for encounter_id, cents in allocation.lines:
        assert 0 < cents <= by_id[encounter_id].due_cents
        assert chosen is None or encounter_id in chosen

    # Oldest first: the lines are in order, and are exactly a prefix of the open visits
    # (each fully paid but perhaps the last), with a credit only once all are paid.
    eligible = sorted(
        (v for v in visits if v.due_cents > 0 and (chosen is None or v.encounter_id in chosen)),
        key=_key,
    )
    placed = [encounter_id for encounter_id, _ in allocation.lines]
    assert placed == [v.encounter_id for v in eligible[: len(placed)]]
    for encounter_id, cents in allocation.lines[:-1]:
        assert cents == by_id[encounter_id].due_cents
    if allocation.credit_cents:
        assert allocation.credit_cents == amount - sum(v.due_cents for v in eligible)
    elif allocation.lines:
        assert sum(v.due_cents for v in eligible) >= amount
