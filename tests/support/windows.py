"""The main window on a real desk, and a call verified for an account, for window tests
of payments (tests/ui)."""

from __future__ import annotations

import uuid

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.codes import CallerRelationship
from app.domain.identity import Answers
from app.services.desk import Desk
from app.store.models import GuarantorAccount
from ui.main_window import MainWindow

WAIT_MS = 10_000


def answers_for(desk: Desk, account_id: uuid.UUID) -> Answers:
    """What the guarantor would say: their name, date of birth and account number."""
    with desk.engine.connect() as conn:
        account = conn.execute(
            select(GuarantorAccount).where(GuarantorAccount.id == account_id)
        ).one()
    return Answers(
        f"{account.first_name} {account.last_name}", account.date_of_birth,
        account=account.account_number,
    )  # fmt: skip


def verified_call(
    qtbot: QtBot, window: MainWindow, desk: Desk, account_id: uuid.UUID,
    call_ref: str = "cx-call-77",
) -> None:  # fmt: skip
    """A call rings with a phone-system id, the account opens masked (no money actions),
    the caller is verified, and the money actions come on."""
    window.calls.start_call("+15035550123", call_ref=call_ref)
    window.account.open_account(account_id)
    qtbot.waitUntil(lambda: window.account.masked, timeout=WAIT_MS)
    assert not window.payment_wiring.pay_action.isEnabled()  # nothing before verification
    window.calls.verify(account_id, answers_for(desk, account_id), "Ana", CallerRelationship.SELF)
    qtbot.waitUntil(
        lambda: window.account.detail is not None and not window.account.masked,
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(window.payment_wiring.pay_action.isEnabled, timeout=WAIT_MS)
