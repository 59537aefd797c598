"""A labelled input with its own error line directly under it, as every form of the desk
shows bad input: the message next to the field, the typed text kept."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from ui import theme


class Field:
    """``<name>Edit`` is the input and ``<name>Error`` its error line (object names, for
    tests and screen readers)."""

    def __init__(self, parent: QWidget, name: str, label: str, widget: QWidget) -> None:
        self.name = name
        self.widget = widget
        widget.setObjectName(f"{name}Edit")
        widget.setAccessibleName(label.replace("&", ""))
        self.label = QLabel(label, parent)
        self.label.setProperty("role", "fieldLabel")
        self.label.setBuddy(widget)
        self.error = QLabel(parent)
        self.error.setObjectName(f"{name}Error")
        self.error.setProperty("role", "fieldError")
        self.error.setWordWrap(True)
        self.error.setContentsMargins(0, 0, 0, theme.SPACE_XS)
        self.error.hide()

    def place(self, grid: QGridLayout, row: int, column: int = 0, span: int = 1) -> None:
        """The label left of the field, the error under the field (two grid rows)."""
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        grid.addWidget(self.label, row, column, align)
        grid.addWidget(self.widget, row, column + 1, 1, span)
        grid.addWidget(self.error, row + 1, column + 1, 1, span)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.widget.setProperty("invalid", True)
        self.widget.setAccessibleDescription(message)
        repolish(self.widget)

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()
        if self.widget.property("invalid"):
            self.widget.setProperty("invalid", False)
            self.widget.setAccessibleDescription("")
            repolish(self.widget)


def repolish(widget: QWidget) -> None:
    """Apply style rules that depend on a property that just changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def wipe(edit: QLineEdit) -> None:
    """Empty a field that held card data, undo history included (``clear()`` alone
    leaves the text one Ctrl+Z away)."""
    edit.clear()
    edit.setText("")
