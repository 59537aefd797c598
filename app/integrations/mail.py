"""E-mailing a payment receipt: the message, the address check and the sending.

With no mail server configured (``PA_DESK_SMTP`` unset) nothing leaves the machine: the
message is written as an ``.eml`` file into ``<data folder>/mail-outbox``. That is the
sandbox's default on purpose, so a demo or a test can never reach a real patient, and
:meth:`MailSettings.describe` says so in words the agent sees before pressing Send.

The receipt is described by a protocol (:class:`ReceiptFacts`) rather than by importing
``app.services.views.ReceiptView``: integrations depend on the domain only, and the
service's record has these attributes. The message holds what the receipt shows and
nothing more. Error messages name the server and what went wrong, never the recipient
or the receipt's contents, so they are safe to show and to log.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from app.domain.money import format_usd

SANDBOX_MARK = "[SANDBOX – no money moved]"
OUTBOX_FOLDER = "mail-outbox"
DEFAULT_SENDER = "receipts@pa-desk.invalid"
NO_SERVER_HINT = "no mail server configured; set PA_DESK_SMTP"

# One address, ASCII, the shape mail servers accept: dot-atom local part, dotted host.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$")
_MAX_ADDRESS = 254  # RFC 5321's limit on a forward path


class MailError(Exception):
    """The receipt could not be sent or written. The message names the server (or the
    outbox folder) and the failure, never the recipient or what the receipt says.

    A plain ``Exception`` rather than ``app.services.errors.DeskError``: integrations
    must not import the services layer."""


class ReceiptFacts(Protocol):
    """What the e-mail needs of a receipt; ``app.services.views.ReceiptView`` has it."""

    @property
    def receipt_number(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def practice_name(self) -> str: ...
    @property
    def taken_at(self) -> datetime: ...
    @property
    def method_label(self) -> str: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def balance_after_cents(self) -> int: ...
    @property
    def sandbox(self) -> bool: ...


@dataclass(frozen=True)
class MailSettings:
    """Where receipts go: an SMTP server (``host``), or a pickup folder when there is none.

    ``username`` is for servers that want a sign-in; the password is never part of the
    settings (it is passed to :func:`send` by whoever keeps it)."""

    host: str | None
    port: int = 25
    sender: str = DEFAULT_SENDER
    starttls: bool = False
    username: str | None = None
    pickup_folder: Path | None = None

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise MailError(f"Mail server port {self.port} is not a port number")
        if not self.host and self.pickup_folder is None:
            raise MailError("No mail server and no outbox folder: receipts cannot go anywhere")

    @classmethod
    def from_env(cls, data_folder: Path) -> MailSettings:
        """Settings from ``PA_DESK_SMTP`` (``host:port``), ``PA_DESK_SMTP_FROM`` and
        ``PA_DESK_SMTP_STARTTLS`` (``1``). Without ``PA_DESK_SMTP`` mail is written into
        ``data_folder / "mail-outbox"`` and sent nowhere."""
        sender_text = os.environ.get("PA_DESK_SMTP_FROM", "").strip()
        try:
            sender = check_address(sender_text) if sender_text else DEFAULT_SENDER
        except ValueError as exc:
            raise MailError(f"PA_DESK_SMTP_FROM is not usable: {exc}") from None
        outbox = data_folder / OUTBOX_FOLDER
        server = os.environ.get("PA_DESK_SMTP", "").strip()
        if not server:
            return cls(host=None, sender=sender, pickup_folder=outbox)
        host, port = _host_port(server)
        return cls(
            host=host,
            port=port,
            sender=sender,
            starttls=os.environ.get("PA_DESK_SMTP_STARTTLS", "").strip() == "1",
            username=os.environ.get("PA_DESK_SMTP_USER", "").strip() or None,
            pickup_folder=outbox,
        )

    @property
    def sends(self) -> bool:
        """Whether a message really leaves the machine (a server is configured)."""
        return bool(self.host)

    @property
    def server(self) -> str:
        """``host:port`` as people write it (IPv6 hosts in brackets)."""
        host = self.host or ""
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    def describe(self) -> str:
        """One line for the agent: where an e-mailed receipt will actually go."""
        if self.sends:
            return f"Sent through {self.server}" + (" (STARTTLS)" if self.starttls else "")
        return f"Not sent: written to {self.pickup_folder} ({NO_SERVER_HINT})"


def _host_port(text: str) -> tuple[str, int]:
    """``"host:port"``, ``"host"`` (port 25) or ``"[::1]:2525"``."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    host = host.strip()
    if not host or any(c.isspace() for c in host):
        raise MailError("PA_DESK_SMTP should be host:port, e.g. 127.0.0.1:2525")
    if not port_text:
        return host, 25
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise MailError("PA_DESK_SMTP should be host:port with a port from 1 to 65535")
    return host, int(port_text)


def check_address(text: str) -> str:
    """One e-mail address, normalized (trimmed, host lower-cased), or ``ValueError`` with
    a short message fit to show under the field. ``Name <a@b.org>`` gives ``a@b.org``."""
    text = text.strip()
    if not text:
        raise ValueError("Enter an e-mail address")
    if "," in text or ";" in text:
        raise ValueError("Enter one address only")
    _name, address = parseaddr(text)
    # parseaddr drops spaces inside an address ("ana lopez@x.org" -> "analopez@x.org"),
    # so look at the address as typed: the part in <...>, else the whole text.
    typed = text[text.find("<") + 1 : text.rfind(">")] if "<" in text else text
    if any(c.isspace() for c in typed.strip()):
        raise ValueError("An e-mail address has no spaces")
    if not address or address.count("@") != 1:
        raise ValueError("That is not an e-mail address (name@example.com)")
    local, _, host = address.partition("@")
    try:
        host = host.encode("idna").decode("ascii").lower()  # "müller.de" -> "xn--mller-kva.de"
    except UnicodeError:
        raise ValueError("The part after @ is not a valid domain") from None
    address = f"{local}@{host}"
    if len(address) > _MAX_ADDRESS or len(local) > 64:
        raise ValueError("That e-mail address is too long")
    if not _ADDRESS.match(address):
        raise ValueError("That is not an e-mail address (name@example.com)")
    return address


def local_time_text(moment: datetime) -> str:
    """A UTC instant as the caller reads it on their receipt: local date and time,
    ``06/03/2026 2:15 PM EDT``. A naive value is taken as UTC (records store UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    hour = local.strftime("%I").lstrip("0") or "12"
    zone = local.strftime("%Z")
    return f"{local:%m/%d/%Y} {hour}:{local:%M %p}" + (f" {zone}" if zone else "")


def balance_text(cents: int) -> str:
    """What the account stands at after the payment, in words."""
    if cents > 0:
        return f"Remaining balance {format_usd(cents)}"
    if cents < 0:
        return f"Credit on the account {format_usd(-cents)}"
    return "Paid in full"


def receipt_title(receipt: ReceiptFacts) -> str:
    """``Payment receipt`` or ``Refund receipt``."""
    return "Refund receipt" if receipt.kind == "refund" else "Payment receipt"


def _one_line(text: str) -> str:
    """Header-safe: line breaks and runs of blanks become one space."""
    return " ".join(text.split())


def build_receipt_message(
    settings: MailSettings, to: str, receipt: ReceiptFacts, pdf: bytes
) -> EmailMessage:
    """The receipt e-mail: a short plain-text summary and the PDF attached.

    Only what the printed receipt shows goes in; the summary leaves out the account
    number and the visits, which stay in the attachment. ``to`` is checked with
    :func:`check_address` (``ValueError`` if it is not one address)."""
    address = check_address(to)
    title = receipt_title(receipt)
    practice = _one_line(receipt.practice_name)
    number = _one_line(receipt.receipt_number)
    mark = f"{SANDBOX_MARK} " if receipt.sandbox else ""
    refund = receipt.kind == "refund"

    message = EmailMessage()
    message["Subject"] = f"{mark}Your {title.lower()} {number} from {practice}"
    message["From"] = settings.sender
    message["To"] = address
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.partition("@")[2] or None)

    amount_words = "Amount refunded" if refund else "Amount paid"
    body = [
        *([f"{SANDBOX_MARK} This receipt is from a test system.", ""] if receipt.sandbox else []),
        f"{title} {number} from {practice}",
        "",
        f"{amount_words}: {format_usd(abs(receipt.amount_cents))}",
        f"Date: {local_time_text(receipt.taken_at)}",
        f"{'Refunded to' if refund else 'Paid with'}: {_one_line(receipt.method_label)}",
        f"{balance_text(receipt.balance_after_cents)}",
        "",
        "The receipt is attached as a PDF. Please keep this for your records.",
        "",
        practice,
    ]
    message.set_content("\n".join(body) + "\n")
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"receipt-{_file_safe(number)}.pdf"
    )
    return message


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "receipt"


def send(
    settings: MailSettings,
    message: EmailMessage,
    timeout: float = 10,
    *,
    password: str | None = None,
) -> str:
    """Send ``message`` through the configured server, or write it into the outbox
    folder when none is configured. Returns a sentence saying what happened; raises
    :class:`MailError` (server and failure named, recipient and contents never).

    Blocks for up to ``timeout`` seconds per network step: call it off the GUI thread."""
    if not settings.sends:
        return _write_pickup(settings, message)
    host = settings.host
    assert host is not None
    where = settings.server
    try:
        with smtplib.SMTP(host, settings.port, timeout=timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.username:
                if password is None:
                    raise MailError(f"Could not send through {where}: no password for sign-in")
                if not settings.starttls:
                    raise MailError(
                        f"Could not send through {where}: sign-in needs STARTTLS "
                        "(set PA_DESK_SMTP_STARTTLS=1)"
                    )
                smtp.login(settings.username, password)
            smtp.send_message(message)
    except MailError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        # ``from None``: the original exception's text and args may hold the recipient
        # (a refused-recipient error carries the address, servers echo it in replies).
        raise MailError(f"Could not send through {where}: {_reason(exc, timeout)}") from None
    return f"Sent through {where} at {local_time_text(datetime.now(UTC))}"


def _reason(exc: BaseException, timeout: float) -> str:
    """The failure in a few words, from the exception's type and code only."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the recipient's address"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "the server refused the sender's address"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the server refused the sign-in"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "the server does not offer STARTTLS"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return "the server did not accept the message"
    if isinstance(exc, ssl.SSLError):
        return "the secure connection failed (certificate or TLS settings)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the mail server running?)"
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return f"no answer within {timeout:g} seconds"
    if isinstance(exc, socket.gaierror):
        return "the server's name was not found"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__


def _write_pickup(settings: MailSettings, message: EmailMessage) -> str:
    """Write the message as one ``.eml`` file; a half-written file never has that name."""
    folder = settings.pickup_folder
    assert folder is not None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
    partial = path.with_suffix(".eml.part")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(message.as_bytes())
        partial.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise MailError(
            f"Could not write to the mail outbox {folder}: {exc.strerror or type(exc).__name__}"
        ) from None
    return f"Not sent: written to {path} ({NO_SERVER_HINT})"
