"""The account view against a fake desk: header, figures, patients, coverage, highlight."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import date

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QThreadPool
from pytestqt.qtbot import QtBot

from app.services.views import AccountDetail
from tests.ui.fakes import ACCOUNT_ID, DETAIL, LEO_ID, MIA_ID, FakeDesk
from ui.account.models import NOT_VERIFIED
from ui.account.view import EMPTY_TEXT, AccountView, balance_figure


@pytest.fixture
def view(qtbot: QtBot, fake_desk: FakeDesk) -> AccountView:
    widget = AccountView(today=lambda: date(2025, 11, 23))
    qtbot.addWidget(widget)
    widget.set_desk(fake_desk)
    widget.resize(900, 650)
    widget.show()
    return widget


def column(model, col: int) -> list[str]:
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def test_empty_until_an_account_is_opened(view: AccountView) -> None:
    assert view.stack.currentWidget() is view.empty
    assert view.empty.text() == EMPTY_TEXT


def test_opened_account_shows_everything(qtbot: QtBot, view: AccountView) -> None:
    with qtbot.waitSignal(view.accountShown, timeout=3000):
        view.open_account(ACCOUNT_ID)
    assert view.stack.currentWidget() is view.content
    assert view.guarantor.text() == "Rivera, Ana"
    assert "A100234" in view.account_number.text()
    assert view.fields["Phone"].text() == "(503) 555-0142"
    assert view.fields["Language"].text() == "Spanish"
    assert "Portland, OR 97209" in view.fields["Address"].text()
    assert view.balance.value.text() == "$482.50"
    assert view.with_insurance.value.text() == "$1,250.00"
    assert view.last_payment.value.text() == "$50.00"
    assert "08/14/2025" in view.last_payment.note.text()
    assert view.oldest_charge.value.text() == "05/03/2025"
    assert view.oldest_charge.note.text() == "204 days ago"
    assert column(view.patients_model, 0) == ["Rivera, Mia", "Rivera, Leo"]
    assert column(view.patients_model, 1) == ["07/02/2016", "01/20/2024"]
    assert column(view.patients_model, 3) == ["M0042117", "M0042118"]
    assert column(view.patients_model, 4) == ["Child", "Child"]
    assert column(view.patients_model, 5) == ["$312.50", "$170.00"]
    assert column(view.coverage_model, 1) == ["Primary", "Secondary", "Primary"]
    assert column(view.coverage_model, 2)[1] == "Oregon Health Plan\nOHP Plus"
    assert column(view.coverage_model, 3) == [
        "CHP88812345\nGroup GRP-7710",
        "OHP0099123\nNo group",
        "CHP88812346\nGroup GRP-7710",
    ]
    verified = column(view.coverage_model, 4)
    assert verified[0].endswith("X12 271")
    assert verified[1] == NOT_VERIFIED
    spoken = view.coverage_model.data(
        view.coverage_model.index(1, 2), Qt.ItemDataRole.AccessibleTextRole
    )
    assert spoken == "Oregon Health Plan, OHP Plus"


def test_the_patient_found_is_highlighted(qtbot: QtBot, view: AccountView) -> None:
    with qtbot.waitSignal(view.accountShown, timeout=3000):
        view.open_account(ACCOUNT_ID, LEO_ID)
    assert view.highlighted_patient_row() == 1
    assert view.patients_table.selectionModel().isRowSelected(1)
    font = view.patients_model.data(view.patients_model.index(1, 0), Qt.ItemDataRole.FontRole)
    assert font.bold()
    assert (
        view.patients_model.data(view.patients_model.index(0, 0), Qt.ItemDataRole.FontRole) is None
    )
    # Opening the same account by its guarantor clears the highlight.
    with qtbot.waitSignal(view.accountShown, timeout=3000):
        view.open_account(ACCOUNT_ID, None)
    assert view.highlighted_patient_row() == -1
    assert not view.patients_table.selectionModel().hasSelection()
    with qtbot.waitSignal(view.accountShown, timeout=3000):
        view.open_account(ACCOUNT_ID, MIA_ID)
    assert view.patients_table.selectionModel().isRowSelected(0)


def test_credit_is_said_in_words() -> None:
    assert balance_figure(-2_000)[0] == "Credit $20.00"
    assert balance_figure(0)[1] == "Nothing owed"
    assert balance_figure(123_456)[0] == "$1,234.56"


def test_credit_account(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    credit = dataclasses.replace(
        DETAIL,
        balance_cents=-2_000,
        last_payment_cents=None,
        last_payment_on=None,
        oldest_open_charge_on=None,
    )
    fake_desk.account = lambda _id, _patient=None: credit  # type: ignore[method-assign]
    view = AccountView()
    qtbot.addWidget(view)
    view.set_desk(fake_desk)
    with qtbot.waitSignal(view.accountShown, timeout=3000):
        view.open_account(ACCOUNT_ID)
    assert view.balance.value.text() == "Credit $20.00"
    assert view.last_payment.note.text() == "No payment on file"
    assert view.oldest_charge.note.text() == "No open charges"


def test_an_account_that_fails_to_open_says_so(qtbot: QtBot, view: AccountView) -> None:
    with qtbot.waitSignal(view.accountFailed, timeout=3000) as failed:
        view.open_account(uuid.uuid4())
    assert "could not be opened" in failed.args[0]
    assert view.stack.currentWidget() is view.empty


def test_the_newest_open_wins(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    other = dataclasses.replace(DETAIL, guarantor_name="Second, Account")
    gate = threading.Event()

    def first_answers_last(account_id: uuid.UUID, _patient: object = None) -> AccountDetail:
        if account_id == ACCOUNT_ID:
            gate.wait(5)  # in the worker: held until the second account is on screen
            return DETAIL
        return other

    fake_desk.account = first_answers_last  # type: ignore[method-assign]
    view = AccountView()
    qtbot.addWidget(view)
    view.set_desk(fake_desk)
    view.open_account(ACCOUNT_ID)
    with qtbot.waitSignal(view.accountShown, timeout=3000):
        view.open_account(uuid.uuid4())
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(3000)
    QCoreApplication.processEvents()  # deliver the late answer, which must be dropped
    assert view.guarantor.text() == "Second, Account"


def test_balance_caption_says_what_is_due_now() -> None:
    assert balance_figure(30_000, 12_000) == ("$300.00", "$180.00 due now")
    assert balance_figure(10_000, 25_000)[1] == "$0.00 due now"
    assert balance_figure(10_000)[1] == "Owed by the guarantor"
