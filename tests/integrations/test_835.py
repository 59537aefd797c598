"""835 remittances: our own fixtures from the 5010 layout, and the public samples when
../shared/x12/ is there (read in place, never copied)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.integrations.x12.remit835 import explain, parse_835
from app.integrations.x12.segments import X12Error, read_segments
from ui.cli import main

SHARED = Path(__file__).resolve().parents[3] / "shared" / "x12"

ISA = (
    "ISA*00*          *00*          *ZZ*PADESKPAYER    *ZZ*PADESKCLINIC   *261120*0900*^*"
    "00501*000000101*0*T*:~"
)
# Composed for these tests from the 835 5010 X221A1 layout; names and numbers invented.
REMIT = (
    ISA + "GS*HP*PAYER*CLINIC*20261120*0900*101*X*005010X221A1~ST*835*0001~"
    "BPR*I*243.20*C*ACH************20261120~TRN*1*EFT7788*1999999999~"
    "N1*PR*SUMMIT HEALTH~N1*PE*BRIGHT MINDS PEDIATRIC BH*XX*1234567893~"
    "LX*1~"
    # 1: primary, deductible and coinsurance in one CAS (two triplets) + contractual
    "CLP*1000001-001*1*250.00*108.00*72.00*12*PCN0001~NM1*QC*1*RIVERA*MIA****MI*SMT1~"
    "SVC*HC:90834*250.00*108.00**1~DTM*472*20260314~CAS*CO*45*70.00~"
    "CAS*PR*1*40.00**2*32.00~AMT*B6*180.00~"
    # 2: secondary pays part of what primary left; prior payer's adjudication as OA-23
    "CLP*1000001-001S*2*250.00*30.00*10.00*MC*PCN0002~"
    "SVC*HC:90834*250.00*30.00**1~CAS*OA*23*210.00~CAS*PR*3*10.00~"
    # 3: denied, non-covered, with remark; copay on another line
    "CLP*1000002-004*4*400.00*0.00*320.00*12*PCN0003~"
    "SVC*HC:90837*320.00*0.00**1~CAS*PR*204*320.00~LQ*HE*N130~"
    "SVC*HC:99213*80.00*0.00**1~CAS*CO*50*80.00~"
    # 4: reversal of an earlier payment, then its correction with a negative adjustment
    "CLP*1000003-002*22*-180.00*-105.20*0*12*PCN0004~"
    "SVC*HC:90847*-180.00*-105.20**1~CAS*CO*45*-50.00~CAS*PR*2*-24.80~"
    "CLP*1000003-002*1*180.00*210.40*0*12*PCN0005~"
    "SVC*HC:90847*180.00*210.40**1~CAS*CO*45*-30.40~"
    "SE*31*0001~GE*1*101~IEA*1*000000101~"
)


def test_claims_lines_and_adjustments() -> None:
    remit = parse_835(REMIT)
    assert remit.payer == "SUMMIT HEALTH" and remit.trace == "EFT7788"
    assert [c.patient_control_number for c in remit.claims] == [
        "1000001-001", "1000001-001S", "1000002-004", "1000003-002", "1000003-002",
    ]  # fmt: skip
    first = remit.claims[0]
    assert first.lines[0].code == "90834" and first.lines[0].allowed == Decimal("180.00")
    assert [(a.group, a.reason, a.amount) for a in first.all_adjustments] == [
        ("CO", "45", Decimal("70.00")),
        ("PR", "1", Decimal("40.00")),
        ("PR", "2", Decimal("32.00")),
    ]
    assert remit.claims[2].lines[0].remarks == ["N130"]
    assert all(c.reconciles for c in remit.claims)  # billed = paid + adjustments, each line


def test_explain_835_json_in_file_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "remit.835"
    path.write_text(REMIT)
    assert main(["explain-835", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    first, secondary, denied, reversal, correction = report["claims"]
    assert first["billed"] == "250.00" and first["paid"] == "108.00"
    assert first["patient_responsibility"] == {
        "deductible": "40.00", "coinsurance": "32.00", "copay": "0.00",
        "noncovered": "0.00", "other_pr": "0.00",
    }  # fmt: skip
    assert secondary["patient_responsibility"]["copay"] == "10.00"
    assert denied["patient_responsibility"]["noncovered"] == "320.00"
    assert reversal["paid"] == "-105.20"
    assert reversal["patient_responsibility"]["coinsurance"] == "-24.80"
    assert correction["paid"] == "210.40"


def test_newline_terminators_and_a_disagreeing_component_separator() -> None:
    text = REMIT.replace("SVC*HC:", "SVC*HC>").replace("~", "\n")
    remit = parse_835(text)
    assert remit.claims[0].lines[0].code == "90834"
    assert all(c.reconciles for c in remit.claims)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("hello", "segment 1 (ISA)"),
        (REMIT.replace("CLP*1000002-004*4*400.00", "CLP*1000002-004*4*4OO.00"), "(CLP)"),
        (REMIT.replace("ST*835", "ST*837"), "(ST)"),
        (ISA + "ST*835*1~CAS*PR*1*5.00~", "segment 3 (CAS)"),
    ],
)
def test_malformed_files_say_where(text: str, where: str) -> None:
    with pytest.raises(X12Error) as failure:
        parse_835(text)
    assert where in str(failure.value)
    assert "RIVERA" not in str(failure.value)  # positions, never contents


def test_a_missing_file_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-835", str(tmp_path / "none.835")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_segment_positions_count_from_one() -> None:
    tags = [(s.tag, s.position) for s in read_segments(REMIT)][:3]
    assert tags == [("ISA", 1), ("GS", 2), ("ST", 3)]


SAMPLES = sorted(SHARED.glob("*835*.txt")) if SHARED.is_dir() else []


@pytest.mark.skipif(not SAMPLES, reason="../shared/x12 is not on this machine")
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_public_samples_reconcile_and_explain_their_cas(sample: Path) -> None:
    remit = parse_835(sample.read_text(encoding="utf-8", errors="replace"))
    assert remit.claims
    report = explain(remit)["claims"]
    for claim, said in zip(remit.claims, report, strict=True):
        assert claim.reconciles, claim.patient_control_number
        pr = sum((a.amount for a in claim.all_adjustments if a.group == "PR"), Decimal(0))
        assert sum(Decimal(v) for v in said["patient_responsibility"].values()) == pr
