"""The payment dialog on a real desk (its own copy of the demo practice and its own
sandbox gateway): approved, invalid, declined, double click, overpayment, chosen visits,
bank account, gateway down, timeout, secure mode and the keyboard."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.payment_entry import parse_card
from app.integrations.gateway import GatewayResult, GatewayTimeout, PaymentGateway, Source
from app.integrations.sandbox_gateway import DECLINE_WORDS
from app.services.desk import Desk
from app.services.payments import new_key
from app.store.models import Task
from tests.support.desks import accounts_with_due
from ui.payments.form import BANK_TAB, PaymentDialog, amount_text

pytestmark = pytest.mark.gui

VISA = "4242424242424242"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
TIMES_OUT = "4000000000000408"
ROUTING = "110000000"
BANK_ACCOUNT = "000123456789"


@pytest.fixture
def account(paying_desk: Desk) -> uuid.UUID:
    return accounts_with_due(paying_desk, 5_000)[0]


@pytest.fixture
def made(paying_desk: Desk, account: uuid.UUID) -> NewPayments:
    """The account's new payments (snapshot taken before the test acts)."""
    return NewPayments(paying_desk, account)


def open_dialog(qtbot: QtBot, desk: Desk, account_id: uuid.UUID, **kwargs: object) -> PaymentDialog:
    dialog = PaymentDialog(desk, account_id, account_label="Account under test", **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.ready, timeout=10_000)
    return dialog


def child(dialog: PaymentDialog, kind: type, name: str):  # type: ignore[no-untyped-def]
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Replace the field's text by typing, as the agent does."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def fill_card(
    qtbot: QtBot,
    dialog: PaymentDialog,
    number: str = VISA,
    *,
    expiry: str = "12/28",
    cvv: str = "123",
    postal_code: str = "75201",
    name: str = "Pat Payer",
) -> None:
    type_into(qtbot, dialog.number_edit, number)
    type_into(qtbot, dialog.expiry_edit, expiry)
    type_into(qtbot, dialog.cvv_edit, cvv)
    type_into(qtbot, dialog.postal_code_edit, postal_code)
    type_into(qtbot, dialog.name_edit, name)


def click_pay(qtbot: QtBot, dialog: PaymentDialog) -> None:
    qtbot.mouseClick(dialog.pay_button, Qt.MouseButton.LeftButton)


def wait_idle(qtbot: QtBot, dialog: PaymentDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)


def balance(desk: Desk, account_id: uuid.UUID) -> int:
    return desk.explain(account_id).balance


def due_now(desk: Desk, account_id: uuid.UUID) -> int:
    explanation, _ = desk.payments.open_visits(account_id)
    return explanation.due_now


class NewPayments:
    """The account's payments made after this snapshot (the demo has older ones)."""

    def __init__(self, desk: Desk, account_id: uuid.UUID) -> None:
        self.desk, self.account_id = desk, account_id
        self.known = {p.id for p in desk.payments.history(account_id)}

    def __call__(self) -> list[tuple[str, int]]:
        return [
            (p.status, p.amount_cents)
            for p in reversed(self.desk.payments.history(self.account_id))
            if p.id not in self.known
        ]


def tasks(desk: Desk, account_id: uuid.UUID, kind: str) -> int:
    with Session(desk.engine) as session:
        return (
            session.scalar(
                select(func.count()).where(Task.account_id == account_id, Task.kind == kind)
            )
            or 0
        )


def error_text(dialog: PaymentDialog, name: str) -> str:
    label = child(dialog, QLabel, f"{name}Error")
    return label.text() if label.isVisible() else ""


# -- approved ----------------------------------------------------------------------


def test_an_approved_card_payment_posts_once_and_offers_a_receipt(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    before = balance(desk, account)
    due = due_now(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    assert dialog.amount_edit.text() == amount_text(due)  # defaults to what is due now
    assert dialog.secure_mode
    fill_card(qtbot, dialog)
    assert dialog.number_edit.text() == "4242 4242 4242 4242"
    assert dialog.brand_label.text() == "Visa"
    script = dialog.script.text()
    assert desk.policy.practice_name in script
    assert "Visa ending 4242" in script and "November 23, 2026" in script
    assert "$" + amount_text(due) in script

    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        click_pay(qtbot, dialog)
    outcome = paid.args[0]
    assert outcome.approved and outcome.amount_cents == due
    assert balance(desk, account) == before - due
    charges = desk.gateway.charges()  # type: ignore[attr-defined]
    assert [c.amount_cents for c in charges] == [due]
    assert made() == [("approved", due)]

    assert dialog.pages.currentWidget() is dialog.done_page
    assert not dialog.secure_mode
    assert dialog.idempotency_key is None  # the result is final
    for edit in (dialog.number_edit, dialog.cvv_edit):
        assert edit.text() == "" and not edit.isUndoAvailable()
    with qtbot.waitSignal(dialog.receiptRequested) as asked:
        qtbot.mouseClick(child(dialog, type(dialog.receipt_button), "receiptButton"),
                         Qt.MouseButton.LeftButton)  # fmt: skip
    assert asked.args == [outcome.payment_id] == [dialog.last_payment_id]
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


# -- invalid input -------------------------------------------------------------------


def test_bad_entries_are_shown_by_their_fields_and_nothing_is_sent(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    dialog = open_dialog(qtbot, desk, account)
    type_into(qtbot, dialog.amount_edit, "12.345")
    fill_card(
        qtbot, dialog, "4242424242424241", expiry="10/26", cvv="12", postal_code="1234", name=""
    )
    click_pay(qtbot, dialog)

    for name in ("amount", "number", "expiry", "cvv", "postalCode", "name"):
        assert error_text(dialog, name), f"{name}Error is not shown"
    assert "not valid" in error_text(dialog, "number")
    assert "expired" in error_text(dialog, "expiry")
    assert "3 digits" in error_text(dialog, "cvv")
    assert "ZIP" in error_text(dialog, "postalCode")
    assert "decimals" in error_text(dialog, "amount")
    # Everything typed is kept.
    assert dialog.amount_edit.text() == "12.345"
    assert dialog.number_edit.text() == "4242 4242 4242 4241"
    assert dialog.expiry_edit.text() == "10/26"
    assert dialog.cvv_edit.text() == "12"
    assert dialog.postal_code_edit.text() == "1234"
    # Nothing was sent, no key was made.
    assert dialog.idempotency_key is None and not dialog.busy
    assert made() == []
    assert desk.gateway.charges() == []  # type: ignore[attr-defined]

    # Fixing a field clears its error as the agent types.
    type_into(qtbot, dialog.number_edit, VISA)
    assert not error_text(dialog, "number")


# -- declines ------------------------------------------------------------------------


def test_a_declined_card_clears_the_number_keeps_the_rest_and_takes_a_new_key(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    before = balance(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    fill_card(qtbot, dialog, DECLINED)
    click_pay(qtbot, dialog)
    first_key = dialog.idempotency_key
    assert first_key is not None
    wait_idle(qtbot, dialog)

    assert dialog.banner.isVisible()
    assert DECLINE_WORDS["card_declined"] in dialog.banner_text.text()
    assert dialog.number_edit.text() == "" and not dialog.number_edit.isUndoAvailable()
    assert dialog.cvv_edit.text() == ""
    assert dialog.name_edit.text() == "Pat Payer"
    assert dialog.postal_code_edit.text() == "75201"
    assert dialog.expiry_edit.text() == "12/28"
    assert dialog.number_edit.isEnabled() and dialog.pay_button.isEnabled()
    assert dialog.idempotency_key is None
    assert balance(desk, account) == before
    assert desk.gateway.charges() == []  # type: ignore[attr-defined]
    assert [status for status, _ in made()] == ["declined"]

    # Another card: a new payment with a new key.
    type_into(qtbot, dialog.number_edit, VISA)
    type_into(qtbot, dialog.cvv_edit, "321")
    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        click_pay(qtbot, dialog)
        second_key = dialog.idempotency_key
    assert second_key is not None and second_key != first_key
    assert paid.args[0].key == second_key
    assert len(desk.gateway.charges()) == 1  # type: ignore[attr-defined]
    # The decline was replaced by the approved payment: off the list to work.
    assert all(p.account_id != account for p in desk.payments.declined())


def test_insufficient_funds_says_so(qtbot: QtBot, paying_desk: Desk, account: uuid.UUID) -> None:
    desk = paying_desk
    before = balance(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    fill_card(qtbot, dialog, NO_FUNDS)
    click_pay(qtbot, dialog)
    wait_idle(qtbot, dialog)
    assert "insufficient funds" in dialog.banner_text.text()
    assert dialog.number_edit.text() == ""
    assert balance(desk, account) == before
    assert desk.gateway.charges() == []  # type: ignore[attr-defined]


# -- exactly once --------------------------------------------------------------------


def test_a_double_click_on_pay_charges_once(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    desk.gateway.latency_s = 0.4  # type: ignore[attr-defined]  # a slow answer
    dialog = open_dialog(qtbot, desk, account)
    fill_card(qtbot, dialog)
    click_pay(qtbot, dialog)
    key = dialog.idempotency_key
    assert dialog.busy and not dialog.pay_button.isEnabled()
    assert not dialog.number_edit.isEnabled() and not dialog.amount_edit.isEnabled()
    click_pay(qtbot, dialog)  # the second click of a double click
    dialog.pay()  # and even a direct call
    assert dialog.idempotency_key == key
    # Closing is refused while the gateway has not answered.
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=15_000)

    assert dialog.outcome is not None and dialog.outcome.key == key
    assert len(desk.gateway.charges()) == 1  # type: ignore[attr-defined]
    assert len(made()) == 1


class _SilentGateway:
    """The sandbox, but every answer to a charge is lost on the way back (the charge is
    made): the desk cannot know the result until it asks again."""

    def __init__(self, inner: PaymentGateway) -> None:
        self.inner = inner
        self.name = inner.name
        self.live = inner.live

    def ping(self) -> None:
        self.inner.ping()

    def authorize(
        self, key: str, amount_cents: int, source: Source, *, capture: bool = True
    ) -> GatewayResult:
        self.inner.authorize(key, amount_cents, source, capture=capture)
        raise GatewayTimeout("no answer")

    def lookup(self, key: str) -> GatewayResult | None:
        raise GatewayTimeout("no answer")


def test_a_silent_gateway_leaves_the_payment_pending_until_check_again(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID
) -> None:
    desk = paying_desk
    real = desk.payments.gateway
    before = balance(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    fill_card(qtbot, dialog)
    desk.payments.gateway = _SilentGateway(real)  # type: ignore[assignment]
    click_pay(qtbot, dialog)
    key = dialog.idempotency_key
    wait_idle(qtbot, dialog)

    assert dialog.check_again_button.isVisible()
    assert "did not answer" in dialog.banner_text.text()
    assert dialog.idempotency_key == key  # not final: the key stays
    assert not dialog.pay_button.isEnabled()
    assert dialog.number_edit.text() == "" and dialog.cvv_edit.text() == ""
    assert balance(desk, account) == before

    qtbot.mouseClick(dialog.check_again_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, dialog)
    assert dialog.outcome is None and dialog.check_again_button.isVisible()  # still silent

    desk.payments.gateway = real
    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        qtbot.mouseClick(dialog.check_again_button, Qt.MouseButton.LeftButton)
    assert paid.args[0].key == key
    assert len(real.charges()) == 1  # type: ignore[attr-defined]
    assert balance(desk, account) == before - paid.args[0].amount_cents


def test_a_card_whose_answer_times_out_ends_approved_with_one_charge(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    before = balance(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    fill_card(qtbot, dialog, TIMES_OUT)
    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        click_pay(qtbot, dialog)
    assert paid.args[0].approved
    assert len(desk.gateway.charges()) == 1  # type: ignore[attr-defined]
    assert [status for status, _ in made()] == ["approved"]
    assert balance(desk, account) == before - paid.args[0].amount_cents


# -- allocation ----------------------------------------------------------------------


def test_paying_more_than_is_due_needs_the_callers_agreement(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID
) -> None:
    desk = paying_desk
    before = balance(desk, account)
    due = due_now(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    assert not dialog.credit_confirm.isVisible()
    type_into(qtbot, dialog.amount_edit, amount_text(due + 1_000))
    assert dialog.credit_confirm.isVisible()
    assert "$10.00 becomes a credit" in dialog.credit_confirm.text()
    assert not dialog.pay_button.isEnabled()
    assert "$10.00 of it" in dialog.script.text()
    fill_card(qtbot, dialog)

    dialog.credit_confirm.setChecked(True)
    assert dialog.pay_button.isEnabled()
    # Another amount is another agreement.
    type_into(qtbot, dialog.amount_edit, amount_text(due + 2_000))
    assert not dialog.credit_confirm.isChecked() and not dialog.pay_button.isEnabled()
    dialog.credit_confirm.setChecked(True)

    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        click_pay(qtbot, dialog)
    assert paid.args[0].amount_cents == due + 2_000
    assert balance(desk, account) == before - due - 2_000


def test_ticked_visits_are_the_only_ones_paid(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID
) -> None:
    desk = paying_desk
    _, visits = desk.payments.open_visits(account)
    assert len(visits) >= 2
    dialog = open_dialog(qtbot, desk, account)
    table = dialog.visits_table
    # Oldest first by default: the preview pays the first rows.
    assert table.item(0, 3).text() != "—"
    table.item(1, 0).setCheckState(Qt.CheckState.Checked)
    chosen = visits[1]
    assert dialog.amount_edit.text() == amount_text(chosen.due_cents)  # follows the ticks
    pays = [table.item(row, 3).text() for row in range(table.rowCount())]
    assert pays[1] != "—" and all(text == "—" for i, text in enumerate(pays) if i != 1)
    assert "Only the ticked visit" in dialog.mode_hint.text()
    fill_card(qtbot, dialog)
    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        click_pay(qtbot, dialog)
    receipt = desk.payments.receipt(paid.args[0].payment_id)
    assert [(line.service_date, line.amount_cents) for line in receipt.lines] == [
        (chosen.service_date, chosen.due_cents)
    ]


# -- bank account --------------------------------------------------------------------


def test_a_bank_account_payment(qtbot: QtBot, paying_desk: Desk, account: uuid.UUID) -> None:
    desk = paying_desk
    before = balance(desk, account)
    dialog = open_dialog(qtbot, desk, account)
    dialog.method_tabs.setCurrentIndex(BANK_TAB)
    assert dialog.secure_mode
    type_into(qtbot, dialog.routing_edit, ROUTING)
    type_into(qtbot, dialog.account_edit, BANK_ACCOUNT)
    type_into(qtbot, dialog.bank_name_edit, "Pat Payer")
    click_pay(qtbot, dialog)  # no account type chosen yet
    assert "checking or savings" in error_text(dialog, "accountType")
    assert dialog.account_edit.text() == BANK_ACCOUNT  # kept
    dialog.account_type_edit.setCurrentIndex(1)  # Checking
    script = dialog.script.text()
    assert "debit" in script and "one time" in script
    assert "checking account ending 6789" in script
    assert desk.policy.practice_name in script

    with qtbot.waitSignal(dialog.paid, timeout=15_000) as paid:
        click_pay(qtbot, dialog)
    assert "Checking account ending 6789" in paid.args[0].message
    assert dialog.account_edit.text() == ""
    assert len(desk.gateway.charges()) == 1  # type: ignore[attr-defined]
    assert balance(desk, account) == before - paid.args[0].amount_cents


def test_a_bad_routing_number_is_shown_by_its_field(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    dialog = open_dialog(qtbot, paying_desk, account)
    dialog.method_tabs.setCurrentIndex(BANK_TAB)
    type_into(qtbot, dialog.routing_edit, "110000001")
    type_into(qtbot, dialog.account_edit, "12")
    click_pay(qtbot, dialog)
    assert "not valid" in error_text(dialog, "routing")
    assert "4 to 17" in error_text(dialog, "account")
    assert error_text(dialog, "bankName")
    assert made() == []


# -- gateway down --------------------------------------------------------------------


def test_with_the_gateway_down_a_promise_or_a_callback_is_recorded(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    desk.gateway.set_down(True)  # type: ignore[attr-defined]
    signals: list[bool] = []
    dialog = PaymentDialog(desk, account, account_label="Account under test")
    dialog.secureModeChanged.connect(signals.append)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.ready, timeout=10_000)

    assert dialog.gateway_down
    assert "cannot be reached" in dialog.banner_text.text()
    assert not dialog.number_edit.isEnabled() and not dialog.routing_edit.isEnabled()
    assert not dialog.pay_button.isEnabled()
    assert dialog.down_section.isVisible()
    assert signals == []  # no card fields to protect: recording goes on
    assert dialog.promise_date_edit.date().toPython() == date(2026, 11, 30)

    promises = tasks(desk, account, "promise_to_pay")
    type_into(qtbot, dialog.promise_amount_edit, "50.00")
    qtbot.mouseClick(dialog.promise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.down_status.isVisible(), timeout=10_000)
    assert "Promise to pay $50.00 by 11/30/2026" in dialog.down_status.text()
    assert tasks(desk, account, "promise_to_pay") == promises + 1

    callbacks = tasks(desk, account, "callback")
    dialog.down_status.hide()
    qtbot.mouseClick(dialog.callback_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.down_status.isVisible(), timeout=10_000)
    assert tasks(desk, account, "callback") == callbacks + 1
    assert made() == []

    # The gateway answers again: the card fields open (and secure mode with them).
    desk.gateway.set_down(False)  # type: ignore[attr-defined]
    qtbot.mouseClick(dialog.retry_gateway_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.number_edit.isEnabled(), timeout=10_000)
    assert not dialog.banner.isVisible() and not dialog.down_section.isVisible()
    assert signals == [True]


def test_a_promise_needs_an_amount(qtbot: QtBot, paying_desk: Desk, account: uuid.UUID) -> None:
    paying_desk.gateway.set_down(True)  # type: ignore[attr-defined]
    dialog = open_dialog(qtbot, paying_desk, account)
    type_into(qtbot, dialog.promise_amount_edit, "abc")
    qtbot.mouseClick(dialog.promise_button, Qt.MouseButton.LeftButton)
    assert error_text(dialog, "promiseAmount")
    assert dialog.promise_amount_edit.text() == "abc"


def test_a_gateway_that_goes_down_before_pay_takes_no_card(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    desk = paying_desk
    dialog = open_dialog(qtbot, desk, account)
    fill_card(qtbot, dialog)
    desk.gateway.set_down(True)  # type: ignore[attr-defined]
    click_pay(qtbot, dialog)
    wait_idle(qtbot, dialog)
    assert dialog.gateway_down and dialog.down_section.isVisible()
    assert dialog.number_edit.text() == "" and dialog.cvv_edit.text() == ""
    assert not dialog.number_edit.isEnabled()
    assert dialog.idempotency_key is None
    assert not dialog.secure_mode
    assert made() == []


# -- secure mode ---------------------------------------------------------------------


def _close_by(how: str) -> Callable[[QtBot, PaymentDialog], None]:
    def close(qtbot: QtBot, dialog: PaymentDialog) -> None:
        if how == "escape":
            qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)
        elif how == "cancel":
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        elif how == "close":
            dialog.close()
        elif how == "hide":
            dialog.hide()
        else:
            dialog.done(QDialog.DialogCode.Rejected)

    return close


@pytest.mark.parametrize("how", ["escape", "cancel", "close", "hide", "done"])
def test_secure_mode_is_on_with_the_card_fields_and_off_once_on_close(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, how: str
) -> None:
    signals: list[bool] = []
    dialog = PaymentDialog(paying_desk, account, account_label="Account under test")
    dialog.secureModeChanged.connect(signals.append)
    qtbot.addWidget(dialog)
    assert not dialog.secure_mode  # not shown yet
    dialog.show()
    qtbot.waitUntil(lambda: signals == [True], timeout=10_000)
    assert dialog.secure_mode
    dialog.method_tabs.setCurrentIndex(BANK_TAB)  # still secure
    fill_card(qtbot, dialog)  # the card page's fields, typed while the bank page shows
    type_into(qtbot, dialog.account_edit, BANK_ACCOUNT)
    assert signals == [True]

    _close_by(how)(qtbot, dialog)
    assert not dialog.isVisible()
    assert signals == [True, False]
    assert dialog.number_edit.text() == dialog.cvv_edit.text() == dialog.account_edit.text() == ""
    dialog.close()
    dialog.reject()
    assert signals == [True, False]


def test_secure_mode_ends_with_the_approval_and_is_not_repeated_on_close(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID
) -> None:
    signals: list[bool] = []
    dialog = PaymentDialog(paying_desk, account, account_label="Account under test")
    dialog.secureModeChanged.connect(signals.append)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.ready, timeout=10_000)
    fill_card(qtbot, dialog)
    with qtbot.waitSignal(dialog.paid, timeout=15_000):
        click_pay(qtbot, dialog)
    assert signals == [True, False]
    qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
    assert signals == [True, False]


# -- keyboard and typing -------------------------------------------------------------


def test_enter_does_not_pay_but_ctrl_enter_does(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID, made: NewPayments
) -> None:
    dialog = open_dialog(qtbot, paying_desk, account)
    fill_card(qtbot, dialog)
    for edit in (dialog.number_edit, dialog.amount_edit, dialog.name_edit):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        qtbot.keyClick(edit, Qt.Key.Key_Enter)
    assert dialog.isVisible() and not dialog.busy and dialog.idempotency_key is None
    assert made() == []

    with qtbot.waitSignal(dialog.paid, timeout=15_000):
        qtbot.keyClick(dialog.number_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(made()) == 1


def test_tab_goes_field_by_field(qtbot: QtBot, paying_desk: Desk, account: uuid.UUID) -> None:
    dialog = open_dialog(qtbot, paying_desk, account)
    dialog.number_edit.setFocus()
    order = []
    for _ in range(4):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        order.append(dialog.focusWidget().objectName())
    assert order == ["expiryEdit", "cvvEdit", "postalCodeEdit", "nameEdit"]


def test_the_card_number_is_grouped_as_typed_with_its_brand(
    qtbot: QtBot, paying_desk: Desk, account: uuid.UUID
) -> None:
    dialog = open_dialog(qtbot, paying_desk, account)
    edit = dialog.number_edit
    type_into(qtbot, edit, "378282246310005")
    assert edit.text() == "3782 822463 10005"
    assert dialog.brand_label.text() == "American Express"
    type_into(qtbot, edit, "5")
    assert dialog.brand_label.text() == ""  # 5 alone is no brand yet
    qtbot.keyClicks(edit, "1")
    assert dialog.brand_label.text() == "Mastercard"

    # Typing in the middle keeps the cursor after what was typed.
    type_into(qtbot, edit, "42424242")
    assert edit.text() == "4242 4242"
    edit.setCursorPosition(4)
    qtbot.keyClicks(edit, "1")
    assert edit.text() == "4242 1424 2"
    assert edit.cursorPosition() == 6
    # Backspace just after a group space removes the digit before it.
    edit.setText("4242 4242")
    edit.setCursorPosition(5)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    assert edit.text() == "4244 242"
    assert edit.cursorPosition() == 3


def test_the_expiry_gets_its_slash(qtbot: QtBot, paying_desk: Desk, account: uuid.UUID) -> None:
    dialog = open_dialog(qtbot, paying_desk, account)
    type_into(qtbot, dialog.expiry_edit, "1228")
    assert dialog.expiry_edit.text() == "12/28"


def test_nothing_due_leaves_the_amount_empty_with_a_hint(qtbot: QtBot, paying_desk: Desk) -> None:
    desk = paying_desk
    account = accounts_with_due(desk, 5_000)[0]
    due = due_now(desk, account)
    # Pay everything due first (through the service), then open the form again.
    card = parse_card(VISA, "12/28", "123", "75201", "Pat Payer", today=date(2026, 11, 23))
    assert desk.payments.take(account, due, card, new_key()).approved
    dialog = open_dialog(qtbot, desk, account)
    assert dialog.amount_edit.text() == ""
    assert "Nothing is due now" in dialog.due_hint.text()
    assert dialog.visits_table.rowCount() == 0
    assert dialog.pay_button.text() == "Pay"
