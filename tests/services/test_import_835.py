"""Importing an 835 into a desk: the waiting claim is answered, the ledger posted, the
explainer splits the share by kind; a second import changes nothing; a reversal takes
the answer back; a failure half-way leaves nothing behind."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.codes import ClaimStatus
from app.services.desk import Desk, open_desk
from app.store.models import Claim, Encounter, LedgerEntry, OutboxItem, ProcedureLine

TODAY = date(2026, 11, 20)
ISA = (
    "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *261120*0900*^*"
    "00501*000000201*0*T*:~"
)


@pytest.fixture
def desk(sqlite_url: str) -> Any:
    desk = open_desk(sqlite_url, demo_patients=300, seed=5, today=lambda: TODAY)
    yield desk
    desk.close()


def _waiting_claims(desk: Desk, count: int) -> list[Any]:
    with desk.engine.connect() as conn:
        rows = conn.execute(
            select(Claim.id, Claim.patient_control_number, Claim.encounter_id, Claim.billed_cents)
            .where(Claim.status == ClaimStatus.SUBMITTED)
            .order_by(Claim.patient_control_number)
        ).all()
        found = []
        for row in rows:
            lines = conn.execute(
                select(ProcedureLine.cpt_code, ProcedureLine.charge_cents)
                .where(ProcedureLine.encounter_id == row.encounter_id)
                .order_by(ProcedureLine.line_number)
            ).all()
            if len(lines) == 1 and sum(c for _, c in lines) == row.billed_cents:
                found.append((row, lines[0]))
            if len(found) == count:
                return found
    pytest.skip("the demo has too few waiting single-line claims")


def _usd(cents: int) -> str:
    return f"{cents / 100:.2f}" if cents >= 0 else f"-{-cents / 100:.2f}"


def _answer(pcn: str, code: str, billed: int, *, status: str = "1", icn: str = "ICN1") -> str:
    """Allowed 75 %: deductible 40 % of allowed, 20 % coinsurance of the rest, plan pays."""
    allowed = billed * 3 // 4
    contractual = billed - allowed
    deductible = allowed * 2 // 5
    coinsurance = (allowed - deductible) // 5
    paid = allowed - deductible - coinsurance
    sign = -1 if status == "22" else 1
    b, p, c, d, co = (sign * x for x in (billed, paid, contractual, deductible, coinsurance))
    return (
        f"CLP*{pcn}*{status}*{_usd(b)}*{_usd(p)}*{_usd(d + co)}*12*{icn}~"
        f"SVC*HC:{code}*{_usd(b)}*{_usd(p)}**1~DTM*472*20261101~"
        f"CAS*CO*45*{_usd(c)}~CAS*PR*1*{_usd(d)}**2*{_usd(co)}~AMT*B6*{_usd(sign * allowed)}~"
    )


def _file(*claims: str, trace: str = "EFT1") -> str:
    body = "".join(claims)
    return (
        ISA + "GS*HP*PAYER*CLINIC*20261120*0900*201*X*005010X221A1~ST*835*0001~"
        f"BPR*I*1.00*C*ACH************20261120~TRN*1*{trace}*1999999999~"
        f"N1*PR*SUMMIT HEALTH~LX*1~{body}SE*9*0001~GE*1*201~IEA*1*000000201~"
    )


def _ledger_count(desk: Desk) -> int:
    with desk.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def _account_of(desk: Desk, encounter_id: Any) -> Any:
    with desk.engine.connect() as conn:
        return conn.scalar(select(Encounter.account_id).where(Encounter.id == encounter_id))


def test_an_answer_is_applied_once_and_explained(desk: Desk) -> None:
    [(claim, (code, charge))] = _waiting_claims(desk, 1)
    account = _account_of(desk, claim.encounter_id)
    before = desk.explain(account)
    text = _file(_answer(claim.patient_control_number, code, charge))
    outbox_before = _count_outbox(desk)

    result = desk.import_835(text)
    assert (result.applied, result.already, result.unmatched) == (1, 0, [])
    assert result.ledger_entries == 2
    after = desk.explain(account)
    visit = next(v for v in after.visits if v.id == claim.encounter_id)
    allowed = charge * 3 // 4
    assert not visit.with_insurance
    assert visit.allowed == allowed
    assert visit.share.deductible == allowed * 2 // 5
    assert visit.share.coinsurance == (allowed - allowed * 2 // 5) // 5
    assert visit.share_unexplained == 0
    # What was with insurance is now the patient's share; the account's total is the
    # ledger's and fell by what the plan paid and wrote off.
    assert after.with_insurance < before.with_insurance
    assert after.balance == before.balance - (charge - visit.patient_share)
    assert _count_outbox(desk) > outbox_before  # every new row waits to sync
    # The payer's reasons reach the panel, with their words.
    reasons = {r.label: r for r in desk.explainer(account).reasons[claim.encounter_id]}
    assert reasons["PR-1"].cents == visit.share.deductible
    assert reasons["PR-1"].text == "deductible"

    ledger = _ledger_count(desk)
    again = desk.import_835(text)
    assert (again.applied, again.already) == (0, 1)
    assert _ledger_count(desk) == ledger  # imported twice: nothing changed


def _count_outbox(desk: Desk) -> int:
    with desk.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(OutboxItem)) or 0)


def test_a_reversal_and_its_correction(desk: Desk) -> None:
    [(claim, (code, charge))] = _waiting_claims(desk, 1)
    account = _account_of(desk, claim.encounter_id)
    pcn = claim.patient_control_number
    desk.import_835(_file(_answer(pcn, code, charge), trace="EFT-A"))
    answered = desk.explain(account).balance
    result = desk.import_835(
        _file(
            _answer(pcn, code, charge, status="22"),
            _answer(pcn, code, charge, status="1", icn="ICN2"),
            trace="EFT-B",
        )
    )
    assert result.applied == 2 and result.unmatched == []
    with desk.engine.connect() as conn:
        statuses = sorted(
            str(s)
            for s in conn.scalars(select(Claim.status).where(Claim.patient_control_number == pcn))
        )
    assert statuses == ["adjudicated", "reversed"]
    assert desk.explain(account).balance == answered  # taken back and paid again the same
    # Only the standing answer's reasons are shown, not the reversed one's as well.
    view = desk.explainer(account)
    visit = next(v for v in view.visits if v.id == claim.encounter_id)
    deductible = next(r for r in view.reasons[claim.encounter_id] if r.label == "PR-1")
    assert deductible.cents == visit.share.deductible > 0  # once, not twice or zero


def test_unknown_claims_are_reported_not_guessed(desk: Desk) -> None:
    result = desk.import_835(_file(_answer("NO-SUCH-CLAIM", "90834", 25_000)))
    assert result.applied == 0 and len(result.unmatched) == 1
    assert result.unmatched[0] > 0  # a segment number, not the control number


def test_a_failure_half_way_leaves_nothing(desk: Desk) -> None:
    first, second = _waiting_claims(desk, 2)
    ledger = _ledger_count(desk)
    bad = _answer(second[0].patient_control_number, second[1][0], second[1][1]).replace(
        "CAS*CO*45", "CAS*XX*45"
    )
    with pytest.raises(ValueError):
        desk.import_835(_file(_answer(first[0].patient_control_number, *first[1]), bad))
    assert _ledger_count(desk) == ledger
    with desk.engine.connect() as conn:
        status = conn.scalar(select(Claim.status).where(Claim.id == first[0].id))
    assert status == ClaimStatus.SUBMITTED  # the first claim was not applied either
