"""Payments in the real window: from the account on a live call to the ledger, with the
recording paused while the card fields are open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.codes import CallerRelationship, InteractionEventKind
from app.domain.identity import Answers
from app.services.desk import Desk
from app.store.models import GuarantorAccount, InteractionEvent, LedgerEntry, Payment
from tests.support.desks import accounts_with_due
from ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, paying_desk: Desk) -> Iterator[MainWindow]:
    win = MainWindow(QSettings(str(tmp_path / "pa-desk.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.set_desk(paying_desk)
    win.resize(1600, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.calls.wait_for_saves()
    win.call_wiring.stop_cti()


def _answers(desk: Desk, account_id: uuid.UUID) -> Answers:
    with desk.engine.connect() as conn:
        account = conn.execute(
            select(GuarantorAccount).where(GuarantorAccount.id == account_id)
        ).one()
    return Answers(
        f"{account.first_name} {account.last_name}",
        account.date_of_birth,
        account=account.account_number,
    )


def _verified_call(qtbot: QtBot, window: MainWindow, desk: Desk) -> uuid.UUID:
    account_id = accounts_with_due(desk, 5_000)[0]
    window.calls.start_call("+15035550123", call_ref="cx-call-77")
    window.account.open_account(account_id)
    qtbot.waitUntil(lambda: window.account.masked, timeout=5000)
    assert not window.payment_wiring.pay_action.isEnabled()  # nothing before verification
    window.calls.verify(account_id, _answers(desk, account_id), "Ana", CallerRelationship.SELF)
    qtbot.waitUntil(
        lambda: window.account.detail is not None and not window.account.masked, timeout=5000
    )
    qtbot.waitUntil(window.payment_wiring.pay_action.isEnabled, timeout=2000)
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
    from app.integrations.gateway import GatewayTimeout
    from app.services.payments import new_key
    from tests.support.desks import TODAY
    from ui.payments.history import HistoryDialog

    account_id = accounts_with_due(paying_desk, 5_000)[0]
    real = paying_desk.payments.gateway

    class Silent:  # the charge is made, every answer is lost
        name, live = real.name, real.live

        def ping(self) -> None:
            real.ping()

        def authorize(self, key, amount, source, *, capture=True):  # type: ignore[no-untyped-def]
            real.authorize(key, amount, source)
            raise GatewayTimeout("lost")

    paying_desk.payments.gateway = Silent()  # type: ignore[assignment]
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
