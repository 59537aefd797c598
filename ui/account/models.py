"""Small read-only table models for the account view: patients and coverage."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.services.views import CoverageInfo, PatientInfo
from ui import theme
from ui.lookup.model import us_date

Row = TypeVar("Row")
_Index = QModelIndex | QPersistentModelIndex

_PRIORITY = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
_SOURCES = {
    "x12_271": "X12 271",
    "clearinghouse": "Clearinghouse",
    "portal": "Payer portal",
    "phone": "Phone",
    "manual": "Manual",
}
NOT_VERIFIED = "Not verified"


class _Column(Generic[Row]):
    def __init__(
        self, title: str, text: Callable[[Row], str], *, right: bool = False, money: bool = False
    ) -> None:
        self.title = title
        self.text = text
        self.right = right
        self.money = money


class RecordTableModel(QAbstractTableModel, Generic[Row]):
    """Rows of immutable records, one column per :class:`_Column`; replaced as a whole."""

    columns: Sequence[_Column[Row]] = ()
    lines_per_row = 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Row, ...] = ()
        self._money_font = theme.tabular(QFont())

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column.right)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.row_at(index.row()) if index.isValid() else None
        if record is None or not 0 <= index.column() < len(self.columns):
            return None
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return column.text(record)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column.right)
        if role == Qt.ItemDataRole.FontRole and column.money:
            return self._money_font
        return self.extra_data(record, column, role)

    def extra_data(self, record: Row, column: _Column[Row], role: int) -> Any:
        """Roles beyond text and alignment (colour, font) for subclasses."""
        return None


def _alignment(right: bool) -> Qt.AlignmentFlag:
    horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


class PatientsModel(RecordTableModel[PatientInfo]):
    """The patients on the account; the one the caller is about can be highlighted."""

    columns = (
        _Column[PatientInfo]("Patient", lambda p: p.name),
        _Column[PatientInfo]("DOB", lambda p: us_date(p.date_of_birth)),
        _Column[PatientInfo]("Age", lambda p: p.age, right=True),
        _Column[PatientInfo]("MRN", lambda p: p.mrn),
        _Column[PatientInfo]("Relationship", lambda p: p.relationship.replace("_", " ").title()),
        _Column[PatientInfo](
            "Balance", lambda p: theme.money_text(p.balance_cents), right=True, money=True
        ),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._highlighted: uuid.UUID | None = None

    def set_highlighted(self, patient_id: uuid.UUID | None) -> int:
        """Mark one patient (bold, tinted); return its row, or -1 if not on this account."""
        self._highlighted = patient_id
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1)
            )
        return self.row_of(patient_id)

    def row_of(self, patient_id: uuid.UUID | None) -> int:
        for row, patient in enumerate(self._rows):
            if patient.id == patient_id:
                return row
        return -1

    def extra_data(self, record: PatientInfo, column: _Column[PatientInfo], role: int) -> Any:
        highlighted = self._highlighted is not None and record.id == self._highlighted
        if role == Qt.ItemDataRole.FontRole and highlighted:
            font = QFont(self._money_font) if column.money else QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and highlighted:
            return QColor(theme.HIGHLIGHT_ROW)
        if role == Qt.ItemDataRole.ForegroundRole and column.money:
            return theme.money_colour(record.balance_cents)
        if role == Qt.ItemDataRole.ToolTipRole and highlighted:
            return "The patient the caller was found by"
        return None


def priority_label(priority: int) -> str:
    return _PRIORITY.get(priority, f"#{priority}")


def verified_label(coverage: CoverageInfo) -> str:
    if coverage.verified_at is None:
        return NOT_VERIFIED
    when = _local_date(coverage.verified_at)
    source = coverage.verification_source
    label = _SOURCES.get(source or "", (source or "").replace("_", " ").title())
    return f"{us_date(when)}\n{label}" if label else us_date(when)


def _local_date(instant: datetime) -> date:
    # Stored instants are UTC; the agent thinks in local dates.
    return instant.astimezone().date() if instant.tzinfo else instant.date()


def member_label(coverage: CoverageInfo) -> str:
    group = f"Group {coverage.group_number}" if coverage.group_number else "No group"
    return f"{coverage.member_id}\n{group}"


class CoverageModel(RecordTableModel[CoverageInfo]):
    """Coverage rows, two lines each (payer over plan, member id over group) so that
    everything fits beside the lookup panel on a 1366-pixel screen."""

    lines_per_row = 2
    columns = (
        _Column[CoverageInfo]("Patient", lambda c: c.patient_name),
        _Column[CoverageInfo]("Priority", lambda c: priority_label(c.priority)),
        _Column[CoverageInfo]("Payer / plan", lambda c: f"{c.payer_name}\n{c.plan_name}"),
        _Column[CoverageInfo]("Member ID / group", member_label),
        _Column[CoverageInfo]("Verified", verified_label),
    )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = super().data(index, role)
        if role == Qt.ItemDataRole.AccessibleTextRole and isinstance(value, str):
            return value.replace("\n", ", ")
        return value

    def extra_data(self, record: CoverageInfo, column: _Column[CoverageInfo], role: int) -> Any:
        unverified = record.verified_at is None and column.title == "Verified"
        if role == Qt.ItemDataRole.ForegroundRole and unverified:
            return QColor(theme.WARNING)
        if role == Qt.ItemDataRole.FontRole and unverified:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            until = f" to {us_date(record.effective_to)}" if record.effective_to else ""
            return (
                f"{record.payer_name} ({record.payer_kind.replace('_', ' ')}) · subscriber "
                f"{record.subscriber_name} · effective {us_date(record.effective_from)}{until}"
            )
        return None
