"""The phone system as the desk sees it: call events in, recording pause/resume out.

The desk needs four things of a contact-centre platform, named by :class:`CtiConnector`:
start delivering call events (ring, answered, hang-up, recording state), stop, and pause
or resume the recording of one call while card numbers are read out. The desk ships one
connector, a local socket (``ui/cti_socket.py``) that ``pa-desk ring NUMBER`` talks to;
a real platform plugs in behind the same four methods, keeps its own credentials and
translates its call id into ``call_ref``. In outline (names as the vendors publish them;
check the current documentation before building one):

- **NICE CXone**: the Agent API. The connector starts or joins the agent's session and
  long-polls "get next event" on it; an incoming call's ANI becomes a RING. Recording is
  masked and unmasked per contact through the same agent session (``.../mask`` and
  ``.../unmask``); deployments without the CXone ACD use the recording "mask" API by user.
- **Genesys Cloud**: a notification channel (WebSocket) subscribed to the user's
  ``v2.users.{id}.conversations`` topic gives ring, connect and disconnect; the
  Conversations API pauses and resumes recording by setting the conversation's
  recording state ("secure pause", which needs its own permission).
- **Amazon Connect**: in a browser the Streams library (the embedded CCP) raises contact
  events; outside one, contact events arrive through EventBridge (or agent events through
  Kinesis) and a small relay forwards them. ``SuspendContactRecording`` and
  ``ResumeContactRecording`` (instance, contact and initial contact ids) pause and resume.

Whatever the platform, an event crosses to the desk as a :class:`CtiEvent`, and the local
stand-in's wire format is one JSON object per line (see :func:`encode`, ``docs/cti.md``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from app.domain.phones import DEFAULT_REGION, to_e164

MAX_LINE_BYTES = 4096  # one event or reply, without its newline
MAX_CALL_REF = 256  # the longest call id we know of (Amazon Connect's ContactId)


class CtiError(Exception):
    """The phone-system link failed: nothing listens, no answer, or already taken."""


class CtiEventKind(StrEnum):
    RING = "ring"
    ANSWERED = "answered"
    HANGUP = "hangup"
    RECORDING_PAUSED = "recording_paused"
    RECORDING_RESUMED = "recording_resumed"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CtiEvent:
    """One thing the phone system says about a call.

    ``number_e164`` is the caller's number (None when withheld); ``call_ref`` is the phone
    system's id for the call (a RING without one gets a fresh uuid4 hex); ``at`` is
    aware and kept in UTC.
    """

    kind: CtiEventKind
    number_e164: str | None = None
    call_ref: str = ""
    at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("a CTI event's time must be timezone-aware")
        try:
            object.__setattr__(self, "at", self.at.astimezone(UTC))
        except OverflowError as exc:  # a time at the edge of the calendar
            raise ValueError("a CTI event's time is out of range") from exc
        if self.kind is CtiEventKind.RING and not self.call_ref:
            object.__setattr__(self, "call_ref", uuid.uuid4().hex)


@runtime_checkable
class CtiConnector(Protocol):
    """What the desk needs of any phone system. Calls come from the GUI thread; a
    connector delivers ``on_event`` on that thread too."""

    def start(self, on_event: Callable[[CtiEvent], None]) -> None: ...

    def stop(self) -> None: ...

    def pause_recording(self, call_ref: str) -> None: ...

    def resume_recording(self, call_ref: str) -> None: ...


def caller_number(text: str, region: str = DEFAULT_REGION) -> str:
    """The typed or delivered number in E.164; ValueError if it is not a valid number."""
    number = to_e164(text.strip(), region.upper())
    if number is None:
        raise ValueError(f"that is not a phone number (region {region.upper()})")
    return number


def encode(event: CtiEvent) -> bytes:
    """One line of UTF-8 JSON, newline included."""
    body: dict[str, Any] = {"kind": event.kind.value, "call_ref": event.call_ref}
    if event.number_e164 is not None:
        body["number"] = event.number_e164
    body["at"] = event.at.isoformat()
    line = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(f"an event line is limited to {MAX_LINE_BYTES} bytes")
    return line + b"\n"


def decode(line: bytes) -> CtiEvent:
    """The event on one line; ValueError saying what is wrong (never echoing a number)."""
    body = _json_object(line)
    raw_kind = body.get("kind")
    if not isinstance(raw_kind, str) or raw_kind not in set(CtiEventKind):
        known = ", ".join(k.value for k in CtiEventKind)
        shown = str(raw_kind)[:20] if raw_kind is not None else "none"
        raise ValueError(f"unknown kind {shown!r} (expected one of {known})")
    kind = CtiEventKind(raw_kind)
    call_ref = body.get("call_ref", "")
    if not isinstance(call_ref, str) or len(call_ref) > MAX_CALL_REF:
        raise ValueError(f"call_ref must be text of at most {MAX_CALL_REF} characters")
    return CtiEvent(kind, _number(body.get("number")), call_ref, _instant(body.get("at")))


def encode_reply(error: str | None = None) -> bytes:
    """``{"ok": true}``, or ``{"ok": false, "error": ...}`` when ``error`` is given."""
    body: dict[str, Any] = {"ok": True} if error is None else {"ok": False, "error": error}
    return json.dumps(body, ensure_ascii=False).encode() + b"\n"


def decode_reply(line: bytes) -> dict[str, Any]:
    """The desk's answer: ``ok`` (bool) and, when false, ``error`` (text)."""
    body = _json_object(line)
    if not isinstance(body.get("ok"), bool):
        raise ValueError("a reply needs ok: true or false")
    if not body["ok"] and not isinstance(body.get("error"), str):
        raise ValueError("a refusal needs an error text")
    return body


def _json_object(line: bytes) -> dict[str, Any]:
    line = line.rstrip(b"\r\n")
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        body = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("line is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(body, dict):
        raise ValueError("line is not a JSON object")
    return body


def _number(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("+") or to_e164(value) != value:
        raise ValueError("number is not a valid E.164 phone number (like +12145550134)")
    return value


def _instant(value: object) -> datetime:
    if value is None:
        return _now()
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValueError("at must be an ISO 8601 time with a UTC offset")
    return at
