"""The insurers the demo practice bills, each with the rules its claims follow.

Names are invented. Amounts are integer cents; percentages are basis points
(10000 = 100 %), so adjudication never touches a float.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.codes import PayerKind


@dataclass(frozen=True)
class PlanRules:
    """How a plan pays a behavioral-health office visit (one calendar plan year)."""

    allowed_bp: int  # the plan's allowed amount as a share of the billed charge
    deductible_cents: int = 0
    coinsurance_bp: int = 0
    copay_cents: int = 0
    oop_max_cents: int = 0  # 0: no out-of-pocket limit tracked
    non_covered: frozenset[str] = frozenset()  # CPT codes the plan never pays (PR-96)
    denial_bp: int = 250  # share of claims denied outright
    prior_auth: bool = False
    visits_allowed: int | None = None  # a yearly visit limit, if the plan has one


@dataclass(frozen=True)
class PayerPlan:
    code: str  # X12 payer id, unique
    name: str
    kind: PayerKind
    plan_name: str
    member_prefix: str
    rules: PlanRules
    weight: int  # relative share among plans of the same kind


COMMERCIAL: tuple[PayerPlan, ...] = (
    PayerPlan(
        "EVGHP", "Evergreen Health Plan", PayerKind.COMMERCIAL, "Evergreen PPO 1000",
        "EVG", PlanRules(7200, deductible_cents=100_000, coinsurance_bp=2000,
                         oop_max_cents=400_000), 26,
    ),
    PayerPlan(
        "SUMMT", "Summit Health", PayerKind.COMMERCIAL, "Summit PPO",
        "SMT", PlanRules(8000, copay_cents=3_000, oop_max_cents=350_000), 22,
    ),
    PayerPlan(
        "BLWTR", "Bluewater Health Partners", PayerKind.COMMERCIAL, "Bluewater HMO Select",
        "BWH", PlanRules(6500, copay_cents=2_500, oop_max_cents=300_000,
                         non_covered=frozenset({"90853"}), prior_auth=True), 18,
    ),
    PayerPlan(
        "KYSTN", "Keystone Benefit Administrators", PayerKind.COMMERCIAL,
        "Keystone Choice HDHP", "KBA", PlanRules(7000, deductible_cents=300_000,
                                                 coinsurance_bp=1000, oop_max_cents=600_000), 14,
    ),
    PayerPlan(
        "MRDN1", "Meridian Select", PayerKind.COMMERCIAL, "Meridian Select EPO",
        "MSE", PlanRules(7500, deductible_cents=50_000, copay_cents=2_000,
                         oop_max_cents=500_000), 12,
    ),
    PayerPlan(
        "HRBPT", "Harbor Point Health", PayerKind.COMMERCIAL, "Harbor Point Gold",
        "HPH", PlanRules(6800, deductible_cents=200_000, coinsurance_bp=2500,
                         oop_max_cents=700_000, non_covered=frozenset({"90847"})), 8,
    ),
)  # fmt: skip

MEDICAID: tuple[PayerPlan, ...] = (
    PayerPlan(
        "TXMCD", "State Medicaid", PayerKind.MEDICAID, "Medicaid Fee-for-Service",
        "", PlanRules(5500, denial_bp=400, prior_auth=True), 40,
    ),
    PayerPlan(
        "BRTST", "Bright Start Health", PayerKind.MEDICAID, "Bright Start Medicaid Managed Care",
        "", PlanRules(6000, copay_cents=300, denial_bp=350, visits_allowed=30), 60,
    ),
)  # fmt: skip

ALL: tuple[PayerPlan, ...] = COMMERCIAL + MEDICAID
