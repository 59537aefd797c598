"""Central policy as the desk uses it: hold thresholds, the identity check, idle lock,
the practice's name for the scripts, plan and write-off limits, the environment. Read
once when the desk opens; a missing or unusable value keeps its default, so a bad
setting never disables a rule."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.domain.adjustments import AdjustmentLimits
from app.domain.hold import HoldPolicy
from app.domain.identity import DEFAULT_VERIFICATION, VerificationPolicy
from app.domain.plans import PlanLimits

log = logging.getLogger(__name__)

DEFAULT_PRACTICE = "Bright Path Pediatric Behavioral Health"
DEFAULT_IDLE_LOCK_MINUTES = 15


@dataclass(frozen=True)
class DeskPolicy:
    hold: HoldPolicy = field(default_factory=HoldPolicy)
    verification: VerificationPolicy = DEFAULT_VERIFICATION
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    practice_name: str = DEFAULT_PRACTICE
    plans: PlanLimits = field(default_factory=PlanLimits)
    adjustments: AdjustmentLimits = field(default_factory=AdjustmentLimits)
    # "production" or "sandbox"; "" when the desk has no central database (tests, tools)
    environment: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> DeskPolicy:
        verification = DEFAULT_VERIFICATION
        text = settings.get("verification_policy")
        if text:
            try:
                verification = VerificationPolicy.parse(text)
            except ValueError:
                log.warning("central verification_policy is unreadable; using the default")
        try:
            idle = max(1, int(settings.get("idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES)))
        except ValueError:
            idle = DEFAULT_IDLE_LOCK_MINUTES
        return cls(
            hold=HoldPolicy.from_settings(settings),
            verification=verification,
            idle_lock_minutes=idle,
            practice_name=(settings.get("practice_name") or DEFAULT_PRACTICE).strip()[:120],
            plans=PlanLimits.from_settings(settings),
            adjustments=AdjustmentLimits.from_settings(settings),
            environment=(settings.get("environment") or "").strip(),
        )
