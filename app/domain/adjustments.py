"""Write-offs and other adjustments that lower what a patient owes, and who may post them.

Each role may post reductions up to its own limit (central policy); a larger one waits for
someone whose limit covers it. Trainees post nothing on their own. The amount is always
the positive size of the reduction, whatever sign the ledger gives the entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.domain.codes import Role


class AdjustmentReason(StrEnum):
    SMALL_BALANCE = "small_balance"
    PROMPT_PAY_DISCOUNT = "prompt_pay"
    FINANCIAL_ASSISTANCE = "financial_assistance"
    BILLING_ERROR = "billing_error"
    COURTESY = "courtesy"
    BAD_DEBT = "bad_debt"
    ADMINISTRATIVE = "administrative"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    AdjustmentReason.SMALL_BALANCE: "Small balance",
    AdjustmentReason.PROMPT_PAY_DISCOUNT: "Prompt-pay discount",
    AdjustmentReason.FINANCIAL_ASSISTANCE: "Financial assistance",
    AdjustmentReason.BILLING_ERROR: "Billing error",
    AdjustmentReason.COURTESY: "Courtesy",
    AdjustmentReason.BAD_DEBT: "Bad debt",
    AdjustmentReason.ADMINISTRATIVE: "Administrative",
}

_WHOLE = re.compile(r"[0-9]+")


def _limit_setting(settings: Mapping[str, str], key: str, default: int) -> int:
    """A whole number of cents (zero allowed: "needs approval for any amount"), or the
    default when missing or unusable."""
    raw = settings.get(key)
    if raw is None:
        return default
    text = str(raw).strip()
    return int(text) if _WHOLE.fullmatch(text) else default


@dataclass(frozen=True)
class AdjustmentLimits:
    """The largest reduction (cents) each role posts without anyone else's approval."""

    agent_cents: int = 2500
    lead_cents: int = 50000

    def __post_init__(self) -> None:
        if not 0 <= self.agent_cents <= self.lead_cents:
            raise ValueError("adjustment limits: need 0 <= agent limit <= lead limit")

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> AdjustmentLimits:
        """From central policy (``write_off_limit_agent_cents``,
        ``write_off_limit_lead_cents``). A missing or unusable value keeps its default; an
        agent limit above the lead's is cut to the lead's, so an agent never posts alone
        what a lead would have to send on."""
        default = cls()
        agent = _limit_setting(settings, "write_off_limit_agent_cents", default.agent_cents)
        lead = _limit_setting(settings, "write_off_limit_lead_cents", default.lead_cents)
        return cls(min(agent, lead), lead)


class Approval(StrEnum):
    NONE = "none"  # the person may post it now
    LEAD = "lead"  # a lead (or an admin) must approve it
    ADMIN = "admin"  # only an admin may approve it


def _check_amount(amount_cents: int) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("adjustment: the amount must be whole cents")
    if amount_cents <= 0:
        raise ValueError("adjustment: the amount is the size of the reduction, more than zero")


def approval_needed(role: str, amount_cents: int, limits: AdjustmentLimits) -> Approval:
    """Who must approve a reduction of ``amount_cents`` posted by someone in ``role``.

    A trainee always needs a lead, and an admin once the amount is beyond what a lead
    may approve (:func:`can_approve`), so the request never goes to someone who cannot
    approve it.
    """
    _check_amount(amount_cents)
    who = Role(role)
    if who is Role.ADMIN:
        return Approval.NONE
    if who is Role.AGENT and amount_cents <= limits.agent_cents:
        return Approval.NONE
    if who is Role.LEAD and amount_cents <= limits.lead_cents:
        return Approval.NONE
    if who is not Role.LEAD and amount_cents <= limits.lead_cents:
        return Approval.LEAD
    return Approval.ADMIN


def can_approve(role: str, amount_cents: int, limits: AdjustmentLimits) -> bool:
    """Whether someone in ``role`` may approve another person's reduction of this size:
    a lead up to the lead limit, an admin any amount, nobody else."""
    _check_amount(amount_cents)
    who = Role(role)
    if who is Role.ADMIN:
        return True
    return who is Role.LEAD and amount_cents <= limits.lead_cents
