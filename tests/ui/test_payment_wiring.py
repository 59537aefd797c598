"""Payments in the real window: from the account on a live call to the ledger, with the
recording paused while the card fields are open."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.call import Disposition, WrapUp
from app.domain.codes import InteractionEventKind
from app.services.desk import Desk
from app.services.payments import new_key
from app.store.models import InteractionEvent, LedgerEntry, Payment
from tests.support.desks import accounts_with_due, card, ledger_balance
from tests.support.gateways import LostAnswers
from tests.support.windows import WAIT_MS, verified_call
from ui.main_window import MainWindow
from ui.payments.form import PaymentDialog
from ui.payments.ledger_tools import RefundDialog
from ui.payments.plan import PlanDialog


@pytest.fixture
def window(desk_window: MainWindow) -> MainWindow:
    return desk_window


def _verified_call(qtbot: QtBot, window: MainWindow, desk: Desk) -> uuid.UUID:
    account_id = accounts_with_due(desk, 5_000)[0]
    verified_call(qtbot, window, desk, account_id)
    return account_id


def test_a_payment_on_a_call_pauses_the_recording_and_posts_once(
    qtbot: QtBot, window: MainWindow, paying_desk: Desk
) -> None:
    account_id = _verified_call(qtbot, window, paying_desk)
    assert window.call_wiring.cti is not None
    window.payment_wiring.pay_action.trigger()
    dialog = window.payment_wiring.dialogs[-1]
    qtbot.waitUntil(lambda: dialog.ready, timeout=5000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.calls.call.recording_paused, timeout=3000)  # type: ignore[union-attr]
    assert window.call_bar.secure.isVisible()
    assert [c.kind.value for c in window.call_wiring.cti.commands] == ["recording_paused"]

    fields = {"amountEdit": "25.00", "numberEdit": "4242 4242 4242 4242", "expiryEdit": "12/29",
              "cvvEdit": "123", "postalCodeEdit": "02139", "nameEdit": "Ana Ruiz"}  # fmt: skip
    for name, text in fields.items():
        edit = dialog.findChild(QLineEdit, name)
        assert edit is not None, name
        edit.setText(text)
    pay = dialog.findChild(QPushButton, "payButton")
    assert pay is not None
    qtbot.mouseClick(pay, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=10_000)  # type: ignore[attr-defined]
    assert dialog.outcome.approved  # type: ignore[attr-defined]
    dialog.close()
    qtbot.waitUntil(lambda: not window.calls.call.recording_paused, timeout=3000)  # type: ignore[union-attr]
    assert [c.kind.value for c in window.call_wiring.cti.commands] == [
        "recording_paused",
        "recording_resumed",
    ]
    assert window.calls.call is not None
    assert "payment_taken" in [a.value for a in window.calls.call.actions]
    assert window.calls.wait_for_saves()
    with paying_desk.engine.connect() as conn:
        kinds = conn.scalars(
            select(InteractionEvent.kind).where(
                InteractionEvent.interaction_id == window.calls.call.id
            )
        ).all()
        payment = conn.execute(
            select(Payment).where(Payment.id == dialog.outcome.payment_id)  # type: ignore[attr-defined]
        ).one()
        entries = conn.scalars(
            select(LedgerEntry.amount_cents).where(LedgerEntry.payment_id == payment.id)
        ).all()
    assert InteractionEventKind.RECORDING_PAUSED in kinds
    assert InteractionEventKind.RECORDING_RESUMED in kinds
    assert payment.interaction_id == window.calls.call.id
    assert sum(entries) == -2_500
    assert payment.account_id == account_id


def test_money_actions_wait_for_an_account_and_leads_only_approve(
    window: MainWindow, paying_desk: Desk
) -> None:
    wiring = window.payment_wiring
    assert not wiring.pay_action.isEnabled()  # no account on screen
    assert wiring.declined_action.isEnabled()
    assert not wiring.approvals_action.isEnabled()  # the demo desk signs in an agent
    assert wiring.gateway_down_action.isVisible()  # the sandbox can be taken down
    wiring.gateway_down_action.trigger()
    assert not paying_desk.payments.available()
    wiring.gateway_down_action.trigger()
    assert paying_desk.payments.available()
    QApplication.processEvents()


def test_locking_the_desk_closes_the_card_fields_and_resumes_the_recording(
    qtbot: QtBot, window: MainWindow, paying_desk: Desk
) -> None:
    _verified_call(qtbot, window, paying_desk)
    window.payment_wiring.pay_action.trigger()
    dialog = window.payment_wiring.dialogs[-1]
    qtbot.waitUntil(lambda: dialog.secure_mode, timeout=5000)  # type: ignore[attr-defined]
    number = dialog.findChild(QLineEdit, "numberEdit")
    assert number is not None
    number.setText("4242 4242 4242 4242")
    window.lock()
    assert window.locked
    assert not dialog.isVisible() and window.payment_wiring.dialogs == []
    assert window.calls.call is not None and not window.calls.call.recording_paused
    assert number.text() == ""  # nothing typed survives behind the lock


def test_a_payment_left_waiting_is_checked_again_from_the_history(
    qtbot: QtBot, paying_desk: Desk
) -> None:
    from app.domain.payment_entry import parse_card
    from app.services.payments import new_key
    from tests.support.desks import TODAY
    from ui.payments.history import HistoryDialog

    account_id = accounts_with_due(paying_desk, 5_000)[0]
    real = paying_desk.payments.gateway

    paying_desk.payments.gateway = LostAnswers(real)  # type: ignore[assignment]
    card = parse_card("4242424242424242", "12/29", "123", "02139", "Ana Ruiz", today=TODAY)
    waiting = paying_desk.payments.take(account_id, 2_000, card, new_key())
    assert waiting.status == "pending"
    paying_desk.payments.gateway = real

    dialog = HistoryDialog(paying_desk, account_id, "test")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rows != [], timeout=5000)
    assert dialog.selected() is not None and dialog.selected().status == "pending"  # type: ignore[union-attr]
    assert dialog.check_button.isVisible()
    qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.rows[0].status == "approved", timeout=5000)
    assert len(real.charges()) == 1  # type: ignore[attr-defined]


def test_ending_the_call_closes_the_card_form(
    qtbot: QtBot, window: MainWindow, paying_desk: Desk
) -> None:
    """The call ends (recording resumed, "call ended") but nothing closes the payment
    form; the next call starts with the card fields still open and secure mode off, and
    the form still pays the previous caller's account for whoever is on the line."""
    account = accounts_with_due(paying_desk, 5_000)[0]
    verified_call(qtbot, window, paying_desk, account)
    form = window.payment_wiring.take_payment()
    assert isinstance(form, PaymentDialog)
    qtbot.waitUntil(lambda: form.secure_mode, timeout=WAIT_MS)
    assert window.calls.call is not None and window.calls.call.recording_paused

    window.calls.end()
    window.calls.finish(WrapUp(Disposition.BALANCE_EXPLAINED, "explained the balance"))
    window.calls.start_call("+15035550199", call_ref="cx-next")  # somebody else rings
    qtbot.wait(50)
    next_call = window.calls.call
    assert next_call is not None and next_call.ended is None
    # The form went with the caller: nothing of it is open during the next call.
    assert form not in window.payment_wiring.dialogs
    assert not next_call.recording_paused


def test_recording_stays_paused_while_any_card_fields_are_open(
    qtbot: QtBot, window: MainWindow, paying_desk: Desk
) -> None:
    """Secure mode is one flag on the call, not a count of open card fields: the plan's
    autopay card fields and the down-payment form both turn it on, and closing the form
    turns it off while the plan's card fields are still open."""
    account = accounts_with_due(paying_desk, 30_000)[0]
    verified_call(qtbot, window, paying_desk, account)
    plan = window.payment_wiring.payment_plan()
    assert isinstance(plan, PlanDialog)
    plan.autopay_check.setChecked(True)  # the card fields open: secure mode
    qtbot.waitUntil(lambda: plan.secure_mode, timeout=WAIT_MS)
    assert window.calls.call is not None and window.calls.call.recording_paused

    plan.downPaymentRequested.emit(5_000)  # "Take the down payment" opens the form
    form = window.payment_wiring.dialogs[-1]
    assert isinstance(form, PaymentDialog)
    qtbot.waitUntil(lambda: form.secure_mode, timeout=WAIT_MS)
    form.reject()  # the caller will pay it later
    qtbot.wait(50)
    assert plan.isVisible() and plan.secure_mode  # the plan's card fields are still open
    assert window.calls.call.recording_paused, (
        "the recording resumed while the plan's card fields are open"
    )


def test_refund_from_the_history_is_for_the_historys_account(
    qtbot: QtBot, window: MainWindow, paying_desk: Desk
) -> None:
    """History of account A (with a credit) is open; the agent looks up account B; the
    history's "Refund credit" button opens the refund for B (or says B has no credit)."""
    a, b = accounts_with_due(paying_desk, 5_000)[:2]
    balance = ledger_balance(paying_desk, a)
    assert paying_desk.payments.take(
        a, balance + 2_500, card(), new_key(), allow_overpayment=True
    ).approved  # a $25 credit on A
    window.account.open_account(a)
    qtbot.waitUntil(
        lambda: window.account.detail is not None and window.account.detail.id == a,
        timeout=WAIT_MS,
    )
    history = window.payment_wiring.payment_history()
    assert history is not None
    qtbot.waitUntil(lambda: history.refund_button.isVisible(), timeout=WAIT_MS)  # type: ignore[attr-defined]

    window.account.open_account(b)
    qtbot.waitUntil(
        lambda: window.account.detail is not None and window.account.detail.id == b,
        timeout=WAIT_MS,
    )
    history.refund_button.click()  # type: ignore[attr-defined]
    refunds = [d for d in window.payment_wiring.dialogs if isinstance(d, RefundDialog)]
    assert [d._account_id for d in refunds] == [a], (
        f"refund dialogs opened for {[d._account_id for d in refunds]}, the history is A's"
    )
