"""Dialogs for the money that did not simply go through: declined and returned payments,
write-offs and adjustments (with their approvals), refunds of credits, ledger corrections
and moving a visit back to insurance.

Every call to the desk runs in a worker (:class:`ui.workers.TaskRunner`); an answer that
is not the newest for its dialog is dropped. A refusal (:class:`DeskError`, a sentence for
the agent) is shown in a label next to the field it is about, the typed text kept;
anything else is named by its type only, never by its message.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.adjustments import AdjustmentReason
from app.domain.allocation import OpenVisit
from app.domain.codes import LedgerKind
from app.domain.money import format_usd
from app.domain.payment_entry import parse_amount
from app.integrations.gateway import GatewayError, GatewayUnavailable
from app.services.adjustments import (
    AdjustmentInfo,
    CoverageChoice,
    EntryInfo,
    VisitChoice,
)
from app.services.errors import DeskError
from app.services.payments import PaymentInfo, PaymentOutcome, new_key
from ui import theme
from ui.account.models import RecordTableModel, _Column
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk

log = logging.getLogger(__name__)

WHOLE_ACCOUNT = "Whole account"
LOADING = "Loading…"
KIND_CHOICES = (
    (LedgerKind.WRITE_OFF, "Write-off"),
    (LedgerKind.PATIENT_ADJUSTMENT, "Adjustment"),
)


# -- shared pieces -------------------------------------------------------------------------


def local_stamp(instant: datetime | None) -> str:
    """A stored (UTC) instant as the agent reads it: ``11/23/2026 2:05 PM``."""
    if instant is None:
        return ""
    local = instant.astimezone() if instant.tzinfo else instant
    return local.strftime("%m/%d/%Y %I:%M %p").replace(" 0", " ")


def us_day(value: date | None) -> str:
    return value.strftime("%m/%d/%Y") if value else ""


def problem_text(exc: BaseException) -> str:
    """What to show for a failed call: a desk refusal's own sentence; anything else by
    its type only (a message from a driver could quote data)."""
    if isinstance(exc, DeskError | ValueError):
        return str(exc)
    if isinstance(exc, GatewayUnavailable):
        return "The payment gateway cannot be reached. Try again in a few minutes."
    if isinstance(exc, GatewayError):
        return "The payment gateway did not answer. Try again in a few minutes."
    log.warning("ledger tools: a call failed (%s)", type(exc).__name__)
    return (
        f"The desk could not do this ({type(exc).__name__}). Try again; if it persists, "
        "tell a lead."
    )


def _error_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.hide()
    return label


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _stacked(field: QWidget, error: QLabel) -> QWidget:
    box = QWidget(field.parentWidget())
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(field)
    column.addWidget(error)
    return box


def _table(parent: QWidget, model: RecordTableModel[Any], name: str) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _selected_row(table: QTableView) -> int:
    rows = table.selectionModel().selectedRows() if table.selectionModel() else []
    return rows[0].row() if rows else -1


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _amount_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# -- declined and returned payments ---------------------------------------------------------


class DeclinedModel(RecordTableModel[PaymentInfo]):
    columns = (
        _Column[PaymentInfo]("Date", lambda p: local_stamp(p.taken_at)),
        _Column[PaymentInfo]("Account", lambda p: p.account_number),
        _Column[PaymentInfo]("Payer", lambda p: p.payer_name),
        _Column[PaymentInfo](
            "Amount", lambda p: format_usd(p.amount_cents), right=True, money=True
        ),
        _Column[PaymentInfo]("Method", lambda p: p.method_label),
        _Column[PaymentInfo]("The bank said", lambda p: _sentence(p.message or p.status)),
    )

    def extra_data(self, record: PaymentInfo, column: _Column[PaymentInfo], role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column.title == "The bank said":
            return column.text(record)
        return None


class DeclinedPaymentsDialog(QDialog):
    """Declined card payments and returned bank payments that no later payment replaced.
    "Reprocess with another card" hands the row to whoever opens the payment form (with
    ``retry_of_id``, so the row leaves the list once the new payment goes through)."""

    reprocessRequested = Signal(object, object, int)  # account id, payment id, amount cents

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Declined and returned payments")
        self._desk = desk
        self._loader = TaskRunner(self)
        self._returns = TaskRunner(self)
        self._returns_note = ""  # what the last check of returns found, kept on refresh

        self.model = DeclinedModel(self)
        self.table = _table(self, self.model, "Declined payments")
        self.table.setWordWrap(True)  # the bank's words in full, over two lines if need be
        self.status = QLabel(LOADING, self)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.error = _error_label(self, "Problem")
        self.reprocess = QPushButton("&Reprocess with another card…", self)
        self.reprocess.setEnabled(False)
        self.reprocess.setToolTip("Open the payment form for this amount on this account")
        self.check_returns = QPushButton("Check &ACH returns", self)
        self.check_returns.setToolTip("Ask the processor for bank payments sent back")
        self.refresh_button = QPushButton("Re&fresh", self)
        self.close_button = QPushButton("Close", self)

        buttons = QHBoxLayout()
        buttons.addWidget(self.reprocess)
        buttons.addWidget(self.check_returns)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.close_button)
        column = QVBoxLayout(self)
        column.addWidget(self.table, 1)
        column.addWidget(self.status)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self._loader.succeeded.connect(self._loaded)
        self._loader.failed.connect(self._load_failed)
        self._returns.succeeded.connect(self._returns_done)
        self._returns.failed.connect(self._returns_failed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self._reprocess())
        self.reprocess.clicked.connect(self._reprocess)
        self.check_returns.clicked.connect(self.process_returns)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.accept)
        self.resize(theme.char_width(self, 150), theme.line_height(self) * 24)
        self.refresh()

    def refresh(self) -> None:
        self._returns_note = ""
        self.status.setText(LOADING)
        self._loader.submit(self._desk.payments.declined)

    def process_returns(self) -> None:
        self.check_returns.setEnabled(False)
        _show(self.error, "")
        self.status.setText("Asking the processor for returned bank payments…")
        self._returns.submit(self._desk.payments.process_returns)

    def selected(self) -> PaymentInfo | None:
        return self.model.row_at(_selected_row(self.table))

    def _loaded(self, seq: int, rows: list[PaymentInfo]) -> None:
        if seq != self._loader.latest_seq:
            return
        self.model.set_rows(rows)
        if rows:
            text = (
                f"{len(rows)} payment{'s' if len(rows) != 1 else ''} to work: call the payer "
                "and reprocess with another card or bank account."
            )
        else:
            text = "No declined or returned payments to work."
        self.status.setText(f"{self._returns_note} {text}".strip())
        self.table.resizeRowsToContents()
        self._selection_changed()

    def _load_failed(self, seq: int, exc: BaseException) -> None:
        if seq == self._loader.latest_seq:
            self.status.setText("")
            _show(self.error, problem_text(exc))

    def _returns_done(self, seq: int, count: int) -> None:
        if seq != self._returns.latest_seq:
            return
        self.check_returns.setEnabled(True)
        if count:
            self._returns_note = (
                f"{count} bank payment{'s' if count != 1 else ''} came back: reversed on "
                "the ledger, and a task made to call each payer."
            )
        else:
            self._returns_note = "No bank payments came back."
        self.status.setText(self._returns_note)
        self._loader.submit(self._desk.payments.declined)

    def _returns_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._returns.latest_seq:
            return
        self.check_returns.setEnabled(True)
        self.status.setText("")
        _show(self.error, problem_text(exc))

    def _selection_changed(self, *_args: object) -> None:
        row = self.selected()
        self.reprocess.setEnabled(row is not None and row.kind == "payment")

    def _reprocess(self) -> None:
        row = self.selected()
        if row is None or row.kind != "payment":
            return
        self.reprocessRequested.emit(row.account_id, row.id, row.amount_cents)


# -- write-offs and adjustments -------------------------------------------------------------


def _visit_label(visit: OpenVisit) -> str:
    return f"{visit.service_date:%m/%d/%Y} {visit.patient} ({format_usd(visit.due_cents)} due)"


class AdjustDialog(QDialog):
    """A write-off or adjustment on the account or one visit. Within the agent's limit it
    posts at once; above it, it waits for a lead (the dialog says which)."""

    adjusted = Signal(object)  # AdjustmentInfo, posted or waiting

    def __init__(
        self,
        desk: Desk,
        account_id: uuid.UUID,
        account_label: str,
        visits: Sequence[OpenVisit] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Write-off or adjustment: {account_label}")
        self._desk = desk
        self._account_id = account_id
        self._runner = TaskRunner(self)
        self._visits_runner = TaskRunner(self)
        self.result_info: AdjustmentInfo | None = None

        self.limit = QLabel(desk.adjustments.limit_text(), self)
        self.limit.setObjectName("muted")
        self.limit.setWordWrap(True)
        self.amount = QLineEdit(self)
        self.amount.setAccessibleName("Amount")
        self.amount.setPlaceholderText("0.00")
        self.amount_error = _error_label(self, "Amount problem")
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind")
        for kind, words in KIND_CHOICES:
            self.kind.addItem(words, kind)
        self.kind_error = _error_label(self, "Kind problem")
        self.reason = QComboBox(self)
        self.reason.setAccessibleName("Reason")
        self.reason.addItem("Choose a reason…", None)
        for reason in AdjustmentReason:
            self.reason.addItem(reason.label, reason)
        self.reason_error = _error_label(self, "Reason problem")
        self.visit = QComboBox(self)
        self.visit.setAccessibleName("Visit")
        self.visit.addItem(WHOLE_ACCOUNT, None)
        self.visit_error = _error_label(self, "Visit problem")
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("Why (at most 200 characters)")
        self.note_error = _error_label(self, "Note problem")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Result")
        self.error = _error_label(self, "Problem")
        self.submit = QPushButton("&Post", self)
        self.submit.setDefault(True)
        self.cancel = QPushButton("Cancel", self)

        form = QFormLayout()
        form.addRow("", self.limit)
        form.addRow("&Amount", _stacked(self.amount, self.amount_error))
        form.addRow("&Kind", _stacked(self.kind, self.kind_error))
        form.addRow("&Reason", _stacked(self.reason, self.reason_error))
        form.addRow("&Visit", _stacked(self.visit, self.visit_error))
        form.addRow("&Note", _stacked(self.note, self.note_error))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit)
        buttons.addWidget(self.cancel)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.result)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self._fields = {
            "amount": self.amount_error,
            "kind": self.kind_error,
            "reason": self.reason_error,
            "visit": self.visit_error,
            "note": self.note_error,
        }
        self.amount.textChanged.connect(self._amount_changed)
        self.submit.clicked.connect(self.send)
        self.cancel.clicked.connect(self.reject)
        self._runner.succeeded.connect(self._done)
        self._runner.failed.connect(self._failed)
        self._visits_runner.succeeded.connect(self._visits_loaded)
        self._visits_runner.failed.connect(self._visits_failed)
        if visits is None:
            self.visit.setEnabled(False)
            self._visits_runner.submit(desk.payments.open_visits, account_id)
        else:
            self.set_visits(visits)
        self.resize(theme.char_width(self, 80), self.sizeHint().height())

    def set_visits(self, visits: Sequence[OpenVisit]) -> None:
        current = self.visit.currentData()
        self.visit.clear()
        self.visit.addItem(WHOLE_ACCOUNT, None)
        for visit in visits:
            self.visit.addItem(_visit_label(visit), visit.encounter_id)
        found = self.visit.findData(current)
        self.visit.setCurrentIndex(max(found, 0))
        self.visit.setEnabled(True)

    def _visits_loaded(self, seq: int, answer: tuple[object, list[OpenVisit]]) -> None:
        if seq == self._visits_runner.latest_seq:
            self.set_visits(answer[1])

    def _visits_failed(self, seq: int, exc: BaseException) -> None:
        if seq == self._visits_runner.latest_seq:
            self.visit.setEnabled(True)
            _show(self.visit_error, problem_text(exc))

    def _amount_changed(self, text: str) -> None:
        _show(self.amount_error, "")
        try:
            cents = parse_amount(text)
        except ValueError:
            self.submit.setText("&Post")
            return
        limit = self._desk.adjustments.own_limit_cents()
        waits = limit is not None and cents > limit
        self.submit.setText("&Send for approval" if waits else "&Post")

    def send(self) -> None:
        for label in (*self._fields.values(), self.error):
            _show(label, "")
        problems = False
        try:
            cents = parse_amount(self.amount.text())
        except ValueError as exc:
            _show(self.amount_error, str(exc))
            problems = True
        reason = self.reason.currentData()
        if reason is None:
            _show(self.reason_error, "Choose a reason.")
            problems = True
        note = self.note.text().strip()
        if len(note) > 200:
            _show(self.note_error, f"The note holds at most 200 characters ({len(note)} typed).")
            problems = True
        if problems:
            return
        self.submit.setEnabled(False)
        self.result.setText("Sending…")
        self._runner.submit(
            self._desk.adjustments.request,
            self._account_id,
            amount_cents=cents,
            reason=reason,
            kind=self.kind.currentData(),
            encounter_id=self.visit.currentData(),
            note=note,
        )

    def _done(self, seq: int, info: AdjustmentInfo) -> None:
        if seq != self._runner.latest_seq:
            return
        self.result_info = info
        self.result.setText(info.message)
        for widget in (self.amount, self.kind, self.reason, self.visit, self.note):
            widget.setEnabled(False)
        self.cancel.setText("Close")
        self.adjusted.emit(info)

    def _failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._runner.latest_seq:
            return
        self.submit.setEnabled(True)
        self.result.setText("")
        field = getattr(exc, "field", "")
        _show(self._fields.get(field, self.error), problem_text(exc))


# -- approvals ---------------------------------------------------------------------------------


def _needs_label(needs: str) -> str:
    return {"lead": "A lead", "admin": "An administrator"}.get(needs, needs)


class PendingModel(RecordTableModel[AdjustmentInfo]):
    columns = (
        _Column[AdjustmentInfo]("Asked", lambda a: local_stamp(a.requested_at)),
        _Column[AdjustmentInfo]("By", lambda a: a.requested_by),
        _Column[AdjustmentInfo]("Account", lambda a: a.account_number),
        _Column[AdjustmentInfo]("Payer", lambda a: a.payer_name),
        _Column[AdjustmentInfo]("Visit", lambda a: us_day(a.visit_date) or WHOLE_ACCOUNT),
        _Column[AdjustmentInfo]("Kind", lambda a: a.kind_label),
        _Column[AdjustmentInfo]("Reason", lambda a: a.reason_label),
        _Column[AdjustmentInfo](
            "Amount", lambda a: format_usd(a.amount_cents), right=True, money=True
        ),
        _Column[AdjustmentInfo]("Needs", lambda a: _needs_label(a.needs)),
        _Column[AdjustmentInfo]("Note", lambda a: a.note),
    )


class ApprovalsDialog(QDialog):
    """Write-offs and adjustments waiting for approval. Leads and admins approve or
    reject; everyone else sees the list and why the buttons are off."""

    decided = Signal(object)  # AdjustmentInfo after the decision

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Write-offs waiting for approval")
        self._desk = desk
        self._loader = TaskRunner(self)
        self._decider = TaskRunner(self)
        self._busy = False

        self.model = PendingModel(self)
        self.table = _table(self, self.model, "Requests waiting")
        self.status = QLabel(LOADING, self)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.why = QLabel(self)
        self.why.setObjectName("muted")
        self.why.setWordWrap(True)
        self.why.setAccessibleName("Why the buttons are off")
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Decision note")
        self.note.setPlaceholderText("Note for the decision (optional)")
        self.note_error = _error_label(self, "Note problem")
        self.error = _error_label(self, "Problem")
        self.approve = QPushButton("&Approve", self)
        self.reject_button = QPushButton("Re&ject", self)
        self.close_button = QPushButton("Close", self)
        self.approve.setEnabled(False)
        self.reject_button.setEnabled(False)

        form = QFormLayout()
        form.addRow("&Note", _stacked(self.note, self.note_error))
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        column = QVBoxLayout(self)
        column.addWidget(self.table, 1)
        column.addWidget(self.status)
        column.addWidget(self.why)
        column.addLayout(form)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self._loader.succeeded.connect(self._loaded)
        self._loader.failed.connect(self._load_failed)
        self._decider.succeeded.connect(self._decided)
        self._decider.failed.connect(self._decide_failed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.approve.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        self.close_button.clicked.connect(self.accept)
        if not desk.adjustments.can_approve_any():
            self.why.setText(
                "Only leads and administrators approve write-offs and adjustments; you "
                f"are signed in as {desk.user.role}."
            )
        self.resize(theme.char_width(self, 160), theme.line_height(self) * 24)
        self.refresh()

    def refresh(self) -> None:
        self.status.setText(LOADING)
        self._loader.submit(self._desk.adjustments.pending)

    def selected(self) -> AdjustmentInfo | None:
        return self.model.row_at(_selected_row(self.table))

    def decide(self, approve: bool) -> None:
        row = self.selected()
        if row is None or self._busy:
            return
        _show(self.error, "")
        _show(self.note_error, "")
        note = self.note.text().strip()
        if len(note) > 200:
            _show(self.note_error, f"The note holds at most 200 characters ({len(note)} typed).")
            return
        self._busy = True
        self._selection_changed()
        self.status.setText("Approving…" if approve else "Rejecting…")
        self._decider.submit(self._desk.adjustments.decide, row.id, approve, note)

    def _loaded(self, seq: int, rows: list[AdjustmentInfo]) -> None:
        if seq != self._loader.latest_seq:
            return
        self.model.set_rows(rows)
        if self.status.text() == LOADING:
            self.status.setText(
                f"{len(rows)} request{'s' if len(rows) != 1 else ''} waiting."
                if rows
                else "Nothing is waiting for approval."
            )
        if rows and _selected_row(self.table) < 0:
            self.table.selectRow(0)
        self._selection_changed()

    def _load_failed(self, seq: int, exc: BaseException) -> None:
        if seq == self._loader.latest_seq:
            self.status.setText("")
            _show(self.error, problem_text(exc))

    def _decided(self, seq: int, info: AdjustmentInfo) -> None:
        if seq != self._decider.latest_seq:
            return
        self._busy = False
        self.note.clear()
        self.status.setText(f"{info.account_number}: {info.message}")
        self.decided.emit(info)
        self._loader.submit(self._desk.adjustments.pending)

    def _decide_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._decider.latest_seq:
            return
        self._busy = False
        self.status.setText("")
        field = getattr(exc, "field", "")
        _show(self.note_error if field == "note" else self.error, problem_text(exc))
        self._loader.submit(self._desk.adjustments.pending)

    def _selection_changed(self, *_args: object) -> None:
        row = self.selected()
        allowed = row is not None and row.can_decide and not self._busy
        self.approve.setEnabled(allowed)
        self.reject_button.setEnabled(allowed)
        if not self._desk.adjustments.can_approve_any():
            return  # the sentence about the role stays
        self.why.setText(row.why_not if row is not None and not row.can_decide else "")


# -- refunds of credits ----------------------------------------------------------------------


class RefundDialog(QDialog):
    """Send a credit balance back to the card or bank account that paid it. The
    idempotency key is made once per dialog, so pressing Refund again (a timeout, a double
    click) never sends a second refund; the amount is fixed once it was sent."""

    receiptRequested = Signal(object)  # the refund's payment id
    refunded = Signal(object)  # PaymentOutcome

    def __init__(
        self,
        desk: Desk,
        account_id: uuid.UUID,
        account_label: str,
        credit_cents: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Refund a credit: {account_label}")
        self._desk = desk
        self._account_id = account_id
        self._credit = credit_cents
        self.key = new_key()
        self._runner = TaskRunner(self)
        self.outcome: PaymentOutcome | None = None

        self.credit_label = QLabel(
            f"Credit on the account: {format_usd(credit_cents)}. The refund goes back to "
            "the card or bank account that paid.",
            self,
        )
        self.credit_label.setWordWrap(True)
        self.amount = QLineEdit(_amount_text(credit_cents) if credit_cents > 0 else "", self)
        self.amount.setAccessibleName("Refund amount")
        self.amount_error = _error_label(self, "Amount problem")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Result")
        self.error = _error_label(self, "Problem")
        self.send_button = QPushButton("&Refund", self)
        self.send_button.setDefault(True)
        self.receipt = QPushButton("Re&ceipt…", self)
        self.receipt.setEnabled(False)
        self.close_button = QPushButton("Cancel", self)

        form = QFormLayout()
        form.addRow("", self.credit_label)
        form.addRow("&Amount", _stacked(self.amount, self.amount_error))
        buttons = QHBoxLayout()
        buttons.addWidget(self.receipt)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.close_button)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.result)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self.send_button.clicked.connect(self.send)
        self.receipt.clicked.connect(self._receipt)
        self.close_button.clicked.connect(self.reject)
        self.amount.textChanged.connect(lambda _text: _show(self.amount_error, ""))
        self._runner.succeeded.connect(self._done)
        self._runner.failed.connect(self._failed)
        self.resize(theme.char_width(self, 70), self.sizeHint().height())

    def send(self) -> None:
        _show(self.amount_error, "")
        _show(self.error, "")
        try:
            cents = parse_amount(self.amount.text())
        except ValueError as exc:
            _show(self.amount_error, str(exc))
            return
        if cents > self._credit:
            _show(
                self.amount_error,
                f"The credit is {format_usd(self._credit)}: the refund cannot be larger.",
            )
            return
        # Once sent, this key belongs to this amount: a retry must send the same request.
        self.amount.setReadOnly(True)
        self.amount.setToolTip("Sent with this amount; close and open again for another")
        self.send_button.setEnabled(False)
        self.result.setText("Sending the refund…")
        self._runner.submit(self._desk.payments.refund_credit, self._account_id, cents, self.key)

    def _done(self, seq: int, outcome: PaymentOutcome) -> None:
        if seq != self._runner.latest_seq:
            return
        self.outcome = outcome
        self.result.setText(outcome.message)
        self.refunded.emit(outcome)
        if outcome.approved:
            self.receipt.setEnabled(True)
            self.close_button.setText("Close")
        else:  # pending or declined: pressing again asks with the same key
            self.send_button.setEnabled(True)
            self.send_button.setText("&Try again")

    def _failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._runner.latest_seq:
            return
        self.result.setText("")
        self.send_button.setEnabled(True)
        self.send_button.setText("&Try again")
        _show(self.error, problem_text(exc))

    def _receipt(self) -> None:
        if self.outcome is not None and self.outcome.approved:
            self.receiptRequested.emit(self.outcome.payment_id)


# -- back to insurance ---------------------------------------------------------------------------


class RebillDialog(QDialog):
    """New coverage was found: bill a visit to it. Only visits not already with insurance
    are offered, and only the coverages of that visit's patient."""

    rebilled = Signal(object)  # RebillInfo

    def __init__(
        self,
        desk: Desk,
        account_id: uuid.UUID,
        visits: Sequence[VisitChoice] | None = None,
        coverages: Sequence[CoverageChoice] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bill a visit to new insurance")
        self._desk = desk
        self._account_id = account_id
        self._visits: list[VisitChoice] = []
        self._coverages: list[CoverageChoice] = []
        self._runner = TaskRunner(self)
        self._loader = TaskRunner(self)

        self.explain = QLabel(
            "The visit goes back to insurance: nothing of it is due from the patient while "
            "the new plan decides. No money moves.",
            self,
        )
        self.explain.setObjectName("muted")
        self.explain.setWordWrap(True)
        self.visit = QComboBox(self)
        self.visit.setAccessibleName("Visit")
        self.visit_error = _error_label(self, "Visit problem")
        self.coverage = QComboBox(self)
        self.coverage.setAccessibleName("Coverage")
        self.coverage_error = _error_label(self, "Coverage problem")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Result")
        self.error = _error_label(self, "Problem")
        self.send_button = QPushButton("&Bill to insurance", self)
        self.send_button.setDefault(True)
        self.close_button = QPushButton("Cancel", self)

        form = QFormLayout()
        form.addRow("", self.explain)
        form.addRow("&Visit", _stacked(self.visit, self.visit_error))
        form.addRow("&Coverage", _stacked(self.coverage, self.coverage_error))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.close_button)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.result)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self.visit.currentIndexChanged.connect(self._visit_changed)
        self.send_button.clicked.connect(self.send)
        self.close_button.clicked.connect(self.reject)
        self._runner.succeeded.connect(self._done)
        self._runner.failed.connect(self._failed)
        self._loader.succeeded.connect(self._loaded)
        self._loader.failed.connect(self._load_failed)
        if visits is None or coverages is None:
            self.send_button.setEnabled(False)
            self.result.setText(LOADING)
            self._loader.submit(desk.adjustments.rebill_choices, account_id)
        else:
            self.set_choices(visits, coverages)
        self.resize(theme.char_width(self, 90), self.sizeHint().height())

    def set_choices(
        self, visits: Sequence[VisitChoice], coverages: Sequence[CoverageChoice]
    ) -> None:
        self._visits = [v for v in visits if not v.with_insurance and v.billed_cents > 0]
        self._coverages = list(coverages)
        self.visit.clear()
        self.visit.addItem("Choose a visit…", None)
        for visit in self._visits:
            self.visit.addItem(visit.label, visit.encounter_id)
        if len(self._visits) == 1:
            self.visit.setCurrentIndex(1)
        self._visit_changed()
        self.send_button.setEnabled(bool(self._visits))
        if not self._visits:
            self.result.setText("Every visit is with insurance already, or nothing is billed.")

    def _visit_changed(self, *_args: object) -> None:
        _show(self.visit_error, "")
        _show(self.coverage_error, "")
        self.coverage.clear()
        visit = self._visit()
        if visit is None:
            self.coverage.addItem("Choose a visit first", None)
            self.coverage.setEnabled(False)
            return
        mine = [c for c in self._coverages if c.patient_id == visit.patient_id]
        self.coverage.setEnabled(bool(mine))
        if not mine:
            self.coverage.addItem("No coverage on file for this patient", None)
            _show(self.coverage_error, "Add the new coverage to the patient first.")
            return
        for coverage in mine:
            self.coverage.addItem(coverage.label, coverage.id)

    def _visit(self) -> VisitChoice | None:
        chosen = self.visit.currentData()
        return next((v for v in self._visits if v.encounter_id == chosen), None)

    def send(self) -> None:
        _show(self.visit_error, "")
        _show(self.coverage_error, "")
        _show(self.error, "")
        visit = self._visit()
        coverage_id = self.coverage.currentData()
        if visit is None:
            _show(self.visit_error, "Choose the visit to bill.")
            return
        if coverage_id is None:
            _show(self.coverage_error, "Choose the coverage to bill.")
            return
        self.send_button.setEnabled(False)
        self.result.setText("Billing…")
        self._runner.submit(
            self._desk.adjustments.rebill_to_insurance,
            self._account_id,
            visit.encounter_id,
            coverage_id,
        )

    def _loaded(self, seq: int, answer: tuple[list[VisitChoice], list[CoverageChoice]]) -> None:
        if seq == self._loader.latest_seq:
            self.result.setText("")
            self.set_choices(*answer)

    def _load_failed(self, seq: int, exc: BaseException) -> None:
        if seq == self._loader.latest_seq:
            self.result.setText("")
            _show(self.error, problem_text(exc))

    def _done(self, seq: int, info: Any) -> None:
        if seq != self._runner.latest_seq:
            return
        self.result.setText(info.message)
        self.visit.setEnabled(False)
        self.coverage.setEnabled(False)
        self.close_button.setText("Close")
        self.rebilled.emit(info)

    def _failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._runner.latest_seq:
            return
        self.result.setText("")
        self.send_button.setEnabled(True)
        field = getattr(exc, "field", "")
        target = {"visit": self.visit_error, "coverage": self.coverage_error}.get(field, self.error)
        _show(target, problem_text(exc))


# -- ledger corrections ------------------------------------------------------------------------


class EntriesModel(RecordTableModel[EntryInfo]):
    columns = (
        _Column[EntryInfo]("Posted", lambda e: us_day(e.effective_date)),
        _Column[EntryInfo]("Kind", lambda e: e.kind_label),
        _Column[EntryInfo]("Visit", lambda e: f"{us_day(e.visit_date)} {e.patient}".strip()),
        _Column[EntryInfo]("Amount", lambda e: format_usd(e.amount_cents), right=True, money=True),
        _Column[EntryInfo]("Reversed", lambda e: "Yes" if e.reversed else ""),
        _Column[EntryInfo]("Memo", lambda e: e.memo),
    )

    def extra_data(self, record: EntryInfo, column: _Column[EntryInfo], role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and record.why_not:
            return record.why_not
        if role == Qt.ItemDataRole.ForegroundRole and record.reversed:
            return QColor(theme.TEXT_MUTED)
        return None


class CorrectEntryDialog(QDialog):
    """For leads: undo a ledger entry (a reversal) and, with a new amount, post the right
    one in its place. Nothing in the ledger is ever changed or deleted."""

    corrected = Signal(object)  # CorrectionInfo

    def __init__(self, desk: Desk, account_id: uuid.UUID, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Correct a ledger entry")
        self._desk = desk
        self._account_id = account_id
        self._loader = TaskRunner(self)
        self._runner = TaskRunner(self)

        self.model = EntriesModel(self)
        self.table = _table(self, self.model, "Ledger entries")
        self.why = QLabel(self)
        self.why.setObjectName("muted")
        self.why.setWordWrap(True)
        self.amount = QLineEdit(self)
        self.amount.setAccessibleName("Right amount")
        self.amount.setPlaceholderText("Leave empty to reverse only")
        self.amount_error = _error_label(self, "Amount problem")
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Reason")
        self.note.setPlaceholderText("Why it is corrected (required)")
        self.note_error = _error_label(self, "Reason problem")
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.error = _error_label(self, "Problem")
        self.send_button = QPushButton("&Correct", self)
        self.send_button.setEnabled(False)
        self.close_button = QPushButton("Close", self)

        form = QFormLayout()
        form.addRow("Right &amount", _stacked(self.amount, self.amount_error))
        form.addRow("&Reason", _stacked(self.note, self.note_error))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.close_button)
        column = QVBoxLayout(self)
        column.addWidget(self.table, 1)
        column.addWidget(self.why)
        column.addLayout(form)
        column.addWidget(self.result)
        column.addWidget(self.error)
        column.addLayout(buttons)

        self._loader.succeeded.connect(self._loaded)
        self._loader.failed.connect(self._failed)
        self._runner.succeeded.connect(self._done)
        self._runner.failed.connect(self._failed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.send_button.clicked.connect(self.send)
        self.close_button.clicked.connect(self.accept)
        if not desk.adjustments.can_correct():
            self.why.setText("Only a lead or an administrator can correct the ledger.")
            for widget in (self.amount, self.note):
                widget.setEnabled(False)
        self.resize(theme.char_width(self, 130), theme.line_height(self) * 26)
        self.refresh()

    def refresh(self) -> None:
        self._loader.submit(self._desk.adjustments.entries, self._account_id)

    def selected(self) -> EntryInfo | None:
        return self.model.row_at(_selected_row(self.table))

    def send(self) -> None:
        entry = self.selected()
        for label in (self.amount_error, self.note_error, self.error):
            _show(label, "")
        if entry is None:
            return
        cents: int | None = None
        if self.amount.text().strip():
            try:
                cents = parse_amount(self.amount.text())
            except ValueError as exc:
                _show(self.amount_error, str(exc))
                return
        note = self.note.text().strip()
        if not note:
            _show(self.note_error, "Say why the entry is corrected.")
            return
        self.send_button.setEnabled(False)
        self.result.setText("Posting…")
        self._runner.submit(self._desk.adjustments.correct, entry.id, cents, note)

    def _loaded(self, seq: int, rows: list[EntryInfo]) -> None:
        if seq == self._loader.latest_seq:
            self.model.set_rows(rows)
            self._selection_changed()

    def _done(self, seq: int, info: Any) -> None:
        if seq != self._runner.latest_seq:
            return
        self.result.setText(info.message)
        self.amount.clear()
        self.note.clear()
        self.corrected.emit(info)
        self.refresh()

    def _failed(self, seq: int, exc: BaseException) -> None:
        self.result.setText("")
        field = getattr(exc, "field", "")
        target = {"amount": self.amount_error, "note": self.note_error}.get(field, self.error)
        _show(target, problem_text(exc))
        self._selection_changed()

    def _selection_changed(self, *_args: object) -> None:
        entry = self.selected()
        allowed = self._desk.adjustments.can_correct()
        self.send_button.setEnabled(allowed and entry is not None and entry.correctable)
        if allowed:
            self.why.setText(entry.why_not if entry is not None else "")


__all__ = [
    "AdjustDialog",
    "ApprovalsDialog",
    "CorrectEntryDialog",
    "DeclinedPaymentsDialog",
    "RebillDialog",
    "RefundDialog",
]
