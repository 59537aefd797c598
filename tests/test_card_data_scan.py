"""No card data kept: pay with known test numbers the way the desk does, then read every
byte the desk and its helpers wrote for them.

Everything happens on a real desk (its own copy of the demo practice and its own sandbox
gateway) with Python logging sent to a file in the data folder at DEBUG for the whole
test (SQLAlchemy's statements and rows included): approved, declined and timed-out
cards, a bank debit, a mistyped card and a bad bank form, the gateway down, receipts
rendered to PDF and e-mailed in pickup mode, everything pushed to a central SQLite
database in the desk's folder. Then every file under the desk's folder and the data
folder is scanned.

What is looked for, and where:

- Each full card number and the bank account number, as digits, grouped the way the
  form shows them (``4242 4242 4242 4242``, ``3782 822463 10005``), in fours with
  spaces and with dashes: in the raw bytes of every file (UTF-8 and UTF-16), inside
  every stream of the PDFs and in their page text (Qt writes glyph codes; they are read
  back through each font's ToUnicode map), in the decoded parts of every e-mail (the
  attached PDF the same way), in every exception's text and traceback. Zero hits. The
  receipts' source (their HTML and record) is scanned as well.
- The CVVs: ``917`` for the 3-digit cards and ``7319`` for the American Express CID.
  Three or four digits occur by chance in any binary file (a SQLite page, a compressed
  PDF stream, a UUID in hex), so a CVV is looked for as a whole token: not touching a
  letter, a digit or a dash (``cvv=917``, ``"917"``, `` 917 `` count; ``a917f``,
  ``19170`` or a UUID's ``-7319-`` group do not). It is looked for in the log, in every
  exception, in every text value of every table of the three databases, in the
  receipts' HTML and page text and the e-mails' text parts, and in the raw bytes of every file that
  is not compressed (the databases and their WAL files, the log). The desk's copy of
  the demo practice is scanned the same way *before* anything is paid, so a token the
  demo data happens to hold (a house number) fails the test at once with a clear
  message rather than hiding a leak or failing later for the wrong reason.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import sqlite3
import traceback
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.config import data_dir
from app.domain.payment_entry import EntryErrors, format_card_number, parse_bank, parse_card
from app.integrations.sandbox_gateway import SandboxGateway
from app.services.central import prepare_embedded_central
from app.services.desk import Desk
from app.services.payments import GatewayDown, OverpaymentNeedsConfirmation, new_key
from app.store.db import make_engine
from app.store.models import Payment
from app.sync.push import push_all
from tests.support.desks import DEMO_PATIENTS, TODAY, accounts_with_due

APPROVED = ("4242424242424242", "5555555555554444", "378282246310005")
DECLINED = "4000000000000002"
TIMEOUT = "4000000000000408"
MISTYPED = "4242424242424241"  # fails the Luhn check: refused by the form
BANK_ACCOUNT = "000123456789"
ROUTING = "110000000"
CVV = "917"
AMEX_CID = "7319"
SECRETS = (*APPROVED, DECLINED, TIMEOUT, MISTYPED, BANK_ACCOUNT)
CVVS = (CVV, AMEX_CID)


def _forms(number: str) -> set[str]:
    """Every way the number could be written out."""
    fours = [number[i : i + 4] for i in range(0, len(number), 4)]
    shown = format_card_number(number)
    return {
        number,
        shown,
        shown.replace(" ", "-"),
        " ".join(fours),
        "-".join(fours),
    }


NEEDLES: list[bytes] = sorted(
    {
        form.encode(encoding)
        for number in SECRETS
        for form in _forms(number)
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    }
)
# A CVV as a whole token: not touching a letter, a digit or a dash (a dash joins the
# groups of a UUID, "…-7319-…", and the log has thousands of those).
CVV_TOKENS = [re.compile(rf"(?<![0-9A-Za-z-]){code}(?![0-9A-Za-z-])") for code in CVVS]
CVV_BYTE_TOKENS = [
    re.compile(rb"(?<![0-9A-Za-z-])" + code.encode() + rb"(?![0-9A-Za-z-])") for code in CVVS
]


def _numbers_in(data: bytes) -> list[str]:
    return [needle.decode("latin-1") for needle in NEEDLES if needle in data]


def _cvvs_in_text(text: str) -> list[str]:
    return [pattern.pattern for pattern in CVV_TOKENS if pattern.search(text)]


def _cvvs_in_bytes(data: bytes) -> list[str]:
    return [pattern.pattern.decode() for pattern in CVV_BYTE_TOKENS if pattern.search(data)]


def _pdf_streams(pdf: bytes) -> Iterator[bytes]:
    """The contents of a PDF's streams, inflated when they are compressed."""
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        end = pdf.find(b"endstream", start)
        raw = pdf[start : end if end > 0 else len(pdf)]
        try:
            yield zlib.decompressobj().decompress(raw)
        except zlib.error:
            yield raw


def _to_unicode(cmap: bytes) -> dict[str, str]:
    """A font's ToUnicode CMap: glyph code (4 hex digits) -> text."""

    def text(hexes: bytes) -> str:
        return bytes.fromhex(hexes.decode()).decode("utf-16-be", errors="replace")

    table: dict[str, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[code.decode().upper()] = text(target)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        ranges = re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", block
        )
        for low, high, target in ranges:
            first, last = int(low, 16), int(high, 16)
            if target.startswith(b"["):
                targets = [text(t) for t in re.findall(rb"<([0-9A-Fa-f]+)>", target)]
            else:
                start = int(target[1:-1], 16)
                targets = [chr(start + n) for n in range(last - first + 1)]
            for n, value in enumerate(targets[: last - first + 1]):
                table[f"{first + n:04X}"] = value
    return table


_GLYPHS = re.compile(rb"(?:(-?[0-9.]+)\s+(-?[0-9.]+)\s+Td\s*)?<([0-9A-Fa-f]+)>\s*Tj")


def _pdf_texts(pdf: bytes) -> list[str]:
    """The page text of a PDF written by Qt: its content streams show glyph codes
    (``12.5 0 Td <0012> Tj``), turned back into text with each font's ToUnicode map; a
    move to another line or back to the left starts a new word. Each stream is read
    with every map (the one of its font gives the text), and its digits on their own
    too (the space glyphs between groups of digits may be missing)."""
    streams = list(_pdf_streams(pdf))
    maps = [_to_unicode(s) for s in streams if b"begincmap" in s]
    texts: list[str] = []
    for stream in streams:
        runs = [
            (float(dy or 0) != 0 or float(dx or 0) < 0, code)
            for dx, dy, code in _GLYPHS.findall(stream)
        ]
        if not runs:
            continue
        for table in maps:
            text = "".join(
                (" " if new_word else "")
                + "".join(
                    table.get(code[i : i + 4].decode().upper(), "?") for i in range(0, len(code), 4)
                )
                for new_word, code in runs
            )
            texts += [text, "".join(ch for ch in text if ch.isdigit())]
    return texts


def _sqlite_files(*folders: Path) -> list[Path]:
    return sorted(
        path for folder in folders for path in folder.rglob("*.sqlite3") if path.is_file()
    )


def _checkpoint(database: Path) -> None:
    """Move everything in the WAL into the database file (and empty the WAL)."""
    conn = sqlite3.connect(database, timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _text_values(database: Path) -> Iterator[tuple[str, str]]:
    """Every text value of every table: (``table.column``, value)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    if isinstance(value, str):
                        yield f"{table}.{name}", value
                    elif isinstance(value, bytes):
                        yield f"{table}.{name}", value.decode("latin-1")
    finally:
        conn.close()


def _cvvs_in_databases(*folders: Path) -> list[str]:
    return [
        f"{database.name}:{where}: {hits}"
        for database in _sqlite_files(*folders)
        for where, value in _text_values(database)
        if (hits := _cvvs_in_text(value))
    ]


class Trail:
    """The exceptions met and the texts shown along the way."""

    def __init__(self) -> None:
        self.exceptions: list[BaseException] = []
        self.texts: list[str] = []

    def caught(self, exc: BaseException) -> None:
        self.exceptions.append(exc)
        logging.getLogger("tests.card_scan").exception("refused", exc_info=exc)

    def leaks(self) -> list[str]:
        found = []
        for exc in self.exceptions:
            chain: BaseException | None = exc
            while chain is not None:
                for text in (str(chain), repr(chain), *map(str, chain.args)):
                    if hits := _numbers_in(text.encode()) + _cvvs_in_text(text):
                        found.append(f"{type(chain).__name__}: {hits}")
                chain = chain.__cause__ or chain.__context__
            rendered = "".join(traceback.format_exception(exc))
            if hits := _numbers_in(rendered.encode()) + _cvvs_in_text(rendered):
                found.append(f"traceback of {type(exc).__name__}: {hits}")
        for text in self.texts:
            if hits := _numbers_in(text.encode()) + _cvvs_in_text(text):
                found.append(f"{text[:60]!r}: {hits}")
        return found


@pytest.fixture
def debug_log(desk_home: Path) -> Iterator[Path]:
    """Every Python log record of the test, at DEBUG, into a file in the data folder."""
    path = desk_home / "logs" / "desk-debug.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    # No timestamps: their digits would only add noise to the CVV token scan.
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    # SQLAlchemy sets its own logger to WARNING when imported: DEBUG there too, so its
    # statements and the rows it reads are in the log.
    loggers = [root, logging.getLogger("sqlalchemy")]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        handler.close()


def _receipts(
    request: pytest.FixtureRequest, desk: Desk, paid: list[uuid.UUID], trail: Trail
) -> int:
    """Render each receipt to a PDF in the data folder and e-mail it in pickup mode."""
    try:
        from ui.payments.receipt import receipt_html, render_receipt_pdf
    except ModuleNotFoundError:
        pytest.skip("ui/payments/receipt.py is not there yet: receipts not scanned")
    from app.integrations.mail import MailSettings, build_receipt_message, send

    request.getfixturevalue("qapp")  # Qt's PDF writer needs a GUI application
    settings = MailSettings.from_env(data_dir())
    assert not settings.sends  # pickup mode: nothing leaves the machine
    folder = data_dir() / "receipts"
    folder.mkdir(parents=True, exist_ok=True)
    for payment_id in paid:
        view = desk.payments.receipt(payment_id)
        trail.texts += [repr(view), receipt_html(view)]
        pdf = render_receipt_pdf(view)
        assert pdf.startswith(b"%PDF")
        (folder / f"receipt-{view.receipt_number}.pdf").write_bytes(pdf)
        message = build_receipt_message(settings, "payer@example.com", view, pdf)
        trail.texts.append(send(settings, message))
    return len(paid)


def _pdf_leaks(pdf: bytes) -> list[str]:
    hits = []
    for stream in _pdf_streams(pdf):
        hits += _numbers_in(stream)
    for text in _pdf_texts(pdf):
        hits += _numbers_in(text.encode()) + _cvvs_in_text(text)
    return hits


def _scan_file(path: Path) -> list[str]:
    data = path.read_bytes()
    hits = [f"{path.name}: {n}" for n in _numbers_in(data)]
    if path.suffix == ".pdf":
        hits += [f"{path.name} (page text): {hit}" for hit in _pdf_leaks(data)]
    elif path.suffix == ".eml":
        message = email.message_from_bytes(data, policy=email.policy.default)
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True) or b""
            hits += [f"{path.name} (part): {n}" for n in _numbers_in(payload)]
            if part.get_content_maintype() == "text":
                hits += [f"{path.name} (text): {c}" for c in _cvvs_in_bytes(payload)]
            if part.get_content_type() == "application/pdf":
                hits += [f"{path.name} (attached PDF): {hit}" for hit in _pdf_leaks(payload)]
    else:
        hits += [f"{path.name}: CVV {c}" for c in _cvvs_in_bytes(data)]
    return hits


def test_no_card_data_anywhere(
    paying_desk: Desk,
    desk_home: Path,
    debug_log: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PA_DESK_SMTP", raising=False)
    desk = paying_desk
    desk_folder = Path(str(desk.engine.url.database)).parent
    baseline = _cvvs_in_databases(desk_folder)
    assert baseline == [], (
        f"the demo data already holds a CVV token {baseline[:3]}: pick other CVVs for this test"
    )
    trail = Trail()
    accounts = accounts_with_due(desk, 5_000)
    assert accounts

    def card(number: str) -> Any:
        typed = format_card_number(number)  # as the agent types it, spaces and all
        code = AMEX_CID if number.startswith("37") else CVV
        return parse_card(typed, "12/29", code, "02139", "Ana Test", today=TODAY)

    paid: list[uuid.UUID] = []
    declined = 0
    sources = [card(n) for n in (*APPROVED, DECLINED, TIMEOUT)]
    sources.append(parse_bank(ROUTING, BANK_ACCOUNT, "checking", "Ana Test"))
    trail.texts += [repr(s) for s in sources] + [str(s) for s in sources]
    for n, source in enumerate(sources):
        outcome = desk.payments.take(
            accounts[n % len(accounts)], 1_000 + n, source, new_key(), allow_overpayment=True
        )
        trail.texts.append(outcome.message)
        if outcome.approved:
            paid.append(outcome.payment_id)
        else:
            declined += 1
    assert len(paid) == 5 and declined == 1  # the timeout card was asked again: approved

    # Forms refused before anything is sent, and payments refused by the desk.
    for bad in (
        lambda: parse_card(format_card_number(MISTYPED), "12/29", CVV, "02139", "Ana", today=TODAY),
        lambda: parse_card(APPROVED[2], "13/29", CVV, "0213", "", today=TODAY),  # CID too short
        lambda: parse_bank("123456789", BANK_ACCOUNT, "checking", ""),
    ):
        with pytest.raises(EntryErrors) as refused:
            bad()
        trail.caught(refused.value)
        trail.texts.extend(refused.value.errors.values())
    with pytest.raises(OverpaymentNeedsConfirmation) as too_much:
        desk.payments.take(accounts[0], 99_999_900, sources[0], new_key())
    trail.caught(too_much.value)
    gateway = desk.gateway
    assert isinstance(gateway, SandboxGateway)
    gateway.set_down(True)
    with pytest.raises(GatewayDown) as down:
        desk.payments.take(accounts[0], 1_000, sources[0], new_key())
    trail.caught(down.value)
    gateway.set_down(False)

    mailed = _receipts(request, desk, paid, trail)

    # Everything goes to a central database in the desk's folder.
    central_url = f"sqlite:///{desk_folder / 'central.sqlite3'}"
    prepare_embedded_central(central_url, DEMO_PATIENTS, seed=1, today=TODAY)
    central = make_engine(central_url)
    try:
        pushed = push_all(desk.engine, central, origin="card-scan")
        assert pushed.accepted > 0 and pushed.conflicts == 0
        with central.connect() as conn:
            there = set(conn.scalars(select(Payment.id).where(Payment.id.in_(paid))))
        assert there == set(paid)  # the scan below reads real synced rows
    finally:
        central.dispose()

    desk.close()
    for database in _sqlite_files(desk_folder, desk_home):
        _checkpoint(database)

    log_text = debug_log.read_text(encoding="utf-8")
    assert "INSERT INTO payment" in log_text  # the log really saw the desk's work
    assert "asking again with the same key" in log_text  # and the timeout

    files = sorted(
        p for folder in (desk_folder, desk_home) for p in folder.rglob("*") if p.is_file()
    )
    assert len(list(data_dir().rglob("*.eml"))) == mailed
    assert len(list(data_dir().rglob("*.pdf"))) == mailed
    leaks = [hit for path in files for hit in _scan_file(path)]
    leaks += _cvvs_in_databases(desk_folder, desk_home)
    leaks += [f"log: {hit}" for hit in _cvvs_in_text(log_text)]
    leaks += trail.leaks()
    assert leaks == [], leaks
    scanned = {p.name for p in files}
    assert {"desk.sqlite3", "central.sqlite3", "sandbox-gateway.sqlite3", debug_log.name} <= scanned
