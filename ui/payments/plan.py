"""The payment-plan dialog: offer a plan within policy, enroll a card for autopay with the
payer's consent, and change, pause, resume or cancel the account's plan.

What the dialog promises:

- **The schedule adds up.** The preview lists the down payment, every installment and a
  total row that equals the balance due now to the cent; it comes from
  ``desk.plans.quote`` (in a worker, a moment after each edit; older answers dropped),
  and Create is enabled only for the schedule on screen.
- **Help before a plan.** When the balance or what the caller asks for suggests hardship,
  a panel says "Offer financial assistance screening" with the reasons, and Create waits
  until the agent ticks that it was offered (or that the caller declined).
- **Autopay with consent.** The card is enrolled with the processor (a token comes back;
  the number, CVV and the rest are wiped from the form at once); the consent script
  names the amounts, the dates, how to cancel and the practice; Create needs the
  "Payer consents" tick and the name of who consented.
- **Secure mode.** :attr:`PlanDialog.secureModeChanged` says ``True`` while the card
  fields are open in a shown dialog (call recording must pause) and ``False`` when they
  close: the card is enrolled, autopay is unticked, or the dialog closes. It is emitted
  on changes only, so closing says ``False`` once (and nothing when they were closed).
- **Down payment first.** A down payment is taken with the payment form (the dialog
  asks for it with :attr:`PlanDialog.downPaymentRequested`; the host calls
  :meth:`PlanDialog.set_down_payment` once it is approved), then the plan is created.
- **Errors next to their field**, what was typed kept.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QDateEdit,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.money import format_usd
from app.domain.payment_entry import (
    CardEntry,
    EntryErrors,
    detect_brand,
    digits_only,
    format_card_number,
    parse_amount,
    parse_card,
)
from app.domain.plans import PlanError, PlanLimits, Schedule
from app.integrations.gateway import StoredCard
from app.services.errors import DeskError
from ui import theme
from ui.fields import Field, wipe
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk
    from app.services.plans import PlanInfo, PlanQuote

log = logging.getLogger(__name__)

QUOTE_DELAY_MS = 200  # typing settles this long before the schedule is asked for
FIRST_DUE_DAYS = 30
MONTHS_MAX_INPUT = 120  # the spin box lets the agent type what the caller asks for
NUMBER_MAX_LENGTH = 23
NEW_TAB, CURRENT_TAB = 0, 1
HARDSHIP_TITLE = "Offer financial assistance screening"
_ZERO = re.compile(r"\$?\s*0*(?:\.0*)?")
_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express",
           "discover": "Discover"}  # fmt: skip
_STATUS_WORDS = {
    "scheduled": "Scheduled",
    "paid": "Paid",
    "declined": "Declined",
    "skipped": "Skipped",
    "active": "Active",
    "paused": "Paused",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "defaulted": "Defaulted",
}


def confirm(parent: QWidget, title: str, text: str) -> bool:
    """Ask the agent yes or no (tests replace this)."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def limits_hint(limits: PlanLimits) -> str:
    return (
        f"{format_usd(limits.min_installment_cents)} a month at least, "
        f"{limits.max_months} months at most"
    )


def long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def us_date(day: date) -> str:
    return f"{day:%m/%d/%Y}"


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def card_label(card: StoredCard) -> str:
    return f"{_BRANDS.get(card.brand, 'Card')} ending {card.last4}"


def consent_script(
    *, practice: str, today: date, card: str | None, schedule: Schedule | None
) -> str:
    """What the agent reads before the payer consents to automatic payments."""
    where = f"your {card}" if card else "[the card: enroll it first]"
    if schedule is None:
        return (
            f"Today, {long_date(today)}, you authorize {practice} to charge {where} each "
            "month for this plan. [Complete the plan to see the amounts and dates.]"
        )
    first, last = schedule.installments[0], schedule.installments[-1]
    day = ordinal(first.due_date.day)
    if first.due_date.day > 28:
        day += " (or the last day of shorter months)"
    if schedule.months == 1:
        plan = f"{format_usd(first.amount_cents)} to {where} once, on {long_date(first.due_date)}"
    else:
        amounts = [i.amount_cents for i in schedule.installments]
        groups: list[tuple[int, int]] = []  # (amount, how many in a row)
        for cents in amounts:
            if groups and groups[-1][0] == cents:
                groups[-1] = (cents, groups[-1][1] + 1)
            else:
                groups.append((cents, 1))
        if len(groups) == 1:
            what = f"{format_usd(first.amount_cents)}"
        else:  # e.g. 2 payments of $128.34, then 4 of $128.33: every cent is said
            parts = [
                f"{n} payment{'s' if n > 1 else ''} of {format_usd(cents)}"
                if i == 0
                else f"{n} of {format_usd(cents)}"
                for i, (cents, n) in enumerate(groups)
            ]
            what = ", then ".join(parts) + ","
        plan = (
            f"{what} to {where} on the {day} of each month, "
            f"starting {long_date(first.due_date)}, {schedule.months} payments in all, "
            f"the last on {long_date(last.due_date)}"
        )
    return (
        f"Today, {long_date(today)}, you authorize {practice} to charge {plan}. That is "
        f"{format_usd(schedule.financed_cents)} in all. You can stop automatic payments at "
        f"any time by calling {practice} before a payment date; stopping them does not "
        "cancel what you owe. Do I have your permission to set this up?"
    )


def _stylesheet() -> str:
    return f"""
QFrame#planSection {{
    background: {theme.SURFACE};
    border: 1px solid {theme.BORDER};
    border-radius: 6px;
}}
QLabel[role="fieldError"] {{ color: {theme.ERROR}; }}
QLabel[role="hint"] {{ color: {theme.TEXT_MUTED}; }}
QLabel#balanceValue {{ color: {theme.TEXT}; }}
QLineEdit {{
    padding: 3px 6px;
    border: 1px solid {theme.BORDER};
    border-radius: 4px;
    background: {theme.SURFACE};
    selection-background-color: {theme.ACCENT};
}}
QLineEdit:focus {{ border: 1px solid {theme.ACCENT}; }}
QLineEdit[invalid="true"], QSpinBox[invalid="true"], QDateEdit[invalid="true"] {{
    border: 1px solid {theme.ERROR};
}}
QLineEdit:disabled {{ background: {theme.SURFACE_ALT}; color: {theme.TEXT_MUTED}; }}
QLabel#brandLabel {{ color: {theme.ACCENT}; font-weight: 600; }}
QFrame#hardshipPanel {{
    background: {theme.WARNING_BG};
    border: 1px solid {theme.WARNING};
    border-left: 5px solid {theme.WARNING};
    border-radius: 4px;
}}
QFrame#hardshipPanel QLabel, QFrame#hardshipPanel QCheckBox {{ color: {theme.WARNING_FG}; }}
QFrame#secureBox {{
    background: {theme.HOLD_CALM_BG};
    border: 1px solid {theme.BORDER};
    border-radius: 4px;
}}
QFrame#secureBox QLabel#secureNote {{ color: {theme.HOLD_CALM_FG}; font-weight: 600; }}
QFrame#consentBox {{
    background: {theme.SURFACE_ALT};
    border: 1px solid {theme.BORDER};
    border-left: 4px solid {theme.ACCENT};
    border-radius: 4px;
}}
QLabel#enrolledLabel {{ color: {theme.CREDIT}; font-weight: 600; }}
QLabel#planDone {{ color: {theme.CREDIT}; font-weight: 600; }}
QPushButton#createButton {{
    background: {theme.ACCENT};
    color: {theme.ACCENT_TEXT};
    border: 1px solid {theme.ACCENT};
    border-radius: 4px;
    padding: 6px 18px;
    font-weight: 600;
}}
QPushButton#createButton:disabled {{
    background: {theme.HEADER};
    color: {theme.TEXT_MUTED};
    border: 1px solid {theme.BORDER};
}}
"""


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _section(parent: QWidget, title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("planSection")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_M)
    layout.setSpacing(theme.SPACE_S)
    heading = QLabel(title, frame)
    heading.setObjectName("sectionTitle")
    layout.addWidget(heading)
    return frame, layout


def _hint(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


def _grid() -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(theme.SPACE_S)
    grid.setVerticalSpacing(2)
    return grid


def _money_item(cents: int, *, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(format_usd(cents))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def _text_item(text: str, *, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def _table(parent: QWidget, headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    for column, title in enumerate(headers):
        item = table.horizontalHeaderItem(column)
        right = title == "Amount"
        item.setTextAlignment(
            (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
            | Qt.AlignmentFlag.AlignVCenter
        )
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(round(theme.line_height(table) * 1.6))
    table.setFont(theme.tabular(table.font()))
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setMinimumSectionSize(theme.char_width(table, 5))
    return table


class PlanDialog(QDialog):
    """Set up or manage the account's payment plan (see the module docstring)."""

    secureModeChanged = Signal(bool)
    planCreated = Signal(object)  # PlanInfo
    planChanged = Signal(object)  # PlanInfo, after a change, pause, resume or cancel
    downPaymentRequested = Signal(int)  # cents: take it with the payment form first

    def __init__(
        self,
        desk: Desk,
        account_id: uuid.UUID,
        *,
        account_label: str,
        interaction_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("planDialog")
        self.setWindowTitle("Payment plan")
        self.setStyleSheet(_stylesheet())
        self._desk = desk
        self._plans = desk.plans  # type: ignore[attr-defined]
        self._account_id = account_id
        self._account_label = account_label
        self._interaction_id = interaction_id
        clock: Callable[[], date] | None = getattr(desk, "_today", None)
        self._today = clock() if callable(clock) else date.today()

        self._limits: PlanLimits = desk.policy.plans
        self._quote: PlanQuote | None = None
        self._quoted_inputs: tuple[Any, ...] | None = None  # the inputs _quote answers
        self._pending_inputs: tuple[Any, ...] | None = None  # the inputs last asked about
        self._incomplete = False  # the terms cannot be quoted as typed
        self._stored: StoredCard | None = None  # the enrolled card (its token)
        self._holder = ""  # the cardholder's name, offered as who consented
        self._down_payment: tuple[uuid.UUID, int] | None = None  # taken: (payment id, cents)
        self._plan: PlanInfo | None = None  # the plan shown on the second tab
        self._loaded = False
        self._busy = ""  # "enroll", "create", "change", ... while a request is in flight
        self._open = False
        self._secure = False
        self._card_open = False

        self._quote_runner = TaskRunner(self)
        self._load_runner = TaskRunner(self)
        self._action_runner = TaskRunner(self)
        self._quote_runner.succeeded.connect(self._on_quote)
        self._quote_runner.failed.connect(self._on_quote_failed)
        self._load_runner.succeeded.connect(self._on_plans)
        self._load_runner.failed.connect(self._on_load_failed)
        self._action_runner.succeeded.connect(self._on_action_done)
        self._action_runner.failed.connect(self._on_action_failed)
        self._quote_timer = QTimer(self)
        self._quote_timer.setSingleShot(True)
        self._quote_timer.setInterval(QUOTE_DELAY_MS)
        self._quote_timer.timeout.connect(self._request_quote)

        self._build()
        self._wire()
        self._refresh()
        self._fit()
        self._load_runner.submit(self._plans.plans_of, account_id)
        self._request_quote()

    # -- public --------------------------------------------------------------------

    @property
    def secure_mode(self) -> bool:
        """Whether the card fields are open (call recording must be paused)."""
        return self._secure

    @property
    def busy(self) -> bool:
        return bool(self._busy)

    @property
    def plan(self) -> PlanInfo | None:
        return self._plan

    def set_down_payment(self, payment_id: uuid.UUID, cents: int) -> None:
        """The payment form took the down payment (approved): the plan covers the rest."""
        self._down_payment = (payment_id, cents)
        self.down_edit.setText(f"{cents // 100:,}.{cents % 100:02d}")
        self.down_edit.setReadOnly(True)
        self._schedule_quote()

    # -- building ------------------------------------------------------------------

    def _fit(self) -> None:
        """Big enough for the fullest new-plan page (hardship panel, card fields and the
        consent script all shown), so nothing is squeezed when they open."""
        width = max(self.sizeHint().width(), theme.char_width(self, 160))
        layout = self.layout()
        height = 0
        for shown in ((self.card_box,), (self.enrolled_row, self.consent_box)):
            for widget in (self.hardship_panel, *shown):
                widget.setVisible(True)
            layout.activate()
            height = max(height, layout.totalHeightForWidth(width), layout.sizeHint().height())
            for widget in (self.hardship_panel, *shown):
                widget.setVisible(False)
        self.resize(width, height)

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(theme.SPACE_L, theme.SPACE_M, theme.SPACE_L, theme.SPACE_M)
        outer.setSpacing(theme.SPACE_S)
        outer.addLayout(self._build_heading())
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.new_tab = QWidget(self.tabs)
        self.current_tab = QWidget(self.tabs)
        self.tabs.addTab(self.new_tab, "&New plan")
        self.tabs.addTab(self.current_tab, "C&urrent plan")
        outer.addWidget(self.tabs, 1)
        self._build_new_tab()
        self._build_current_tab()
        self.status = QLabel(self)
        self.status.setObjectName("planStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.blocker = _hint("", self)
        self.blocker.setObjectName("createBlocker")
        messages = QVBoxLayout()
        messages.setSpacing(2)
        messages.addWidget(self.status)
        messages.addWidget(self.blocker)
        self.create_button = QPushButton("Create plan", self)
        self.create_button.setObjectName("createButton")
        self.create_button.setMinimumWidth(theme.char_width(self, 18))
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("closeButton")
        row = QHBoxLayout()
        row.setSpacing(theme.SPACE_S)
        row.addLayout(messages, 1)
        row.addWidget(self.create_button)
        row.addWidget(self.close_button)
        outer.addLayout(row)

    def _build_heading(self) -> QHBoxLayout:
        title = QLabel("Payment plan", self)
        title.setFont(theme.scaled_font(self.font(), 1.35, bold=True))
        caption = _hint(self._account_label, self)
        caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(title)
        names.addWidget(caption)
        due_caption = _hint("Due now", self)
        due_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.balance_value = QLabel("…", self)
        self.balance_value.setObjectName("balanceValue")
        self.balance_value.setAccessibleName("Balance due now")
        self.balance_value.setFont(theme.tabular(theme.scaled_font(self.font(), 1.6, bold=True)))
        self.balance_value.setAlignment(Qt.AlignmentFlag.AlignRight)
        figure = QVBoxLayout()
        figure.setSpacing(0)
        figure.addWidget(due_caption)
        figure.addWidget(self.balance_value)
        row = QHBoxLayout()
        row.addLayout(names, 1)
        row.addLayout(figure)
        return row

    def _build_new_tab(self) -> None:
        page = self.new_tab
        self.open_plan_note = _hint("", page)
        self.open_plan_note.setObjectName("openPlanNote")
        self.open_plan_note.hide()
        left = QVBoxLayout()
        left.setSpacing(theme.SPACE_S)
        left.addWidget(self._build_terms(page))
        left.addWidget(self._build_preview(page), 1)
        right = QVBoxLayout()
        right.setSpacing(theme.SPACE_S)
        right.addWidget(self._build_hardship(page))
        right.addWidget(self._build_autopay(page))
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.setSpacing(theme.SPACE_M)
        columns.addLayout(left, 10)
        columns.addLayout(right, 11)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, theme.SPACE_S, 0, 0)
        column.setSpacing(theme.SPACE_S)
        column.addWidget(self.open_plan_note)
        column.addLayout(columns, 1)

    def _build_terms(self, page: QWidget) -> QFrame:
        frame, layout = _section(page, "Terms")
        self.limits_label = _hint(f"Policy: {limits_hint(self._limits)}.", frame)
        self.limits_label.setObjectName("limitsHint")
        layout.addWidget(self.limits_label)

        self.down_edit = QLineEdit(frame)
        self.down_edit.setPlaceholderText("0.00")
        self.down_edit.setFixedWidth(theme.char_width(self, 14))
        self.down = Field(frame, "downPayment", "&Down payment", self.down_edit)
        self.take_down_button = QPushButton("Take down payment…", frame)
        self.take_down_button.setObjectName("takeDownButton")
        self.down_status = _hint("", frame)
        self.down_status.setObjectName("downStatus")

        self.by_months = QRadioButton("Number of &months", frame)
        self.by_monthly = QRadioButton("Monthly &amount", frame)
        self.by_months.setChecked(True)
        self._plan_by = QButtonGroup(self)
        self._plan_by.addButton(self.by_months)
        self._plan_by.addButton(self.by_monthly)
        self.months_spin = QSpinBox(frame)
        self.months_spin.setRange(1, MONTHS_MAX_INPUT)
        self.months_spin.setValue(min(6, self._limits.max_months))
        self.months_spin.setFixedWidth(theme.char_width(self, 10))
        self.months_spin.setObjectName("monthsEdit")
        self.months_spin.setAccessibleName("Number of months")
        self.months_error = self._error_label(frame, "monthsError")
        self.monthly_edit = QLineEdit(frame)
        self.monthly_edit.setPlaceholderText("0.00")
        self.monthly_edit.setFixedWidth(theme.char_width(self, 14))
        self.monthly_edit.setObjectName("monthlyEdit")
        self.monthly_edit.setAccessibleName("Monthly amount")
        self.monthly_edit.setEnabled(False)
        self.monthly_error = self._error_label(frame, "monthlyError")

        self.first_due_edit = QDateEdit(frame)
        self.first_due_edit.setCalendarPopup(True)
        self.first_due_edit.setDisplayFormat("MM/dd/yyyy")
        self.first_due_edit.setMinimumDate(_to_qdate(self._today))
        self.first_due_edit.setDate(_to_qdate(self._today + timedelta(days=FIRST_DUE_DAYS)))
        self.first_due_edit.setFixedWidth(theme.char_width(self, 16))
        self.first_due = Field(frame, "firstDue", "&First payment", self.first_due_edit)

        grid = _grid()
        down_row = QHBoxLayout()
        down_row.setSpacing(theme.SPACE_S)
        down_row.addWidget(self.down_edit)
        down_row.addWidget(self.take_down_button)
        down_row.addStretch(1)
        grid.addWidget(self.down.label, 0, 0)
        grid.addLayout(down_row, 0, 1)
        grid.addWidget(self.down.error, 1, 1)
        grid.addWidget(self.down_status, 2, 1)
        grid.setRowMinimumHeight(3, theme.SPACE_XS)
        grid.addWidget(self.by_months, 4, 0)
        grid.addWidget(self.months_spin, 4, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.months_error, 5, 1)
        grid.addWidget(self.by_monthly, 6, 0)
        grid.addWidget(self.monthly_edit, 6, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.monthly_error, 7, 1)
        grid.setRowMinimumHeight(8, theme.SPACE_XS)
        self.first_due.place(grid, 9)
        grid.setAlignment(self.first_due_edit, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        return frame

    def _build_preview(self, page: QWidget) -> QFrame:
        frame, layout = _section(page, "Schedule")
        self.preview = _table(frame, ["#", "Due", "Amount"], "Schedule preview")
        self.preview.setObjectName("schedulePreview")
        self.preview.setMinimumHeight(theme.line_height(self) * 12)
        layout.addWidget(self.preview, 1)
        return frame

    def _build_hardship(self, page: QWidget) -> QFrame:
        self.hardship_panel = QFrame(page)
        self.hardship_panel.setObjectName("hardshipPanel")
        title = QLabel(HARDSHIP_TITLE, self.hardship_panel)
        title.setObjectName("hardshipTitle")
        title.setFont(theme.scaled_font(self.font(), 1.1, bold=True))
        self.hardship_reasons = QLabel(self.hardship_panel)
        self.hardship_reasons.setObjectName("hardshipReasons")
        self.hardship_reasons.setWordWrap(True)
        self.hardship_reasons.setTextFormat(Qt.TextFormat.PlainText)
        self.offered_check = QCheckBox(
            "&Offered financial assistance screening", self.hardship_panel
        )
        self.declined_check = QCheckBox("Caller &declined screening", self.hardship_panel)
        layout = QVBoxLayout(self.hardship_panel)
        layout.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S)
        layout.setSpacing(theme.SPACE_XS)
        layout.addWidget(title)
        layout.addWidget(self.hardship_reasons)
        layout.addWidget(self.offered_check)
        layout.addWidget(self.declined_check)
        self.hardship_panel.hide()
        return self.hardship_panel

    def _build_autopay(self, page: QWidget) -> QFrame:
        frame, layout = _section(page, "Automatic payments")
        self.autopay_check = QCheckBox("Set up &automatic payments (autopay) on a card", frame)
        layout.addWidget(self.autopay_check)

        # The card fields: open only while a card is being enrolled (secure mode).
        self.card_box = QFrame(frame)
        self.card_box.setObjectName("secureBox")
        note = QLabel(
            "Secure mode: call recording is paused while the card is read.", self.card_box
        )
        note.setObjectName("secureNote")
        note.setWordWrap(True)
        self.number_edit = QLineEdit(self.card_box)
        self.number_edit.setPlaceholderText("1234 5678 9012 3456")
        self.number_edit.setMaxLength(NUMBER_MAX_LENGTH)
        self.number_edit.setFont(theme.tabular(self.font()))
        self.number_edit.setInputMethodHints(
            Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.brand_label = QLabel("", self.card_box)
        self.brand_label.setObjectName("brandLabel")
        self.brand_label.setMinimumWidth(theme.char_width(self, 12))
        self.expiry_edit = QLineEdit(self.card_box)
        self.expiry_edit.setPlaceholderText("MM/YY")
        self.expiry_edit.setMaxLength(7)
        self.expiry_edit.setFixedWidth(theme.char_width(self, 10))
        self.cvv_edit = QLineEdit(self.card_box)
        self.cvv_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.cvv_edit.setMaxLength(4)
        self.cvv_edit.setFixedWidth(theme.char_width(self, 8))
        self.postal_code_edit = QLineEdit(self.card_box)
        self.postal_code_edit.setPlaceholderText("Billing ZIP")
        self.postal_code_edit.setMaxLength(10)
        self.postal_code_edit.setFixedWidth(theme.char_width(self, 13))
        self.name_edit = QLineEdit(self.card_box)
        self.name_edit.setPlaceholderText("As printed on the card")
        self.name_edit.setMaxLength(120)
        box = self.card_box
        self.card_fields: dict[str, Field] = {
            "number": Field(box, "number", "Card &number", self.number_edit),
            "expiry": Field(box, "expiry", "E&xpires", self.expiry_edit),
            "cvv": Field(box, "cvv", "C&VV", self.cvv_edit),
            "postal_code": Field(box, "postalCode", "&ZIP", self.postal_code_edit),
            "name": Field(box, "name", "Name on car&d", self.name_edit),
        }
        self.enroll_button = QPushButton("&Enroll card", self.card_box)
        self.enroll_button.setObjectName("enrollButton")
        grid = _grid()
        number_row = QHBoxLayout()
        number_row.setSpacing(theme.SPACE_S)
        number_row.addWidget(self.number_edit, 1)
        number_row.addWidget(self.brand_label)
        f = self.card_fields
        grid.addWidget(f["number"].label, 0, 0)
        grid.addLayout(number_row, 0, 1, 1, 5)
        grid.addWidget(f["number"].error, 1, 1, 1, 5)
        # Expiry, CVV and ZIP share a row; their errors (each naming its field, and the
        # field outlined in red) stack under the row, where there is room to read them.
        errors = QVBoxLayout()
        errors.setSpacing(0)
        for column, name in ((0, "expiry"), (2, "cvv"), (4, "postal_code")):
            grid.addWidget(f[name].label, 2, column, Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(f[name].widget, 2, column + 1)
            errors.addWidget(f[name].error)
            if column:
                f[name].label.setContentsMargins(theme.SPACE_S, 0, 0, 0)
        grid.addLayout(errors, 3, 1, 1, 5)
        f["name"].place(grid, 4, 0, 5)
        for field in (f["expiry"], f["cvv"], f["postal_code"]):
            grid.setAlignment(field.widget, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(5, 1)
        enroll_row = QHBoxLayout()
        enroll_row.addStretch(1)
        enroll_row.addWidget(self.enroll_button)
        card_layout = QVBoxLayout(self.card_box)
        card_layout.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S)
        card_layout.setSpacing(theme.SPACE_XS)
        card_layout.addWidget(note)
        card_layout.addLayout(grid)
        card_layout.addLayout(enroll_row)
        self.card_box.hide()
        layout.addWidget(self.card_box)

        self.enrolled_label = QLabel("", frame)
        self.enrolled_label.setObjectName("enrolledLabel")
        self.other_card_button = QPushButton("Use another card…", frame)
        self.other_card_button.setObjectName("otherCardButton")
        enrolled_row = QHBoxLayout()
        enrolled_row.addWidget(self.enrolled_label, 1)
        enrolled_row.addWidget(self.other_card_button)
        self.enrolled_row = QWidget(frame)
        self.enrolled_row.setLayout(enrolled_row)
        enrolled_row.setContentsMargins(0, 0, 0, 0)
        self.enrolled_row.hide()
        layout.addWidget(self.enrolled_row)

        self.consent_box = QFrame(frame)
        self.consent_box.setObjectName("consentBox")
        script_title = QLabel("Read to the payer", self.consent_box)
        script_title.setFont(theme.scaled_font(self.font(), 1.0, bold=True))
        self.consent_script = QLabel(self.consent_box)
        self.consent_script.setObjectName("consentScript")
        self.consent_script.setAccessibleName("Consent script")
        self.consent_script.setWordWrap(True)
        self.consent_script.setTextFormat(Qt.TextFormat.PlainText)
        self.consent_script.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.consent_check = QCheckBox("Payer &consents to automatic payments", self.consent_box)
        self.consent_check.setObjectName("consentCheck")
        self.consent_by_edit = QLineEdit(self.consent_box)
        self.consent_by_edit.setMaxLength(160)
        self.consent_by_edit.setPlaceholderText("Name of the person who agreed")
        self.consent_by = Field(
            self.consent_box, "consentBy", "Consent &given by", self.consent_by_edit
        )
        consent_grid = _grid()
        self.consent_by.place(consent_grid, 0)
        consent_grid.setColumnStretch(1, 1)
        consent_layout = QVBoxLayout(self.consent_box)
        consent_layout.setContentsMargins(
            theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S
        )
        consent_layout.setSpacing(theme.SPACE_XS)
        consent_layout.addWidget(script_title)
        consent_layout.addWidget(self.consent_script)
        consent_layout.addWidget(self.consent_check)
        consent_layout.addLayout(consent_grid)
        self.consent_box.hide()
        layout.addWidget(self.consent_box)
        return frame

    def _build_current_tab(self) -> None:
        page = self.current_tab
        self.no_plan_label = _hint("This account has no payment plan yet.", page)
        self.no_plan_label.setObjectName("noPlan")
        self.plan_done = QLabel("", page)
        self.plan_done.setObjectName("planDone")
        self.plan_done.setWordWrap(True)
        self.plan_done.hide()

        summary, summary_layout = _section(page, "Plan")
        self.summary: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.SPACE_L)
        grid.setVerticalSpacing(2)
        names = [
            ("Status", 0, 0), ("Monthly", 0, 2), ("Total", 1, 0), ("Next payment", 1, 2),
            ("Paid so far", 2, 0), ("Autopay", 2, 2), ("Left to pay", 3, 0), ("Consent", 3, 2),
        ]  # fmt: skip
        for name, row, col in names:
            caption = _hint(name, summary)
            caption.setWordWrap(False)
            value = QLabel("", summary)
            value.setAccessibleName(name)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            grid.addWidget(caption, row, col, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, col + 1, Qt.AlignmentFlag.AlignTop)
            self.summary[name] = value
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 3)
        summary_layout.addLayout(grid)
        self.plan_table = _table(summary, ["#", "Due", "Amount", "Status"], "Installments")
        self.plan_table.setObjectName("installmentsTable")
        summary_layout.addWidget(self.plan_table, 1)
        self.summary_frame = summary

        change, change_layout = _section(page, "Change the plan")
        self.change_hint = _hint(
            "What is left is spread over a new schedule; paid installments stay as they are.",
            change,
        )
        change_layout.addWidget(self.change_hint)
        self.change_by_months = QRadioButton("Number of months", change)
        self.change_by_monthly = QRadioButton("Monthly amount", change)
        self.change_by_months.setChecked(True)
        self._change_by = QButtonGroup(self)
        self._change_by.addButton(self.change_by_months)
        self._change_by.addButton(self.change_by_monthly)
        self.change_months_spin = QSpinBox(change)
        self.change_months_spin.setRange(1, MONTHS_MAX_INPUT)
        self.change_months_spin.setValue(min(6, self._limits.max_months))
        self.change_months_spin.setFixedWidth(theme.char_width(self, 10))
        self.change_months_spin.setObjectName("changeMonthsEdit")
        self.change_months_spin.setAccessibleName("New number of months")
        self.change_months_error = self._error_label(change, "changeMonthsError")
        self.change_monthly_edit = QLineEdit(change)
        self.change_monthly_edit.setPlaceholderText("0.00")
        self.change_monthly_edit.setFixedWidth(theme.char_width(self, 14))
        self.change_monthly_edit.setObjectName("changeMonthlyEdit")
        self.change_monthly_edit.setAccessibleName("New monthly amount")
        self.change_monthly_edit.setEnabled(False)
        self.change_monthly_error = self._error_label(change, "changeMonthlyError")
        self.change_first_due_edit = QDateEdit(change)
        self.change_first_due_edit.setCalendarPopup(True)
        self.change_first_due_edit.setDisplayFormat("MM/dd/yyyy")
        self.change_first_due_edit.setMinimumDate(_to_qdate(self._today))
        self.change_first_due_edit.setDate(_to_qdate(self._today + timedelta(days=FIRST_DUE_DAYS)))
        self.change_first_due_edit.setFixedWidth(theme.char_width(self, 16))
        self.change_first_due = Field(
            change, "changeFirstDue", "Next payment", self.change_first_due_edit
        )
        self.change_button = QPushButton("C&hange plan", change)
        self.change_button.setObjectName("changeButton")
        grid = _grid()
        grid.addWidget(self.change_by_months, 0, 0)
        grid.addWidget(self.change_months_spin, 0, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.change_months_error, 1, 1)
        grid.addWidget(self.change_by_monthly, 2, 0)
        grid.addWidget(self.change_monthly_edit, 2, 1, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.change_monthly_error, 3, 1)
        self.change_first_due.place(grid, 4)
        grid.setAlignment(self.change_first_due_edit, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)
        change_layout.addLayout(grid)
        change_buttons = QHBoxLayout()
        change_buttons.addStretch(1)
        change_buttons.addWidget(self.change_button)
        change_layout.addLayout(change_buttons)
        line = QFrame(change)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet(f"color: {theme.BORDER};")
        change_layout.addWidget(line)
        self.pause_button = QPushButton("&Pause plan", change)
        self.pause_button.setObjectName("pauseButton")
        self.cancel_plan_button = QPushButton("Cancel plan…", change)
        self.cancel_plan_button.setObjectName("cancelPlanButton")
        state_row = QHBoxLayout()
        state_row.addWidget(self.pause_button)
        state_row.addStretch(1)
        state_row.addWidget(self.cancel_plan_button)
        change_layout.addLayout(state_row)
        change_layout.addStretch(1)
        self.change_frame = change

        columns = QHBoxLayout()
        columns.setSpacing(theme.SPACE_M)
        columns.addWidget(summary, 3)
        columns.addWidget(change, 2)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, theme.SPACE_S, 0, 0)
        column.setSpacing(theme.SPACE_S)
        column.addWidget(self.no_plan_label)
        column.addWidget(self.plan_done)
        column.addLayout(columns, 1)

    def _error_label(self, parent: QWidget, name: str) -> QLabel:
        label = QLabel(parent)
        label.setObjectName(name)
        label.setProperty("role", "fieldError")
        label.setWordWrap(True)
        label.hide()
        return label

    def _wire(self) -> None:
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.down_edit.textChanged.connect(self._schedule_quote)
        self.months_spin.valueChanged.connect(self._schedule_quote)
        self.monthly_edit.textChanged.connect(self._schedule_quote)
        self.first_due_edit.dateChanged.connect(self._schedule_quote)
        self.by_months.toggled.connect(self._on_plan_by)
        self.take_down_button.clicked.connect(self._request_down_payment)
        self.offered_check.toggled.connect(self._refresh)
        self.declined_check.toggled.connect(self._refresh)
        self.autopay_check.toggled.connect(self._on_autopay)
        self.number_edit.textEdited.connect(self._on_number_edited)
        self.enroll_button.clicked.connect(self.enroll)
        self.other_card_button.clicked.connect(self._open_card)
        self.consent_check.toggled.connect(self._refresh)
        self.consent_by_edit.textChanged.connect(self._refresh)
        self.create_button.clicked.connect(self.create)
        self.change_by_months.toggled.connect(self._on_change_by)
        self.change_button.clicked.connect(self.change_plan)
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.cancel_plan_button.clicked.connect(self.cancel_plan)
        self.close_button.clicked.connect(self.reject)
        self.tabs.currentChanged.connect(self._refresh)

    # -- opening and closing -------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._open = True
        self._update_secure()

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():
            self._open = False
            self._wipe_card()
            self._update_secure()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        """Close, but not while a plan is being created or changed: the agent must see
        the answer."""
        if self._busy in ("create", "change", "pause", "resume", "cancel"):
            self.status.setText("Wait for the answer before closing.")
            return
        self._open = False
        self._wipe_card()
        self._update_secure()
        for runner in (self._quote_runner, self._load_runner, self._action_runner):
            runner.outdate()
        self._quote_timer.stop()
        super().done(result)

    # -- secure mode ---------------------------------------------------------------

    def _update_secure(self) -> None:
        on = self._open and self._card_open
        if on != self._secure:
            self._secure = on
            self.secureModeChanged.emit(on)

    def _open_card(self) -> None:
        self._card_open = True
        self.enrolled_row.hide()
        self.consent_box.hide()
        self.card_box.show()
        self._update_secure()
        self._refresh()
        self.number_edit.setFocus()

    def _close_card(self) -> None:
        self._wipe_card()
        self._card_open = False
        self.card_box.hide()
        self._update_secure()
        enrolled = self._stored is not None and self.autopay_check.isChecked()
        self.enrolled_row.setVisible(enrolled)
        self.consent_box.setVisible(enrolled)

    def _wipe_card(self) -> None:
        """The card number and CVV leave the form (the rest is not secret, but goes too)."""
        for edit in (self.number_edit, self.cvv_edit, self.expiry_edit, self.postal_code_edit):
            wipe(edit)
        self.brand_label.clear()
        for field in self.card_fields.values():
            field.clear_error()

    # -- the terms and the quote ---------------------------------------------------

    def _on_plan_by(self, by_months: bool) -> None:
        self.months_spin.setEnabled(by_months)
        self.monthly_edit.setEnabled(not by_months)
        (self.months_spin if by_months else self.monthly_edit).setFocus()
        self._schedule_quote()

    def _inputs(self, *, show: bool = True) -> tuple[Any, ...] | None:
        """(down, monthly, months, first due, down payment id) as typed, or None (with
        ``show``, after saying what is wrong next to each field)."""
        if show:
            self.down.clear_error()
            self.first_due.clear_error()
            self._hide(self.months_error, self.monthly_error)
        ok = True
        down = 0
        down_text = self.down_edit.text().strip()
        if _ZERO.fullmatch(down_text) is None:
            try:
                down = parse_amount(down_text)
            except ValueError as exc:
                if show:
                    self.down.show_error(str(exc))
                ok = False
        monthly: int | None = None
        months: int | None = None
        if self.by_monthly.isChecked():
            text = self.monthly_edit.text().strip()
            if not text:
                ok = False  # nothing typed yet: no error, no schedule
            else:
                try:
                    monthly = parse_amount(text)
                except ValueError as exc:
                    if show:
                        self._show(self.monthly_error, str(exc))
                    ok = False
        else:
            months = self.months_spin.value()
        if not ok:
            return None
        taken = self._down_payment[0] if self._down_payment else None
        return (down, monthly, months, _to_date(self.first_due_edit.date()), taken)

    def _schedule_quote(self) -> None:
        self._withdraw_consent("The terms changed: read the consent script again.")
        self._quoted_inputs = None
        self._refresh()
        self._quote_timer.start()

    def _request_quote(self) -> None:
        inputs = self._inputs()
        self._incomplete = inputs is None
        if inputs is None:
            self._quote_runner.outdate()
            self._show_schedule(None)
            self._refresh()
            return
        down, monthly, months, first_due, taken = inputs
        self._pending_inputs = inputs
        self._quote_runner.submit(
            self._plans.quote, self._account_id, down_payment_cents=down,
            monthly_cents=monthly, months=months, first_due=first_due, down_payment_id=taken,
        )  # fmt: skip

    def _on_quote(self, seq: int, quote: PlanQuote) -> None:
        if seq != self._quote_runner.latest_seq:
            return
        self._quote = quote
        self._limits = quote.limits
        self.limits_label.setText(f"Policy: {limits_hint(quote.limits)}.")
        self.balance_value.setText(format_usd(quote.balance_cents))
        current = self._inputs(show=False)
        self._quoted_inputs = current if current == self._pending_inputs else None
        if quote.error is not None:
            self._show_plan_error(quote.error)
        self._show_schedule(quote.schedule)
        self._show_hardship(quote.hardship)
        self._refresh()

    def _on_quote_failed(self, seq: int, error: object) -> None:
        if seq != self._quote_runner.latest_seq:
            return
        log.warning("plan quote failed: %s", type(error).__name__)
        self.status.setText(_message(error, "The schedule could not be worked out."))
        self._show_schedule(None)

    def _show_plan_error(self, error: PlanError) -> None:
        if error.field == "down_payment":
            self.down.show_error(error.message)
        elif error.field == "monthly":
            self._show(self.monthly_error, error.message)
        elif error.field == "first_due":
            self.first_due.show_error(error.message)
        elif error.field == "months":
            target = self.months_error if self.by_months.isChecked() else self.monthly_error
            self._show(target, error.message)
        else:  # "total": nothing to put on a plan
            self.status.setText(error.message)

    def _show_schedule(self, schedule: Schedule | None) -> None:
        if schedule is None or self._quote is None:
            self.preview.setRowCount(0)
            self._refresh_script()
            return
        self.first_due.clear_error()
        table = self.preview
        rows = len(schedule.installments) + 1 + (1 if schedule.down_payment_cents else 0)
        table.setRowCount(rows)
        row = 0
        if schedule.down_payment_cents:
            taken = "taken" if self._down_payment else "before the plan"
            table.setItem(row, 0, _text_item(""))
            table.setItem(row, 1, _text_item(f"Down payment ({taken})"))
            table.setItem(row, 2, _money_item(schedule.down_payment_cents))
            row += 1
        for item in schedule.installments:
            table.setItem(row, 0, _text_item(str(item.sequence)))
            table.setItem(row, 1, _text_item(us_date(item.due_date)))
            table.setItem(row, 2, _money_item(item.amount_cents))
            row += 1
        total = schedule.down_payment_cents + sum(i.amount_cents for i in schedule.installments)
        table.setItem(row, 0, _text_item(""))
        table.setItem(row, 1, _text_item("Total", bold=True))
        table.setItem(row, 2, _money_item(total, bold=True))
        self._refresh_script()

    def _show_hardship(self, reasons: tuple[str, ...]) -> None:
        self.hardship_reasons.setText("\n".join(f"•  {reason}" for reason in reasons))
        self.hardship_panel.setVisible(bool(reasons))

    def _request_down_payment(self) -> None:
        inputs = self._inputs()
        if inputs is None:
            return
        if inputs[0] <= 0:
            self.down.show_error("Enter the down payment first.")
            return
        self.downPaymentRequested.emit(inputs[0])

    # -- the card ------------------------------------------------------------------

    def _on_autopay(self, on: bool) -> None:
        if on and self._stored is None:
            self._open_card()
        elif not on:
            self._close_card()
        self.enrolled_row.setVisible(on and self._stored is not None)
        self.consent_box.setVisible(on and self._stored is not None)
        self._refresh_script()
        self._refresh()

    def _withdraw_consent(self, why: str) -> None:
        """Consent was given to the script as it was; new terms or a new card need it
        again."""
        if self.consent_check.isChecked():
            self.consent_check.setChecked(False)
            self.status.setText(why)

    def _on_number_edited(self, text: str) -> None:
        at_end = self.number_edit.cursorPosition() == len(text)
        formatted = format_card_number(text)
        if formatted != text:
            self.number_edit.setText(formatted)
            if at_end:
                self.number_edit.setCursorPosition(len(formatted))
        digits = digits_only(text)
        brand = detect_brand(digits) if digits else None
        self.brand_label.setText(brand.label if brand is not None and digits else "")

    def enroll(self) -> None:
        """Check the card fields and keep the card with the processor (in a worker)."""
        if self._busy:
            return
        for field in self.card_fields.values():
            field.clear_error()
        try:
            card = parse_card(
                self.number_edit.text(), self.expiry_edit.text(), self.cvv_edit.text(),
                self.postal_code_edit.text(), self.name_edit.text(), today=self._today,
            )  # fmt: skip
        except EntryErrors as exc:
            for name, message in exc.errors.items():
                self.card_fields[name].show_error(message)
            return
        self._holder = card.name
        self._start("enroll", "Enrolling the card with the processor…")
        self._action_runner.submit(self._enroll_card, card, "enroll-" + uuid.uuid4().hex)

    def _enroll_card(self, card: CardEntry, key: str) -> tuple[str, StoredCard]:
        return "enroll", self._plans.enroll_card(card, key)

    # -- creating ------------------------------------------------------------------

    def _blockers(self) -> list[str]:
        """Why Create is not enabled yet, most important first."""
        if self._plan is not None and self._plan.open:
            return ["This account already has a plan: use the Current plan tab."]
        if not self._loaded:
            return ["Loading the account's plans…"]
        quote = self._quote
        if self._incomplete:
            return ["Complete the terms first."]
        if quote is None or self._quoted_inputs is None:
            return ["Working out the schedule…"]
        if not quote.ok:
            return ["Fix the terms first."]
        out = []
        if quote.hardship and not (
            self.offered_check.isChecked() or self.declined_check.isChecked()
        ):
            out.append("Offer financial assistance screening first (tick what the caller said).")
        down = self._quoted_inputs[0]
        if down > 0 and self._down_payment is None:
            out.append(f"Take the down payment of {format_usd(down)} first.")
        if self.autopay_check.isChecked():
            if self._stored is None:
                out.append("Enroll the card for automatic payments.")
            elif not self.consent_check.isChecked():
                out.append("Read the consent script and tick that the payer consents.")
            elif not self.consent_by_edit.text().strip():
                out.append("Enter who gave consent.")
        return out

    def create(self) -> None:
        """Create the plan on screen (in a worker)."""
        if self._busy or self._blockers():
            return
        assert self._quoted_inputs is not None
        down, monthly, months, first_due, taken = self._quoted_inputs
        autopay = self._stored if self.autopay_check.isChecked() else None
        self._start("create", "Creating the plan…")
        self._action_runner.submit(
            self._create, self._account_id, down_payment_cents=down, monthly_cents=monthly,
            months=months, first_due=first_due, autopay=autopay,
            consent_by=self.consent_by_edit.text() if autopay else "",
            consent_recorded=autopay is not None and self.consent_check.isChecked(),
            interaction_id=self._interaction_id, down_payment_id=taken,
        )  # fmt: skip

    def _create(self, account_id: uuid.UUID, **terms: Any) -> tuple[str, PlanInfo]:
        return "create", self._plans.create(account_id, **terms)

    # -- the current plan ----------------------------------------------------------

    def _on_plans(self, seq: int, plans: list[PlanInfo]) -> None:
        if seq != self._load_runner.latest_seq:
            return
        self._loaded = True
        chosen = next((p for p in plans if p.open), plans[0] if plans else None)
        self._show_plan(chosen)
        if chosen is not None and chosen.open:
            self.tabs.setCurrentIndex(CURRENT_TAB)
        self._refresh()

    def _on_load_failed(self, seq: int, error: object) -> None:
        if seq != self._load_runner.latest_seq:
            return
        log.warning("loading plans failed: %s", type(error).__name__)
        self.status.setText(_message(error, "The account's plans could not be loaded."))

    def _show_plan(self, plan: PlanInfo | None) -> None:
        self._plan = plan
        self.no_plan_label.setVisible(plan is None)
        self.summary_frame.setVisible(plan is not None)
        self.change_frame.setVisible(plan is not None and plan.open)
        if plan is None:
            return
        s = self.summary
        s["Status"].setText(_STATUS_WORDS.get(plan.status, plan.status))
        s["Total"].setText(
            format_usd(plan.total_cents)
            + (f" ({format_usd(plan.down_payment_cents)} down)" if plan.down_payment_cents else "")
        )
        s["Paid so far"].setText(format_usd(plan.paid_cents))
        s["Left to pay"].setText(format_usd(plan.remaining_cents))
        s["Monthly"].setText(f"{format_usd(plan.installment_cents)} × {plan.months}")
        s["Next payment"].setText(
            f"{format_usd(plan.next_due_cents)} on {us_date(plan.next_due_date)}"
            if plan.next_due_date
            else "None"
        )
        s["Autopay"].setText(plan.autopay_label or "No (reminders)")
        s["Consent"].setText(
            f"{plan.consent_by}, {plan.consent_recorded_at.astimezone():%m/%d/%Y %I:%M %p}"
            if plan.consent_by and plan.consent_recorded_at
            else "—"
        )
        table = self.plan_table
        table.setRowCount(len(plan.installments))
        for row, line in enumerate(plan.installments):
            table.setItem(row, 0, _text_item(str(line.sequence)))
            table.setItem(row, 1, _text_item(us_date(line.due_date)))
            table.setItem(row, 2, _money_item(line.amount_cents))
            status = _text_item(_STATUS_WORDS.get(line.status, line.status))
            colour = {"paid": theme.CREDIT, "declined": theme.ERROR}.get(line.status)
            if colour:
                status.setForeground(QColor(colour))
            table.setItem(row, 3, status)
        self.pause_button.setText("&Resume plan" if plan.status == "paused" else "&Pause plan")
        left = sum(1 for line in plan.installments if line.status in ("scheduled", "declined"))
        if left and not self.change_months_error.isVisible():
            self.change_months_spin.setValue(left)
        if plan.next_due_date and plan.next_due_date >= self._today:
            self.change_first_due_edit.setDate(_to_qdate(plan.next_due_date))

    def _on_change_by(self, by_months: bool) -> None:
        self.change_months_spin.setEnabled(by_months)
        self.change_monthly_edit.setEnabled(not by_months)

    def change_plan(self) -> None:
        if self._busy or self._plan is None:
            return
        self._hide(self.change_months_error, self.change_monthly_error)
        self.change_first_due.clear_error()
        monthly: int | None = None
        months: int | None = None
        if self.change_by_monthly.isChecked():
            try:
                monthly = parse_amount(self.change_monthly_edit.text())
            except ValueError as exc:
                self._show(self.change_monthly_error, str(exc))
                return
        else:
            months = self.change_months_spin.value()
        first_due = _to_date(self.change_first_due_edit.date())
        self._start("change", "Changing the plan…")
        self._action_runner.submit(
            self._act, "change", self._plans.change, self._plan.id, monthly_cents=monthly,
            months=months, first_due=first_due,
        )  # fmt: skip

    def pause_or_resume(self) -> None:
        if self._busy or self._plan is None:
            return
        if self._plan.status == "paused":
            self._start("resume", "Resuming the plan…")
            self._action_runner.submit(self._act, "resume", self._plans.resume, self._plan.id)
        else:
            self._start("pause", "Pausing the plan…")
            self._action_runner.submit(self._act, "pause", self._plans.pause, self._plan.id)

    def cancel_plan(self) -> None:
        if self._busy or self._plan is None:
            return
        left = format_usd(self._plan.remaining_cents)
        if not confirm(
            self,
            "Cancel the plan",
            f"Cancel this plan? The {left} left stays due on the account and no more "
            "installments are charged.",
        ):
            return
        self._start("cancel", "Cancelling the plan…")
        self._action_runner.submit(self._act, "cancel", self._plans.cancel, self._plan.id)

    @staticmethod
    def _act(
        kind: str, call: Callable[..., PlanInfo], *args: Any, **kwargs: Any
    ) -> tuple[str, PlanInfo]:
        return kind, call(*args, **kwargs)

    # -- answers -------------------------------------------------------------------

    def _start(self, kind: str, message: str) -> None:
        self._busy = kind
        self.status.setText(message)
        self._refresh()

    def _on_action_done(self, seq: int, answer: tuple[str, Any]) -> None:
        if seq != self._action_runner.latest_seq:
            return
        kind, value = answer
        self._busy = ""
        self.status.clear()
        if kind == "enroll":
            self._withdraw_consent("A new card: read the consent script again.")
            self._stored = value
            self._close_card()
            self.enrolled_label.setText(f"✓  {card_label(value)} enrolled")
            self.enrolled_row.show()
            self.consent_box.show()
            if not self.consent_by_edit.text().strip():
                self.consent_by_edit.setText(self._holder)
            self._refresh_script()
        elif kind == "create":
            self._show_plan(value)
            self.plan_done.setText(
                f"✓  Plan created: {format_usd(value.installment_cents)} a month, "
                f"{value.months} installment(s), the first on "
                f"{us_date(value.installments[0].due_date)}."
            )
            self.plan_done.show()
            self.tabs.setCurrentIndex(CURRENT_TAB)
            self.planCreated.emit(value)
        else:
            self._show_plan(value)
            words = {"change": "changed", "pause": "paused", "resume": "resumed",
                     "cancel": "cancelled"}  # fmt: skip
            self.status.setText(f"Plan {words.get(kind, kind)}.")
            self.planChanged.emit(value)
        self._refresh()

    def _on_action_failed(self, seq: int, error: object) -> None:
        if seq != self._action_runner.latest_seq:
            return
        kind, self._busy = self._busy, ""
        log.warning("plan %s failed: %s", kind, type(error).__name__)
        message = _message(error, "That did not work; try again.")
        self.status.clear()
        field = getattr(error, "field", None)
        if kind == "enroll":
            self.card_fields["number"].show_error(message)
        elif kind == "create" and field in ("months", "monthly", "down_payment", "first_due"):
            self._show_plan_error(PlanError(field, message))
        elif kind == "create" and field == "consent_by":
            self.consent_by.show_error(message)
        elif kind == "change" and field in ("months", "monthly", "first_due"):
            if field == "first_due":
                self.change_first_due.show_error(message)
            elif field == "monthly" or self.change_by_monthly.isChecked():
                self._show(self.change_monthly_error, message)
            else:
                self._show(self.change_months_error, message)
        else:
            self.status.setText(message)
        if kind == "create":
            self._load_runner.submit(self._plans.plans_of, self._account_id)  # a second desk?
        self._refresh()

    # -- refreshing ----------------------------------------------------------------

    def _refresh(self) -> None:
        busy = bool(self._busy)
        has_open = self._plan is not None and self._plan.open
        self.open_plan_note.setVisible(has_open)
        if has_open:
            self.open_plan_note.setText(
                "This account already has a plan. Change, pause or cancel it on the "
                "Current plan tab."
            )
        for widget in (self.down_edit, self.by_months, self.by_monthly, self.first_due_edit,
                       self.autopay_check, self.offered_check, self.declined_check):  # fmt: skip
            widget.setEnabled(not busy and not has_open)
        self.months_spin.setEnabled(not busy and not has_open and self.by_months.isChecked())
        self.monthly_edit.setEnabled(not busy and not has_open and self.by_monthly.isChecked())
        self.take_down_button.setVisible(self._down_payment is None)
        self.take_down_button.setEnabled(not busy and not has_open)
        if self._down_payment is not None:
            self.down_status.setText(
                f"✓  Down payment of {format_usd(self._down_payment[1])} taken."
            )
        else:
            self.down_status.setText("Taken with the payment form before the plan is made.")
        self.card_box.setEnabled(self._busy != "enroll")
        self.enroll_button.setEnabled(not busy)
        self.other_card_button.setEnabled(not busy and not has_open)
        self.consent_box.setEnabled(not busy and not has_open)
        blockers = self._blockers()
        on_new = self.tabs.currentIndex() == NEW_TAB
        self.create_button.setVisible(on_new)
        self.blocker.setVisible(on_new)
        self.create_button.setEnabled(not busy and not blockers)
        self.blocker.setText(
            blockers[0] if blockers else "Ready: read the schedule back to the caller."
        )
        self.change_button.setEnabled(not busy)
        self.pause_button.setEnabled(not busy)
        self.cancel_plan_button.setEnabled(not busy)

    def _refresh_script(self) -> None:
        schedule = self._quote.schedule if self._quote is not None else None
        self.consent_script.setText(
            consent_script(
                practice=self._desk.policy.practice_name,
                today=self._today,
                card=card_label(self._stored) if self._stored else None,
                schedule=schedule,
            )
        )

    @staticmethod
    def _show(label: QLabel, message: str) -> None:
        label.setText(message)
        label.show()

    @staticmethod
    def _hide(*labels: QLabel) -> None:
        for label in labels:
            label.clear()
            label.hide()


def _message(error: object, fallback: str) -> str:
    """A refusal's own sentence; anything unexpected gets ``fallback`` (its text could
    hold anything)."""
    if isinstance(error, DeskError):
        return str(error)
    return fallback
