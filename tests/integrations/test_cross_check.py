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
