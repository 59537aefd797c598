"""The payment-plan dialog on a real desk (demo database, sandbox gateway), offscreen."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.money import format_usd
from app.domain.payment_entry import parse_card
from app.domain.plans import PlanLimits
from app.services.desk import Desk
from app.services.payments import new_key
from app.services.plans import Plans
from tests.support.desks import TODAY, accounts_with_due
from ui.payments import plan as plan_module
from ui.payments.plan import PlanDialog

VISA = "4242424242424242"
WAIT_MS = 10_000


@pytest.fixture
def desk(paying_desk: Desk) -> Desk:
    if not isinstance(getattr(paying_desk, "plans", None), Plans):
        paying_desk.plans = Plans(  # type: ignore[attr-defined]
            paying_desk._sessions, paying_desk.payments, paying_desk.user,
            today=paying_desk._today, limits=lambda: paying_desk.policy.plans,
        )  # fmt: skip
    return paying_desk


@pytest.fixture
def account(desk: Desk) -> uuid.UUID:
    """An account whose balance fits in policy (no hardship prompt by itself)."""
    limits = desk.policy.plans
    fits = limits.min_installment_cents * limits.max_months
    return next(a for a in accounts_with_due(desk, 30_000) if due_now(desk, a) <= fits)


@pytest.fixture
def signals() -> list[bool]:
    return []


@pytest.fixture
def dialog(
    qtbot: QtBot, desk: Desk, account: uuid.UUID, signals: list[bool]
) -> Iterator[PlanDialog]:
    dlg = PlanDialog(desk, account, account_label="Account 10000001 · Ana Payer")
    dlg.secureModeChanged.connect(signals.append)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    wait_for_schedule(qtbot, dlg)
    yield dlg


def due_now(desk: Desk, account: uuid.UUID) -> int:
    return desk.payments.open_visits(account)[0].due_now


def wait_for_schedule(qtbot: QtBot, dlg: PlanDialog) -> None:
    qtbot.waitUntil(lambda: dlg._quoted_inputs is not None and dlg._loaded, timeout=WAIT_MS)


def preview_rows(dlg: PlanDialog) -> list[tuple[str, str, str]]:
    table = dlg.preview
    return [
        tuple(table.item(row, col).text() for col in range(3))  # type: ignore[misc]
        for row in range(table.rowCount())
    ]


def cents(text: str) -> int:
    dollars, _, change = text.replace("$", "").replace(",", "").partition(".")
    return int(dollars) * 100 + int(change or 0)


def retype(qtbot: QtBot, edit: object, text: str) -> None:
    edit.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(edit, text)  # type: ignore[arg-type]


def test_preview_adds_up_to_the_balance_and_errors_sit_by_their_field(
    qtbot: QtBot, dialog: PlanDialog, desk: Desk, account: uuid.UUID
) -> None:
    balance = due_now(desk, account)
    assert dialog.balance_value.text() == format_usd(balance)
    assert "$25.00 a month at least, 24 months at most" in dialog.limits_label.text()
    rows = preview_rows(dialog)
    assert len(rows) == 7 and rows[-1][1] == "Total"
    assert rows[-1][2] == format_usd(balance)
    assert sum(cents(row[2]) for row in rows[:-1]) == balance
    assert rows[0][:2] == ("1", "12/23/2026")  # 30 days out by default

    qtbot.mouseClick(dialog.by_monthly, Qt.MouseButton.LeftButton)
    assert dialog.monthly_edit.isEnabled() and not dialog.months_spin.isEnabled()
    qtbot.keyClicks(dialog.monthly_edit, "abc")
    qtbot.waitUntil(lambda: dialog.monthly_error.isVisible(), timeout=WAIT_MS)
    assert dialog.monthly_edit.text() == "abc"
    assert not dialog.create_button.isEnabled()

    retype(qtbot, dialog.monthly_edit, "60")
    wait_for_schedule(qtbot, dialog)
    rows = preview_rows(dialog)
    assert rows[0][2] == "$60.00" and rows[-1][2] == format_usd(balance)
    assert sum(cents(row[2]) for row in rows[:-1]) == balance
    assert not dialog.monthly_error.isVisible()

    retype(qtbot, dialog.monthly_edit, "10")
    qtbot.waitUntil(lambda: dialog.monthly_error.isVisible(), timeout=WAIT_MS)
    assert "smallest monthly payment is $25.00" in dialog.monthly_error.text()
    assert dialog.hardship_panel.isVisible()
    assert "less than the $25.00 minimum" in dialog.hardship_reasons.text()
    assert preview_rows(dialog) == []
    assert not dialog.create_button.isEnabled()


def test_hardship_prompt_gates_create(
    qtbot: QtBot, desk: Desk, account: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.policy = dataclasses.replace(desk.policy, plans=PlanLimits(hardship_balance_cents=1_000))
    dlg = PlanDialog(desk, account, account_label="Hardship")
    qtbot.addWidget(dlg)
    dlg.show()
    wait_for_schedule(qtbot, dlg)
    assert dlg.hardship_panel.isVisible()
    assert "at or above $10.00" in dlg.hardship_reasons.text()
    assert not dlg.create_button.isEnabled()
    assert "financial assistance" in dlg.blocker.text()
    dlg.declined_check.setChecked(True)
    assert dlg.create_button.isEnabled()
    dlg.declined_check.setChecked(False)
    assert not dlg.create_button.isEnabled()
    dlg.offered_check.setChecked(True)
    assert dlg.create_button.isEnabled()
    with qtbot.waitSignal(dlg.planCreated, timeout=WAIT_MS) as created:
        qtbot.mouseClick(dlg.create_button, Qt.MouseButton.LeftButton)
    assert created.args[0].autopay_label is None
    assert dlg.tabs.currentIndex() == plan_module.CURRENT_TAB


def fill_card(qtbot: QtBot, dlg: PlanDialog, number: str) -> None:
    qtbot.keyClicks(dlg.number_edit, number)
    qtbot.keyClicks(dlg.expiry_edit, "12/30")
    qtbot.keyClicks(dlg.cvv_edit, "123")
    qtbot.keyClicks(dlg.postal_code_edit, "97201")
    qtbot.keyClicks(dlg.name_edit, "Ana Payer")


def test_enroll_consent_create_and_secure_mode(
    qtbot: QtBot, dialog: PlanDialog, desk: Desk, account: uuid.UUID, signals: list[bool]
) -> None:
    balance = due_now(desk, account)
    assert signals == [] and not dialog.card_box.isVisible()
    qtbot.mouseClick(dialog.autopay_check, Qt.MouseButton.LeftButton)
    assert signals == [True] and dialog.secure_mode and dialog.card_box.isVisible()
    assert "Enroll the card" in dialog.blocker.text()

    fill_card(qtbot, dialog, "4242 4242 4242 4241")
    assert dialog.brand_label.text() == "Visa"
    qtbot.mouseClick(dialog.enroll_button, Qt.MouseButton.LeftButton)
    assert dialog.card_fields["number"].error.isVisible()
    assert dialog.number_edit.text() == "4242 4242 4242 4241"  # kept to be corrected
    assert not dialog.busy

    dialog.number_edit.selectAll()
    qtbot.keyClicks(dialog.number_edit, VISA)
    assert dialog.number_edit.text() == "4242 4242 4242 4242"
    qtbot.mouseClick(dialog.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.enrolled_row.isVisible(), timeout=WAIT_MS)
    assert "Visa ending 4242 enrolled" in dialog.enrolled_label.text()
    assert signals == [True, False] and not dialog.secure_mode
    assert dialog.number_edit.text() == "" and dialog.cvv_edit.text() == ""
    assert not dialog.card_box.isVisible()

    script = dialog.consent_script.text()
    practice = desk.policy.practice_name
    assert practice in script and "Visa ending 4242" in script
    assert "December 23, 2026" in script and "stop automatic payments" in script
    assert format_usd(balance) in script  # the amount financed, in all
    assert dialog.consent_by_edit.text() == "Ana Payer"
    assert not dialog.create_button.isEnabled()
    assert "consent" in dialog.blocker.text()
    dialog.consent_check.setChecked(True)
    assert dialog.create_button.isEnabled()

    with qtbot.waitSignal(dialog.planCreated, timeout=WAIT_MS) as created:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    info = created.args[0]
    assert info.autopay_label == "Visa ending 4242" and info.consent_by == "Ana Payer"
    assert info.total_cents == balance and info.months == 6
    assert dialog.tabs.currentIndex() == plan_module.CURRENT_TAB
    assert "Plan created" in dialog.plan_done.text()
    assert dialog.summary["Autopay"].text() == "Visa ending 4242"
    assert dialog.plan_table.rowCount() == 6
    assert desk.plans.plans_of(account)[0].id == info.id  # type: ignore[attr-defined]
    assert not dialog.create_button.isEnabled()  # one open plan per account

    dialog.close()
    assert signals == [True, False]  # closing with the card fields shut says nothing


def test_closing_with_the_card_open_leaves_secure_mode_once(
    qtbot: QtBot, dialog: PlanDialog, signals: list[bool]
) -> None:
    dialog.autopay_check.setChecked(True)
    qtbot.keyClicks(dialog.number_edit, VISA)
    assert signals == [True]
    dialog.autopay_check.setChecked(False)
    assert signals == [True, False] and dialog.number_edit.text() == ""
    dialog.autopay_check.setChecked(True)
    qtbot.keyClicks(dialog.number_edit, VISA)
    assert signals == [True, False, True]
    dialog.reject()
    assert signals == [True, False, True, False]
    assert dialog.number_edit.text() == ""
    dialog.close()
    assert signals == [True, False, True, False]


def test_down_payment_is_taken_first(
    qtbot: QtBot, dialog: PlanDialog, desk: Desk, account: uuid.UUID
) -> None:
    balance = due_now(desk, account)
    qtbot.keyClicks(dialog.down_edit, "50")
    wait_for_schedule(qtbot, dialog)
    rows = preview_rows(dialog)
    assert rows[0][1].startswith("Down payment") and rows[0][2] == "$50.00"
    assert rows[-1][2] == format_usd(balance)
    assert "Take the down payment of $50.00" in dialog.blocker.text()
    with qtbot.waitSignal(dialog.downPaymentRequested) as asked:
        qtbot.mouseClick(dialog.take_down_button, Qt.MouseButton.LeftButton)
    assert asked.args == [5_000]
    card = parse_card(VISA, "12/30", "123", "97201", "Ana Payer", today=TODAY)
    outcome = desk.payments.take(account, 5_000, card, new_key())
    dialog.set_down_payment(outcome.payment_id, 5_000)
    wait_for_schedule(qtbot, dialog)
    rows = preview_rows(dialog)
    assert rows[0][1] == "Down payment (taken)" and rows[-1][2] == format_usd(balance)
    assert "taken" in dialog.down_status.text()
    assert dialog.create_button.isEnabled()
    with qtbot.waitSignal(dialog.planCreated, timeout=WAIT_MS) as created:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert created.args[0].down_payment_cents == 5_000
    assert created.args[0].total_cents == balance


def test_current_plan_change_pause_resume_cancel(
    qtbot: QtBot, desk: Desk, account: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans: Plans = desk.plans  # type: ignore[attr-defined]
    made = plans.create(
        account, months=6, first_due=TODAY, autopay=None, consent_by="", consent_recorded=False
    )
    dlg = PlanDialog(desk, account, account_label="Current")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.plan is not None, timeout=WAIT_MS)
    assert dlg.tabs.currentIndex() == plan_module.CURRENT_TAB
    assert dlg.plan_table.rowCount() == 6
    assert dlg.summary["Status"].text() == "Active"
    assert not dlg.create_button.isEnabled() and not dlg.open_plan_note.isHidden()

    dlg.change_months_spin.setValue(40)
    qtbot.mouseClick(dlg.change_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.change_months_error.isVisible(), timeout=WAIT_MS)
    assert "Choose 1 to 24 months" in dlg.change_months_error.text()

    dlg.change_months_spin.setValue(3)
    with qtbot.waitSignal(dlg.planChanged, timeout=WAIT_MS) as changed:
        qtbot.mouseClick(dlg.change_button, Qt.MouseButton.LeftButton)
    assert [line.status for line in changed.args[0].installments] == (
        ["skipped"] * 6 + ["scheduled"] * 3
    )
    assert dlg.plan_table.rowCount() == 9
    assert not dlg.change_months_error.isVisible()

    with qtbot.waitSignal(dlg.planChanged, timeout=WAIT_MS):
        qtbot.mouseClick(dlg.pause_button, Qt.MouseButton.LeftButton)
    assert dlg.summary["Status"].text() == "Paused" and "Resume" in dlg.pause_button.text()
    with qtbot.waitSignal(dlg.planChanged, timeout=WAIT_MS):
        qtbot.mouseClick(dlg.pause_button, Qt.MouseButton.LeftButton)
    assert dlg.summary["Status"].text() == "Active"

    monkeypatch.setattr(plan_module, "confirm", lambda *_args: False)
    qtbot.mouseClick(dlg.cancel_plan_button, Qt.MouseButton.LeftButton)
    assert not dlg.busy and plans.plan(made.id).status == "active"
    monkeypatch.setattr(plan_module, "confirm", lambda *_args: True)
    with qtbot.waitSignal(dlg.planChanged, timeout=WAIT_MS) as cancelled:
        qtbot.mouseClick(dlg.cancel_plan_button, Qt.MouseButton.LeftButton)
    assert cancelled.args[0].status == "cancelled"
    assert dlg.summary["Status"].text() == "Cancelled"
    assert not dlg.change_frame.isVisible()
    assert dlg.open_plan_note.isHidden()  # a new plan may be made now


def test_the_consent_script_says_every_amount_that_will_be_charged() -> None:
    from datetime import date

    from app.domain.plans import PlanLimits, build_schedule
    from ui.payments.plan import consent_script

    schedule = build_schedule(77_000, first_due=date(2026, 12, 23), limits=PlanLimits(), months=6)
    words = consent_script(
        practice="Bright Path", today=date(2026, 11, 23), card="Visa ending 4242",
        schedule=schedule,
    )  # fmt: skip
    assert "2 payments of $128.34, then 4 of $128.33" in words
    assert "$770.00 in all" in words
