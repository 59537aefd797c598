"""Receipt e-mail: a real SMTP server on loopback (aiosmtpd), the sandbox's outbox folder,
refusals that name the server and never the recipient, and the address check."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.integrations.mail import (
    OUTBOX_FOLDER,
    SANDBOX_MARK,
    MailError,
    MailSettings,
    balance_text,
    build_receipt_message,
    check_address,
    local_time_text,
    send,
)
from app.services.views import ReceiptLine, ReceiptView

FAKE_PDF = b"%PDF-1.4\n% a stand-in for the rendered receipt\n%%EOF\n"
PATIENT = "Ana"
PAYER = "Ana López"


def make_receipt(**changes: Any) -> ReceiptView:
    """A made-up receipt: a Visa ending 4242, two visits and a little credit."""
    receipt = ReceiptView(
        payment_id=uuid.UUID("6f1c2a9e-0000-4000-8000-00000000beef"),
        receipt_number="R-2026-1123-7F3A9C",
        kind="payment",
        practice_name="Riverside Family Counseling",
        account_number="10234567",
        payer_name=PAYER,
        email="ana.lopez@example.com",
        taken_at=datetime(2026, 6, 3, 18, 15, tzinfo=UTC),
        method_label="Visa ending 4242, expires 12/28",
        amount_cents=12_550,
        authorization="AUTH-883920",
        lines=(
            ReceiptLine(date(2026, 5, 1), PATIENT, "Visit with Dr. Rivera", 10_000),
            ReceiptLine(date(2026, 5, 15), "Mateo", "Family therapy", 2_000),
            ReceiptLine(None, PATIENT, "Credit on the account", 550),
        ),
        balance_after_cents=4_000,
        agent_name="Jordan Smith",
        sandbox=False,
    )
    return replace(receipt, **changes)


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives; ``refuse_rcpt`` makes the server
    refuse every recipient with a reply that echoes the address (as real servers do)."""

    envelopes: list[Any] = field(default_factory=list)
    refuse_rcpt: bool = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes
        ]


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd's controller cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_inbox(*, refuse_rcpt: bool = False) -> Iterator[tuple[Inbox, MailSettings]]:
    """A real SMTP server on 127.0.0.1, and settings that send through it."""
    inbox = Inbox(refuse_rcpt=refuse_rcpt)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, MailSettings(host="127.0.0.1", port=controller.port)
    finally:
        controller.stop()


@pytest.fixture
def local_zone() -> Iterator[None]:
    """Local time is US Eastern for the test (receipts show the caller's local time).
    Not monkeypatch: the zone must be re-read (tzset) after TZ is put back."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def attachments(message: EmailMessage) -> list[EmailMessage]:
    return list(message.iter_attachments())


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_receipt_reaches_the_server_with_its_pdf() -> None:
    receipt = make_receipt()
    with smtp_inbox() as (inbox, settings):
        message = build_receipt_message(settings, " Ana.Lopez@Example.COM ", receipt, FAKE_PDF)
        sentence = send(settings, message)
    assert sentence.startswith(f"Sent through 127.0.0.1:{settings.port}")
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "receipts@pa-desk.invalid"
    assert envelope.rcpt_tos == ["Ana.Lopez@example.com"]
    [received] = inbox.messages()
    # str().strip(): a long subject is folded onto its own line, which the parser
    # reads back with the fold's leading space.
    assert str(received["Subject"]).strip() == (
        "Your payment receipt R-2026-1123-7F3A9C from Riverside Family Counseling"
    )
    assert received["Message-ID"] and received["Date"]
    [pdf] = attachments(received)
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "receipt-R-2026-1123-7F3A9C.pdf"
    assert pdf.get_content() == FAKE_PDF
    text = body_text(received)
    assert "$125.50" in text
    assert "Visa ending 4242" in text
    assert "Remaining balance $40.00" in text
    assert "keep this for your records" in text
    # The summary says less than the receipt, never more: no account, visits or names.
    for private in ("10234567", "Dr. Rivera", "Mateo", PAYER, "AUTH-883920"):
        assert private not in text


def test_the_date_is_the_local_time(local_zone: None) -> None:
    moment = datetime(2026, 6, 3, 18, 15, tzinfo=UTC)
    assert local_time_text(moment) == "06/03/2026 2:15 PM EDT"
    assert local_time_text(datetime(2026, 1, 5, 5, 0, tzinfo=UTC)) == "01/05/2026 12:00 AM EST"
    message = build_receipt_message(
        MailSettings(host="mail.invalid"), "a@example.org", make_receipt(), FAKE_PDF
    )
    assert "Date: 06/03/2026 2:15 PM EDT" in body_text(message)


def test_a_sandbox_receipt_is_marked_in_subject_and_body() -> None:
    message = build_receipt_message(
        MailSettings(host="mail.invalid"), "a@example.org", make_receipt(sandbox=True), FAKE_PDF
    )
    assert str(message["Subject"]).startswith(SANDBOX_MARK)
    assert SANDBOX_MARK == "[SANDBOX – no money moved]"
    assert body_text(message).startswith(SANDBOX_MARK)
    plain = build_receipt_message(
        MailSettings(host="mail.invalid"), "a@example.org", make_receipt(), FAKE_PDF
    )
    assert "SANDBOX" not in str(plain["Subject"]) and "SANDBOX" not in body_text(plain)


def test_refunds_and_odd_practice_names() -> None:
    receipt = make_receipt(
        kind="refund",
        amount_cents=-2_000,
        practice_name="Riverside\r\nBcc: someone@evil.example",
        balance_after_cents=0,
    )
    message = build_receipt_message(
        MailSettings(host="mail.invalid"), "a@example.org", receipt, FAKE_PDF
    )
    subject = str(message["Subject"])
    assert subject.startswith("Your refund receipt R-2026-1123-7F3A9C from Riverside Bcc:")
    assert "\n" not in subject and message["Bcc"] is None
    text = body_text(message)
    assert "Amount refunded: $20.00" in text and "Paid in full" in text


def test_balance_words() -> None:
    assert balance_text(4_000) == "Remaining balance $40.00"
    assert balance_text(0) == "Paid in full"
    assert balance_text(-550) == "Credit on the account $5.50"


def test_without_a_server_the_mail_goes_to_the_outbox_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("PA_DESK_SMTP", "PA_DESK_SMTP_FROM", "PA_DESK_SMTP_STARTTLS"):
        monkeypatch.delenv(name, raising=False)
    settings = MailSettings.from_env(tmp_path)
    outbox = tmp_path / OUTBOX_FOLDER
    assert not settings.sends and settings.pickup_folder == outbox
    assert settings.describe() == (
        f"Not sent: written to {outbox} (no mail server configured; set PA_DESK_SMTP)"
    )
    message = build_receipt_message(settings, "ana@example.com", make_receipt(), FAKE_PDF)
    sentence = send(settings, message)
    [written] = outbox.iterdir()
    assert written.suffix == ".eml"
    assert sentence.startswith("Not sent: written to") and str(written) in sentence
    again = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert again["To"] == "ana@example.com"
    assert attachments(again)[0].get_content() == FAKE_PDF


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PA_DESK_SMTP", "127.0.0.1:2525")
    monkeypatch.setenv("PA_DESK_SMTP_FROM", "Billing@Clinic.Example")
    monkeypatch.setenv("PA_DESK_SMTP_STARTTLS", "1")
    settings = MailSettings.from_env(tmp_path)
    assert (settings.host, settings.port, settings.starttls) == ("127.0.0.1", 2525, True)
    assert settings.sender == "Billing@clinic.example"
    assert settings.describe() == "Sent through 127.0.0.1:2525 (STARTTLS)"
    monkeypatch.setenv("PA_DESK_SMTP", "mail.example.org")
    monkeypatch.delenv("PA_DESK_SMTP_STARTTLS")
    assert MailSettings.from_env(tmp_path).port == 25
    assert MailSettings.from_env(tmp_path).describe() == "Sent through mail.example.org:25"
    monkeypatch.setenv("PA_DESK_SMTP", "[::1]:2526")
    assert MailSettings.from_env(tmp_path).server == "[::1]:2526"
    for bad in ("127.0.0.1:smtp", "127.0.0.1:70000", ":25"):
        monkeypatch.setenv("PA_DESK_SMTP", bad)
        with pytest.raises(MailError, match="PA_DESK_SMTP"):
            MailSettings.from_env(tmp_path)
    monkeypatch.setenv("PA_DESK_SMTP", "127.0.0.1:2525")
    monkeypatch.setenv("PA_DESK_SMTP_FROM", "not an address")
    with pytest.raises(MailError, match="PA_DESK_SMTP_FROM"):
        MailSettings.from_env(tmp_path)


def test_a_closed_port_names_the_server_not_the_recipient() -> None:
    settings = MailSettings(host="127.0.0.1", port=free_port())
    message = build_receipt_message(settings, "ana@example.com", make_receipt(), FAKE_PDF)
    with pytest.raises(MailError) as caught:
        send(settings, message, timeout=3)
    text = str(caught.value)
    assert f"127.0.0.1:{settings.port}" in text and "refused" in text
    for private in ("ana@example.com", "125.50", "12550", "R-2026", "4242"):
        assert private not in text
    # The original error (which may hold the address) is not chained for a log to print.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_refused_recipient_is_not_echoed() -> None:
    with smtp_inbox(refuse_rcpt=True) as (inbox, settings):
        message = build_receipt_message(settings, "ana@example.com", make_receipt(), FAKE_PDF)
        with pytest.raises(MailError, match="refused the recipient") as caught:
            send(settings, message)
    assert "ana@example.com" not in str(caught.value)
    assert not inbox.envelopes


def test_starttls_asked_of_a_server_without_it() -> None:
    with smtp_inbox() as (inbox, plain):
        settings = replace(plain, starttls=True)
        message = build_receipt_message(settings, "ana@example.com", make_receipt(), FAKE_PDF)
        with pytest.raises(MailError, match="STARTTLS"):
            send(settings, message)
        # A sign-in is never attempted in the clear.
        signed = replace(plain, username="desk")
        with pytest.raises(MailError, match="needs STARTTLS"):
            send(signed, message, password="secret")
    assert not inbox.envelopes


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana.Lopez+receipts@Example.COM ", "Ana.Lopez+receipts@example.com"),
        ("Ana López <ana@example.com>", "ana@example.com"),
        ("o'brien@mail.example.co.uk", "o'brien@mail.example.co.uk"),
        ("ana@müller.example", "ana@xn--mller-kva.example"),
    ],
)
def test_addresses_accepted(typed: str, normalized: str) -> None:
    assert check_address(typed) == normalized


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "Enter an e-mail address"),
        ("   ", "Enter an e-mail address"),
        ("ana@example.com, leo@example.com", "one address"),
        ("ana@example.com;leo@example.com", "one address"),
        ("ana lopez@example.com", "no spaces"),
        ("ana@exa mple.com", "no spaces"),
        ("ana", "not an e-mail address"),
        ("ana@", "not an e-mail address"),
        ("@example.com", "not an e-mail address"),
        ("ana@@example.com", "not an e-mail address"),
        ("ana@example", "not an e-mail address"),
        ("ana..lopez@example.com", "not an e-mail address"),
        ("ana@-example.com", "not an e-mail address"),
        ("ana@example.com\r\nBcc: x@evil.example", "one address|no spaces"),
        ("a" * 65 + "@example.com", "too long"),
    ],
)
def test_addresses_refused(typed: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_address(typed)
