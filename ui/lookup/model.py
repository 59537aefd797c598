"""The lookup results as a Qt table model: one row per patient or guarantor found."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from app.services.views import LookupResult
from ui import theme

ResultRole = Qt.ItemDataRole.UserRole + 1  # the LookupResult behind a row

_ROLE_LABELS = {"patient": "Patient", "guarantor": "Guarantor"}
_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    DOB = 1
    AGE = 2
    ROLE = 3
    ACCOUNT = 4
    PHONE = 5
    BALANCE = 6


_HEADERS = {
    Column.NAME: "Name",
    Column.DOB: "DOB",
    Column.AGE: "Age",
    Column.ROLE: "Role",
    Column.ACCOUNT: "Account",
    Column.PHONE: "Phone",
    Column.BALANCE: "Acct balance",
}
_HEADER_TIPS = {
    Column.ROLE: "Patient, or the guarantor (the person responsible for the account)",
    Column.BALANCE: "The whole account's balance (all its patients); CR marks a credit",
}
_RIGHT = {Column.AGE, Column.BALANCE}


def us_date(value: date | None) -> str:
    """MM/DD/YYYY, as agents read and say dates of birth."""
    return value.strftime("%m/%d/%Y") if value else ""


MASKED = "•••"
MASKED_COLUMNS = frozenset({Column.DOB, Column.AGE, Column.PHONE, Column.BALANCE})


class LookupResultsModel(QAbstractTableModel):
    """Read-only rows of :class:`LookupResult`, replaced as a whole with each answer."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: tuple[LookupResult, ...] = ()
        self._money_font = theme.tabular(QFont())
        self._masks: Callable[[uuid.UUID], bool] | None = None

    def set_masking(self, masks: Callable[[uuid.UUID], bool] | None) -> None:
        """Hide balances of accounts for which ``masks(account_id)`` (a caller on the
        line who is not verified for that account); call again when that changes."""
        self._masks = masks
        if self._results:
            last = self.index(len(self._results) - 1, len(Column) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def _masked(self, result: LookupResult) -> bool:
        return self._masks is not None and self._masks(result.account_id)

    # -- what the panel uses -------------------------------------------------------
    def set_results(self, results: Sequence[LookupResult]) -> None:
        self.beginResetModel()
        self._results = tuple(results)
        self.endResetModel()

    def clear(self) -> None:
        self.set_results(())

    def result_at(self, row: int) -> LookupResult | None:
        return self._results[row] if 0 <= row < len(self._results) else None

    @property
    def results(self) -> tuple[LookupResult, ...]:
        return self._results

    # -- Qt model interface --------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._results)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(column)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        result = self.result_at(index.row()) if index.isValid() else None
        if result is None:
            return None
        column = Column(index.column())
        if column in MASKED_COLUMNS and self._masked(result):
            # The answers the identity check asks for are not shown before it passes.
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return MASKED
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Shown once the caller is verified"
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _alignment(column)
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _display(result, column)
        if role == ResultRole:
            return result
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        if column == Column.BALANCE:
            if role == Qt.ItemDataRole.FontRole:
                return self._money_font
            if role == Qt.ItemDataRole.ForegroundRole:
                return theme.money_colour(result.balance_cents)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(result)
        return None


def _display(result: LookupResult, column: Column) -> str:
    match column:
        case Column.NAME:
            return result.name
        case Column.DOB:
            return us_date(result.date_of_birth)
        case Column.AGE:
            return result.age
        case Column.ROLE:
            return _ROLE_LABELS.get(result.role, result.role.title())
        case Column.ACCOUNT:
            return result.account_number
        case Column.PHONE:
            return result.phone
        case Column.BALANCE:
            return theme.money_text(result.balance_cents)
    return ""  # pragma: no cover - every column is matched above


def _alignment(column: Column) -> Qt.AlignmentFlag:
    horizontal = Qt.AlignmentFlag.AlignRight if column in _RIGHT else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


def _tooltip(result: LookupResult) -> str:
    role = _ROLE_LABELS.get(result.role, result.role)
    parts = [result.name, f"{role} on account {result.account_number}"]
    if result.mrn:
        parts.append(f"MRN {result.mrn}")
    return " · ".join(parts)
