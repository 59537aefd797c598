"""Wrap-up: disposition (required, suggested from what was done), notes (required,
pre-filled with the call's actions), escalation, and the after-call work time."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.call import DISPOSITION_WORDS, CallError, Disposition, WrapUp
from app.domain.hold import mm_ss
from ui import theme
from ui.call.controller import CallController

ESCALATION_TARGETS = (
    ("billing_vendor", "Third-party billing vendor"),
    ("manager", "Manager / team lead"),
)
NOTE_TEMPLATES = (
    ("Insert a template…", ""),
    ("Balance questions", "Caller asked about: \nExplained: \nCaller understood: yes / no\n"),
    ("Dispute", "Disputed charge (date of service): \nReason given: \nDocuments requested: \n"),
    ("Insurance update", "New insurance: payer, member ID, group. Verify within 24 hours.\n"),
    ("Callback", "Call back on (date, time): \nNumber: \nAbout: \n"),
)


class WrapUpDialog(QDialog):
    def __init__(self, controller: CallController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Wrap up the call")
        self._controller = controller
        call = controller.call
        assert call is not None

        self.disposition = QComboBox(self)
        self.disposition.setAccessibleName("Disposition")
        self.disposition.addItem("Choose a disposition…", None)
        for disposition, words in DISPOSITION_WORDS.items():
            self.disposition.addItem(words, disposition)
        suggested = call.suggested_disposition()
        if suggested is not Disposition.OTHER:
            self.disposition.setCurrentIndex(self.disposition.findData(suggested))
        self.disposition_error = _error_label(self)
        self.template = QComboBox(self)
        self.template.setAccessibleName("Note template")
        for title, text in NOTE_TEMPLATES:
            self.template.addItem(title, text)
        self.notes = QPlainTextEdit(self)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlainText("\n".join(call.summary_lines()) + "\n")
        self.notes.setMinimumHeight(theme.line_height(self) * 8)
        self.notes_error = _error_label(self)
        self.escalate = QCheckBox("&Escalate this call", self)
        self.target = QComboBox(self)
        self.target.setAccessibleName("Escalate to")
        self.target.addItem("Choose who…", None)
        for value, words in ESCALATION_TARGETS:
            self.target.addItem(words, value)
        self.target.setEnabled(False)
        self.target_error = _error_label(self)
        self.after_call = QLabel(self)
        self.after_call.setAccessibleName("After-call work time")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Save wrap-up")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Later")

        form = QFormLayout()
        form.addRow("&Disposition", _stacked(self.disposition, self.disposition_error))
        form.addRow("Te&mplate", self.template)
        form.addRow("&Notes", _stacked(self.notes, self.notes_error))
        form.addRow("", self.escalate)
        form.addRow("Escalate &to", _stacked(self.target, self.target_error))
        form.addRow("After-call work", self.after_call)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.buttons)

        self.template.activated.connect(self._insert_template)
        self.escalate.toggled.connect(self.target.setEnabled)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        controller.ticked.connect(self._show_after_call)
        self._show_after_call()
        self.resize(theme.char_width(self, 70), self.sizeHint().height())

    def _insert_template(self, index: int) -> None:
        text = self.template.itemData(index)
        if text:
            self.notes.moveCursor(self.notes.textCursor().MoveOperation.End)
            self.notes.insertPlainText(("\n" if self.notes.toPlainText() else "") + text)
            self.notes.setFocus()
        self.template.setCurrentIndex(0)

    def _show_after_call(self) -> None:
        call = self._controller.call
        if call is not None:
            self.after_call.setText(mm_ss(call.after_call_seconds()))

    def save(self) -> None:
        for label in (self.disposition_error, self.notes_error, self.target_error):
            label.hide()
        disposition = self.disposition.currentData()
        notes = self.notes.toPlainText().strip()
        target = self.target.currentData() if self.escalate.isChecked() else None
        problems = False
        if disposition is None:
            _show(self.disposition_error, "Choose what the call was about")
            problems = True
        if not notes:
            _show(self.notes_error, "Notes are required")
            problems = True
        if self.escalate.isChecked() and target is None:
            _show(self.target_error, "Choose who the call is escalated to")
            problems = True
        if problems:
            return
        try:
            self._controller.finish(
                WrapUp(Disposition(disposition), notes, self.escalate.isChecked(), target)
            )
        except CallError as exc:
            _show(self.notes_error, str(exc))
            return
        self.accept()


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("fieldError")
    label.hide()
    return label


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.show()


def _stacked(field: QWidget, error: QLabel) -> QWidget:
    box = QWidget(field.parentWidget())
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(field)
    column.addWidget(error, 0, Qt.AlignmentFlag.AlignLeft)
    return box
