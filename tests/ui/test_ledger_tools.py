"""The ledger tools' dialogs on a real desk (its own demo copy and sandbox gateway):
declined list and reprocess, ACH returns, write-offs within and above the limit,
approvals, refunds of credits, rebilling to insurance and corrections."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.domain.adjustments import AdjustmentReason
from app.domain.payment_entry import parse_bank, parse_card
from app.services.adjustments import Adjustments
from app.services.desk import Desk
from app.services.payments import new_key
from app.services.views import UserInfo
from app.store.models import User
from tests.support.desks import TODAY, accounts_with_due
from ui.payments.ledger_tools import (
    AdjustDialog,
    ApprovalsDialog,
    CorrectEntryDialog,
    DeclinedPaymentsDialog,
    RebillDialog,
    RefundDialog,
)

WAIT_MS = 10_000


def _attach(desk: Desk) -> Desk:
    desk.adjustments = Adjustments(  # type: ignore[attr-defined]
        desk._sessions, desk.user, desk.workstation, today=desk._today,
        limits=lambda: desk.policy.adjustments,
    )  # fmt: skip
    return desk


def _desk_as(desk: Desk, username: str) -> Desk:
    """Another desk on the same database, signed in as ``username``."""
    with desk._sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        info = UserInfo(user.id, user.username, user.display_name, str(user.role))
    return _attach(Desk(desk.engine, info, today=desk._today, gateway=desk.gateway))


@pytest.fixture
def desk(paying_desk: Desk) -> Desk:
    return _attach(paying_desk)


@pytest.fixture
def account(desk: Desk) -> uuid.UUID:
    return accounts_with_due(desk, 5_000)[0]


def _card(number: str):  # type: ignore[no-untyped-def]
    return parse_card(number, "12/30", "123", "97201", "Pat Payer", today=TODAY)


def _row_of(model, wanted: uuid.UUID) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(model.rowCount()) if model.row_at(r).id == wanted)


# -- declined payments ----------------------------------------------------------------------


def test_declined_list_reprocess_signal(qtbot: QtBot, desk: Desk, account: uuid.UUID) -> None:
    declined = desk.payments.take(account, 2_000, _card("4000000000009995"), new_key())
    assert declined.status == "declined"
    dialog = DeclinedPaymentsDialog(desk)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=WAIT_MS)
    assert not dialog.reprocess.isEnabled()
    row = _row_of(dialog.model, declined.payment_id)
    assert "insufficient funds" in dialog.model.index(row, 5).data()
    assert dialog.model.index(row, 3).data() == "$20.00"
    dialog.table.selectRow(row)
    assert dialog.reprocess.isEnabled()
    with qtbot.waitSignal(dialog.reprocessRequested, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.reprocess, Qt.MouseButton.LeftButton)
    assert signal.args == [account, declined.payment_id, 2_000]

    again = desk.payments.take(
        account, 2_000, _card("4242424242424242"), new_key(), retry_of_id=declined.payment_id
    )
    assert again.approved
    dialog.refresh()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("No declined"), timeout=WAIT_MS)
    assert dialog.model.rowCount() == 0


def test_check_ach_returns_runs_in_a_worker_and_refreshes(
    qtbot: QtBot, desk: Desk, account: uuid.UUID
) -> None:
    bank = parse_bank("110000000", "000111111116", "checking", "Pat Payer")
    paid = desk.payments.take(account, 3_000, bank, new_key())
    assert paid.approved
    dialog = DeclinedPaymentsDialog(desk)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.status.text() != "Loading…", timeout=WAIT_MS)
    assert dialog.model.rowCount() == 0
    qtbot.mouseClick(dialog.check_returns, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=WAIT_MS)
    assert "1 bank payment came back" in dialog.status.text()
    assert "insufficient funds" in dialog.model.index(0, 5).data()
    assert dialog.check_returns.isEnabled()


def test_check_ach_returns_with_the_gateway_down_says_so(qtbot: QtBot, desk: Desk) -> None:
    dialog = DeclinedPaymentsDialog(desk)
    qtbot.addWidget(dialog)
    desk.gateway.set_down(True)  # type: ignore[attr-defined]
    qtbot.mouseClick(dialog.check_returns, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=WAIT_MS)
    assert "cannot be reached" in dialog.error.text()
    desk.gateway.set_down(False)  # type: ignore[attr-defined]


# -- write-offs ------------------------------------------------------------------------------


def _adjust(qtbot: QtBot, desk: Desk, account: uuid.UUID) -> AdjustDialog:
    dialog = AdjustDialog(desk, account, "A100 Pat Payer")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.visit.isEnabled() and dialog.visit.count() > 1, timeout=WAIT_MS)
    return dialog


def test_adjust_dialog_errors_sit_next_to_their_fields(
    qtbot: QtBot, desk: Desk, account: uuid.UUID
) -> None:
    dialog = _adjust(qtbot, desk, account)
    assert dialog.limit.text() == "You can post up to $25.00; more goes to a lead."
    assert dialog.visit.itemText(0) == "Whole account"
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.amount_error.isVisibleTo(dialog) and dialog.amount_error.text() == (
        "Enter an amount."
    )
    assert dialog.reason_error.isVisibleTo(dialog)

    qtbot.keyClicks(dialog.amount, "12,34.5x")
    dialog.reason.setCurrentIndex(1)
    qtbot.keyClicks(dialog.note, "n" * 201)
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.amount.text() == "12,34.5x"  # what was typed is kept
    assert dialog.amount_error.isVisibleTo(dialog)
    assert not dialog.reason_error.isVisibleTo(dialog)
    assert "at most 200 characters" in dialog.note_error.text()

    # More than is due: the service's sentence lands next to the amount.
    due = desk.explain(account).due_now
    dialog.amount.setText(f"{(due + 100) / 100:.2f}")
    dialog.note.setText("courtesy")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.amount_error.isVisibleTo(dialog), timeout=WAIT_MS)
    assert "cannot be larger" in dialog.amount_error.text()
    assert dialog.submit.isEnabled()


def test_adjust_dialog_posts_within_the_limit(qtbot: QtBot, desk: Desk, account: uuid.UUID) -> None:
    before = desk.explain(account).balance
    dialog = _adjust(qtbot, desk, account)
    qtbot.keyClicks(dialog.amount, "20")
    assert dialog.submit.text() == "&Post"
    dialog.reason.setCurrentIndex(dialog.reason.findData(AdjustmentReason.SMALL_BALANCE))
    dialog.visit.setCurrentIndex(1)
    with qtbot.waitSignal(dialog.adjusted, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    info = signal.args[0]
    assert info.posted and info.encounter_id == dialog.visit.itemData(1)
    assert dialog.result.text().startswith("Posted: write-off of $20.00")
    assert not dialog.submit.isEnabled() and dialog.cancel.text() == "Close"
    assert desk.explain(account).balance == before - 2_000


def test_over_the_limit_waits_then_a_lead_approves(
    qtbot: QtBot, desk: Desk, account: uuid.UUID
) -> None:
    before = desk.explain(account).balance
    dialog = _adjust(qtbot, desk, account)
    qtbot.keyClicks(dialog.amount, "30.00")
    assert dialog.submit.text() == "&Send for approval"
    dialog.reason.setCurrentIndex(dialog.reason.findData(AdjustmentReason.COURTESY))
    dialog.kind.setCurrentIndex(1)
    qtbot.keyClicks(dialog.note, "billing was late")
    with qtbot.waitSignal(dialog.adjusted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.result.text() == "Waiting for a lead's approval."
    assert desk.explain(account).balance == before

    # The agent sees the request, with the buttons off and a sentence why.
    mine = ApprovalsDialog(desk)
    qtbot.addWidget(mine)
    qtbot.waitUntil(lambda: mine.model.rowCount() == 1, timeout=WAIT_MS)
    assert not mine.approve.isEnabled() and not mine.reject_button.isEnabled()
    assert "Only leads and administrators" in mine.why.text()

    lead = _desk_as(desk, "lead")
    approvals = ApprovalsDialog(lead)
    qtbot.addWidget(approvals)
    qtbot.waitUntil(lambda: approvals.model.rowCount() == 1, timeout=WAIT_MS)
    assert approvals.model.index(0, 7).data() == "$30.00"
    assert approvals.model.index(0, 5).data() == "Adjustment"
    assert approvals.model.index(0, 1).data() == desk.user.display_name
    assert approvals.approve.isEnabled()
    qtbot.keyClicks(approvals.note, "ok")
    with qtbot.waitSignal(approvals.decided, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(approvals.approve, Qt.MouseButton.LeftButton)
    assert signal.args[0].posted
    qtbot.waitUntil(lambda: approvals.model.rowCount() == 0, timeout=WAIT_MS)
    assert "Posted" in approvals.status.text()
    assert desk.explain(account).balance == before - 3_000


def test_a_lead_cannot_approve_their_own_request(
    qtbot: QtBot, desk: Desk, account: uuid.UUID
) -> None:
    lead = _desk_as(desk, "lead")
    lead.policy = type(lead.policy)(
        adjustments=type(lead.policy.adjustments)(agent_cents=100, lead_cents=1_000)
    )
    info = lead.adjustments.request(  # type: ignore[attr-defined]
        account, amount_cents=1_500, reason=AdjustmentReason.COURTESY
    )
    assert info.needs == "admin"
    approvals = ApprovalsDialog(lead)
    qtbot.addWidget(approvals)
    qtbot.waitUntil(lambda: approvals.model.rowCount() == 1, timeout=WAIT_MS)
    assert not approvals.approve.isEnabled()
    assert approvals.why.text() == (
        "An administrator must approve this: it is more than a lead may approve."
    )
    admin = _desk_as(desk, "admin")
    admin_view = ApprovalsDialog(admin)
    qtbot.addWidget(admin_view)
    qtbot.waitUntil(lambda: admin_view.approve.isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(admin_view.decided, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(admin_view.reject_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].status == "rejected"


# -- refunds -------------------------------------------------------------------------------------


def test_refund_dialog_sends_the_credit_back_once(
    qtbot: QtBot, desk: Desk, account: uuid.UUID
) -> None:
    balance = desk.explain(account).balance
    paid = desk.payments.take(
        account, balance + 2_500, _card("4242424242424242"), new_key(), allow_overpayment=True
    )
    assert paid.approved
    dialog = RefundDialog(desk, account, "A100 Pat Payer", 2_500)
    qtbot.addWidget(dialog)
    assert dialog.amount.text() == "25.00"
    key = dialog.key
    dialog.amount.setText("30")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert "cannot be larger" in dialog.amount_error.text()
    assert dialog.amount.text() == "30"
    dialog.amount.setText("25.00")
    with qtbot.waitSignal(dialog.refunded, timeout=WAIT_MS) as signal:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    outcome = signal.args[0]
    assert outcome.approved and outcome.key == key == dialog.key
    assert dialog.result.text().startswith("Refunded: $25.00")
    assert dialog.amount.isReadOnly()
    assert desk.explain(account).balance == 0
    with qtbot.waitSignal(dialog.receiptRequested, timeout=WAIT_MS) as receipt:
        qtbot.mouseClick(dialog.receipt, Qt.MouseButton.LeftButton)
    assert receipt.args == [outcome.payment_id]
    assert desk.payments.receipt(outcome.payment_id).kind == "refund"


def test_refund_dialog_shows_a_refusal(qtbot: QtBot, desk: Desk, account: uuid.UUID) -> None:
    # No credit on this account: the desk refuses, the dialog says why and stays usable.
    dialog = RefundDialog(desk, account, "A100 Pat Payer", 1_000)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=WAIT_MS)
    assert "credit" in dialog.error.text()
    assert dialog.send_button.isEnabled()


# -- rebill ---------------------------------------------------------------------------------------


def test_rebill_dialog(qtbot: QtBot, desk: Desk) -> None:
    adjustments: Adjustments = desk.adjustments  # type: ignore[attr-defined]
    for account_id in accounts_with_due(desk, 1_000):
        visits, coverages = adjustments.rebill_choices(account_id)
        case = next(
            (
                (v, c)
                for v in visits
                if not v.with_insurance and v.owed_cents > 0
                for c in coverages
                if c.patient_id == v.patient_id
                and c.effective_from <= v.service_date
                and (c.effective_to is None or c.effective_to >= v.service_date)
            ),
            None,
        )
        if case is not None:
            break
    else:
        raise AssertionError("no visit to rebill in the demo")
    visit, coverage = case
    dialog = RebillDialog(desk, account_id, visits, coverages)
    qtbot.addWidget(dialog)
    if dialog.visit.count() > 2:
        dialog.visit.setCurrentIndex(0)
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        assert dialog.visit_error.text() == "Choose the visit to bill."
    dialog.visit.setCurrentIndex(dialog.visit.findData(visit.encounter_id))
    ids = {dialog.coverage.itemData(i) for i in range(dialog.coverage.count())}
    assert coverage.id in ids
    assert all(c.patient_id == visit.patient_id for c in coverages if c.id in ids)
    dialog.coverage.setCurrentIndex(dialog.coverage.findData(coverage.id))
    with qtbot.waitSignal(dialog.rebilled, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert dialog.result.text().startswith("Billed to")
    after = next(v for v in desk.explain(account_id).visits if v.id == visit.encounter_id)
    assert after.with_insurance and after.due_now == 0

    # Loading its own choices, the visit is no longer offered.
    again = RebillDialog(desk, account_id)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.result.text() != "Loading…", timeout=WAIT_MS)
    offered = {again.visit.itemData(i) for i in range(again.visit.count())}
    assert visit.encounter_id not in offered


# -- corrections ---------------------------------------------------------------------------------


def test_a_lead_corrects_a_write_off(qtbot: QtBot, desk: Desk, account: uuid.UUID) -> None:
    posted = desk.adjustments.request(  # type: ignore[attr-defined]
        account, amount_cents=1_000, reason=AdjustmentReason.SMALL_BALANCE
    )
    before = desk.explain(account).balance

    as_agent = CorrectEntryDialog(desk, account)
    qtbot.addWidget(as_agent)
    qtbot.waitUntil(lambda: as_agent.model.rowCount() > 0, timeout=WAIT_MS)
    as_agent.table.selectRow(_row_of(as_agent.model, posted.ledger_entry_id))
    assert not as_agent.send_button.isEnabled()
    assert "lead" in as_agent.why.text()

    lead = _desk_as(desk, "lead")
    dialog = CorrectEntryDialog(lead, account)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=WAIT_MS)
    dialog.table.selectRow(_row_of(dialog.model, posted.ledger_entry_id))
    assert dialog.send_button.isEnabled()
    qtbot.keyClicks(dialog.amount, "4.00")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert dialog.note_error.text() == "Say why the entry is corrected."
    assert dialog.amount.text() == "4.00"
    qtbot.keyClicks(dialog.note, "typed ten, meant four")
    with qtbot.waitSignal(dialog.corrected, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    assert dialog.result.text().startswith("Corrected")
    assert desk.explain(account).balance == before + 1_000 - 400
    qtbot.waitUntil(
        lambda: dialog.model.row_at(_row_of(dialog.model, posted.ledger_entry_id)).reversed,
        timeout=WAIT_MS,
    )
