"""271 responses into benefits numbers and snapshots; 270 requests that read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.integrations.x12.eligibility import (
    Inquiry,
    benefits_for,
    build_270,
    parse_271,
)
from app.integrations.x12.segments import X12Error, read_segments
from app.services.desk import open_desk
from app.store.models import BenefitsSnapshot, Coverage

SHARED = Path(__file__).resolve().parents[3] / "shared" / "x12"
ISA = (
    "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *261120*0900*^*"
    "00501*000000301*0*T*:~"
)


def _271(member: str, *, extra: str = "") -> str:
    # Composed for these tests from the 271 5010 X279A1 layout; names invented.
    return (
        ISA + "GS*HB*PAYER*CLINIC*20261120*0900*301*X*005010X279A1~ST*271*0001*005010X279A1~"
        "BHT*0022*11*REQ1*20261120*0900~HL*1**20*1~NM1*PR*2*SUMMIT HEALTH*****PI*SMT01~"
        "HL*2*1*21*1~NM1*1P*2*BRIGHT MINDS*****XX*1234567893~HL*3*2*22*0~"
        "TRN*2*TRACE-77*9PAYER0001~"
        f"NM1*IL*1*RIVERA*ELENA****MI*{member}~DTP*346*D8*20260101~"
        "EB*1*IND*30^MH*PR*SUMMIT PPO~"
        "EB*C*IND*30*PR*SUMMIT PPO*23*1500.00*****Y~"
        "EB*C*IND*30*PR*SUMMIT PPO*29*600.00*****Y~"
        "EB*G*IND*30*PR*SUMMIT PPO*23*5000.00*****Y~"
        "EB*G*IND*30*PR*SUMMIT PPO*29*3725.50*****Y~"
        "EB*A*IND*MH*PR*SUMMIT PPO*27**.2****Y~"
        "EB*B*IND*MH*PR*SUMMIT PPO*27*25.00****Y*Y~"
        "EB*B*IND*MH*PR*SUMMIT PPO*27*60.00*****N~"
        f"{extra}SE*19*0001~GE*1*301~IEA*1*000000301~"
    )


def test_the_numbers_a_snapshot_needs() -> None:
    (answer,) = parse_271(_271("SMT123"))
    assert answer.member_id == "SMT123" and answer.trace == "TRACE-77"
    assert answer.plan_begin == date(2026, 1, 1)
    summary = benefits_for(answer)
    assert summary.service_type == "MH" and summary.active is True
    assert summary.deductible_cents == 150_000
    assert summary.deductible_met_cents == 90_000  # 1,500 limit, 600 remaining
    assert (summary.oop_max_cents, summary.oop_met_cents) == (500_000, 127_450)
    assert summary.coinsurance_bp == 2_000  # EB08 .2 is 20 %
    assert summary.copay_cents == 2_500  # in network, not the 60.00 out of network
    assert summary.prior_auth_required is True
    out = benefits_for(answer, in_network=False)
    assert out.copay_cents == 6_000


def test_a_rejection_is_reported() -> None:
    text = (
        ISA + "GS*HB*P*C*20261120*0900*1*X*005010X279A1~ST*271*1*005010X279A1~"
        "HL*1**20*1~NM1*PR*2*SUMMIT*****PI*1~HL*2*1*21*0~AAA*Y**42*R~SE*6*1~GE*1*1~IEA*1*1~"
    )
    (answer,) = parse_271(text)
    assert answer.rejections == ["42"] and not answer.benefits


def test_not_a_271() -> None:
    with pytest.raises(X12Error, match="not a 271"):
        parse_271(ISA + "ST*835*1~SE*2*1~")


def test_a_270_reads_back() -> None:
    inquiry = Inquiry("Summit Health", "SMT01", "Bright Minds", "1234567893", "SMT123",
                      "Rivera", "Elena*~", date(2012, 4, 12))  # fmt: skip
    text = build_270(inquiry, control=42, trace="T-9", today=date(2026, 11, 20),
                     sender="BRIGHTMINDS", receiver="SUMMIT")  # fmt: skip
    segments = list(read_segments(text))
    tags = [s.tag for s in segments]
    assert tags[:3] == ["ISA", "GS", "ST"] and tags[-2:] == ["GE", "IEA"]
    st = tags.index("ST")
    se = segments[tags.index("SE")]
    assert int(se.get(1)) == tags.index("SE") - st + 1  # SE counts ST..SE
    name = next(s for s in segments if s.tag == "NM1" and s.get(1) == "IL")
    assert name.get(4) == "ELENA" and name.get(9) == "SMT123"  # delimiters stripped
    eq = next(s for s in segments if s.tag == "EQ")
    assert eq.get(1) == "MH^30"


@pytest.fixture
def desk(sqlite_url: str) -> Any:
    desk = open_desk(sqlite_url, demo_patients=40, seed=6, today=lambda: date(2026, 11, 20))
    yield desk
    desk.close()


def test_importing_keeps_a_snapshot_once(desk: Any) -> None:
    with desk.engine.connect() as conn:
        coverage_id, member = conn.execute(select(Coverage.id, Coverage.member_id).limit(1)).one()
    text = _271(member)
    result = desk.import_271(text, reference="file.271")
    assert result.snapshots == 1 and result.unmatched == 0
    again = desk.import_271(text, reference="file.271")
    assert again.snapshots == 0 and again.already == 1
    with desk.engine.connect() as conn:
        snap = conn.execute(
            select(BenefitsSnapshot).where(
                BenefitsSnapshot.coverage_id == coverage_id,
                BenefitsSnapshot.raw_reference == "file.271:TRACE-77",
            )
        ).one()
        verified = conn.execute(
            select(Coverage.verified_at, Coverage.verification_source).where(
                Coverage.id == coverage_id
            )
        ).one()
    assert (snap.deductible_cents, snap.deductible_met_cents, snap.coinsurance_bp) == (
        150_000, 90_000, 2_000,
    )  # fmt: skip
    assert verified.verification_source == "x12_271" and verified.verified_at is not None
    assert desk.import_271(_271("NOBODY-HERE")).unmatched == 1


SAMPLES = sorted(SHARED.glob("*271*.txt")) if SHARED.is_dir() else []


@pytest.mark.skipif(not SAMPLES, reason="../shared/x12 is not on this machine")
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_public_271_samples(sample: Path) -> None:
    answers = parse_271(sample.read_text(encoding="utf-8", errors="replace"))
    assert answers
    for answer in answers:
        if answer.rejections:
            continue
        summary = benefits_for(answer)
        for value in (summary.copay_cents, summary.coinsurance_bp, summary.deductible_cents):
            assert value is None or value >= 0
    if "mental_health" in sample.name:
        assert benefits_for(answers[0]).service_type == "MH"
