"""An account's payments and refunds, newest first, with a copy of any receipt one click
(or Enter) away and a refund of a credit balance."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.money import format_usd
from app.services.payments import PaymentInfo
from ui import theme
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk

_Index = QModelIndex | QPersistentModelIndex
_STATUS_WORDS = {
    "approved": "Approved",
    "declined": "Declined",
    "pending": "Waiting for the gateway",
    "voided": "Not charged",
    "returned": "Returned by the bank",
    "refunded": "Refunded",
}
_HAS_RECEIPT = frozenset({"approved", "returned", "refunded"})


class PaymentsModel(QAbstractTableModel):
    HEADERS = ("Date", "What", "Amount", "Method", "Status", "Receipt", "Taken by")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PaymentInfo] = []

    def set_rows(self, rows: list[PaymentInfo]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        p = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            local = p.taken_at.astimezone()
            what = "Plan installment" if p.plan_id else "Payment"
            status = _STATUS_WORDS.get(p.status, p.status)
            return (
                f"{local:%m/%d/%Y %I:%M %p}",
                "Refund" if p.kind == "refund" else what,
                format_usd(p.amount_cents),
                p.method_label,
                f"{status}: {p.message}" if p.message and p.status != "approved" else status,
                p.receipt_number if p.status in _HAS_RECEIPT else "",
                p.taken_by,
            )[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and p.status != "approved":
            from PySide6.QtGui import QColor

            return QColor(theme.ERROR if p.status in ("declined", "returned") else theme.TEXT_MUTED)
        return None


class HistoryDialog(QDialog):
    """Payments and refunds of one account. ``receiptRequested`` asks for a copy of a
    receipt; ``refundRequested`` for a refund of the account's credit."""

    receiptRequested = Signal(object)  # payment id
    refundRequested = Signal(object, str, int)  # this history's account, label, balance

    def __init__(
        self, desk: Desk, account_id: uuid.UUID, account_label: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Payments and receipts · {account_label}")
        self.setObjectName("paymentHistory")
        self._desk = desk
        self._account_id = account_id
        self._account_label = account_label
        self._balance = 0  # as last loaded
        self.model = PaymentsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # the status says why
        self.table.setWordWrap(True)
        self.table.setAccessibleName("Payments")
        self.status = QLabel("Loading…", self)
        self.status.setObjectName("muted")
        self.receipt_button = QPushButton("&Receipt copy…", self)
        self.receipt_button.setObjectName("receiptButton")
        self.receipt_button.setEnabled(False)
        self.check_button = QPushButton("&Check again", self)
        self.check_button.setObjectName("checkAgainButton")
        self.check_button.setToolTip("Ask the gateway what became of a payment still waiting")
        self.check_button.setVisible(False)
        self.refund_button = QPushButton("Re&fund credit…", self)
        self.refund_button.setObjectName("refundButton")
        self.refund_button.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.receipt_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.refund_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.resize(theme.char_width(self, 150), theme.line_height(self) * 22)

        self.receipt_button.clicked.connect(self._ask_receipt)
        self.table.doubleClicked.connect(lambda _index: self._ask_receipt())
        self.table.activated.connect(lambda _index: self._ask_receipt())
        self.refund_button.clicked.connect(
            lambda: self.refundRequested.emit(self._account_id, self._account_label, self._balance)
        )
        self.check_button.clicked.connect(self._check_again)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_loaded)
        self._runner.failed.connect(
            lambda _seq, _error: self.status.setText("The payments could not be loaded.")
        )
        self.reload()

    def reload(self) -> None:
        self._runner.submit(_load, self._desk, self._account_id)

    def selected(self) -> PaymentInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def _on_loaded(self, _seq: int, result: object) -> None:
        payments, balance = result  # type: ignore[misc]
        self._balance = balance
        self.model.set_rows(payments)
        self.table.resizeRowsToContents()
        self.check_button.setEnabled(True)
        self.status.setText(
            f"{len(payments)} payment(s) and refund(s). "
            + (f"Credit on the account: {format_usd(-balance)}." if balance < 0 else "")
            if payments
            else "No payments on this account yet."
        )
        self.refund_button.setVisible(balance < 0)
        if payments:
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.receipt_button.setEnabled(chosen is not None and chosen.status in _HAS_RECEIPT)
        self.check_button.setVisible(chosen is not None and chosen.status == "pending")

    def _check_again(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.status != "pending":
            return
        self.check_button.setEnabled(False)
        self.status.setText("Asking the gateway…")
        self._runner.submit(_recheck, self._desk, self._account_id, chosen.id)

    def _ask_receipt(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.status in _HAS_RECEIPT:
            self.receiptRequested.emit(chosen.id)


def _recheck(
    desk: Desk, account_id: uuid.UUID, payment_id: uuid.UUID
) -> tuple[list[PaymentInfo], int]:
    """Ask about one waiting payment (same key, never a second charge), then reload."""
    import contextlib

    from app.integrations.gateway import GatewayError

    with contextlib.suppress(GatewayError):  # still out of reach: it stays waiting
        desk.payments.recheck(payment_id)
    return _load(desk, account_id)


def _load(desk: Desk, account_id: uuid.UUID) -> tuple[list[PaymentInfo], int]:
    explanation, _ = desk.payments.open_visits(account_id)
    return desk.payments.history(account_id), explanation.balance
