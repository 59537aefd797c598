"""The conflicts dialog: changes the central database refused because someone changed the
same record first. A person chooses, for each, to keep this desk's version or take the
central one; nothing is decided silently. Reads and decisions run in workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.sync import CentralLink

RECORD_NAMES = {
    "patient": "Patient details",
    "guarantor_account": "Account details",
    "coverage": "Coverage",
    "task": "Task",
    "payment_plan": "Payment plan",
    "plan_installment": "Plan installment",
    "interaction": "Call record",
    "hold_segment": "Hold",
    "dispute": "Dispute",
    "assistance_application": "Assistance application",
}


class ConflictsDialog(QDialog):
    def __init__(self, link: CentralLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.setWindowTitle("Sync conflicts")
        self._conflicts: list[Any] = []
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_answer)
        self._runner.failed.connect(self._on_failed)

        intro = QLabel(
            "Someone changed these records on another desk before this desk's change "
            "arrived. Choose which version stands.",
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Record", "Changed here", "Noticed"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.message = QLabel("", self)
        self.message.setObjectName("muted")
        self.keep_button = QPushButton("Keep this desk's version", self)
        self.take_button = QPushButton("Take the central version", self)
        for button in (self.keep_button, self.take_button):
            button.setEnabled(False)
        self.keep_button.clicked.connect(lambda: self._decide("mine"))
        self.take_button.clicked.connect(lambda: self._decide("theirs"))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.take_button)
        buttons.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.SPACE_S)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.resize(theme.char_width(self, 80), theme.line_height(self) * 18)
        self.reload()

    def reload(self) -> None:
        from app.sync.conflicts import open_conflicts

        self.message.setText("Loading…")
        self._runner.submit(lambda: ("list", open_conflicts(self.link.local)))

    def _decide(self, choice: str) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self._conflicts):
            return
        conflict = self._conflicts[row]
        self.keep_button.setEnabled(False)
        self.take_button.setEnabled(False)
        self.message.setText("Saving your choice…")
        self._runner.submit(_resolve, self.link, conflict.id, choice)

    def _on_answer(self, _seq: int, answer: Any) -> None:
        kind, value = answer
        if kind == "list":
            self._show(value)
        else:
            self.reload()

    def _on_failed(self, _seq: int, error: object) -> None:
        self.message.setText(f"Could not do that now ({type(error).__name__}); try again.")
        self._selection_changed()

    def _show(self, conflicts: list[Any]) -> None:
        self._conflicts = conflicts
        self.table.setRowCount(len(conflicts))
        for row, conflict in enumerate(conflicts):
            name = RECORD_NAMES.get(conflict.table, conflict.table.replace("_", " ").title())
            what = (
                "refused by the centre: a number already in use there; correct it, then keep"
                if conflict.reason == "refused"
                else f"version {conflict.local_version} (central: {conflict.central_version})"
            )
            cells = (
                name,
                what,
                f"{conflict.detected_at.astimezone():%m/%d/%Y %H:%M}",
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.message.setText("No conflicts." if not conflicts else "")
        if conflicts:
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        chosen = 0 <= self.table.currentRow() < len(self._conflicts)
        self.keep_button.setEnabled(chosen)
        self.take_button.setEnabled(chosen)


def _resolve(link: CentralLink, conflict_id: Any, choice: str) -> tuple[str, None]:
    from app.sync.conflicts import keep_mine, take_theirs

    if choice == "mine":
        keep_mine(link.local, conflict_id)
    else:
        take_theirs(link.local, link.central, conflict_id)
    return ("resolved", None)
