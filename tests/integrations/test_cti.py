"""CTI events: the wire format of the local stand-in, and callers' numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.integrations.cti import (
    MAX_LINE_BYTES,
    CtiEvent,
    CtiEventKind,
    caller_number,
    decode,
    decode_reply,
    encode,
    encode_reply,
)


def test_an_event_survives_the_wire() -> None:
    at = datetime(2026, 3, 2, 15, 4, 5, tzinfo=UTC)
    for kind in CtiEventKind:
        event = CtiEvent(kind, "+12145550134", call_ref="call-7", at=at)
        line = encode(event)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert decode(line) == event
    withheld = CtiEvent(CtiEventKind.RING, call_ref="x", at=at)
    assert decode(encode(withheld)) == withheld
    assert b"number" not in encode(withheld)


def test_a_ring_gets_a_call_ref_and_times_are_utc() -> None:
    first, second = CtiEvent(CtiEventKind.RING), CtiEvent(CtiEventKind.RING)
    assert len(first.call_ref) == 32 and first.call_ref != second.call_ref
    assert CtiEvent(CtiEventKind.HANGUP).call_ref == ""
    assert first.at.tzinfo is UTC
    eastern = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert CtiEvent(CtiEventKind.ANSWERED, at=eastern).at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        CtiEvent(CtiEventKind.RING, at=datetime(2026, 3, 2, 10, 0))


def test_a_minimal_line_is_enough() -> None:
    event = decode(b'{"kind": "ring", "number": "+442079460123"}\r\n')
    assert event.kind is CtiEventKind.RING
    assert event.number_e164 == "+442079460123"
    assert event.call_ref and event.at.tzinfo is UTC


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"not json\n", "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b"\xff\xfe\n", "not UTF-8"),
        (b'{"kind": "dial"}\n', "unknown kind 'dial'"),
        (b'{"kind": ["ring"]}\n', "unknown kind"),
        (b'{"number": "+12145550134"}\n', "unknown kind 'none'"),
        (b'{"kind": "ring", "number": "2145550134"}\n', "E.164"),
        (b'{"kind": "ring", "number": "+1 214 555 0134"}\n', "E.164"),
        (b'{"kind": "ring", "number": "+12145550"}\n', "E.164"),
        (b'{"kind": "ring", "number": 12145550134}\n', "E.164"),
        (b'{"kind": "ring", "call_ref": 7}\n', "call_ref"),
        (b'{"kind": "ring", "at": "yesterday"}\n', "ISO 8601"),
        (b'{"kind": "ring", "at": "2026-03-02T10:00:00"}\n', "UTC offset"),
        (b'{"kind": "ring", "at": "0001-01-01T00:00:00+01:00"}\n', "out of range"),
    ],
)
def test_bad_lines_say_why(line: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode(line)


def test_a_bad_number_is_not_echoed() -> None:
    with pytest.raises(ValueError) as caught:
        decode(b'{"kind": "ring", "number": "+1999"}')
    assert "1999" not in str(caught.value)


def test_lines_are_limited_to_4_kib() -> None:
    padding = "x" * MAX_LINE_BYTES
    with pytest.raises(ValueError, match="longer than 4096"):
        decode(json.dumps({"kind": "ring", "pad": padding}).encode())
    with pytest.raises(ValueError, match="call_ref"):
        decode(json.dumps({"kind": "ring", "call_ref": "c" * 300}).encode())
    with pytest.raises(ValueError, match="4096"):
        encode(CtiEvent(CtiEventKind.RING, call_ref=padding))


def test_replies() -> None:
    assert json.loads(encode_reply()) == {"ok": True}
    assert decode_reply(encode_reply()) == {"ok": True}
    refused = decode_reply(encode_reply("unknown kind 'dial'"))
    assert refused == {"ok": False, "error": "unknown kind 'dial'"}
    for bad in (b'{"ok": "yes"}', b'{"ok": false}', b"ok"):
        with pytest.raises(ValueError):
            decode_reply(bad)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("214-555-0134", "US", "+12145550134"),
        ("(214) 555 0134", "US", "+12145550134"),
        ("+1 214.555.0134", "US", "+12145550134"),
        ("1-214-555-0134", "us", "+12145550134"),
        ("020 7946 0123", "GB", "+442079460123"),
        ("+44 20 7946 0123", "US", "+442079460123"),
    ],
)
def test_caller_numbers(text: str, region: str, expected: str) -> None:
    assert caller_number(text, region) == expected


@pytest.mark.parametrize("text", ["", "555-0134", "12", "call me", "+1 999 555 0134"])
def test_not_a_caller_number(text: str) -> None:
    with pytest.raises(ValueError, match="is not a phone number"):
        caller_number(text)
