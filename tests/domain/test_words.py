"""The read-aloud scripts: the same numbers as the table, in English and Spanish."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from app.domain.codes import ClaimStatus, LedgerKind
from app.domain.explain import Adjustment, ClaimFacts, Entry, VisitFacts, explain_account
from app.domain.words import Deductible, account_summary, visit_script

DOS = date(2026, 3, 14)


def _example(status: ClaimStatus = ClaimStatus.ADJUDICATED):  # type: ignore[no-untyped-def]
    claim = ClaimFacts(
        uuid.uuid4(), "Summit PPO", 1, status, 25_000, 18_000, 10_800,
        (Adjustment("CO", "45", 7_000), Adjustment("PR", "1", 4_000), Adjustment("PR", "2", 3_200)),
    )  # fmt: skip
    visit = VisitFacts(uuid.uuid4(), DOS, "Mia", "Dr. Lee", (claim,))
    entries = [Entry(LedgerKind.CHARGE, 25_000, DOS, visit.id)]
    if status == ClaimStatus.ADJUDICATED:
        entries += [
            Entry(LedgerKind.INSURANCE_PAYMENT, -10_800, DOS, visit.id, claim.id),
            Entry(LedgerKind.CONTRACTUAL_ADJUSTMENT, -7_000, DOS, visit.id, claim.id),
        ]
    return explain_account([visit], entries, date(2026, 11, 20))


def test_english_reads_like_the_issue() -> None:
    visit = _example().visits[0]
    text = visit_script(visit, "en", deductible=Deductible(50_000, 50_000))
    assert text.startswith("On March 14, 2026, Mia saw Dr. Lee.")
    assert "The visit was billed $250.00; your plan allowed $180.00 and paid $108.00." in text
    assert (
        "Your share is $72.00: $40.00 went toward your $500.00 deductible, which is now met"
        " and $32.00 is coinsurance." in text
    )
    assert text.endswith("$72.00 is still owed for this visit.")


def test_spanish_has_the_same_numbers() -> None:
    visit = _example().visits[0]
    en = visit_script(visit, "en", deductible=Deductible(50_000, 30_000))
    es = visit_script(visit, "es", deductible=Deductible(50_000, 30_000))
    assert es.startswith("El 14 de marzo de 2026, Mia tuvo una consulta con Dr. Lee.")
    assert "faltan $200.00" in es and "$200.00 still to meet" in en
    assert re.findall(r"\$[\d,]+\.\d\d", en) == re.findall(r"\$[\d,]+\.\d\d", es)


def test_with_insurance_is_never_said_to_be_owed() -> None:
    account = _example(ClaimStatus.SUBMITTED)
    text = visit_script(account.visits[0])
    assert "nothing is due for it yet" in text and "owed" not in text
    summary = account_summary(account)
    assert summary == (
        "Your account balance is $250.00. Of that, $250.00 is still with your insurance"
        " and $0.00 is due now."
    )
    assert "todavía está con su seguro" in account_summary(account, "es")


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        visit_script(_example().visits[0], "fr")
