"""Payment plan schedules within policy, and when to offer financial assistance."""

from __future__ import annotations

import calendar
import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.money import format_usd
from app.domain.plans import (
    PlanError,
    PlanLimits,
    Schedule,
    add_months,
    build_schedule,
    hardship_reasons,
)

LIMITS = PlanLimits()
FIRST = date(2025, 7, 1)


def amounts(schedule: Schedule) -> list[int]:
    return [i.amount_cents for i in schedule.installments]


def refused(**kwargs: object) -> PlanError:
    kwargs.setdefault("first_due", FIRST)
    kwargs.setdefault("limits", LIMITS)
    total = kwargs.pop("total")
    with pytest.raises(PlanError) as caught:
        build_schedule(total, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- limits from settings ----------------------------------------------------------


def test_limits_from_settings() -> None:
    assert PlanLimits.from_settings({}) == PlanLimits(2500, 24, 200000)
    limits = PlanLimits.from_settings(
        {
            "plan_min_installment_cents": " 5000 ",
            "plan_max_months": "12",
            "assistance_prompt_balance_cents": "150000",
        }
    )
    assert limits == PlanLimits(5000, 12, 150000)


@pytest.mark.parametrize("bad", ["", "abc", "0", "-5", "12.5", "1e3", "٣", "1_000"])
def test_bad_settings_keep_the_default(bad: str) -> None:
    limits = PlanLimits.from_settings(
        {
            "plan_min_installment_cents": bad,
            "plan_max_months": bad,
            "assistance_prompt_balance_cents": bad,
        }
    )
    assert limits == PlanLimits()


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PlanLimits(max_months=0)


# --- schedules by months -----------------------------------------------------------


def test_equal_installments_with_the_odd_cents_first() -> None:
    schedule = build_schedule(100_000, first_due=FIRST, limits=LIMITS, months=3)
    assert amounts(schedule) == [33334, 33333, 33333]
    assert schedule.monthly_cents == 33334
    assert schedule.months == 3
    assert schedule.financed_cents == 100_000
    assert [i.sequence for i in schedule.installments] == [1, 2, 3]
    assert [i.due_date for i in schedule.installments] == [
        date(2025, 7, 1),
        date(2025, 8, 1),
        date(2025, 9, 1),
    ]
    assert schedule.last_due == date(2025, 9, 1)


def test_down_payment_is_not_financed() -> None:
    schedule = build_schedule(
        60_000, first_due=FIRST, limits=LIMITS, down_payment_cents=10_001, months=4
    )
    assert amounts(schedule) == [12500, 12500, 12500, 12499]
    assert schedule.total_cents == 60_000 and schedule.down_payment_cents == 10_001


def test_months_out_of_range() -> None:
    assert refused(total=100_000, months=0).field == "months"
    error = refused(total=100_000, months=25)
    assert error.field == "months" and "1 to 24" in error.message


def test_months_giving_installments_below_the_minimum() -> None:
    error = refused(total=10_000, months=5)  # $20 a month
    assert error.field == "months"
    assert "choose at most 4 months" in str(error)
    # Every installment must reach the minimum, the last (a cent smaller) included.
    assert refused(total=7_499, months=3).field == "months"
    assert amounts(build_schedule(7_500, first_due=FIRST, limits=LIMITS, months=3)) == [2500] * 3


def test_a_small_balance_may_be_one_payment() -> None:
    schedule = build_schedule(1_000, first_due=FIRST, limits=LIMITS, months=1)
    assert amounts(schedule) == [1_000]
    error = refused(total=1_000, months=2)
    assert error.field == "months" and "one payment" in error.message
    assert amounts(build_schedule(1_000, first_due=FIRST, limits=LIMITS, monthly_cents=1_000)) == [
        1_000
    ]
    assert amounts(build_schedule(1_000, first_due=FIRST, limits=LIMITS, monthly_cents=5_000)) == [
        1_000
    ]


# --- schedules by monthly amount ---------------------------------------------------


def test_monthly_amount_with_a_smaller_last_installment() -> None:
    schedule = build_schedule(100_000, first_due=FIRST, limits=LIMITS, monthly_cents=30_000)
    assert amounts(schedule) == [30_000, 30_000, 30_000, 10_000]
    assert schedule.monthly_cents == 30_000


def test_the_last_installment_may_be_below_the_minimum() -> None:
    schedule = build_schedule(10_100, first_due=FIRST, limits=LIMITS, monthly_cents=2_500)
    assert amounts(schedule) == [2_500, 2_500, 2_500, 2_500, 100]


def test_monthly_below_the_minimum_is_refused() -> None:
    error = refused(total=100_000, monthly_cents=2_000)
    assert error.field == "monthly" and "$25.00" in error.message
    assert refused(total=100_000, monthly_cents=0).field == "monthly"
    assert refused(total=1_000, monthly_cents=400).field == "monthly"


def test_too_long_says_the_smallest_monthly_amount_that_fits() -> None:
    error = refused(total=100_000, monthly_cents=4_000)  # 25 months
    assert error.field == "monthly"
    assert "25 months" in error.message
    assert "$41.67" in error.message  # ceil(100000 / 24) = 4167
    fits = build_schedule(100_000, first_due=FIRST, limits=LIMITS, monthly_cents=4_167)
    assert fits.months == 24 and sum(amounts(fits)) == 100_000


def test_exactly_one_of_months_or_monthly() -> None:
    with pytest.raises(TypeError):
        build_schedule(100_000, first_due=FIRST, limits=LIMITS)
    with pytest.raises(TypeError):
        build_schedule(100_000, first_due=FIRST, limits=LIMITS, months=3, monthly_cents=5000)


def test_total_and_down_payment_are_checked() -> None:
    assert refused(total=0, months=1).field == "total"
    assert refused(total=-5, months=1).field == "total"
    assert refused(total=10_000, down_payment_cents=-1, months=1).field == "down_payment"
    assert refused(total=10_000, down_payment_cents=10_000, months=1).field == "down_payment"


def test_first_due_may_not_be_in_the_past_or_off_the_calendar() -> None:
    error = refused(total=10_000, months=1, today=date(2025, 7, 2))
    assert error.field == "first_due"
    assert build_schedule(10_000, first_due=FIRST, limits=LIMITS, months=1, today=FIRST)
    assert refused(total=10_000, months=2, first_due=date(9999, 12, 1)).field == "first_due"


# --- due dates ---------------------------------------------------------------------


def test_jan_31_in_a_leap_year_clamps_without_drifting() -> None:
    schedule = build_schedule(120_000, first_due=date(2024, 1, 31), limits=LIMITS, months=12)
    assert [i.due_date for i in schedule.installments] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
        date(2024, 7, 31),
        date(2024, 8, 31),
        date(2024, 9, 30),
        date(2024, 10, 31),
        date(2024, 11, 30),
        date(2024, 12, 31),
    ]
    assert add_months(date(2024, 1, 31), 13) == date(2025, 2, 28)
    assert add_months(date(2023, 12, 30), 2) == date(2024, 2, 29)


# --- properties --------------------------------------------------------------------


limit_sets = st.builds(
    PlanLimits,
    min_installment_cents=st.integers(min_value=1, max_value=10_000),
    max_months=st.integers(min_value=1, max_value=60),
    hardship_balance_cents=st.just(200_000),
)
first_dues = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def _check_dates(schedule: Schedule, first_due: date) -> None:
    dates = [i.due_date for i in schedule.installments]
    assert dates[0] == first_due
    for earlier, later in itertools.pairwise(dates):
        assert earlier < later
        assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) == 1
    for due in dates:
        assert due.day == min(first_due.day, calendar.monthrange(due.year, due.month)[1])
    assert [i.sequence for i in schedule.installments] == list(range(1, len(dates) + 1))


@given(
    total=st.integers(min_value=1, max_value=10_000_000),
    down_share=st.integers(min_value=0, max_value=99),
    months=st.integers(min_value=1, max_value=60),
    limits=limit_sets,
    first_due=first_dues,
)
def test_schedules_by_months(
    total: int, down_share: int, months: int, limits: PlanLimits, first_due: date
) -> None:
    down = total * down_share // 100
    financed = total - down
    try:
        schedule = build_schedule(
            total, first_due=first_due, limits=limits, down_payment_cents=down, months=months
        )
    except PlanError as error:
        assert error.field == "months"
        small_single = financed < limits.min_installment_cents and months == 1
        assert months > limits.max_months or (
            financed // months < limits.min_installment_cents and not small_single
        )
        return
    installments = amounts(schedule)
    assert sum(installments) == financed
    assert len(installments) == months <= limits.max_months
    assert max(installments) - min(installments) <= 1
    assert installments == sorted(installments, reverse=True)  # odd cents first
    assert min(installments) >= limits.min_installment_cents or (
        months == 1 and financed < limits.min_installment_cents
    )
    _check_dates(schedule, first_due)


@given(
    total=st.integers(min_value=1, max_value=10_000_000),
    down_share=st.integers(min_value=0, max_value=99),
    monthly=st.integers(min_value=1, max_value=1_000_000),
    limits=limit_sets,
    first_due=first_dues,
)
def test_schedules_by_monthly_amount(
    total: int, down_share: int, monthly: int, limits: PlanLimits, first_due: date
) -> None:
    down = total * down_share // 100
    financed = total - down
    try:
        schedule = build_schedule(
            total,
            first_due=first_due,
            limits=limits,
            down_payment_cents=down,
            monthly_cents=monthly,
        )
    except PlanError as error:
        assert error.field == "monthly"
        count = -(-financed // monthly)
        too_small = monthly < limits.min_installment_cents and not (
            financed < limits.min_installment_cents and count == 1
        )
        assert too_small or count > limits.max_months
        if not too_small:
            fits = -(-financed // limits.max_months)
            assert format_usd(fits) in error.message
            assert fits >= limits.min_installment_cents
        return
    installments = amounts(schedule)
    assert sum(installments) == financed
    assert 1 <= len(installments) <= limits.max_months
    assert all(amount == monthly for amount in installments[:-1])
    assert 0 < installments[-1] <= monthly
    assert all(amount >= limits.min_installment_cents for amount in installments[:-1])
    _check_dates(schedule, first_due)


# --- hardship ----------------------------------------------------------------------


def test_no_reasons_for_an_ordinary_balance() -> None:
    assert hardship_reasons(50_000, LIMITS) == ()
    assert hardship_reasons(50_000, LIMITS, monthly_cents=2_500, months=24) == ()


def test_a_large_balance_suggests_screening() -> None:
    long_plans = PlanLimits(max_months=120)  # so only the size of the balance counts
    [reason] = hardship_reasons(200_000, long_plans, months=24)
    assert "$2,000.00" in reason
    assert hardship_reasons(199_999, long_plans) == ()


def test_every_reason_is_given() -> None:
    reasons = hardship_reasons(250_000, LIMITS, monthly_cents=1_000, months=36)
    assert len(reasons) == 4
    assert "$10.00 a month" in reasons[1] and "$25.00" in reasons[1]
    assert "24 months" in reasons[2]
    assert "36 months" in reasons[3]
    assert all(reason.endswith(".") for reason in reasons)


def test_cannot_be_paid_within_the_longest_plan_at_the_minimum() -> None:
    limits = PlanLimits(min_installment_cents=2_500, max_months=12, hardship_balance_cents=10**9)
    assert hardship_reasons(30_000, limits) == ()
    [reason] = hardship_reasons(30_001, limits)
    assert "12 months" in reason
