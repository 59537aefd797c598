"""The results model: what each column shows, and how money and roles read."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.fakes import PEOPLE
from ui.lookup.model import Column, LookupResultsModel, ResultRole


def test_columns_show_what_the_agent_reads(qtbot: QtBot) -> None:
    model = LookupResultsModel()
    model.set_results(PEOPLE)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Name", "DOB", "Age", "Role", "Account", "Phone", "Acct balance"]
    assert model.rowCount() == len(PEOPLE)

    def cell(row: int, column: Column) -> str:
        return model.data(model.index(row, column))

    assert cell(0, Column.NAME) == "Rivera, Ana"
    assert cell(0, Column.DOB) == "03/14/1986"
    assert cell(0, Column.ROLE) == "Guarantor"
    assert cell(1, Column.ROLE) == "Patient"
    assert cell(2, Column.AGE) == "22 mo"
    assert cell(0, Column.BALANCE) == "$482.50"
    assert model.data(model.index(1, 0), ResultRole) is PEOPLE[1]


def test_credit_reads_cr_not_only_colour(qtbot: QtBot) -> None:
    model = LookupResultsModel()
    model.set_results(PEOPLE)
    credit = model.index(3, Column.BALANCE)
    assert model.data(credit) == "$20.00 CR"
    assert model.data(credit, Qt.ItemDataRole.ForegroundRole) is not None
    align = model.data(credit, Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight


def test_clear_and_out_of_range(qtbot: QtBot) -> None:
    model = LookupResultsModel()
    model.set_results(PEOPLE)
    model.clear()
    assert model.rowCount() == 0
    assert model.result_at(0) is None
    assert model.data(model.index(5, 0)) is None
