"""The account view: who owes, how much, for whom, and which insurance is on file.

Loading happens in a worker (``desk.account``); the newest request wins, so opening
two accounts quickly never shows the first one last.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.money import format_usd
from app.services.errors import AccountNotFound
from app.services.views import AccountCard, AccountDetail
from ui import theme
from ui.account.explainer import ExplainerPanel
from ui.account.models import CoverageModel, PatientsModel, RecordTableModel
from ui.call.verify import VerifyForm
from ui.lookup.model import us_date
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.domain.identity import Verification
    from app.services.desk import Desk
    from ui.call.controller import CallController

log = logging.getLogger(__name__)

EMPTY_TEXT = "Search for a caller, then press Enter to open the account"
LOADING_TEXT = "Opening account…"


def balance_figure(cents: int, pending_cents: int = 0) -> tuple[str, str]:
    """The big figure and its caption: what is owed and how much of it is due now,
    or a credit said in words."""
    if cents < 0:
        return f"Credit {format_usd(-cents)}", "Credit on the account (nothing owed)"
    if cents == 0:
        return format_usd(0), "Nothing owed"
    if pending_cents > 0:
        due = max(cents - pending_cents, 0)
        return format_usd(cents), f"{format_usd(due)} due now"
    return format_usd(cents), "Owed by the guarantor"


def _fit_height(table: QTableView, rows: int, *, most: int = 8) -> None:
    """Size a short table to its rows (one blank row when empty, a scroll bar past ``most``)."""
    shown = min(max(rows, 1), most)
    height = (
        table.horizontalHeader().sizeHint().height()
        + table.verticalHeader().defaultSectionSize() * shown
        + table.frameWidth() * 2
    )
    if table.horizontalScrollBar().isVisible():
        height += table.horizontalScrollBar().sizeHint().height()
    table.setFixedHeight(height)


def language_name(code: str) -> str:
    """``es`` -> ``Spanish``; anything Qt does not know is shown as stored."""
    if not code or len(code) > 8:
        return code
    language = QLocale(code).language()
    if language in (QLocale.Language.C, QLocale.Language.AnyLanguage):
        return code
    return QLocale.languageToString(language)


class _Figure(QFrame):
    """One figure card: a caption, a value and a short explanation."""

    def __init__(self, caption: str, parent: QWidget, *, scale: float = 1.35) -> None:
        super().__init__(parent)
        self.setObjectName("figureCard")
        self.caption = QLabel(caption, self)
        self.caption.setObjectName("figureCaption")
        self.value = QLabel("—", self)
        self.value.setFont(theme.tabular(theme.scaled_font(self.font(), scale, bold=True)))
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("", self)
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)  # a narrow window wraps the explanation, never cuts it
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        self.setAccessibleName(caption)

    def show_value(self, value: str, note: str, colour: str | None = None) -> None:
        self.value.setText(value)
        self.note.setText(note)
        self.value.setStyleSheet(f"color: {colour};" if colour else "")
        self.setAccessibleDescription(f"{value}. {note}")


class AccountView(QWidget):
    """Shows one :class:`AccountDetail`; empty until the agent opens an account."""

    accountShown = Signal(object)  # AccountDetail now on screen
    accountFailed = Signal(str)  # a message safe to show (no PHI)

    def __init__(
        self, parent: QWidget | None = None, *, today: Callable[[], date] = date.today
    ) -> None:
        super().__init__(parent)
        self._today = today
        self._desk: Desk | None = None
        self._detail: AccountDetail | None = None
        self._highlight: uuid.UUID | None = None
        self._runner = TaskRunner(self)

        self.empty = QLabel(EMPTY_TEXT, self)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setAccessibleName("Account")
        self.content = QWidget(self)
        # During a call, until the caller is verified, the identity check stands in for
        # the account: nothing about money, visits or care is loaded, let alone shown.
        self.verify = VerifyForm(self, today=today())
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.content)
        self.stack.addWidget(self.verify)
        self._calls: CallController | None = None
        self._current: tuple[uuid.UUID, uuid.UUID | None] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(theme.SPACE_XS, theme.SPACE_S, theme.SPACE_S, theme.SPACE_S)
        outer.addWidget(self.stack)

        self._build_content()
        self._runner.succeeded.connect(self._on_loaded)
        self._runner.failed.connect(self._on_failed)

    # -- building ---------------------------------------------------------------------
    def _build_content(self) -> None:
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(theme.SPACE_S)
        layout.addWidget(self._build_header())
        layout.addLayout(self._build_figures())
        self.patients_model = PatientsModel(self)
        self.patients_table = self._table(self.patients_model, "Patients on this account")
        self.coverage_model = CoverageModel(self)
        self.coverage_table = self._table(self.coverage_model, "Coverage", stretch=(2,))
        # The figures stay in sight; below them, the people and plans or the explainer.
        self.tabs = QTabWidget(self.content)
        self.tabs.setDocumentMode(True)
        people = QWidget(self.tabs)
        people_layout = QVBoxLayout(people)
        people_layout.setContentsMargins(0, theme.SPACE_XS, 0, 0)
        people_layout.setSpacing(theme.SPACE_S)
        people_layout.addWidget(
            self._section_title("Patients on this account", self.patients_table)
        )
        people_layout.addWidget(self.patients_table)
        people_layout.addSpacing(theme.SPACE_XS)
        people_layout.addWidget(self._section_title("Coverage", self.coverage_table))
        people_layout.addWidget(self.coverage_table)
        people_layout.addStretch(1)
        self.explainer = ExplainerPanel(self.tabs)
        self.tabs.addTab(people, "&Patients and coverage")
        self.tabs.addTab(self.explainer, "&Why this balance")
        layout.addWidget(self.tabs, 1)

    def _build_header(self) -> QFrame:
        frame = QFrame(self.content)
        frame.setObjectName("accountHeader")
        self.guarantor = QLabel(frame)
        self.guarantor.setFont(theme.scaled_font(self.font(), 1.45, bold=True))
        self.guarantor.setAccessibleName("Guarantor")
        self.account_number = QLabel(frame)
        self.account_number.setFont(theme.tabular(theme.scaled_font(self.font(), 1.15, bold=True)))
        self.account_number.setAccessibleName("Account number")
        self.account_number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        role = QLabel("Guarantor", frame)
        role.setObjectName("muted")

        top = QHBoxLayout()
        top.setSpacing(theme.SPACE_S)
        top.addWidget(self.guarantor)
        top.addWidget(role, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.account_number)
        # Money actions (wired by ui/payments/wiring.py to the Payments menu's actions).
        self.money_buttons = QWidget(frame)
        money = QHBoxLayout(self.money_buttons)
        money.setContentsMargins(theme.SPACE_M, 0, 0, 0)
        money.setSpacing(theme.SPACE_XS)
        self.pay_button = QPushButton("Take payment…", self.money_buttons)
        self.pay_button.setObjectName("payButton")
        self.plan_button = QPushButton("Plan…", self.money_buttons)
        self.history_button = QPushButton("Payments…", self.money_buttons)
        for button in (self.pay_button, self.plan_button, self.history_button):
            money.addWidget(button)
        top.addWidget(self.money_buttons)

        self.fields: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(theme.SPACE_M)
        grid.setVerticalSpacing(2)
        placement = [
            ("DOB", 0, 0),
            ("Phone", 0, 1),
            ("Alt phone", 0, 2),
            ("Language", 0, 3),
            ("Address", 1, 0),
            ("Email", 1, 3),
        ]
        for name, row, col in placement:
            label = QLabel(name, frame)
            label.setObjectName("fieldName")
            value = QLabel(frame)
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            value.setAccessibleName(name)
            value.setWordWrap(name == "Address")
            span = 3 if name == "Address" else 1
            grid.addWidget(label, row * 2, col, 1, span)
            grid.addWidget(value, row * 2 + 1, col, 1, span)
            self.fields[name] = value
        for col in range(4):
            grid.setColumnStretch(col, 1)

        layout = QVBoxLayout(frame)
        layout.setContentsMargins(theme.SPACE_M, theme.SPACE_S, theme.SPACE_M, theme.SPACE_S)
        layout.setSpacing(theme.SPACE_S)
        layout.addLayout(top)
        layout.addLayout(grid)
        return frame

    def _build_figures(self) -> QHBoxLayout:
        self.balance = _Figure("Balance", self.content, scale=1.9)
        self.with_insurance = _Figure("With insurance", self.content)
        self.last_payment = _Figure("Last payment", self.content)
        self.oldest_charge = _Figure("Oldest open charge", self.content)
        row = QHBoxLayout()
        row.setSpacing(theme.SPACE_S)
        row.addWidget(self.balance, 4)
        for figure in (self.with_insurance, self.last_payment, self.oldest_charge):
            figure.value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
            row.addWidget(figure, 3)
        return row

    def _section_title(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self.content)
        label.setObjectName("sectionTitle")
        label.setBuddy(buddy)
        return label

    def _table(
        self, model: RecordTableModel[Any], name: str, stretch: tuple[int, ...] = (0,)
    ) -> QTableView:
        table = QTableView(self.content)
        table.setModel(model)
        table.setAccessibleName(name)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        lines = model.lines_per_row
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(
            round(theme.line_height(table) * (lines + 0.6))
        )
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Stretched columns share what is left, and elide (full text in the tooltip).
        for column in stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        model.modelReset.connect(lambda: _fit_height(table, model.rowCount()))
        _fit_height(table, 0)
        return table

    # -- public -----------------------------------------------------------------------
    def set_desk(self, desk: Desk | None) -> None:
        self._desk = desk
        self.explainer.set_desk(desk)
        if desk is not None:
            self.verify.set_policy(desk.policy.verification)

    def set_calls(self, calls: CallController) -> None:
        """Mask accounts during calls until the caller is verified for them."""
        self._calls = calls
        calls.verified.connect(self._on_verified)
        calls.verificationFailed.connect(self._on_verification_failed)
        calls.verificationError.connect(self.verify.show_error)
        calls.callStarted.connect(self.reopen)
        self.verify.checkRequested.connect(self._check)

    @property
    def masked(self) -> bool:
        """Whether the identity check stands in for the account."""
        return self.stack.currentWidget() is self.verify

    def refresh(self) -> None:
        """Money moved: load the figures and the explanation again."""
        if self._current is not None and not self.masked:
            self.open_account(*self._current)
            if self._detail is not None:
                self.explainer.load(self._detail.id)  # the explanation is stale too

    def reopen(self) -> None:
        """Open the current account again (a call started: it may now be masked)."""
        if self._current is not None:
            self.open_account(*self._current)

    @property
    def detail(self) -> AccountDetail | None:
        """The account on screen, or None."""
        return self._detail

    def open_account(self, account_id: uuid.UUID, patient_id: uuid.UUID | None = None) -> None:
        """Load and show an account; ``patient_id`` (if any) is highlighted in the patients."""
        if self._desk is None:
            return
        self._highlight = patient_id
        self._current = (account_id, patient_id)
        if self._calls is not None and self._calls.masks(account_id):
            self._calls.about(account_id, patient_id)
            self._forget_detail()
            # At once: nothing of the account shown before stays on screen meanwhile.
            self.verify.show_loading(account_id)
            self.stack.setCurrentWidget(self.verify)
            self._runner.submit(self._desk.account_card, account_id)
            return
        if self._calls is not None:
            self._calls.about(account_id, patient_id)
        if self._detail is None:
            self.empty.setText(LOADING_TEXT)
            self.stack.setCurrentWidget(self.empty)
        self._runner.submit(self._desk.account, account_id, patient_id)

    def clear(self) -> None:
        self._runner.outdate()
        self._current = None
        self._forget_detail()
        self.empty.setText(EMPTY_TEXT)
        self.stack.setCurrentWidget(self.empty)

    def _forget_detail(self) -> None:
        """Drop everything shown of an account (before masking it, or clearing)."""
        self._detail = None
        self.patients_model.set_rows(())
        self.coverage_model.set_rows(())
        self.explainer.clear()

    def _check(self, answers: object, caller_name: str, relationship: object) -> None:
        card = self.verify.card
        if self._calls is None or card is None:
            return
        from app.domain.call import CallError

        try:
            self._calls.verify(card.id, answers, caller_name, relationship)  # type: ignore[arg-type]
        except CallError as exc:
            self.verify.show_error(str(exc))

    def _on_verified(self, account_id: object) -> None:
        if self._current is not None and self._current[0] == account_id:
            self.open_account(*self._current)

    def _on_verification_failed(self, account_id: object, result: Verification) -> None:
        card = self.verify.card
        if self.masked and card is not None and card.id == account_id:
            self.verify.show_result(result)

    # -- answers ----------------------------------------------------------------------
    def _on_loaded(self, seq: int, detail: object) -> None:
        if seq != self._runner.latest_seq:
            return
        if isinstance(detail, AccountCard):
            self.verify.show_card(detail)
            self.stack.setCurrentWidget(self.verify)
            return
        if not isinstance(detail, AccountDetail):
            return
        if self._calls is not None and self._calls.masks(detail.id):
            self.reopen()  # a call started while it loaded: check the caller first
            return
        same_account = self._detail is not None and self._detail.id == detail.id
        self._detail = detail
        self._show(detail)
        if not same_account or self.explainer.view is None:
            self.explainer.load(detail.id)
        self.stack.setCurrentWidget(self.content)
        self.accountShown.emit(detail)

    def _on_failed(self, seq: int, error: object) -> None:
        if seq != self._runner.latest_seq:
            return
        log.warning("opening an account failed: %s", type(error).__name__)
        if isinstance(error, AccountNotFound):
            message = "That account is not on this desk any more. Search again."
        else:
            message = (
                "The account could not be opened. Try again; if it keeps failing, "
                "check the database connection."
            )
        self._detail = None
        self.empty.setText(message)
        self.stack.setCurrentWidget(self.empty)
        self.accountFailed.emit(message)

    def _show(self, d: AccountDetail) -> None:
        self.guarantor.setText(d.guarantor_name)
        self.account_number.setText(f"Account {d.account_number}")
        values = {
            "DOB": us_date(d.guarantor_dob) or "—",
            "Phone": d.phone or "—",
            "Alt phone": d.alt_phone or "—",
            "Language": language_name(d.preferred_language) or "—",
            "Address": d.address or "—",
            "Email": d.email or "—",
        }
        for name, value in values.items():
            self.fields[name].setText(value)

        pending = d.pending_insurance_cents
        text, note = balance_figure(d.balance_cents, pending)
        self.balance.show_value(text, note, theme.CREDIT if d.balance_cents < 0 else None)
        self.with_insurance.show_value(
            format_usd(pending),
            "Waiting on insurance" if pending else "Nothing pending",
        )
        if d.last_payment_cents is not None:
            on = f"on {us_date(d.last_payment_on)}" if d.last_payment_on else ""
            self.last_payment.show_value(format_usd(d.last_payment_cents), on)
        else:
            self.last_payment.show_value("None", "No payment on file")
        if d.oldest_open_charge_on is not None:
            days = (self._today() - d.oldest_open_charge_on).days
            self.oldest_charge.show_value(
                us_date(d.oldest_open_charge_on),
                ("Yesterday" if days == 1 else f"{days:,} days ago") if days > 0 else "Today",
            )
        else:
            self.oldest_charge.show_value("None", "No open charges")

        self.patients_model.set_rows(d.patients)
        self.coverage_model.set_rows(d.coverages)
        self._apply_highlight()

    def _apply_highlight(self) -> None:
        row = self.patients_model.set_highlighted(self._highlight)
        selection = self.patients_table.selectionModel()
        if row < 0:
            selection.clearSelection()
            return
        index = self.patients_model.index(row, 0)
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.patients_table.scrollTo(index)

    def highlighted_patient_row(self) -> int:
        """The row of the highlighted patient in the patients table, or -1."""
        return self.patients_model.row_of(self._highlight) if self._highlight else -1
