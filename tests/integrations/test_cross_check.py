"""Our 835 reader against pyx12, a maintained independent implementation: the same
claims and amounts, and the fixtures we compose pass its envelope checks."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
import pyx12.x12file

from app.integrations.x12.remit835 import parse_835
from tests.integrations.test_835 import REMIT, SAMPLES


def _pyx12_claims(text: str) -> tuple[list[tuple[str, Decimal, Decimal]], list[object]]:
    reader = pyx12.x12file.X12Reader(io.StringIO(text))
    claims = [
        (seg.get_value("CLP01"), Decimal(seg.get_value("CLP03")), Decimal(seg.get_value("CLP04")))
        for seg in reader
        if seg.get_seg_id() == "CLP"
    ]
    return claims, list(reader.pop_errors())


def _ours(text: str) -> list[tuple[str, Decimal, Decimal]]:
    return [(c.patient_control_number, c.billed, c.paid) for c in parse_835(text).claims]


def test_our_fixture_reads_the_same_and_its_envelope_is_sound() -> None:
    theirs, errors = _pyx12_claims(REMIT)
    assert errors == []  # ISA/GS/ST counts and control numbers agree
    assert _ours(REMIT) == theirs


@pytest.mark.skipif(not SAMPLES, reason="../shared/x12 is not on this machine")
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_public_samples_read_the_same(sample: Path) -> None:
    text = sample.read_text(encoding="utf-8", errors="replace")
    theirs, _ = _pyx12_claims(text)
    assert _ours(text) == theirs


def _x12sdk_benefits(
    text: str,
) -> list[tuple[str, tuple[str, ...], str, Decimal | None, Decimal | None]]:
    from x12sdk.io import X12ModelReader

    found: list[tuple[str, tuple[str, ...], str, Decimal | None, Decimal | None]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "eb_segment" and isinstance(value, dict):
                    amount, percent = value.get("benefit_amount"), value.get("benefit_percent")
                    found.append((
                        value["eligibility_benefit_information"],
                        tuple(value.get("service_type_code") or ()),
                        value.get("time_period_qualifier") or "",
                        None if amount is None else Decimal(str(amount)),
                        None if percent is None else Decimal(str(percent)),
                    ))  # fmt: skip
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    with X12ModelReader(text) as reader:
        for model in reader.models():
            walk(model.model_dump())
    return found


def _our_benefits(
    text: str,
) -> list[tuple[str, tuple[str, ...], str, Decimal | None, Decimal | None]]:
    from app.integrations.x12.eligibility import parse_271

    return [
        (b.info, b.service_types, b.period, b.amount, b.percent)
        for answer in parse_271(text)
        for b in answer.benefits
    ]


def _norm(
    rows: list[tuple[str, tuple[str, ...], str, Decimal | None, Decimal | None]],
) -> list[object]:
    return [
        (
            info,
            types,
            period,
            None if a is None else a.normalize(),
            None if p is None else p.normalize(),
        )
        for info, types, period, a, p in rows
    ]


SAMPLES_271 = sorted(SAMPLES[0].parent.glob("*271*.txt")) if SAMPLES else []


def test_our_271_fixture_reads_the_same_as_x12sdk() -> None:
    from tests.integrations.test_271 import _271

    text = _271("SMT123")
    assert _norm(_our_benefits(text)) == _norm(_x12sdk_benefits(text))


@pytest.mark.parametrize("sample", SAMPLES_271, ids=lambda p: p.name)
def test_271_benefits_read_the_same_as_x12sdk(sample: Path) -> None:
    from pydantic import ValidationError

    text = sample.read_text(encoding="utf-8", errors="replace")
    try:
        theirs = _x12sdk_benefits(text)
    except ValidationError as refused:
        # x12sdk is strict: one real-world sample's SE count is off by one. Ours reads it.
        assert "SE segment count" in str(refused)
        assert _our_benefits(text)
        return
    assert _norm(_our_benefits(text)) == _norm(theirs)
