"""The balance explainer: every part adds up to the balance, to the cent."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.codes import ClaimStatus, LedgerKind
from app.domain.explain import (
    AGING_BUCKETS,
    Adjustment,
    ClaimFacts,
    Entry,
    VisitFacts,
    explain_account,
    explain_visit,
)

TODAY = date(2026, 11, 20)
DOS = date(2026, 3, 14)


def _visit(*claims: ClaimFacts, on: date = DOS) -> VisitFacts:
    return VisitFacts(uuid.uuid4(), on, "Mia", "Dr. Lee", claims)


def _claim(status: ClaimStatus = ClaimStatus.ADJUDICATED, priority: int = 1, paid: int = 0,
           adjustments: tuple[Adjustment, ...] = (), billed: int = 25_000,
           allowed: int | None = None) -> ClaimFacts:  # fmt: skip
    return ClaimFacts(
        uuid.uuid4(), "Summit PPO", priority, status, billed, allowed, paid, adjustments
    )


def test_the_issue_example_to_the_cent() -> None:
    claim = _claim(
        paid=10_800,
        allowed=18_000,
        adjustments=(
            Adjustment("CO", "45", 7_000),
            Adjustment("PR", "1", 4_000),
            Adjustment("PR", "2", 3_200),
        ),
    )
    visit = _visit(claim)
    entries = [
        Entry(LedgerKind.CHARGE, 25_000, DOS, visit.id),
        Entry(LedgerKind.INSURANCE_PAYMENT, -10_800, DOS, visit.id, claim.id),
        Entry(LedgerKind.CONTRACTUAL_ADJUSTMENT, -7_000, DOS, visit.id, claim.id),
    ]
    v = explain_visit(visit, entries)
    assert (v.billed, v.allowed, v.insurance_paid, v.plan_adjusted) == (
        25_000,
        18_000,
        10_800,
        7_000,
    )
    assert v.patient_share == 7_200
    assert (v.share.deductible, v.share.coinsurance, v.share.copay) == (4_000, 3_200, 0)
    assert v.share_unexplained == 0 and v.balance == 7_200 and not v.with_insurance


def test_secondary_pays_part_of_the_share() -> None:
    primary = _claim(paid=15_000, adjustments=(Adjustment("CO", "45", 5_000),
                                               Adjustment("PR", "2", 5_000)))  # fmt: skip
    secondary = _claim(priority=2, paid=3_000, billed=25_000)
    visit = _visit(primary, secondary)
    entries = [
        Entry(LedgerKind.CHARGE, 25_000, DOS, visit.id),
        Entry(LedgerKind.INSURANCE_PAYMENT, -15_000, DOS, visit.id, primary.id),
        Entry(LedgerKind.CONTRACTUAL_ADJUSTMENT, -5_000, DOS, visit.id, primary.id),
        Entry(LedgerKind.INSURANCE_PAYMENT, -3_000, DOS, visit.id, secondary.id),
        Entry(LedgerKind.PATIENT_PAYMENT, -500, DOS, visit.id),
    ]
    v = explain_visit(visit, entries)
    assert v.share.coinsurance == 5_000 and v.secondary_paid == 3_000
    assert v.patient_share == 2_000 and v.share_unexplained == 0
    assert v.balance == 1_500


def test_a_claim_with_insurance_is_never_due() -> None:
    claim = _claim(status=ClaimStatus.SUBMITTED)
    visit = _visit(claim, on=TODAY - timedelta(days=200))
    entries = [Entry(LedgerKind.CHARGE, 25_000, visit.service_date, visit.id)]
    account = explain_account([visit], entries, TODAY)
    assert account.balance == 25_000
    assert account.with_insurance == 25_000 and account.due_now == 0
    assert sum(account.aging.values()) == 0
    assert account.visits[0].share_unexplained == 25_000  # no answer yet: said as such


def test_aging_by_visit_age_and_credits() -> None:
    visits, entries = [], []
    for days, cents in ((10, 1_000), (45, 2_000), (75, 3_000), (100, 4_000), (400, 5_000)):
        v = _visit(on=TODAY - timedelta(days=days))
        visits.append(v)
        entries.append(Entry(LedgerKind.CHARGE, cents, v.service_date, v.id))
    account = explain_account(visits, entries, TODAY)
    assert list(account.aging.values()) == [1_000, 2_000, 3_000, 4_000, 5_000]
    assert tuple(account.aging) == AGING_BUCKETS
    # A payment on the account pays the oldest visits first; the rest is a credit.
    entries.append(Entry(LedgerKind.PATIENT_PAYMENT, -11_000, TODAY))
    account = explain_account(visits, entries, TODAY)
    assert list(account.aging.values()) == [1_000, 2_000, 1_000, 0, 0]
    assert account.unapplied == 0 and account.balance == 4_000
    entries.append(Entry(LedgerKind.PATIENT_PAYMENT, -9_000, TODAY))
    account = explain_account(visits, entries, TODAY)
    assert sum(account.aging.values()) == 0
    assert account.unapplied == -5_000 and account.balance == -5_000 and account.credit == 5_000


KINDS = st.sampled_from(list(LedgerKind))
CENTS = st.integers(min_value=-500_000, max_value=500_000)


@st.composite
def accounts(draw: st.DrawFn) -> tuple[list[VisitFacts], list[Entry]]:
    visits: list[VisitFacts] = []
    entries: list[Entry] = []
    for _ in range(draw(st.integers(0, 6))):
        claims = tuple(
            _claim(
                status=draw(st.sampled_from(list(ClaimStatus))),
                priority=draw(st.integers(1, 3)),
                paid=draw(st.integers(0, 100_000)),
                adjustments=tuple(
                    Adjustment(
                        draw(st.sampled_from(["CO", "PR", "OA", "PI"])),
                        draw(st.sampled_from(["1", "2", "3", "45", "96", "204", "23"])),
                        draw(CENTS),
                    )
                    for _ in range(draw(st.integers(0, 4)))
                ),
            )
            for _ in range(draw(st.integers(0, 3)))
        )
        visit = _visit(*claims, on=TODAY - timedelta(days=draw(st.integers(0, 900))))
        visits.append(visit)
        for _ in range(draw(st.integers(0, 8))):
            claim = draw(st.sampled_from([None, *[c.id for c in claims]]))
            entries.append(Entry(draw(KINDS), draw(CENTS), TODAY, visit.id, claim))
    for _ in range(draw(st.integers(0, 3))):  # entries tied to no visit, or to a stranger
        target = draw(st.sampled_from([None, uuid.uuid4()]))
        entries.append(Entry(draw(KINDS), draw(CENTS), TODAY, target))
    return visits, entries


@settings(max_examples=300, deadline=None)
@given(accounts())
def test_the_parts_always_add_up_to_the_balance(account: tuple[list[VisitFacts], list[Entry]]):
    visits, entries = account
    result = explain_account(visits, entries, TODAY)
    assert result.balance == sum(e.cents for e in entries)
    assert result.due_now + result.with_insurance == result.balance
    for v in result.visits:
        assert v.patient_share == v.share.total - v.secondary_paid + v.share_unexplained
        assert v.balance == (
            v.billed - v.insurance_paid - v.plan_adjusted
            - v.patient_paid - v.patient_adjusted + v.refunded
        )  # fmt: skip
        if v.with_insurance:
            assert v.due_now == 0
    assert sum(result.aging.values()) == sum(
        v.owed for v in result.visits if not v.with_insurance and v.owed > 0
    )
    # Account credits spent on visits move money between lines, never change the total.
    assert sum(v.owed for v in result.visits) + result.unapplied == result.balance
    assert all(v.credit_applied >= 0 for v in result.visits)
