"""The receipt: its HTML, the PDF (read back with QtPdf), saving, printing to a PDF
printer, and the dialog's e-mail flow against a real SMTP server on loopback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from app.integrations.mail import MailSettings
from app.services.views import ReceiptView
from tests.integrations.test_mail import FAKE_PDF, free_port, make_receipt, smtp_inbox
from ui.payments.receipt import (
    SANDBOX_LINE,
    ReceiptDialog,
    default_pdf_path,
    receipt_html,
    render_receipt_pdf,
)

pytestmark = pytest.mark.gui

CARD_NUMBER = re.compile(r"(?:\d[ -]?){15}\d")  # 16 digits, spaced or not


def pdf_text(qtbot: QtBot, pdf: bytes) -> tuple[int, str | None]:
    """Page count and all text of a PDF, read by QtPdf (PDFium); None for the text when
    this QtPdf offers no text extraction."""
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    qtbot.waitUntil(
        lambda: document.status() in (QPdfDocument.Status.Ready, QPdfDocument.Status.Error),
        timeout=5000,
    )
    assert document.status() is QPdfDocument.Status.Ready
    pages = document.pageCount()
    if not hasattr(document, "getAllText"):
        return pages, None
    return pages, "\n".join(document.getAllText(page).text() for page in range(pages))


def make_dialog(qtbot: QtBot, mail: MailSettings, view: ReceiptView | None = None) -> ReceiptDialog:
    dialog = ReceiptDialog(view or make_receipt(), mail)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def child(dialog: ReceiptDialog, kind: type, name: str):  # type: ignore[no-untyped-def]
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def test_the_html_says_everything_and_escapes_it() -> None:
    view = make_receipt(payer_name="Ana <b>López</b> & Co", balance_after_cents=4_000)
    page = receipt_html(view)
    for shown in (
        "Riverside Family Counseling",
        "Payment receipt",
        "R-2026-1123-7F3A9C",
        "10234567",
        "Visa ending 4242, expires 12/28",
        "$125.50",
        "AUTH-883920",
        "05/01/2026",
        "Visit with Dr. Rivera",
        "$100.00",
        "Remaining balance $40.00",
        "Jordan Smith",
    ):
        assert shown in page, shown
    assert "Ana &lt;b&gt;López&lt;/b&gt; &amp; Co" in page and "<b>López" not in page
    assert SANDBOX_LINE not in page
    assert SANDBOX_LINE in receipt_html(make_receipt(sandbox=True))
    refund = receipt_html(make_receipt(kind="refund", balance_after_cents=-550))
    assert "Refund receipt" in refund and "Credit on the account $5.50" in refund
    assert "Paid in full" in receipt_html(make_receipt(balance_after_cents=0))


def test_the_pdf_reads_back(qtbot: QtBot) -> None:
    pdf = render_receipt_pdf(make_receipt(sandbox=True))
    assert pdf.startswith(b"%PDF")
    pages, text = pdf_text(qtbot, pdf)
    assert pages == 1
    if text is not None:  # QtPdf offers text extraction: check what a caller would read
        assert "R-2026-1123-7F3A9C" in text
        assert "4242" in text
        assert "$125.50" in text
        assert "SANDBOX" in text
        assert not CARD_NUMBER.search(text)


def test_save_to_writes_the_pdf(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, MailSettings(host=None, pickup_folder=tmp_path / "outbox"))
    target = tmp_path / "receipts" / "receipt-R-2026-1123-7F3A9C.pdf"
    target.parent.mkdir()
    assert dialog.save_to(target)
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no partial left
    assert "Saved" in dialog.file_status.text()
    assert default_pdf_path(dialog.view).name == "receipt-R-2026-1123-7F3A9C.pdf"
    # A folder that cannot be written says so beside the buttons, and nothing crashes.
    assert not dialog.save_to(tmp_path / "missing" / "receipt.pdf")
    assert "Could not save" in dialog.file_status.text()


def test_print_to_a_pdf_printer(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, MailSettings(host=None, pickup_folder=tmp_path / "outbox"))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    dialog.print_to(printer)
    assert printed.read_bytes().startswith(b"%PDF")
    pages, text = pdf_text(qtbot, printed.read_bytes())
    assert pages == 1
    if text is not None:
        assert "R-2026-1123-7F3A9C" in text


def test_the_email_reaches_the_server(qtbot: QtBot) -> None:
    with smtp_inbox() as (inbox, settings):
        dialog = make_dialog(qtbot, settings)
        edit = child(dialog, QLineEdit, "emailEdit")
        button = child(dialog, QPushButton, "emailButton")
        status = child(dialog, QLabel, "mailStatus")
        assert edit.text() == "ana.lopez@example.com"  # pre-filled from the account
        assert "Sent through 127.0.0.1" in dialog.mail_route.text()
        edit.setText("leo@example.org")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert not button.isEnabled()  # off until the worker answers
        qtbot.waitUntil(lambda: status.text().startswith("Sent through"), timeout=10_000)
        assert button.isEnabled()
        assert not child(dialog, QLabel, "emailError").isVisible()
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["leo@example.org"]
    [message] = inbox.messages()
    assert "R-2026-1123-7F3A9C" in str(message["Subject"])
    [pdf] = message.iter_attachments()
    assert pdf.get_content().startswith(b"%PDF")
    assert pdf.get_content() != FAKE_PDF


def test_a_bad_address_is_shown_under_the_field(qtbot: QtBot, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    dialog = make_dialog(qtbot, MailSettings(host=None, pickup_folder=outbox))
    edit = child(dialog, QLineEdit, "emailEdit")
    error = child(dialog, QLabel, "emailError")
    edit.setText("ana lopez@example")
    qtbot.mouseClick(child(dialog, QPushButton, "emailButton"), Qt.MouseButton.LeftButton)
    assert error.isVisible() and error.text() == "An e-mail address has no spaces"
    assert edit.text() == "ana lopez@example"  # kept as typed, to correct
    assert error.geometry().top() >= edit.geometry().bottom()  # under the field
    assert child(dialog, QLabel, "mailStatus").text() == ""
    assert not outbox.exists()
    qtbot.keyClicks(edit, "x")
    assert not error.isVisible()  # typing again clears the complaint


def test_without_a_server_the_dialog_says_so_and_writes_the_outbox(
    qtbot: QtBot, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    dialog = make_dialog(qtbot, MailSettings(host=None, pickup_folder=outbox))
    assert dialog.mail_route.text().startswith("Not sent: written to")
    qtbot.keyClick(child(dialog, QLineEdit, "emailEdit"), Qt.Key.Key_Return)
    status = child(dialog, QLabel, "mailStatus")
    qtbot.waitUntil(lambda: status.text().startswith("Not sent"), timeout=10_000)
    assert [p.suffix for p in outbox.iterdir()] == [".eml"]


def test_a_failed_send_is_shown_in_the_error_colour(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, MailSettings(host="127.0.0.1", port=free_port()))
    button = child(dialog, QPushButton, "emailButton")
    status = child(dialog, QLabel, "mailStatus")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.text().startswith("Could not send"), timeout=10_000)
    assert status.property("error") is True
    assert "ana.lopez@example.com" not in status.text()
    assert button.isEnabled() and dialog.isVisible()
