"""The hold rule with a clock the tests move: warn at 2:30, breach at 3:00."""

from __future__ import annotations

import pytest

from app.domain.clock import ManualClock
from app.domain.codes import InteractionEventKind as Kind
from app.domain.hold import Hold, HoldError, HoldLevel, HoldPolicy, mm_ss


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_calm_until_the_warning_exactly_at_2_30(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.advance(149.999)
    assert hold.level() is HoldLevel.CALM
    assert hold.poll() == []
    clock.advance(0.001)
    assert hold.level() is HoldLevel.WARNING
    [warn] = hold.poll()
    assert warn.kind is Kind.WARN
    assert warn.at == pytest.approx(hold.started + 150)
    assert hold.poll() == []  # reported once


def test_breach_exactly_at_3_00(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.advance(150)
    hold.poll()
    clock.advance(29.999)
    assert hold.poll() == []
    assert hold.level() is HoldLevel.WARNING
    clock.advance(0.001)
    [breach] = hold.poll()
    assert breach.kind is Kind.BREACH
    assert hold.level() is HoldLevel.BREACH
    assert hold.breached


def test_check_in_restarts_the_clock_that_matters(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.advance(140)
    [check_in] = hold.check_in()
    assert check_in.kind is Kind.CHECK_IN and check_in.silence == pytest.approx(140)
    assert hold.silence() == 0
    clock.advance(149)
    assert hold.poll() == [] and hold.level() is HoldLevel.CALM
    clock.advance(1)
    assert [c.kind for c in hold.poll()] == [Kind.WARN]
    # The warning is reported again after the next check-in, at the next 2:30.
    hold.check_in()
    clock.advance(150)
    assert [c.kind for c in hold.poll()] == [Kind.WARN]
    assert hold.check_ins == 2
    assert hold.longest_silence == pytest.approx(150)
    assert hold.duration() == pytest.approx(440)
    assert not hold.breached


def test_a_check_in_after_the_breach_still_records_the_breach(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.advance(200)  # nobody polled (the GUI was busy)
    kinds = [c.kind for c in hold.check_in()]
    assert kinds == [Kind.WARN, Kind.BREACH, Kind.CHECK_IN]
    assert hold.breached and hold.longest_silence == pytest.approx(200)


def test_a_clock_that_jumps_reports_both_thresholds_in_order(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.advance(600)  # a suspended laptop, a frozen GUI
    warn, breach = hold.poll()
    assert (warn.kind, breach.kind) == (Kind.WARN, Kind.BREACH)
    # Stamped when each threshold was crossed, not when the poll noticed.
    assert warn.at == pytest.approx(hold.started + 150)
    assert breach.at == pytest.approx(hold.started + 180)
    assert mm_ss(hold.silence()) == "10:00"


def test_the_wall_clock_does_not_count(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.jump_wall(-3600)  # daylight saving, an NTP step: no effect on the hold
    clock.jump_wall(7200)
    assert hold.silence() == 0
    assert hold.poll() == []


def test_resume_ends_the_segment(clock: ManualClock) -> None:
    hold = Hold(HoldPolicy(), clock)
    clock.advance(95)
    [resume] = hold.resume()
    assert resume.kind is Kind.RESUME
    assert not hold.on_hold
    clock.advance(500)
    assert hold.silence() == pytest.approx(95)  # frozen once resumed
    assert hold.poll() == []
    with pytest.raises(HoldError):
        hold.check_in()


def test_thresholds_come_from_policy(clock: ManualClock) -> None:
    policy = HoldPolicy.from_settings({"hold_warn_seconds": "60", "hold_breach_seconds": "90"})
    hold = Hold(policy, clock)
    clock.advance(60)
    assert [c.kind for c in hold.poll()] == [Kind.WARN]
    clock.advance(30)
    assert [c.kind for c in hold.poll()] == [Kind.BREACH]


@pytest.mark.parametrize(
    "settings",
    [
        {"hold_warn_seconds": "abc"},
        {"hold_warn_seconds": "200", "hold_breach_seconds": "180"},
        {"hold_warn_seconds": "0"},
        {"hold_breach_seconds": "inf"},
        {"hold_breach_seconds": "1e400"},
        {"hold_warn_seconds": "nan"},
    ],
)
def test_a_bad_policy_never_disables_the_rule(settings: dict[str, str]) -> None:
    assert HoldPolicy.from_settings(settings) == HoldPolicy()


def test_mm_ss() -> None:
    assert [mm_ss(s) for s in (0, 9.99, 59.5, 60, 150, 3599, -4)] == [
        "0:00", "0:09", "0:59", "1:00", "2:30", "59:59", "0:00",
    ]  # fmt: skip
