"""The hold rule: a caller on hold never goes more than 3 minutes without an update.

What counts is the time since the caller last heard from the agent: the start of the
hold or the latest check-in. At ``warn_after`` (2:30) the desk warns; at ``breach_after``
(3:00) a breach is recorded. Thresholds are central policy. Time comes from the
injected clock's monotonic seconds, so a hold measured across a wall-clock change, a
busy GUI thread or a suspended laptop is still measured right.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.domain.clock import Clock
from app.domain.codes import InteractionEventKind

Kind = InteractionEventKind


class HoldLevel(StrEnum):
    CALM = "calm"
    WARNING = "warning"  # past warn_after: check in now
    BREACH = "breach"  # past breach_after: the rule was broken (recorded)


@dataclass(frozen=True)
class HoldPolicy:
    warn_after: float = 150.0  # seconds without an update before the warning
    breach_after: float = 180.0  # seconds without an update that break the rule

    def __post_init__(self) -> None:
        if not (math.isfinite(self.breach_after) and 0 < self.warn_after < self.breach_after):
            raise ValueError("hold policy: need 0 < warn seconds < breach seconds, both finite")

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> HoldPolicy:
        """From central policy (``hold_warn_seconds``, ``hold_breach_seconds``); a value
        that is missing or unusable leaves the default, so a bad setting never disables
        the rule."""
        default = cls()
        try:
            warn = float(settings.get("hold_warn_seconds", default.warn_after))
            breach = float(settings.get("hold_breach_seconds", default.breach_after))
            return cls(warn, breach)
        except (TypeError, ValueError):
            return default


@dataclass(frozen=True)
class HoldChange:
    """Something a hold did that is recorded: hold, warn, breach, check-in, resume."""

    kind: InteractionEventKind
    at: float  # monotonic seconds when it happened (a threshold: the moment it was crossed)
    silence: float  # seconds the caller had gone without an update at that moment


class HoldError(RuntimeError):
    pass


class Hold:
    """One hold segment. Ask :meth:`poll` as often as you like: each threshold crossing
    is reported once, stamped with the moment it was crossed, in order (a clock that
    jumps past both reports the warning, then the breach)."""

    def __init__(self, policy: HoldPolicy, clock: Clock) -> None:
        self.id = uuid.uuid4()
        self.policy = policy
        self._clock = clock
        self.started = clock.monotonic()
        self.last_update = self.started
        self.ended: float | None = None
        self.check_ins = 0
        self.longest_silence = 0.0
        self.breached = False  # at any point in this segment
        self._warned_now = False  # in the current stretch since the last update
        self._breached_now = False

    @property
    def on_hold(self) -> bool:
        return self.ended is None

    def silence(self) -> float:
        """Seconds since the caller last heard from the agent (frozen once resumed)."""
        end = self.ended if self.ended is not None else self._clock.monotonic()
        return max(0.0, end - self.last_update)

    def level(self) -> HoldLevel:
        silence = self.silence()
        if silence >= self.policy.breach_after:
            return HoldLevel.BREACH
        if silence >= self.policy.warn_after:
            return HoldLevel.WARNING
        return HoldLevel.CALM

    def longest(self) -> float:
        """The longest time the caller went without an update, the current one included."""
        return max(self.longest_silence, self.silence())

    def until_warning(self) -> float:
        return max(0.0, self.policy.warn_after - self.silence())

    def poll(self) -> list[HoldChange]:
        """Thresholds crossed since the last poll."""
        if self.ended is not None:
            return []
        silence = self.silence()
        changes: list[HoldChange] = []
        if not self._warned_now and silence >= self.policy.warn_after:
            self._warned_now = True
            at = self.last_update + self.policy.warn_after
            changes.append(HoldChange(Kind.WARN, at, self.policy.warn_after))
        if not self._breached_now and silence >= self.policy.breach_after:
            self._breached_now = True
            self.breached = True
            at = self.last_update + self.policy.breach_after
            changes.append(HoldChange(Kind.BREACH, at, self.policy.breach_after))
        return changes

    def check_in(self) -> list[HoldChange]:
        """The agent updated the caller: the clock that matters starts again."""
        self._require_on_hold("check in")
        changes = self.poll()
        now = self._clock.monotonic()
        silence = self.silence()
        self.longest_silence = max(self.longest_silence, silence)
        self.check_ins += 1
        self.last_update = max(now, self.last_update)
        self._warned_now = self._breached_now = False
        return [*changes, HoldChange(Kind.CHECK_IN, self.last_update, silence)]

    def resume(self) -> list[HoldChange]:
        """The agent took the caller off hold: the segment ends."""
        self._require_on_hold("resume")
        changes = self.poll()
        now = max(self._clock.monotonic(), self.last_update)
        silence = now - self.last_update
        self.longest_silence = max(self.longest_silence, silence)
        self.ended = now
        return [*changes, HoldChange(Kind.RESUME, now, silence)]

    def duration(self) -> float:
        end = self.ended if self.ended is not None else self._clock.monotonic()
        return max(0.0, end - self.started)

    def _require_on_hold(self, what: str) -> None:
        if self.ended is not None:
            raise HoldError(f"cannot {what}: the caller is no longer on hold")


def mm_ss(seconds: float) -> str:
    """``162.4`` -> ``"2:42"``: whole seconds, rounded down, as the timer shows them."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"
