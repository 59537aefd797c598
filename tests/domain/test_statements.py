"""'Why is this different from my bill?': the paper plus what moved is today's balance."""

from __future__ import annotations

import uuid
from datetime import date

from app.domain.codes import ClaimStatus, LedgerKind
from app.domain.explain import ClaimFacts, Entry, VisitFacts, explain_account
from app.domain.statements import Change, compare_statement, comparison_words

DAY = date(2026, 10, 1)


def test_changes_since_the_statement_add_up() -> None:
    visit = VisitFacts(uuid.uuid4(), date(2026, 9, 1), "Mia", "Dr. Lee")
    waiting = VisitFacts(
        uuid.uuid4(), date(2026, 10, 20), "Mia", "Dr. Lee",
        (ClaimFacts(uuid.uuid4(), "Summit", 1, ClaimStatus.SUBMITTED, 20_000, None, 0),),
    )  # fmt: skip
    entries = [
        Entry(LedgerKind.CHARGE, 35_000, visit.service_date, visit.id),
        Entry(LedgerKind.PATIENT_PAYMENT, -5_000, date(2026, 10, 5), visit.id),
        Entry(LedgerKind.CHARGE, 20_000, waiting.service_date, waiting.id),
    ]
    now = explain_account([visit, waiting], entries, date(2026, 11, 1))
    changes = [Change(LedgerKind.PATIENT_PAYMENT, -5_000, date(2026, 10, 5)),
               Change(LedgerKind.CHARGE, 20_000, date(2026, 10, 20))]  # fmt: skip
    comparison = compare_statement(DAY, 35_000, changes, now)
    assert comparison.unexplained == 0
    assert comparison.groups["you_paid"] == -5_000 and comparison.groups["new_charges"] == 20_000
    text = comparison_words(comparison)
    assert text == (
        "Your statement of 10/01/2026 said $350.00. Since then, you paid $50.00, new visits "
        "added $200.00. Today the balance is $500.00: $200.00 is still with your insurance "
        "and $300.00 is due now."
    )
    assert "usted pagó $50.00" in comparison_words(comparison, "es")


def test_a_gap_between_paper_and_ledger_is_said() -> None:
    now = explain_account([], [Entry(LedgerKind.CHARGE, 10_000, DAY)], DAY)
    comparison = compare_statement(DAY, 12_000, [], now)
    assert comparison.unexplained == -2_000
    assert "$20.00 is not explained" in comparison_words(comparison)
