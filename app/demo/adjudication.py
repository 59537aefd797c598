"""How a payer adjudicates one service line, in 835 terms and integer cents.

Every outcome keeps the 835 balancing rule: billed = paid + the sum of all adjustments.
The patient's share is the sum of the PR adjustments (deductible 1, coinsurance 2,
copay 3, non-covered 96, ...); CO adjustments are the provider's to write off.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.demo.payers import PlanRules

Adjustment = tuple[str, str, int]  # (group code, CARC reason, cents)

# Denials: (group code, CARC, share in a thousand). CO: the practice writes it off;
# PR: the patient owes the whole charge.
DENIALS: tuple[tuple[str, str, int], ...] = (
    ("CO", "197", 400),  # precertification/authorization absent
    ("CO", "50", 200),  # not deemed a medical necessity
    ("CO", "29", 100),  # time limit for filing expired
    ("PR", "204", 300),  # service not covered under the patient's current benefit plan
)


def half_up(cents: int, basis_points: int) -> int:
    """``cents`` x ``basis_points`` / 10000, rounded half up (both non-negative)."""
    return (cents * basis_points + 5_000) // 10_000


@dataclass(slots=True)
class Accumulator:
    """What a patient has paid toward one plan year's deductible and out-of-pocket limit."""

    deductible_met: int = 0
    oop_met: int = 0


@dataclass(frozen=True, slots=True)
class LineOutcome:
    allowed: int | None
    paid: int
    adjustments: tuple[Adjustment, ...]

    @property
    def patient_share(self) -> int:
        return sum(amount for group, _, amount in self.adjustments if group == "PR")

    @property
    def contractual(self) -> int:
        return sum(amount for group, _, amount in self.adjustments if group == "CO")


def adjudicate(billed: int, cpt: str, rules: PlanRules, acc: Accumulator) -> LineOutcome:
    """The primary payer's decision on a line; updates the patient's accumulators."""
    if cpt in rules.non_covered:
        return LineOutcome(None, 0, (("PR", "96", billed),))
    allowed = half_up(billed, rules.allowed_bp)
    deductible = 0
    if rules.deductible_cents:
        deductible = min(allowed, max(0, rules.deductible_cents - acc.deductible_met))
    rest = allowed - deductible
    copay = min(rest, rules.copay_cents)
    coinsurance = half_up(rest - copay, rules.coinsurance_bp)
    if rules.oop_max_cents:
        over = deductible + copay + coinsurance - max(0, rules.oop_max_cents - acc.oop_met)
        if over > 0:  # past the out-of-pocket limit the plan pays it all
            cut = min(over, coinsurance)
            coinsurance, over = coinsurance - cut, over - cut
            cut = min(over, copay)
            copay, over = copay - cut, over - cut
            deductible -= min(over, deductible)
    acc.deductible_met += deductible
    acc.oop_met += deductible + copay + coinsurance
    adjustments: list[Adjustment] = []
    if billed > allowed:
        adjustments.append(("CO", "45", billed - allowed))
    if deductible:
        adjustments.append(("PR", "1", deductible))
    if coinsurance:
        adjustments.append(("PR", "2", coinsurance))
    if copay:
        adjustments.append(("PR", "3", copay))
    return LineOutcome(allowed, allowed - deductible - coinsurance - copay, tuple(adjustments))


def deny(billed: int, group: str, reason: str) -> LineOutcome:
    """A denied line: nothing paid, the whole charge under one adjustment."""
    return LineOutcome(None, 0, ((group, reason, billed),))


def coordinate(billed: int, patient_owed: int, rules: PlanRules) -> LineOutcome:
    """The secondary payer's decision: it pays what the primary left to the patient,
    less its own copay; the rest is the prior payer's adjudication (CO-23)."""
    copay = min(patient_owed, rules.copay_cents)
    adjustments: list[Adjustment] = []
    if billed > patient_owed:
        adjustments.append(("CO", "23", billed - patient_owed))
    if copay:
        adjustments.append(("PR", "3", copay))
    return LineOutcome(patient_owed, patient_owed - copay, tuple(adjustments))
