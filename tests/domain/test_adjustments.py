"""Who may post a write-off of what size, and who may approve it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.adjustments import (
    AdjustmentLimits,
    AdjustmentReason,
    Approval,
    approval_needed,
    can_approve,
)
from app.domain.codes import Role

LIMITS = AdjustmentLimits()


def test_reason_values_and_labels() -> None:
    assert AdjustmentReason.PROMPT_PAY_DISCOUNT.value == "prompt_pay"
    assert AdjustmentReason.PROMPT_PAY_DISCOUNT.label == "Prompt-pay discount"
    assert AdjustmentReason("bad_debt").label == "Bad debt"
    assert all(reason.label and reason.label[0].isupper() for reason in AdjustmentReason)


def test_limits_from_settings() -> None:
    assert AdjustmentLimits.from_settings({}) == AdjustmentLimits(2500, 50000)
    settings = {"write_off_limit_agent_cents": "1000", "write_off_limit_lead_cents": " 20000 "}
    assert AdjustmentLimits.from_settings(settings) == AdjustmentLimits(1000, 20000)
    # Zero is a policy: every write-off by an agent needs a lead.
    assert AdjustmentLimits.from_settings({"write_off_limit_agent_cents": "0"}).agent_cents == 0


@pytest.mark.parametrize("bad", ["", "x", "-1", "25.00", "1e4"])
def test_bad_settings_keep_the_default(bad: str) -> None:
    settings = {"write_off_limit_agent_cents": bad, "write_off_limit_lead_cents": bad}
    assert AdjustmentLimits.from_settings(settings) == AdjustmentLimits()


def test_an_agent_limit_above_the_leads_is_cut_to_it() -> None:
    settings = {"write_off_limit_agent_cents": "90000", "write_off_limit_lead_cents": "30000"}
    assert AdjustmentLimits.from_settings(settings) == AdjustmentLimits(30000, 30000)
    with pytest.raises(ValueError):
        AdjustmentLimits(agent_cents=60000, lead_cents=50000)


@pytest.mark.parametrize(
    ("role", "amount", "approval"),
    [
        ("agent", 1, Approval.NONE),
        ("agent", 2500, Approval.NONE),
        ("agent", 2501, Approval.LEAD),
        ("agent", 50000, Approval.LEAD),
        ("agent", 50001, Approval.ADMIN),
        ("lead", 2501, Approval.NONE),
        ("lead", 50000, Approval.NONE),
        ("lead", 50001, Approval.ADMIN),
        ("admin", 10_000_000, Approval.NONE),
        ("trainee", 1, Approval.LEAD),
        ("trainee", 50000, Approval.LEAD),
        ("trainee", 50001, Approval.ADMIN),  # beyond what a lead may approve
        (Role.AGENT, 100, Approval.NONE),
    ],
)
def test_approval_needed(role: str, amount: int, approval: Approval) -> None:
    assert approval_needed(role, amount, LIMITS) is approval


@pytest.mark.parametrize(
    ("role", "amount", "allowed"),
    [
        ("lead", 50000, True),
        ("lead", 50001, False),
        ("admin", 10_000_000, True),
        ("agent", 1, False),
        ("trainee", 1, False),
    ],
)
def test_can_approve(role: str, amount: int, allowed: bool) -> None:
    assert can_approve(role, amount, LIMITS) is allowed


@pytest.mark.parametrize("amount", [0, -100])
def test_the_amount_is_the_positive_size_of_the_reduction(amount: int) -> None:
    with pytest.raises(ValueError):
        approval_needed("agent", amount, LIMITS)
    with pytest.raises(ValueError):
        can_approve("lead", amount, LIMITS)


def test_unknown_roles_are_refused() -> None:
    with pytest.raises(ValueError):
        approval_needed("supervisor", 100, LIMITS)
    with pytest.raises(ValueError):
        can_approve("supervisor", 100, LIMITS)


@given(
    role=st.sampled_from(list(Role)),
    amount=st.integers(min_value=1, max_value=10_000_000),
    agent=st.integers(min_value=0, max_value=100_000),
    extra=st.integers(min_value=0, max_value=100_000),
)
def test_whoever_is_asked_can_approve(role: Role, amount: int, agent: int, extra: int) -> None:
    limits = AdjustmentLimits(agent, agent + extra)
    needed = approval_needed(role, amount, limits)
    if needed is Approval.LEAD:
        assert can_approve(Role.LEAD, amount, limits)
    if needed is Approval.ADMIN:
        assert not can_approve(Role.LEAD, amount, limits)
        assert can_approve(Role.ADMIN, amount, limits)
    if needed is Approval.NONE:
        assert role is not Role.TRAINEE
