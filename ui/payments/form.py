"""The payment form: amount, the visits it pays, card or bank account, the script, Pay.

What the dialog promises:

- **Exactly once.** Pressing Pay validates the form and then makes one idempotency key
  (:func:`app.services.payments.new_key`), kept until the payment's result is final
  (approved; declined; refused before sending; not sent). While the request is in
  flight Pay and every field are disabled and the dialog cannot be closed, so a second
  click does nothing; a retry after an unexpected failure sends the same request with
  the same key, so the gateway never charges twice.
- **No card data kept.** The full number, the CVV and the bank account number live in
  their fields only until the gateway answers: they are wiped after every answer and when
  the dialog closes (``clear()`` plus ``setText("")``, because ``clear()`` alone leaves
  the number in the field's undo history). The parsed entry handed to the worker is
  dropped with the answer. When the gateway is down, no card is taken at all: a promise
  to pay or a callback is recorded instead.
- **Secure mode.** :attr:`PaymentDialog.secureModeChanged` says ``True`` while the card or
  bank fields are open in a shown dialog (the call recording must pause) and ``False``
  when they close: the dialog is closed however it closes, the payment is approved (the
  fields are wiped and hidden), or the gateway turns out to be down (the fields are
  locked and empty). It is emitted on changes only, so closing says ``False`` once.
- **Errors next to their field.** Every field has its own error label directly under
  it (``<field>Error`` under ``<field>Edit``); what was typed is kept.

Slow calls (the visits, the gateway check, the payment itself, promises and callbacks)
run in :class:`ui.workers.TaskRunner` workers; answers older than the newest request of
their kind are dropped.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.allocation import Allocation, OpenVisit, allocate
from app.domain.codes import PaymentMethod
from app.domain.money import format_usd
from app.domain.payment_entry import (
    BankAccountType,
    BankEntry,
    CardBrand,
    CardEntry,
    EntryErrors,
    detect_brand,
    digits_only,
    format_card_number,
    parse_amount,
    parse_bank,
    parse_card,
)
from app.services.payments import (
    GatewayDown,
    OverpaymentNeedsConfirmation,
    PaymentOutcome,
    PaymentRefused,
    method_label,
    new_key,
)
from ui import theme
from ui.fields import Field, wipe
from ui.lookup.model import us_date
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.domain.explain import AccountExplanation
    from app.services.desk import Desk

log = logging.getLogger(__name__)

CARD_TAB = 0
BANK_TAB = 1
PROMISE_DAYS = 7  # a promise to pay is due this many days ahead by default
CALLBACK_SECONDS = 3600  # a callback is an hour from now by default
NUMBER_MAX_LENGTH = 23  # 19 digits and four group spaces
_SEPARATORS = " -"

# Table columns of the visits.
COL_DATE, COL_PATIENT, COL_DUE, COL_PAYS = range(4)
_VISIT_ID = Qt.ItemDataRole.UserRole

DOWN_TEXT = (
    "The payment gateway cannot be reached, so no payment can be taken now. "
    "Do not write the card down: record a promise to pay or a call back instead."
)
SENDING_TEXT = "Sending the payment to the gateway… Do not close this window."
CHECKING_TEXT = "Checking that the payment gateway answers…"


def _today(desk: Desk) -> date:
    """The desk's today (its clock is set in tests and the demo)."""
    clock = getattr(desk, "_today", None)
    return clock() if callable(clock) else date.today()


def amount_text(cents: int) -> str:
    """Cents as an agent would type them: ``1,234.50`` (no dollar sign, no float)."""
    return f"{cents // 100:,}.{cents % 100:02d}"


def long_date(day: date) -> str:
    """``November 23, 2026``: how a date is read out to a caller."""
    return f"{day:%B} {day.day}, {day.year}"


def authorization_script(
    *,
    practice: str,
    today: date,
    amount_cents: int | None,
    method: str,
    method_words: str | None,
    holder: str = "",
    credit_cents: int = 0,
) -> str:
    """What the agent reads before pressing Pay. ``method_words`` is "your Visa ending
    4242" or "your checking account ending 6789" (None while not typed yet)."""
    amount = format_usd(amount_cents) if amount_cents else "[the amount]"
    where = method_words or (
        "[the card: type its number]" if method == PaymentMethod.CARD else "[the bank account]"
    )
    who = f"{holder}, " if holder else ""
    when = long_date(today)
    if method == PaymentMethod.ACH:
        text = (
            f"{who}today, {when}, you authorize {practice} to debit {amount} from {where} "
            f"one time, on or after {when}, as a payment on your account. This is a single "
            "electronic (ACH) debit, not a recurring one. If the bank returns it, the amount "
            "stays due on your account. You may revoke this authorization by calling us "
            "before it is processed."
        )
    else:
        text = (
            f"{who}today, {when}, you authorize {practice} to charge {amount} to {where}, "
            "one time, as a payment on your account."
        )
    if credit_cents > 0:
        text += (
            f" {format_usd(credit_cents)} of it is more than is due now and stays on your "
            "account as a credit."
        )
    text += " Do I have your permission to go ahead?"
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class _Request:
    """One payment as sent: kept until its result is final, so a retry is the same."""

    key: str
    amount_cents: int
    source: CardEntry | BankEntry
    chosen: tuple[uuid.UUID, ...] | None
    allow_overpayment: bool
    retry_of_id: uuid.UUID | None


def _stylesheet() -> str:
    """The dialog's own look, in the theme's colours (the app stylesheet knows only
    the shared object names)."""
    return f"""
QFrame#paymentSection {{
    background: {theme.SURFACE};
    border: 1px solid {theme.BORDER};
    border-radius: 6px;
}}
QLabel[role="fieldError"] {{ color: {theme.ERROR}; }}
QLabel[role="fieldLabel"] {{ color: {theme.TEXT}; }}
QLabel[role="hint"] {{ color: {theme.TEXT_MUTED}; }}
QLineEdit {{
    padding: 4px 6px;
    border: 1px solid {theme.BORDER};
    border-radius: 4px;
    background: {theme.SURFACE};
    selection-background-color: {theme.ACCENT};
}}
QLineEdit:focus {{ border: 1px solid {theme.ACCENT}; }}
QLineEdit[invalid="true"] {{ border: 1px solid {theme.ERROR}; }}
QLineEdit:disabled {{ background: {theme.SURFACE_ALT}; color: {theme.TEXT_MUTED}; }}
QLabel#brandLabel {{ color: {theme.ACCENT}; font-weight: 600; }}
QFrame#paymentBanner {{ border-radius: 6px; }}
QFrame#paymentBanner[kind="error"] {{
    background: {theme.SURFACE};
    border: 1px solid {theme.ERROR};
    border-left: 5px solid {theme.ERROR};
}}
QFrame#paymentBanner[kind="error"] QLabel {{ color: {theme.ERROR}; }}
QFrame#paymentBanner[kind="warning"] {{ background: {theme.WARNING_BG}; }}
QFrame#paymentBanner[kind="warning"] QLabel {{ color: {theme.WARNING_FG}; }}
QFrame#paymentBanner[kind="info"] {{ background: {theme.HOLD_CALM_BG}; }}
QFrame#paymentBanner[kind="info"] QLabel {{ color: {theme.HOLD_CALM_FG}; }}
QFrame#authorizationBox {{
    background: {theme.SURFACE_ALT};
    border: 1px solid {theme.BORDER};
    border-left: 4px solid {theme.ACCENT};
    border-radius: 4px;
}}
QLabel#sandboxTag {{
    color: {theme.WARNING_FG};
    background: {theme.WARNING_BG};
    border-radius: 4px;
    padding: 2px 8px;
    font-weight: 600;
}}
QLabel#approvedTitle {{ color: {theme.CREDIT}; }}
QPushButton#payButton {{
    background: {theme.ACCENT};
    color: {theme.ACCENT_TEXT};
    border: 1px solid {theme.ACCENT};
    border-radius: 4px;
    padding: 6px 18px;
    font-weight: 600;
}}
QPushButton#payButton:disabled {{
    background: {theme.HEADER};
    color: {theme.TEXT_MUTED};
    border: 1px solid {theme.BORDER};
}}
QPushButton#payButton:focus {{ border: 2px solid {theme.TEXT}; }}
"""


class _CardNumberKeys(QObject):
    """Backspace or Delete next to a group space removes the digit beyond it, as the
    agent expects (the space itself is the form's, not typed)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QLineEdit) and isinstance(event, QKeyEvent):
            key = event.key()
            if event.type() == QEvent.Type.KeyPress and not watched.hasSelectedText():
                text, at = watched.text(), watched.cursorPosition()
                if key == Qt.Key.Key_Backspace and at > 0 and text[at - 1] in _SEPARATORS:
                    watched.setCursorPosition(at - 1)
                elif key == Qt.Key.Key_Delete and at < len(text) and text[at] in _SEPARATORS:
                    watched.setCursorPosition(at + 1)
        return False


def _significant(text: str) -> int:
    """How many characters the agent typed (group spaces and dashes not counted)."""
    return sum(1 for ch in text if ch not in _SEPARATORS and not ch.isspace())


def _position_after(text: str, count: int) -> int:
    """The cursor position just after the ``count``-th typed character of ``text``."""
    if count <= 0:
        return 0
    seen = 0
    for index, ch in enumerate(text):
        if ch not in _SEPARATORS and not ch.isspace():
            seen += 1
            if seen == count:
                return index + 1
    return len(text)


class PaymentDialog(QDialog):
    """Takes one payment on an account (see the module docstring)."""

    paid = Signal(object)  # PaymentOutcome, when approved
    receiptRequested = Signal(object)  # the approved payment's id
    secureModeChanged = Signal(bool)

    def __init__(
        self,
        desk: Desk,
        account_id: uuid.UUID,
        *,
        account_label: str,
        interaction_id: uuid.UUID | None = None,
        retry_of_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("paymentDialog")
        self.setWindowTitle("Take a payment")
        self.setStyleSheet(_stylesheet())
        self._desk = desk
        self._payments = desk.payments
        self._account_id = account_id
        self._account_label = account_label
        self._interaction_id = interaction_id
        self._retry_of_id = retry_of_id  # the declined payment this one replaces, if any
        self._today = _today(desk)

        # State.
        self._explanation: AccountExplanation | None = None
        self._visits: list[OpenVisit] = []
        self._loaded = False
        self._gateway = "checking"  # checking | up | down
        self._key: str | None = None  # made on Pay; kept until the result is final
        self._request: _Request | None = None  # what was sent, until final
        self._busy = False  # a payment request (or a recheck) is in flight
        self._unfinished = False  # the last request failed without an answer: resend it
        self._pending_id: uuid.UUID | None = None  # sent; the gateway's answer not known
        self._open = False
        self._secure = False
        self._amount_auto = True  # the amount is ours (due now / ticked visits), not typed
        self._confirmed_credit = 0  # the credit the caller agreed to
        self._formatting = False
        self._alt_in_flight = False  # a promise or callback is being saved
        self._alt_kind = ""
        self._alt_text = ""
        self.outcome: PaymentOutcome | None = None
        self.last_payment_id: uuid.UUID | None = None

        self._load_runner = TaskRunner(self)
        self._ping_runner = TaskRunner(self)
        self._pay_runner = TaskRunner(self)
        self._alt_runner = TaskRunner(self)
        self._load_runner.succeeded.connect(self._on_visits)
        self._load_runner.failed.connect(self._on_visits_failed)
        self._ping_runner.succeeded.connect(self._on_availability)
        self._ping_runner.failed.connect(self._on_availability_failed)
        self._pay_runner.succeeded.connect(self._on_outcome)
        self._pay_runner.failed.connect(self._on_pay_failed)
        self._alt_runner.succeeded.connect(self._on_alternative_done)
        self._alt_runner.failed.connect(self._on_alternative_failed)

        self._build()
        self._wire()
        self._set_tab_order()
        self._refresh()
        self.resize(max(self.sizeHint().width(), theme.char_width(self, 160)), 0)

        self._load_runner.submit(self._payments.open_visits, account_id)
        self._check_gateway()

    # -- public --------------------------------------------------------------------

    @property
    def secure_mode(self) -> bool:
        """Whether the card or bank fields are open (call recording must be paused)."""
        return self._secure

    @property
    def idempotency_key(self) -> str | None:
        """The key of the payment being taken; None until Pay, and after a final result."""
        return self._key

    @property
    def busy(self) -> bool:
        """A payment request (or a recheck) is in flight."""
        return self._busy

    @property
    def ready(self) -> bool:
        """The visits are loaded and the gateway's state is known."""
        return self._loaded and self._gateway != "checking"

    @property
    def gateway_down(self) -> bool:
        return self._gateway == "down"

    def pay(self) -> None:
        """Validate and send the payment (Pay, Ctrl+Enter). Does nothing while a
        request is in flight; a resend after a failure reuses the same key."""
        if self._busy or self.outcome is not None or self._pending_id is not None:
            return
        if self._gateway != "up" or not self._loaded:
            return
        if self._unfinished and self._request is not None:
            self._send(self._request)  # the same request, the same key
            return
        request = self._validated_request()
        if request is not None:
            self._send(request)

    # -- building ------------------------------------------------------------------

    def _build(self) -> None:
        self.pages = QStackedWidget(self)
        self.form_page = QWidget(self.pages)
        self.done_page = QWidget(self.pages)
        self.pages.addWidget(self.form_page)
        self.pages.addWidget(self.done_page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(theme.SPACE_L, theme.SPACE_L, theme.SPACE_L, theme.SPACE_L)
        outer.setSpacing(theme.SPACE_M)
        outer.addLayout(self._build_heading())
        outer.addWidget(self.pages, 1)
        self._build_form_page()
        self._build_done_page()

    def _build_heading(self) -> QHBoxLayout:
        title = QLabel("Take a payment", self)
        title.setFont(theme.scaled_font(self.font(), 1.35, bold=True))
        self.account_caption = QLabel(self._account_label, self)
        self.account_caption.setProperty("role", "hint")
        self.account_caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(title)
        names.addWidget(self.account_caption)
        row = QHBoxLayout()
        row.addLayout(names, 1)
        live = bool(getattr(self._payments.gateway, "live", True))
        self.sandbox_tag = QLabel("Sandbox: no money moves", self)
        self.sandbox_tag.setObjectName("sandboxTag")
        self.sandbox_tag.setVisible(not live)
        row.addWidget(self.sandbox_tag, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _section(self, parent: QWidget, title: str) -> tuple[QFrame, QVBoxLayout]:
        frame = QFrame(parent)
        frame.setObjectName("paymentSection")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(theme.SPACE_L, theme.SPACE_M, theme.SPACE_L, theme.SPACE_M)
        layout.setSpacing(theme.SPACE_S)
        heading = QLabel(title, frame)
        heading.setObjectName("sectionTitle")
        heading.setFont(theme.scaled_font(self.font(), 1.1, bold=True))
        layout.addWidget(heading)
        return frame, layout

    def _build_form_page(self) -> None:
        page = self.form_page
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(theme.SPACE_M)
        column.addWidget(self._build_banner(page))
        columns = QHBoxLayout()
        columns.setSpacing(theme.SPACE_M)
        columns.addWidget(self._build_amount_section(page), 1)
        right = QVBoxLayout()
        right.setSpacing(theme.SPACE_M)
        right.addWidget(self._build_method_section(page))
        right.addWidget(self._build_down_section(page))
        right.addStretch(1)
        columns.addLayout(right, 1)
        column.addLayout(columns, 1)
        column.addWidget(self._build_script(page))
        column.addLayout(self._build_buttons(page))

    def _build_banner(self, parent: QWidget) -> QFrame:
        self.banner = QFrame(parent)
        self.banner.setObjectName("paymentBanner")
        self.banner.setProperty("kind", "info")
        self.banner_text = QLabel(self.banner)
        self.banner_text.setObjectName("bannerText")
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_again_button = QPushButton("Check a&gain", self.banner)
        self.check_again_button.setObjectName("checkAgainButton")
        self.retry_gateway_button = QPushButton("&Try the gateway again", self.banner)
        self.retry_gateway_button.setObjectName("retryGatewayButton")
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S)
        row.setSpacing(theme.SPACE_M)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.check_again_button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.retry_gateway_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.banner.hide()
        self.check_again_button.hide()
        self.retry_gateway_button.hide()
        return self.banner

    def _build_amount_section(self, parent: QWidget) -> QFrame:
        frame, layout = self._section(parent, "Amount and visits")
        self.amount_edit = QLineEdit(frame)
        self.amount_edit.setPlaceholderText("0.00")
        self.amount_edit.setFont(theme.tabular(theme.scaled_font(self.font(), 1.15, bold=True)))
        self.amount_edit.setMaxLength(14)
        self.amount_edit.setMinimumWidth(theme.char_width(self, 16))
        self.amount = Field(frame, "amount", "&Amount ($)", self.amount_edit)
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.SPACE_M)
        grid.setVerticalSpacing(2)
        self.amount.place(grid, 0)
        self.due_hint = QLabel("Loading what is due…", frame)
        self.due_hint.setObjectName("dueHint")
        self.due_hint.setProperty("role", "hint")
        self.due_hint.setWordWrap(True)
        grid.addWidget(self.due_hint, 2, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        layout.addSpacing(theme.SPACE_XS)

        caption = QLabel("Visits this pays", frame)
        caption.setFont(theme.scaled_font(self.font(), 1.0, bold=True))
        layout.addWidget(caption)
        self.mode_hint = QLabel(
            "Oldest visit first. Tick visits to pay only those.", frame
        )  # fmt: skip
        self.mode_hint.setObjectName("modeHint")
        self.mode_hint.setProperty("role", "hint")
        self.mode_hint.setWordWrap(True)
        layout.addWidget(self.mode_hint)

        self.visits_table = QTableWidget(0, 4, frame)
        self.visits_table.setObjectName("visitsTable")
        self.visits_table.setAccessibleName("Open visits")
        self.visits_table.setHorizontalHeaderLabels(
            ["Date of service", "Patient", "Due now", "Pays"]
        )
        self.visits_table.verticalHeader().hide()
        self.visits_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.visits_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.visits_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.visits_table.setTabKeyNavigation(False)
        self.visits_table.setAlternatingRowColors(True)
        self.visits_table.setWordWrap(False)
        header = self.visits_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_PATIENT, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.visits_table.setMinimumHeight(theme.line_height(self) * 8)
        layout.addWidget(self.visits_table, 1)

        self.credit_confirm = QCheckBox(frame)
        self.credit_confirm.setObjectName("creditConfirm")
        self.credit_confirm.hide()
        layout.addWidget(self.credit_confirm)
        return frame

    def _build_method_section(self, parent: QWidget) -> QFrame:
        frame, layout = self._section(parent, "Pay with")
        self.method_section = frame
        self.gateway_hint = QLabel(CHECKING_TEXT, frame)
        self.gateway_hint.setObjectName("gatewayHint")
        self.gateway_hint.setProperty("role", "hint")
        self.gateway_hint.setWordWrap(True)
        layout.addWidget(self.gateway_hint)
        self.method_tabs = QTabWidget(frame)
        self.method_tabs.setObjectName("methodTabs")
        self.method_tabs.setDocumentMode(True)
        self.method_tabs.addTab(self._build_card_page(), "&Card")
        self.method_tabs.addTab(self._build_bank_page(), "&Bank account")
        layout.addWidget(self.method_tabs)
        return frame

    def _grid(self, page: QWidget) -> QGridLayout:
        grid = QGridLayout(page)
        grid.setContentsMargins(0, theme.SPACE_M, 0, 0)
        grid.setHorizontalSpacing(theme.SPACE_M)
        grid.setVerticalSpacing(2)
        return grid

    def _build_card_page(self) -> QWidget:
        page = QWidget(self)
        self.number_edit = QLineEdit(page)
        self.number_edit.setPlaceholderText("1234 5678 9012 3456")
        self.number_edit.setMaxLength(NUMBER_MAX_LENGTH)
        self.number_edit.setFont(theme.tabular(self.font()))
        widest = QFontMetrics(self.number_edit.font()).horizontalAdvance("0000 0000 0000 0000 000")
        self.number_edit.setFixedWidth(widest + 2 * theme.SPACE_M)
        self.number_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
            | Qt.InputMethodHint.ImhPreferNumbers
        )
        self._number_keys = _CardNumberKeys(self)
        self.number_edit.installEventFilter(self._number_keys)
        self.brand_label = QLabel("", page)
        self.brand_label.setObjectName("brandLabel")
        self.brand_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.expiry_edit = QLineEdit(page)
        self.expiry_edit.setPlaceholderText("MM/YY")
        self.expiry_edit.setMaxLength(7)
        self.expiry_edit.setFixedWidth(theme.char_width(self, 10))
        self.cvv_edit = QLineEdit(page)
        self.cvv_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.cvv_edit.setMaxLength(4)
        self.cvv_edit.setFixedWidth(theme.char_width(self, 8))
        self.cvv_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhDigitsOnly
        )
        self.postal_code_edit = QLineEdit(page)
        self.postal_code_edit.setPlaceholderText("5 digits")
        self.postal_code_edit.setMaxLength(10)
        self.postal_code_edit.setFixedWidth(theme.char_width(self, 12))
        self.name_edit = QLineEdit(page)
        self.name_edit.setPlaceholderText("As printed on the card")
        self.name_edit.setMaxLength(120)

        self.card_fields: dict[str, Field] = {
            "number": Field(page, "number", "Card &number", self.number_edit),
            "expiry": Field(page, "expiry", "E&xpires", self.expiry_edit),
            "cvv": Field(page, "cvv", "Security code (C&VV)", self.cvv_edit),
            "postal_code": Field(page, "postalCode", "Billing &ZIP", self.postal_code_edit),
            "name": Field(page, "name", "Name on car&d", self.name_edit),
        }
        grid = self._grid(page)
        f = self.card_fields
        number_row = QHBoxLayout()
        number_row.setSpacing(theme.SPACE_S)
        number_row.addWidget(self.number_edit)
        number_row.addWidget(self.brand_label, 1)
        grid.addWidget(f["number"].label, 0, 0)
        grid.addLayout(number_row, 0, 1)
        grid.addWidget(f["number"].error, 1, 1)
        f["expiry"].place(grid, 2)
        f["cvv"].place(grid, 4)
        f["postal_code"].place(grid, 6)
        f["name"].place(grid, 8)
        for row in (1, 3, 5, 7):
            grid.setRowMinimumHeight(row, theme.SPACE_S)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(10, 1)
        for field in (f["expiry"], f["cvv"], f["postal_code"]):
            grid.setAlignment(field.widget, Qt.AlignmentFlag.AlignLeft)
        return page

    def _build_bank_page(self) -> QWidget:
        page = QWidget(self)
        self.routing_edit = QLineEdit(page)
        self.routing_edit.setPlaceholderText("9 digits")
        self.routing_edit.setMaxLength(11)
        self.routing_edit.setFixedWidth(theme.char_width(self, 16))
        self.account_edit = QLineEdit(page)
        self.account_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.account_edit.setMaxLength(20)
        self.account_edit.setPlaceholderText("4 to 17 digits")
        self.account_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhDigitsOnly
        )
        self.account_type_edit = QComboBox(page)
        self.account_type_edit.addItem("Choose…", "")
        self.account_type_edit.addItem("Checking", BankAccountType.CHECKING.value)
        self.account_type_edit.addItem("Savings", BankAccountType.SAVINGS.value)
        self.account_type_edit.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.bank_name_edit = QLineEdit(page)
        self.bank_name_edit.setPlaceholderText("As on the bank account")
        self.bank_name_edit.setMaxLength(120)
        self.bank_fields: dict[str, Field] = {
            "routing": Field(page, "routing", "&Routing number", self.routing_edit),
            "account": Field(page, "account", "Acco&unt number", self.account_edit),
            "account_type": Field(page, "accountType", "Account t&ype", self.account_type_edit),
            "name": Field(page, "bankName", "Name on &account", self.bank_name_edit),
        }
        grid = self._grid(page)
        for index, field in enumerate(self.bank_fields.values()):
            field.place(grid, index * 2)
        for row in (1, 3, 5):
            grid.setRowMinimumHeight(row, theme.SPACE_S)
        grid.setAlignment(self.routing_edit, Qt.AlignmentFlag.AlignLeft)
        grid.setAlignment(self.account_type_edit, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(8, 1)
        return page

    def _build_down_section(self, parent: QWidget) -> QFrame:
        frame, layout = self._section(parent, "Instead of a payment")
        self.down_section = frame
        self.promise_amount_edit = QLineEdit(frame)
        self.promise_amount_edit.setPlaceholderText("0.00")
        self.promise_amount_edit.setFixedWidth(theme.char_width(self, 12))
        self.promise_date_edit = QDateEdit(frame)
        self.promise_date_edit.setCalendarPopup(True)
        self.promise_date_edit.setDisplayFormat("MM/dd/yyyy")
        self.promise_date_edit.setMinimumDate(_qdate(self._today))
        self.promise_date_edit.setDate(_qdate(self._today + timedelta(days=PROMISE_DAYS)))
        self.promise_button = QPushButton("Record &promise to pay", frame)
        self.promise_button.setObjectName("promiseButton")
        self.callback_edit = QDateTimeEdit(frame)
        self.callback_edit.setCalendarPopup(True)
        self.callback_edit.setDisplayFormat("MM/dd/yyyy h:mm AP")
        self.callback_edit.setDateTime(QDateTime.currentDateTime().addSecs(CALLBACK_SECONDS))
        self.callback_button = QPushButton("Schedule call &back", frame)
        self.callback_button.setObjectName("callbackButton")
        self.promise_amount = Field(frame, "promiseAmount", "Promise ($)", self.promise_amount_edit)
        self.callback = Field(frame, "callback", "Call back at", self.callback_edit)
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.SPACE_M)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.promise_amount.label, 0, 0)
        promise_row = QHBoxLayout()
        promise_row.setSpacing(theme.SPACE_S)
        promise_row.addWidget(self.promise_amount_edit)
        by = QLabel("by", frame)
        by.setBuddy(self.promise_date_edit)
        promise_row.addWidget(by)
        promise_row.addWidget(self.promise_date_edit)
        promise_row.addStretch(1)
        grid.addLayout(promise_row, 0, 1)
        grid.addWidget(self.promise_button, 0, 2)
        grid.addWidget(self.promise_amount.error, 1, 1, 1, 2)
        grid.setRowMinimumHeight(2, theme.SPACE_S)
        grid.addWidget(self.callback.label, 3, 0)
        grid.addWidget(self.callback_edit, 3, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.callback_button, 3, 2)
        grid.addWidget(self.callback.error, 4, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.down_status = QLabel(frame)
        self.down_status.setObjectName("downStatus")
        self.down_status.setWordWrap(True)
        self.down_status.hide()
        layout.addWidget(self.down_status)
        frame.hide()
        return frame

    def _build_script(self, parent: QWidget) -> QFrame:
        box = QFrame(parent)
        box.setObjectName("authorizationBox")
        self.script_box = box
        title = QLabel("Read to the caller before you press Pay", box)
        title.setFont(theme.scaled_font(self.font(), 1.0, bold=True))
        self.script = QLabel(box)
        self.script.setObjectName("authorizationScript")
        self.script.setAccessibleName("Authorization script")
        self.script.setWordWrap(True)
        self.script.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.script.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S)
        layout.setSpacing(theme.SPACE_XS)
        layout.addWidget(title)
        layout.addWidget(self.script)
        self.script_box = box
        return box

    def _build_buttons(self, parent: QWidget) -> QHBoxLayout:
        self.status = QLabel(parent)
        self.status.setObjectName("payStatus")
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel", parent)
        self.cancel_button.setObjectName("cancelButton")
        self.pay_button = QPushButton("Pay", parent)
        self.pay_button.setObjectName("payButton")
        self.pay_button.setToolTip("Pay (Ctrl+Enter)")
        self.pay_button.setMinimumWidth(theme.char_width(self, 18))
        row = QHBoxLayout()
        row.setSpacing(theme.SPACE_S)
        row.addWidget(self.status, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.pay_button)
        return row

    def _build_done_page(self) -> None:
        page = self.done_page
        title = QLabel("✓  Payment approved", page)
        title.setObjectName("approvedTitle")
        title.setFont(theme.scaled_font(self.font(), 1.5, bold=True))
        self.done_message = QLabel(page)
        self.done_message.setObjectName("approvedMessage")
        self.done_message.setWordWrap(True)
        self.done_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_balance = QLabel(page)
        self.done_balance.setObjectName("balanceAfter")
        self.done_balance.setFont(theme.tabular(theme.scaled_font(self.font(), 1.15, bold=True)))
        closing = QFrame(page)
        closing.setObjectName("authorizationBox")
        closing_title = QLabel("Read to the caller", closing)
        closing_title.setFont(theme.scaled_font(self.font(), 1.0, bold=True))
        self.closing_script = QLabel(closing)
        self.closing_script.setObjectName("closingScript")
        self.closing_script.setWordWrap(True)
        self.closing_script.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        closing_layout = QVBoxLayout(closing)
        closing_layout.setContentsMargins(
            theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S
        )  # fmt: skip
        closing_layout.setSpacing(theme.SPACE_XS)
        closing_layout.addWidget(closing_title)
        closing_layout.addWidget(self.closing_script)
        self.done_hint = QLabel(
            "The card and bank details were cleared from this form.", page
        )  # fmt: skip
        self.done_hint.setProperty("role", "hint")
        self.done_hint.setWordWrap(True)
        self.receipt_button = QPushButton("&Receipt…", page)
        self.receipt_button.setObjectName("receiptButton")
        self.done_button = QPushButton("&Done", page)
        self.done_button.setObjectName("doneButton")
        frame = QFrame(page)
        frame.setObjectName("paymentSection")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(theme.SPACE_L, theme.SPACE_L, theme.SPACE_L, theme.SPACE_M)
        layout.setSpacing(theme.SPACE_S)
        layout.addWidget(title)
        layout.addWidget(self.done_message)
        layout.addWidget(self.done_balance)
        layout.addSpacing(theme.SPACE_XS)
        layout.addWidget(closing)
        buttons = QHBoxLayout()
        buttons.addWidget(self.done_hint, 1)
        buttons.addWidget(self.receipt_button)
        buttons.addWidget(self.done_button)
        layout.addSpacing(theme.SPACE_XS)
        layout.addLayout(buttons)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(frame)
        column.addStretch(1)

    def _wire(self) -> None:
        for button in self.findChildren(QPushButton):
            # Enter never presses a button by itself (see keyPressEvent).
            button.setAutoDefault(False)
            button.setDefault(False)
        self.amount_edit.textEdited.connect(self._on_amount_edited)
        self.amount_edit.textChanged.connect(self._refresh)
        self.amount_edit.editingFinished.connect(self._check_amount_quietly)
        self.visits_table.itemChanged.connect(self._on_visit_ticked)
        self.credit_confirm.toggled.connect(self._on_credit_confirmed)
        self.number_edit.textEdited.connect(self._on_number_edited)
        self.expiry_edit.textEdited.connect(self._on_expiry_edited)
        self.method_tabs.currentChanged.connect(self._refresh)
        for edit in (
            self.number_edit, self.expiry_edit, self.cvv_edit, self.postal_code_edit,
            self.name_edit, self.routing_edit, self.account_edit, self.bank_name_edit,
        ):  # fmt: skip
            edit.textChanged.connect(self._refresh_script)
        self.account_type_edit.currentIndexChanged.connect(self._refresh_script)
        self.pay_button.clicked.connect(self.pay)
        self.cancel_button.clicked.connect(self.reject)
        self.check_again_button.clicked.connect(self._check_again)
        self.retry_gateway_button.clicked.connect(self._check_gateway)
        self.promise_button.clicked.connect(self._record_promise)
        self.callback_button.clicked.connect(self._schedule_callback)
        self.receipt_button.clicked.connect(self._request_receipt)
        self.done_button.clicked.connect(self.accept)

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.amount_edit, self.visits_table, self.credit_confirm,
            self.method_tabs.tabBar(), self.number_edit, self.expiry_edit, self.cvv_edit,
            self.postal_code_edit, self.name_edit, self.routing_edit, self.account_edit,
            self.account_type_edit, self.bank_name_edit, self.promise_amount_edit,
            self.promise_date_edit, self.promise_button, self.callback_edit,
            self.callback_button, self.check_again_button, self.retry_gateway_button,
            self.pay_button, self.cancel_button,
        ]  # fmt: skip
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.amount_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- keyboard ------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter never submits from a field: Pay is its button or Ctrl+Enter. On a
        focused button Enter presses that button."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                if self.pages.currentWidget() is self.form_page and self.pay_button.isEnabled():
                    self.pay()
            else:
                focused = self.focusWidget()
                if isinstance(focused, QPushButton) and focused.isEnabled():
                    focused.click()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- opening and closing -------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._open = True
        self._update_secure()

    def hideEvent(self, event: QHideEvent) -> None:
        # Minimizing (a spontaneous hide) keeps the form; being hidden closes it.
        if not event.spontaneous():
            self._closed()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        """Close (Done, Cancel, Escape, the title bar): not while a request is in flight,
        whose answer the agent must see."""
        if self._busy:
            self.status.setText("Wait for the gateway's answer before closing.")
            return
        self._closed()
        self._outdate_workers()
        super().done(result)

    def _closed(self) -> None:
        """The form is no longer on screen: its secrets go, secure mode ends. A request
        that failed without an answer is given up (the desk's reconcile settles it at
        its next start); a pending payment keeps its key for Check again."""
        self._open = False
        self._wipe_secrets()
        self._request = None
        self._unfinished = False
        if self._pending_id is None and not self._busy:
            self._key = None
        self._update_secure()

    def _outdate_workers(self) -> None:
        for runner in (self._load_runner, self._ping_runner, self._alt_runner):
            runner.outdate()

    # -- secure mode ---------------------------------------------------------------

    def _update_secure(self) -> None:
        on = (
            self._open
            and self._gateway == "up"
            and self.outcome is None
            and self.pages.currentWidget() is self.form_page
        )
        if on != self._secure:
            self._secure = on
            self.secureModeChanged.emit(on)

    def _wipe_secrets(self) -> None:
        """The card number, CVV and bank account number leave the form."""
        for edit in (self.number_edit, self.cvv_edit, self.account_edit):
            wipe(edit)
        self.brand_label.clear()

    # -- the gateway ---------------------------------------------------------------

    def _check_gateway(self) -> None:
        self._gateway = "checking"
        self.gateway_hint.setText(CHECKING_TEXT)
        self.gateway_hint.show()
        self.retry_gateway_button.setEnabled(False)
        self._ping_runner.submit(self._payments.available)
        self._refresh()

    def _on_availability(self, seq: int, available: object) -> None:
        if seq != self._ping_runner.latest_seq:
            return
        self._set_gateway(bool(available))

    def _on_availability_failed(self, seq: int, error: object) -> None:
        if seq != self._ping_runner.latest_seq:
            return
        log.warning("gateway check failed: %s", type(error).__name__)
        self._set_gateway(False)

    def _set_gateway(self, up: bool) -> None:
        self._gateway = "up" if up else "down"
        self.retry_gateway_button.setEnabled(True)
        if up:
            self.gateway_hint.hide()
            self.down_section.hide()
            if self.banner.property("kind") == "warning" and self.retry_gateway_button.isVisible():
                self._hide_banner()
        else:
            self._wipe_secrets()
            self._key = None
            self._request = None
            self._unfinished = False
            self.gateway_hint.setText("Card and bank fields are locked: the gateway is down.")
            self.gateway_hint.show()
            self.down_section.show()
            if not self.promise_amount_edit.text().strip():
                self.promise_amount_edit.setText(self.amount_edit.text().strip())
            self._show_banner("warning", DOWN_TEXT, retry_gateway=True)
        self._refresh()

    # -- visits and the amount ------------------------------------------------------

    def _reload_visits(self) -> None:
        self._load_runner.submit(self._payments.open_visits, self._account_id)

    def _on_visits(self, seq: int, answer: object) -> None:
        if seq != self._load_runner.latest_seq:
            return
        explanation, visits = answer  # type: ignore[misc]
        first = not self._loaded
        self._explanation = explanation
        self._visits = list(visits)
        self._loaded = True
        ticked = set(self._chosen() or ())
        self._fill_table(ticked)
        due = explanation.due_now
        if due > 0:
            parts = [f"Due now {format_usd(due)}"]
            if explanation.with_insurance > 0:
                parts.append(
                    f"{format_usd(explanation.with_insurance)} more is waiting on insurance "
                    "and is not due yet"
                )
            self.due_hint.setText(". ".join(parts) + ".")
        elif explanation.balance < 0:
            self.due_hint.setText(
                f"Nothing is due now: the account has a {format_usd(-explanation.balance)} "
                "credit. A payment would add to it."
            )
        else:
            self.due_hint.setText(
                "Nothing is due now. Type the amount the caller wants to pay; it becomes "
                "a credit on the account."
            )
        if first and self._amount_auto:
            self._set_amount_auto(due if due > 0 else None)
        self._refresh()

    def _on_visits_failed(self, seq: int, error: object) -> None:
        if seq != self._load_runner.latest_seq:
            return
        log.warning("loading the visits failed: %s", type(error).__name__)
        self.due_hint.setText("The account's visits could not be loaded.")
        self._show_banner(
            "error",
            "The account's visits could not be loaded, so no payment can be placed. "
            "Close this window and try again.",
        )
        self._refresh()

    def _fill_table(self, ticked: set[uuid.UUID]) -> None:
        table = self.visits_table
        table.blockSignals(True)
        table.setRowCount(len(self._visits))
        money_font = theme.tabular(table.font())
        for row, visit in enumerate(self._visits):
            day = QTableWidgetItem(us_date(visit.service_date))
            day.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            day.setCheckState(
                Qt.CheckState.Checked if visit.encounter_id in ticked else Qt.CheckState.Unchecked
            )
            day.setData(_VISIT_ID, visit.encounter_id)
            day.setToolTip("Tick to pay only the ticked visits")
            patient = QTableWidgetItem(visit.patient or "—")
            due = QTableWidgetItem(format_usd(visit.due_cents))
            pays = QTableWidgetItem("")
            for item in (patient, due, pays):
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            for item in (due, pays):
                item.setFont(money_font)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, COL_DATE, day)
            table.setItem(row, COL_PATIENT, patient)
            table.setItem(row, COL_DUE, due)
            table.setItem(row, COL_PAYS, pays)
        table.blockSignals(False)
        if not self._visits:
            table.setRowCount(0)

    def _chosen(self) -> tuple[uuid.UUID, ...] | None:
        """The ticked visits, or None for "oldest first"."""
        ids = []
        for row in range(self.visits_table.rowCount()):
            item = self.visits_table.item(row, COL_DATE)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                ids.append(item.data(_VISIT_ID))
        return tuple(ids) if ids else None

    def _amount_cents(self) -> int | None:
        try:
            return parse_amount(self.amount_edit.text())
        except ValueError:
            return None

    def _allocation(self) -> Allocation | None:
        amount = self._amount_cents()
        if amount is None or not self._loaded:
            return None
        try:
            return allocate(amount, self._visits, self._chosen())
        except ValueError:
            return None

    def _set_amount_auto(self, cents: int | None) -> None:
        self.amount_edit.setText(amount_text(cents) if cents else "")
        self._amount_auto = True

    def preset_amount(self, cents: int) -> None:
        """Start with this amount (a plan's down payment) instead of what is due now."""
        self._amount_auto = False
        self.amount_edit.setText(amount_text(cents))
        self._refresh()

    def _on_amount_edited(self, _text: str) -> None:
        self._amount_auto = False
        self.amount.clear_error()

    def _check_amount_quietly(self) -> None:
        """When the agent leaves the amount: say what is wrong, if something is typed."""
        text = self.amount_edit.text().strip()
        if not text:
            return
        try:
            cents = parse_amount(text)
        except ValueError as exc:
            self.amount.show_error(str(exc))
        else:
            self.amount.clear_error()
            if not self._amount_auto:
                self.amount_edit.setText(amount_text(cents))

    def _on_visit_ticked(self, item: QTableWidgetItem) -> None:
        if item.column() != COL_DATE:
            return
        chosen = self._chosen()
        if self._amount_auto and self._explanation is not None:
            if chosen is None:
                due = self._explanation.due_now
                self._set_amount_auto(due if due > 0 else None)
            else:
                wanted = set(chosen)
                self._set_amount_auto(
                    sum(v.due_cents for v in self._visits if v.encounter_id in wanted)
                )
        self._refresh()

    def _on_credit_confirmed(self, checked: bool) -> None:
        allocation = self._allocation()
        self._confirmed_credit = allocation.credit_cents if (checked and allocation) else 0
        self._refresh()

    # -- the card number and expiry as typed -------------------------------------------

    def _on_number_edited(self, text: str) -> None:
        if self._formatting:
            return
        typed_before_cursor = _significant(text[: self.number_edit.cursorPosition()])
        formatted = format_card_number(text)
        if formatted != text:
            self._formatting = True
            self.number_edit.setText(formatted)
            self.number_edit.setCursorPosition(_position_after(formatted, typed_before_cursor))
            self._formatting = False
        self.card_fields["number"].clear_error()
        self._refresh_script()

    def _on_expiry_edited(self, text: str) -> None:
        """``1228`` -> ``12/28`` as the fourth digit is typed at the end."""
        self.card_fields["expiry"].clear_error()
        at_end = self.expiry_edit.cursorPosition() == len(text)
        if at_end and len(text) == 3 and text.isdigit() and text[:2] <= "12":
            self.expiry_edit.setText(f"{text[:2]}/{text[2:]}")

    # -- what the form shows -------------------------------------------------------

    def _refresh(self) -> None:
        allocation = self._allocation()
        placed = dict(allocation.lines) if allocation else {}
        table = self.visits_table
        table.blockSignals(True)
        for row in range(table.rowCount()):
            day = table.item(row, COL_DATE)
            pays = table.item(row, COL_PAYS)
            if day is None or pays is None:
                continue
            cents = placed.get(day.data(_VISIT_ID), 0)
            pays.setText(format_usd(cents) if cents else "—")
            font = theme.tabular(table.font())
            font.setBold(cents > 0)
            pays.setFont(font)
        table.blockSignals(False)
        chosen = self._chosen()
        if self._loaded and not self._visits:
            self.mode_hint.setText("No visit has anything due now: the payment is a credit.")
        elif chosen is None:
            self.mode_hint.setText("Oldest visit first. Tick visits to pay only those.")
        else:
            wanted = set(chosen)
            due = sum(v.due_cents for v in self._visits if v.encounter_id in wanted)
            visits = "visit" if len(chosen) == 1 else f"{len(chosen)} visits"
            self.mode_hint.setText(
                f"Only the ticked {visits} ({format_usd(due)} due). Untick all to pay the "
                "oldest first."
            )
        credit = allocation.credit_cents if allocation else 0
        if credit > 0:
            if credit != self._confirmed_credit and self.credit_confirm.isChecked():
                self.credit_confirm.blockSignals(True)  # agreed to another amount
                self.credit_confirm.setChecked(False)
                self.credit_confirm.blockSignals(False)
                self._confirmed_credit = 0
            self.credit_confirm.setText(
                f"Caller agrees: {format_usd(credit)} becomes a credit on the account"
            )
            self.credit_confirm.show()
        else:
            self.credit_confirm.hide()
        amount = self._amount_cents()
        self.pay_button.setText(f"Pay {format_usd(amount)}" if amount else "Pay")
        self._refresh_enabled()
        self._refresh_script()

    def _credit_ok(self) -> bool:
        allocation = self._allocation()
        if allocation is None or allocation.credit_cents == 0:
            return True
        return self.credit_confirm.isChecked() and self._confirmed_credit == allocation.credit_cents

    def _refresh_enabled(self) -> None:
        final = self.outcome is not None
        locked = self._busy or self._pending_id is not None or self._unfinished or final
        entry = not locked
        self.amount_edit.setEnabled(entry)
        self.visits_table.setEnabled(entry and self._loaded)
        self.credit_confirm.setEnabled(entry)
        self.method_tabs.setEnabled(entry and self._gateway == "up")
        for button in (self.promise_button, self.callback_button):
            button.setEnabled(not self._alt_busy())
        can_pay = (
            self._loaded
            and self._gateway == "up"
            and not self._busy
            and self._pending_id is None
            and not final
            and (self._unfinished or self._credit_ok())
        )
        self.pay_button.setEnabled(can_pay)
        # Gateway down: no card can be taken, so neither the script nor Pay is offered.
        self.script_box.setVisible(self._gateway != "down")
        self.pay_button.setVisible(self._gateway != "down")
        self.cancel_button.setEnabled(not self._busy)
        if self._busy:
            self.pay_button.setText("Paying…")
        self._update_secure()

    def _alt_busy(self) -> bool:
        return self._alt_in_flight

    def _method(self) -> str:
        return (
            PaymentMethod.ACH if self.method_tabs.currentIndex() == BANK_TAB else PaymentMethod.CARD
        )

    def _method_words(self) -> str | None:
        if self._method() == PaymentMethod.ACH:
            kind = self.account_type_edit.currentData() or None
            digits = digits_only(self.account_edit.text())
            if len(digits) < 4 or not digits.isdigit():
                return f"your {kind} account" if kind else None
            label = method_label(PaymentMethod.ACH, None, digits[-4:], account_type=kind)
            return "your " + label[0].lower() + label[1:]
        digits = digits_only(self.number_edit.text())
        if len(digits) < 12 or not digits.isdigit():
            return None
        brand = detect_brand(digits)
        brand_words = brand.label if brand is not CardBrand.UNKNOWN else "card"
        return f"your {brand_words} ending {digits[-4:]}"

    def _refresh_script(self) -> None:
        brand = detect_brand(self.number_edit.text())
        self.brand_label.setText(brand.label if brand is not CardBrand.UNKNOWN else "")
        allocation = self._allocation()
        holder_edit = self.bank_name_edit if self._method() == PaymentMethod.ACH else self.name_edit
        self.script.setText(
            authorization_script(
                practice=self._desk.policy.practice_name,
                today=self._today,
                amount_cents=self._amount_cents(),
                method=self._method(),
                method_words=self._method_words(),
                holder=" ".join(holder_edit.text().split()),
                credit_cents=allocation.credit_cents if allocation else 0,
            )
        )

    def _show_banner(self, kind: str, text: str, *, check_again: bool = False,
                     retry_gateway: bool = False) -> None:  # fmt: skip
        self.banner.setProperty("kind", kind)
        self.banner_text.setText(text)
        self.check_again_button.setVisible(check_again)
        self.retry_gateway_button.setVisible(retry_gateway)
        theme.repolish(self.banner)
        self.banner.show()

    def _hide_banner(self) -> None:
        self.banner.hide()
        self.banner_text.clear()
        self.check_again_button.hide()
        self.retry_gateway_button.hide()

    # -- paying --------------------------------------------------------------------

    def _clear_errors(self) -> None:
        self.amount.clear_error()
        for field in (*self.card_fields.values(), *self.bank_fields.values()):
            field.clear_error()

    def _validated_request(self) -> _Request | None:
        """The form as one request, or None with every problem shown by its field."""
        self._clear_errors()
        first_bad: QWidget | None = None
        amount: int | None = None
        try:
            amount = parse_amount(self.amount_edit.text())
        except ValueError as exc:
            self.amount.show_error(str(exc))
            first_bad = self.amount_edit
        source: CardEntry | BankEntry | None = None
        fields = self.bank_fields if self._method() == PaymentMethod.ACH else self.card_fields
        try:
            if self._method() == PaymentMethod.ACH:
                source = parse_bank(
                    self.routing_edit.text(),
                    self.account_edit.text(),
                    str(self.account_type_edit.currentData() or ""),
                    self.bank_name_edit.text(),
                )
            else:
                source = parse_card(
                    self.number_edit.text(),
                    self.expiry_edit.text(),
                    self.cvv_edit.text(),
                    self.postal_code_edit.text(),
                    self.name_edit.text(),
                    today=self._today,
                )
        except EntryErrors as problems:
            for name, field in fields.items():
                if name in problems.errors:
                    field.show_error(problems.errors[name])
                    first_bad = first_bad or field.widget
        if first_bad is not None or amount is None or source is None:
            self.status.setText("Check the fields marked in red.")
            if first_bad is not None:
                first_bad.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        allocation = self._allocation()
        if allocation is not None and allocation.credit_cents and not self._credit_ok():
            self.status.setText("Tick the box to confirm the credit with the caller first.")
            self.credit_confirm.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        self.status.clear()
        if self._key is None:
            self._key = new_key()  # one key per payment, kept until its result is final
        return _Request(
            key=self._key,
            amount_cents=amount,
            source=source,
            chosen=self._chosen(),
            allow_overpayment=bool(allocation and allocation.credit_cents),
            retry_of_id=self._retry_of_id,
        )

    def _send(self, request: _Request) -> None:
        self._request = request
        self._busy = True
        self._unfinished = False
        self._show_banner("info", SENDING_TEXT)
        self.status.setText("")
        self._refresh_enabled()
        self._pay_runner.submit(
            self._payments.take,
            self._account_id,
            request.amount_cents,
            request.source,
            request.key,
            chosen=list(request.chosen) if request.chosen else None,
            allow_overpayment=request.allow_overpayment,
            interaction_id=self._interaction_id,
            retry_of_id=request.retry_of_id,
        )

    def _check_again(self) -> None:
        if self._busy or self._pending_id is None:
            return
        self._busy = True
        self.check_again_button.setEnabled(False)
        self._show_banner("info", "Asking the gateway what became of the payment…")
        self._refresh_enabled()
        self._pay_runner.submit(self._payments.recheck, self._pending_id)

    def _on_outcome(self, seq: int, answer: object) -> None:
        if seq != self._pay_runner.latest_seq:
            return
        assert isinstance(answer, PaymentOutcome)
        self._busy = False
        self.check_again_button.setEnabled(True)
        status = answer.status
        if status == "approved":
            self._approved(answer)
        elif status == "declined":
            self._declined(answer)
        elif status == "pending":
            self._pending(answer)
        else:  # voided: the request never reached the gateway, nothing was charged
            self._finish_attempt()
            self._show_banner(
                "warning",
                f"Nothing was charged. {answer.message} Ask the caller for the card again "
                "and press Pay.",
            )
            self._refresh()

    def _finish_attempt(self) -> None:
        """The last request's result is final: the next Pay is a new payment."""
        self._key = None
        self._request = None
        self._unfinished = False
        self._pending_id = None

    def _approved(self, outcome: PaymentOutcome) -> None:
        self._finish_attempt()
        self.outcome = outcome
        self.last_payment_id = outcome.payment_id
        self._wipe_secrets()
        self._hide_banner()
        self.done_message.setText(outcome.message)
        self.done_balance.setText(self._balance_words(outcome.balance_after_cents))
        self.closing_script.setText(
            f"Thank you. Your payment of {format_usd(outcome.amount_cents)} is approved. "
            + (
                f"Your balance is now {format_usd(outcome.balance_after_cents)}. "
                if outcome.balance_after_cents is not None and outcome.balance_after_cents > 0
                else ""
            )
            + "Would you like a receipt by e-mail or by mail?"
        )
        self.pages.setCurrentWidget(self.done_page)
        # The result is short: the window shrinks to it. The form leaves the stack (a
        # stack's height-for-width counts every page, shown or not); it is done anyway.
        self.pages.removeWidget(self.form_page)
        self.form_page.hide()
        QTimer.singleShot(0, self._fit_height)
        self._update_secure()
        self.done_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.paid.emit(outcome)

    def _fit_height(self) -> None:
        self.resize(self.width(), self.heightForWidth(self.width()) or self.sizeHint().height())

    def _balance_words(self, cents: int | None) -> str:
        if cents is None:
            return ""
        text = f"Balance now {theme.money_text(cents)}"
        waiting = self._explanation.with_insurance if self._explanation else 0
        if cents > 0 and waiting >= cents:
            text += ", all of it waiting on insurance"
        elif cents > 0 and waiting > 0:
            text += f" ({format_usd(waiting)} of it waiting on insurance)"
        return text

    def _declined(self, outcome: PaymentOutcome) -> None:
        self._finish_attempt()
        self._retry_of_id = outcome.payment_id  # the next attempt replaces this one
        self._wipe_secrets()
        self._show_banner(
            "error",
            f"Declined. {outcome.message} The "
            + (
                "account number was"
                if self._method() == PaymentMethod.ACH
                else "card number and security code were"
            )
            + " cleared; everything else is kept.",
        )
        self._refresh()
        focus = self.account_edit if self._method() == PaymentMethod.ACH else self.number_edit
        focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def _pending(self, outcome: PaymentOutcome) -> None:
        # The key stays: the result is not final. The card data is no longer needed
        # (asking again goes by the payment), so it leaves the form now.
        self._pending_id = outcome.payment_id
        self._request = None
        self._wipe_secrets()
        self._show_banner("info", outcome.message, check_again=True)
        self._refresh()
        self.check_again_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_pay_failed(self, seq: int, error: object) -> None:
        if seq != self._pay_runner.latest_seq:
            return
        self._busy = False
        self.check_again_button.setEnabled(True)
        if self._pending_id is not None:  # "Check again" could not ask
            self._show_banner(
                "info",
                "The gateway could not be asked just now. Nothing is lost: try Check again "
                "in a moment, or close; the desk asks again at its next start.",
                check_again=True,
            )
            self._refresh()
            return
        if isinstance(error, GatewayDown):
            self._finish_attempt()
            self._set_gateway(False)
            return
        if isinstance(error, PaymentRefused):
            # Refused before anything was sent: nothing was charged, a new key next time.
            self._finish_attempt()
            self._show_banner("error", str(error))
            if isinstance(error, OverpaymentNeedsConfirmation):
                self.credit_confirm.setChecked(False)
            self._reload_visits()  # what is due may have changed meanwhile
            self._refresh()
            return
        # Anything else: the request may or may not have gone. Keep its key and its
        # fields (locked), so pressing Pay sends exactly the same payment again.
        log.warning("payment request failed: %s", type(error).__name__)
        self._unfinished = True
        self._show_banner(
            "error",
            f"The payment could not be finished ({type(error).__name__}). Press Pay to send "
            "it again: it goes with the same key, so the card is never charged twice.",
        )
        self._refresh()

    def _request_receipt(self) -> None:
        if self.last_payment_id is not None:
            self.receiptRequested.emit(self.last_payment_id)

    # -- promise to pay and callback (the gateway is down) ------------------------------

    def _record_promise(self) -> None:
        self.promise_amount.clear_error()
        try:
            cents = parse_amount(self.promise_amount_edit.text())
        except ValueError as exc:
            self.promise_amount.show_error(str(exc))
            self.promise_amount_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        on = self.promise_date_edit.date().toPython()
        assert isinstance(on, date)
        self._start_alternative(
            "promise", self._payments.promise_to_pay, self._account_id, cents, on
        )

    def _schedule_callback(self) -> None:
        self.callback.clear_error()
        at = self.callback_edit.dateTime().toPython().astimezone()
        self._start_alternative("callback", self._payments.schedule_callback, self._account_id, at)

    def _start_alternative(self, kind: str, call: Any, *args: Any) -> None:
        self._alt_in_flight = True
        self._alt_kind = kind
        self._alt_text = self._alternative_text(kind, *args[1:])
        self.down_status.hide()
        self._refresh_enabled()
        self._alt_runner.submit(call, *args)

    def _on_alternative_done(self, seq: int, _task_id: object) -> None:
        if seq != self._alt_runner.latest_seq:
            return
        self._alt_in_flight = False
        self.down_status.setText(self._alt_text)
        self.down_status.show()
        self._refresh_enabled()

    @staticmethod
    def _alternative_text(kind: str, *args: Any) -> str:
        if kind == "promise":
            cents, on = args
            return (
                f"Promise to pay {format_usd(cents)} by {us_date(on)} recorded: a task is "
                "due that day."
            )
        (at,) = args
        return f"Call back scheduled for {at:%m/%d/%Y %I:%M %p}: a task is on the work queue."

    def _on_alternative_failed(self, seq: int, error: object) -> None:
        if seq != self._alt_runner.latest_seq:
            return
        self._alt_in_flight = False
        message = (
            str(error)
            if isinstance(error, PaymentRefused)
            else f"It could not be saved ({type(error).__name__}); try again."
        )
        (self.promise_amount if self._alt_kind == "promise" else self.callback).show_error(message)
        self._refresh_enabled()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
