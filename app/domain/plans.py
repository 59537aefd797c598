"""Payment plans within policy: the schedule an agent may offer, and when to offer help.

Policy (central settings) sets the smallest monthly installment and the longest plan. A
schedule is built either from a number of months (equal installments, the odd cents on
the first ones, so no installment differs from another by more than a cent) or from the
monthly amount the caller can pay (the last installment takes what is left). Either way
the installments add up to the financed amount to the cent. A caller who cannot fit in
policy is not just refused: :func:`hardship_reasons` says why the agent should offer
financial-assistance screening instead.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.domain.money import format_usd

_WHOLE = re.compile(r"[0-9]+")


def _positive_setting(settings: Mapping[str, str], key: str, default: int) -> int:
    """A positive whole number from a setting, or ``default`` when it is missing,
    unusable or not positive: a bad setting never loosens the policy to nothing."""
    raw = settings.get(key)
    if raw is None:
        return default
    text = str(raw).strip()
    if _WHOLE.fullmatch(text) is None:
        return default
    value = int(text)
    return value if value > 0 else default


@dataclass(frozen=True)
class PlanLimits:
    min_installment_cents: int = 2500
    max_months: int = 24
    hardship_balance_cents: int = 200000  # this much owed: offer assistance screening

    def __post_init__(self) -> None:
        if min(self.min_installment_cents, self.max_months, self.hardship_balance_cents) <= 0:
            raise ValueError("plan limits: every limit must be more than zero")

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> PlanLimits:
        """From central policy (``plan_min_installment_cents``, ``plan_max_months``,
        ``assistance_prompt_balance_cents``), each missing or bad value left at its
        default."""
        default = cls()
        return cls(
            _positive_setting(
                settings, "plan_min_installment_cents", default.min_installment_cents
            ),
            _positive_setting(settings, "plan_max_months", default.max_months),
            _positive_setting(
                settings, "assistance_prompt_balance_cents", default.hardship_balance_cents
            ),
        )


@dataclass(frozen=True)
class ScheduledInstallment:
    sequence: int  # 1 for the first installment
    due_date: date
    amount_cents: int


@dataclass(frozen=True)
class Schedule:
    """A plan as offered: the down payment taken today and the monthly installments."""

    total_cents: int
    down_payment_cents: int
    installments: tuple[ScheduledInstallment, ...]

    @property
    def financed_cents(self) -> int:
        return self.total_cents - self.down_payment_cents

    @property
    def monthly_cents(self) -> int:
        """The regular amount: the first installment's (only the last may be smaller)."""
        return self.installments[0].amount_cents

    @property
    def months(self) -> int:
        return len(self.installments)

    @property
    def last_due(self) -> date:
        return self.installments[-1].due_date


class PlanError(ValueError):
    """A plan policy refuses. ``field`` names the form field to fix ("total",
    "down_payment", "monthly", "months", "first_due"); the message is for the agent."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def add_months(start: date, months: int) -> date:
    """``start`` moved ``months`` calendar months on, on the same day of the month or the
    month's last day when it is shorter. Always counted from ``start``, so a plan on the
    31st goes Jan 31, Feb 28 (29), Mar 31: it never drifts to the 28th."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def build_schedule(
    total_cents: int,
    *,
    first_due: date,
    limits: PlanLimits,
    down_payment_cents: int = 0,
    monthly_cents: int | None = None,
    months: int | None = None,
    today: date | None = None,
) -> Schedule:
    """The installments for ``total_cents`` less the down payment, one calendar month
    apart from ``first_due``; give exactly one of ``months`` or ``monthly_cents``.

    With ``today``, a first due date in the past is refused. Raises :class:`PlanError`
    naming the field when the plan is outside policy.
    """
    if (monthly_cents is None) == (months is None):
        raise TypeError("build_schedule: give exactly one of monthly_cents or months")
    if total_cents <= 0:
        raise PlanError("total", "There is no balance to put on a plan.")
    if down_payment_cents < 0:
        raise PlanError("down_payment", "The down payment cannot be negative.")
    if down_payment_cents >= total_cents:
        raise PlanError(
            "down_payment", "The down payment covers the whole balance: no plan is needed."
        )
    if today is not None and first_due < today:
        raise PlanError("first_due", "The first payment cannot be due before today.")
    financed = total_cents - down_payment_cents
    minimum = limits.min_installment_cents
    small = financed < minimum  # the whole amount is below one installment's minimum
    if months is not None:
        if not 1 <= months <= limits.max_months:
            raise PlanError("months", f"Choose 1 to {limits.max_months} months.")
        base, odd_cents = divmod(financed, months)
        if base < minimum and not (small and months == 1):
            raise PlanError("months", _too_many_months(financed, months, limits))
        amounts = [base + 1] * odd_cents + [base] * (months - odd_cents)
    else:
        assert monthly_cents is not None
        if monthly_cents <= 0:
            raise PlanError("monthly", "The monthly amount must be more than zero.")
        count = _ceil_div(financed, monthly_cents)
        if monthly_cents < minimum and not (small and count == 1):
            raise PlanError(
                "monthly",
                f"The smallest monthly payment is {format_usd(minimum)}.",
            )
        if count > limits.max_months:
            fits = max(_ceil_div(financed, limits.max_months), minimum)
            raise PlanError(
                "monthly",
                f"{format_usd(monthly_cents)} a month would take {count} months; plans go "
                f"up to {limits.max_months}. The smallest monthly amount that fits is "
                f"{format_usd(fits)}.",
            )
        amounts = [monthly_cents] * (count - 1) + [financed - monthly_cents * (count - 1)]
    try:
        installments = tuple(
            ScheduledInstallment(number, add_months(first_due, number - 1), amount)
            for number, amount in enumerate(amounts, start=1)
        )
    except OverflowError:
        raise PlanError("first_due", "The first payment date is too far ahead.") from None
    return Schedule(total_cents, down_payment_cents, installments)


def _too_many_months(financed: int, months: int, limits: PlanLimits) -> str:
    minimum = limits.min_installment_cents
    each = format_usd(financed // months)
    if financed < minimum:
        return (
            f"The amount is below the {format_usd(minimum)} minimum installment: "
            "take it as one payment."
        )
    most = min(financed // minimum, limits.max_months)
    return (
        f"{months} months would be {each} a month, below the {format_usd(minimum)} "
        f"minimum; choose at most {most} months."
    )


def hardship_reasons(
    balance_cents: int,
    limits: PlanLimits,
    *,
    monthly_cents: int | None = None,
    months: int | None = None,
) -> tuple[str, ...]:
    """Why the agent should offer financial-assistance screening, in plain sentences
    they can act on; empty when nothing suggests it."""
    minimum = limits.min_installment_cents
    reasons: list[str] = []
    if balance_cents >= limits.hardship_balance_cents:
        reasons.append(
            f"The balance is {format_usd(balance_cents)}, at or above "
            f"{format_usd(limits.hardship_balance_cents)}."
        )
    if monthly_cents is not None and monthly_cents < minimum:
        reasons.append(
            f"The caller can pay {format_usd(max(monthly_cents, 0))} a month, less than the "
            f"{format_usd(minimum)} minimum installment."
        )
    if balance_cents > minimum * limits.max_months:
        reasons.append(
            f"At the {format_usd(minimum)} minimum the balance takes more than "
            f"{limits.max_months} months to pay."
        )
    if months is not None and months > limits.max_months:
        reasons.append(f"The caller asks for {months} months; plans go up to {limits.max_months}.")
    return tuple(reasons)
