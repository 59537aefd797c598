"""The payment receipt: one HTML rendering shown on screen, printed, saved as a PDF and
attached to the e-mail, so the caller's copy and the agent's screen never differ.

The receipt shows what :class:`ReceiptView` holds and nothing else (card data is brand,
last four and expiry only). Every text is escaped: names and descriptions come from the
database and may hold ``<`` or ``&``.

Sending the e-mail blocks on the network, so it runs in a worker; rendering the PDF takes
milliseconds and stays on the GUI thread (QTextDocument and fonts belong there).
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMarginsF,
    QSizeF,
    QStandardPaths,
    Qt,
)
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.money import format_usd
from app.integrations.mail import (
    MailError,
    MailSettings,
    balance_text,
    build_receipt_message,
    check_address,
    local_time_text,
    receipt_title,
    send,
)
from app.services.views import ReceiptView
from ui import theme
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

SANDBOX_LINE = "SANDBOX – no money moved"
PAGE_MARGIN_MM = 18.0
PRINT_POINT_SIZE = 10.0
SENDING_TEXT = "Sending…"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def receipt_html(view: ReceiptView) -> str:
    """The receipt as HTML in the subset QTextDocument renders (tables, inline styles)."""
    refund = view.kind == "refund"
    title = receipt_title(view)
    rows: list[tuple[str, str]] = [
        ("Receipt number", view.receipt_number),
        ("Date and time", local_time_text(view.taken_at)),
        ("Account number", view.account_number),
        ("Refunded to" if refund else "Paid by", view.payer_name),
        ("Method", view.method_label),
        ("Amount refunded" if refund else "Amount paid", format_usd(abs(view.amount_cents))),
        ("Authorization", view.authorization),
    ]
    facts = "".join(
        f'<tr><td style="color:{theme.TEXT_MUTED}; padding-right:16px">{_e(name)}</td>'
        f"<td>{'<b>' + _e(value) + '</b>' if name.startswith('Amount') else _e(value)}</td></tr>"
        for name, value in rows
    )
    parts = [f'<html><body style="color:{theme.TEXT}">']
    if view.sandbox:
        parts.append(
            f'<table width="100%" cellpadding="6" cellspacing="0" bgcolor="{theme.WARNING_BG}">'
            f'<tr><td style="color:{theme.WARNING_FG}"><b>{_e(SANDBOX_LINE)}</b>'
            " — a test receipt from the sandbox.</td></tr></table>"
        )
    parts.append(
        f'<h2 style="margin-bottom:0">{_e(view.practice_name)}</h2>'
        f'<p style="margin-top:2px; font-size:large; color:{theme.ACCENT}"><b>{_e(title)}</b></p>'
        f'<table cellpadding="2" cellspacing="0">{facts}</table>'
    )
    if view.lines:
        head = "".join(
            f'<th align="{align}" style="padding:4px 8px; background:{theme.HEADER}">{_e(t)}</th>'
            for t, align in (
                ("Date of service", "left"),
                ("Patient", "left"),
                ("Description", "left"),
                ("Amount", "right"),
            )
        )
        body = "".join(
            "<tr>"
            f'<td style="padding:4px 8px">'
            f"{_e(line.service_date.strftime('%m/%d/%Y')) if line.service_date else '—'}</td>"
            f'<td style="padding:4px 8px">{_e(line.patient)}</td>'
            f'<td style="padding:4px 8px">{_e(line.description)}</td>'
            f'<td align="right" style="padding:4px 8px">{_e(format_usd(line.amount_cents))}</td>'
            "</tr>"
            for line in view.lines
        )
        parts.append(
            f'<h3 style="margin-top:14px">{"Taken from" if refund else "Applied to"}</h3>'
            f'<table width="100%" cellspacing="0" cellpadding="0" border="1" '
            f'style="border-collapse:collapse; border-color:{theme.BORDER}">'
            f"<thead><tr>{head}</tr></thead>{body}</table>"
        )
    parts.append(
        f'<p style="margin-top:14px; font-size:large"><b>'
        f"{_e(balance_text(view.balance_after_cents))}</b></p>"
        f"<p>Taken by {_e(view.agent_name)} for {_e(view.practice_name)}.</p>"
        f'<p style="color:{theme.TEXT_MUTED}">Please keep this receipt for your records.</p>'
    )
    if view.sandbox:
        parts.append(f'<p style="color:{theme.WARNING_FG}"><b>{_e(SANDBOX_LINE)}</b></p>')
    parts.append("</body></html>")
    return "".join(parts)


def receipt_document(view: ReceiptView) -> QTextDocument:
    """A fresh document holding the receipt, in a print-sized font."""
    document = QTextDocument()
    font = document.defaultFont()
    font.setPointSizeF(PRINT_POINT_SIZE)
    document.setDefaultFont(font)
    document.setHtml(receipt_html(view))
    document.setMetaInformation(
        QTextDocument.MetaInformation.DocumentTitle, f"{receipt_title(view)} {view.receipt_number}"
    )
    return document


def _print(document: QTextDocument, device: QPagedPaintDevice) -> None:
    """Lay the document out on the device's printable area and print it.

    Left alone, ``QTextDocument.print_`` adds its own 2 cm margin inside the page's
    margins and a page number at the foot. Laying the document out on the device itself
    (fonts and pixel lengths scaled to its resolution) with the printable area as its
    page size makes it "paginated", which prints it as laid out: the page layout's
    margins only, and no number on a one-page receipt."""
    layout = device.pageLayout()
    if layout.margins(QPageLayout.Unit.Millimeter).isNull():  # a borderless printer setup
        device.setPageMargins(
            QMarginsF(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    document.documentLayout().setPaintDevice(device)
    document.setPageSize(QSizeF(device.width(), device.height()))
    document.print_(device)


def render_receipt_pdf(view: ReceiptView) -> bytes:
    """The receipt as a PDF (US Letter, 18 mm margins), in memory."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(f"{receipt_title(view)} {view.receipt_number}")
    writer.setCreator("PA Desk")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.Letter),
            QPageLayout.Orientation.Portrait,
            QMarginsF(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    _print(receipt_document(view), writer)
    del writer  # the PDF's trailer is written when painting ends; be sure it has
    buffer.close()
    return bytes(data.data())


def default_pdf_path(view: ReceiptView) -> Path:
    """``~/Documents/receipt-<number>.pdf`` (the home folder when there is no Documents)."""
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", view.receipt_number).strip("-.") or "receipt"
    return Path(folder) / f"receipt-{safe}.pdf"


class ReceiptDialog(QDialog):
    """The receipt on screen, with Print…, Save PDF… and E-mail.

    The e-mail goes where ``mail`` says; the line under the buttons tells the agent
    before sending whether it really leaves the machine (the sandbox writes it to a
    folder instead)."""

    def __init__(
        self, view: ReceiptView, mail: MailSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self._mail = mail
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_sent)
        self._runner.failed.connect(self._on_send_failed)
        self.setWindowTitle(f"{receipt_title(view)} {view.receipt_number}")

        self.browser = QTextBrowser(self)
        self.browser.setObjectName("receiptBrowser")
        self.browser.setAccessibleName("Receipt")
        self.browser.setOpenLinks(False)
        self.browser.setHtml(receipt_html(view))
        self.browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_browser(theme.char_width(self, 92))

        self.email_edit = QLineEdit(view.email or "", self)
        self.email_edit.setObjectName("emailEdit")
        self.email_edit.setAccessibleName("E-mail address")
        self.email_edit.setPlaceholderText("name@example.com")
        self.email_edit.setClearButtonEnabled(True)
        self.email_button = QPushButton("&E-mail receipt", self)
        self.email_button.setObjectName("emailButton")
        self.email_error = QLabel("", self)
        self.email_error.setObjectName("emailError")
        self.email_error.setStyleSheet(f"color: {theme.ERROR};")
        self.email_error.setAccessibleName("E-mail address problem")
        self.email_error.hide()
        self.mail_route = QLabel(mail.describe(), self)
        self.mail_route.setObjectName("muted")
        self.mail_route.setWordWrap(True)
        self.mail_route.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mail_status = QLabel("", self)
        self.mail_status.setObjectName("mailStatus")
        self.mail_status.setAccessibleName("E-mail status")
        self.mail_status.setWordWrap(True)
        self.mail_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.print_button = QPushButton("&Print…", self)
        self.print_button.setObjectName("printButton")
        self.save_button = QPushButton("&Save PDF…", self)
        self.save_button.setObjectName("saveButton")
        self.close_button = QPushButton("Close", self)
        self.file_status = QLabel("", self)
        self.file_status.setObjectName("fileStatus")
        self.file_status.setWordWrap(True)

        address_label = QLabel("E-&mail to", self)
        address_label.setBuddy(self.email_edit)
        field = QVBoxLayout()
        field.setSpacing(2)
        field.addWidget(self.email_edit)
        field.addWidget(self.email_error)
        email_row = QHBoxLayout()
        email_row.addWidget(address_label, 0, Qt.AlignmentFlag.AlignTop)
        email_row.addLayout(field, 1)
        email_row.addWidget(self.email_button, 0, Qt.AlignmentFlag.AlignTop)
        # The label's height follows the field's, so label and button line up with it.
        address_label.setMinimumHeight(self.email_edit.sizeHint().height())

        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.file_status, 1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(theme.SPACE_S)
        layout.addWidget(self.browser, 1)
        layout.addLayout(email_row)
        layout.addWidget(self.mail_route)
        layout.addWidget(self.mail_status)
        layout.addLayout(buttons)

        self.print_button.clicked.connect(self._ask_print)
        self.save_button.clicked.connect(self._ask_save)
        self.email_button.clicked.connect(self.send_email)
        self.email_edit.returnPressed.connect(self.send_email)
        self.email_edit.textEdited.connect(lambda _text: self.email_error.hide())
        self.close_button.clicked.connect(self.accept)
        # No default button: Enter in the address field sends (returnPressed) and must
        # not also press Print… or Close.
        for button in (self.print_button, self.save_button, self.close_button, self.email_button):
            button.setAutoDefault(False)
            button.setDefault(False)

    def _fit_browser(self, width: int) -> None:
        """Tall enough to show the whole receipt without scrolling, when the screen has
        room (a receipt with many visits scrolls)."""
        document = self.browser.document()
        document.setTextWidth(width)
        chrome = self.browser.frameWidth() * 2 + theme.SPACE_S
        wanted = round(document.size().height()) + chrome
        screen = self.screen()
        most = round(screen.availableGeometry().height() * 0.65) if screen else wanted
        self.browser.setMinimumSize(width + chrome, min(wanted, max(most, 300)))

    # -- printing and saving ------------------------------------------------------------
    def _ask_print(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(f"Receipt {self.view.receipt_number}")
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print the receipt")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> None:
        """Print the receipt on ``printer`` as it is set up (the print dialog's choice)."""
        _print(receipt_document(self.view), printer)
        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
            self._file_result(f"Printed to {printer.outputFileName()}")
        else:
            self._file_result(f"Sent to {printer.printerName() or 'the printer'}")

    def _ask_save(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Save the receipt as PDF", str(default_pdf_path(self.view)), "PDF (*.pdf)"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        """Write the receipt's PDF to ``path``; the outcome is shown beside the buttons."""
        try:
            pdf = render_receipt_pdf(self.view)
            partial = path.with_name(path.name + ".part")
            partial.write_bytes(pdf)
            partial.replace(path)
        except OSError as exc:
            self._file_result(
                f"Could not save to {path.parent}: {exc.strerror or type(exc).__name__}",
                error=True,
            )
            return False
        self._file_result(f"Saved {path.name} in {path.parent}")
        return True

    def _file_result(self, text: str, *, error: bool = False) -> None:
        self.file_status.setText(text)
        self.file_status.setStyleSheet(f"color: {theme.ERROR};" if error else "")

    # -- e-mail -------------------------------------------------------------------------
    @property
    def sending(self) -> bool:
        return not self.email_button.isEnabled()

    def send_email(self) -> None:
        """Check the address (problem shown under the field, the text left as typed),
        then send in a worker; the button stays off until the answer arrives."""
        if self.sending:
            return
        try:
            address = check_address(self.email_edit.text())
        except ValueError as exc:
            self.email_error.setText(str(exc))
            self.email_error.show()
            self.email_edit.setFocus()
            return
        self.email_error.hide()
        message = build_receipt_message(
            self._mail, address, self.view, render_receipt_pdf(self.view)
        )
        self.email_button.setEnabled(False)
        self._mail_result(SENDING_TEXT)
        self._runner.submit(send, self._mail, message)

    def _on_sent(self, seq: int, sentence: object) -> None:
        if seq != self._runner.latest_seq:
            return
        self.email_button.setEnabled(True)
        self._mail_result(str(sentence))

    def _on_send_failed(self, seq: int, error: object) -> None:
        if seq != self._runner.latest_seq:
            return
        self.email_button.setEnabled(True)
        if isinstance(error, MailError):
            text = str(error)
        else:  # a bug, not a mail problem: say so without the exception's text
            log.warning("receipt e-mail failed: %s", type(error).__name__)
            text = f"Could not send the e-mail ({type(error).__name__})"
        self._mail_result(text, error=True)

    def _mail_result(self, text: str, *, error: bool = False) -> None:
        self.mail_status.setText(text)
        self.mail_status.setProperty("error", error)
        self.mail_status.setStyleSheet(f"color: {theme.ERROR};" if error else "")
