"""Payments in the main window: the Payments menu, the buttons on the account, and the
dialogs they open, tied to the live call (secure mode, what was done on the call) and to
receipts.

Every money dialog needs an account on screen that the caller is verified for (during a
call); the declined list and approvals work across accounts and need none.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox

from app.domain.call import CallAction
from app.services.views import AccountDetail
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk
    from ui.call.controller import CallController
    from ui.main_window import MainWindow


class PaymentWiring(QObject):
    def __init__(self, window: MainWindow, calls: CallController) -> None:
        super().__init__(window)
        self.window = window
        self.calls = calls
        self.desk: Desk | None = None
        self.dialogs: list[QDialog] = []  # open, so tests and the window can reach them
        self._secure: set[QDialog] = set()  # dialogs whose card or bank fields are open
        self._receipts = TaskRunner(self)
        self._receipts.succeeded.connect(self._show_receipt)
        self._receipts.failed.connect(
            lambda _seq, error: self._say(f"The receipt could not be made: {error}")
        )

        self.pay_action = self._action("&Take payment…", "Ctrl+P", self.take_payment)
        self.plan_action = self._action("Payment &plan…", "Ctrl+Shift+P", self.payment_plan)
        self.history_action = self._action(
            "Payments and &receipts…", "Ctrl+Shift+R", self.payment_history
        )
        self.adjust_action = self._action("&Adjust or write off…", None, self.adjust)
        self.refund_action = self._action("Re&fund credit…", None, self.refund)
        self.rebill_action = self._action("&Move a visit back to insurance…", None, self.rebill)
        self.correct_action = self._action("&Correct a ledger entry…", None, self.correct)
        self.declined_action = self._action("&Declined payments…", None, self.declined)
        self.approvals_action = self._action("A&pprovals…", None, self.approvals)
        self.gateway_down_action = self._action(
            "Sandbox: payment gateway &down", None, self._toggle_gateway
        )
        self.gateway_down_action.setCheckable(True)
        self.gateway_down_action.setStatusTip(
            "Practise taking a promise to pay or a callback when the gateway is out of reach"
        )
        self.account_actions = (
            self.pay_action, self.plan_action, self.history_action, self.adjust_action,
            self.refund_action, self.rebill_action, self.correct_action,
        )  # fmt: skip
        account = window.account
        account.pay_button.clicked.connect(self.pay_action.trigger)
        account.plan_button.clicked.connect(self.plan_action.trigger)
        account.history_button.clicked.connect(self.history_action.trigger)
        for button, action in ((account.pay_button, self.pay_action),
                               (account.plan_button, self.plan_action),
                               (account.history_button, self.history_action)):  # fmt: skip
            button.setToolTip(action.toolTip() or action.text().replace("&", ""))
        window.account.accountShown.connect(lambda _detail: self.refresh())
        window.account.stack.currentChanged.connect(lambda _index: self.refresh())
        calls.callChanged.connect(self.refresh)
        # The caller is gone: their card form goes too (and nothing of it reaches the
        # next call). A dialog still waiting for the gateway stays, and the next call
        # starts in secure mode while its fields are open.
        calls.callEnded.connect(self.close_all)
        calls.callStarted.connect(lambda: calls.set_secure(bool(self._secure)))
        self.refresh()

    def build_menu(self, menu: QMenu) -> None:
        for action in self.account_actions[:3]:
            menu.addAction(action)
        menu.addSeparator()
        for action in self.account_actions[3:]:
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.declined_action)
        menu.addAction(self.approvals_action)
        menu.addSeparator()
        menu.addAction(self.gateway_down_action)

    def _action(self, text: str, shortcut: str | None, slot: Any) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(f"{text.replace('&', '').rstrip('…')} ({shortcut})")
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    # -- state ------------------------------------------------------------------------
    def set_desk(self, desk: Desk | None) -> None:
        self.desk = desk
        self.refresh()

    @property
    def detail(self) -> AccountDetail | None:
        """The account on screen, when its money may be touched (not masked)."""
        view = self.window.account
        if view.masked or view.stack.currentWidget() is not view.content:
            return None
        return view.detail

    def refresh(self) -> None:
        has_payments = self.desk is not None and hasattr(self.desk, "payments")
        detail = self.detail if has_payments else None
        for action in self.account_actions:
            action.setEnabled(detail is not None)
        if detail is not None:
            self.refund_action.setEnabled(detail.balance_cents < 0)
        lead = has_payments and self.desk is not None and self.desk.user.role in ("lead", "admin")
        self.correct_action.setEnabled(detail is not None and lead)
        self.declined_action.setEnabled(has_payments)
        lead = has_payments and self.desk is not None and self.desk.user.role in ("lead", "admin")
        self.approvals_action.setEnabled(lead)
        self.approvals_action.setToolTip(
            "" if lead else "Approving write-offs above an agent's limit is for leads"
        )
        sandbox = has_payments and self.desk is not None and not self.desk.gateway.live
        self.gateway_down_action.setVisible(sandbox)
        if sandbox and self.desk is not None:
            self.gateway_down_action.setChecked(bool(getattr(self.desk.gateway, "down", False)))
        buttons = getattr(self.window.account, "money_buttons", None)
        if buttons is not None:
            buttons.setVisible(detail is not None)

    def _interaction(self) -> uuid.UUID | None:
        call = self.calls.call
        return call.id if call is not None and call.ended is None else None

    def _label(self, detail: AccountDetail) -> str:
        return f"{detail.guarantor_name} · account {detail.account_number}"

    # -- dialogs ----------------------------------------------------------------------
    def take_payment(
        self, account_id: uuid.UUID | None = None, retry_of_id: uuid.UUID | None = None,
        label: str | None = None,
    ) -> QDialog | None:  # fmt: skip
        from ui.payments.form import PaymentDialog

        detail = self.detail
        if self.desk is None:
            return None
        if account_id is None:
            if detail is None:
                return None
            account_id, label = detail.id, self._label(detail)
        dialog = PaymentDialog(
            self.desk, account_id, account_label=label or "", parent=self.window,
            interaction_id=self._interaction(), retry_of_id=retry_of_id,
        )  # fmt: skip
        dialog.secureModeChanged.connect(lambda on: self._set_secure(dialog, on))
        dialog.receiptRequested.connect(self.show_receipt)
        dialog.paid.connect(lambda _outcome: self._did(CallAction.PAYMENT_TAKEN))
        return self._open(dialog, moves_money=True)

    def payment_plan(self) -> QDialog | None:
        from ui.payments.plan import PlanDialog

        detail = self.detail
        if self.desk is None or detail is None:
            return None
        dialog = PlanDialog(
            self.desk, detail.id, account_label=self._label(detail), parent=self.window,
            interaction_id=self._interaction(),
        )  # fmt: skip
        dialog.secureModeChanged.connect(lambda on: self._set_secure(dialog, on))
        dialog.planCreated.connect(lambda *_: self._did(CallAction.PLAN_SET_UP))
        dialog.downPaymentRequested.connect(
            lambda cents: self._down_payment(dialog, detail.id, cents)
        )
        return self._open(dialog, moves_money=True)

    def _down_payment(self, plan: QDialog, account_id: uuid.UUID, cents: int) -> None:
        """The plan's down payment is a payment taken first with the payment form; the
        plan dialog is told which payment it was once it is approved."""
        form = self.take_payment(account_id, label="Down payment for a plan")
        if form is None:
            return
        form.preset_amount(cents)  # type: ignore[attr-defined]
        form.paid.connect(  # type: ignore[attr-defined]
            lambda outcome: plan.set_down_payment(outcome.payment_id, outcome.amount_cents)  # type: ignore[attr-defined]
        )

    def payment_history(self) -> QDialog | None:
        from ui.payments.history import HistoryDialog

        detail = self.detail
        if self.desk is None or detail is None:
            return None
        dialog = HistoryDialog(self.desk, detail.id, self._label(detail), self.window)
        dialog.receiptRequested.connect(self.show_receipt)
        dialog.refundRequested.connect(self.refund)
        return self._open(dialog)

    def adjust(self) -> QDialog | None:
        from ui.payments.ledger_tools import AdjustDialog

        detail = self.detail
        if self.desk is None or detail is None:
            return None
        # The dialog loads the account's open visits in its own worker.
        return self._open(
            AdjustDialog(self.desk, detail.id, self._label(detail), parent=self.window),
            moves_money=True,
        )

    def refund(
        self, account_id: object = None, label: str = "", balance: int = 0
    ) -> QDialog | None:
        """Refund a credit: of the account on screen, or of ``account_id`` with the
        ``balance`` a history dialog loaded (its own account, whatever is on screen)."""
        from ui.payments.ledger_tools import RefundDialog

        if self.desk is None:
            return None
        if not isinstance(account_id, uuid.UUID):
            detail = self.detail
            if detail is None:
                return None
            account_id, label, balance = detail.id, self._label(detail), detail.balance_cents
        if balance >= 0:
            self._say("There is no credit on this account to refund.")
            return None
        dialog = RefundDialog(self.desk, account_id, label, -balance, parent=self.window)
        dialog.receiptRequested.connect(self.show_receipt)
        return self._open(dialog, moves_money=True)

    def rebill(self) -> QDialog | None:
        from ui.payments.ledger_tools import RebillDialog

        detail = self.detail
        if self.desk is None or detail is None:
            return None
        return self._open(RebillDialog(self.desk, detail.id, parent=self.window), moves_money=True)

    def correct(self) -> QDialog | None:
        from ui.payments.ledger_tools import CorrectEntryDialog

        detail = self.detail
        if self.desk is None or detail is None:
            return None
        return self._open(CorrectEntryDialog(self.desk, detail.id, parent=self.window),
                          moves_money=True)  # fmt: skip

    def declined(self) -> QDialog | None:
        from ui.payments.ledger_tools import DeclinedPaymentsDialog

        if self.desk is None:
            return None
        dialog = DeclinedPaymentsDialog(self.desk, parent=self.window)
        dialog.reprocessRequested.connect(
            lambda account, payment, amount: self._reprocess(account, payment, amount, dialog)
        )
        return self._open(dialog)

    def approvals(self) -> QDialog | None:
        from ui.payments.ledger_tools import ApprovalsDialog

        if self.desk is None:
            return None
        return self._open(ApprovalsDialog(self.desk, parent=self.window))

    def close_all(self) -> bool:
        """Close every payment dialog (the desk locks): typed card data is wiped and the
        recording resumes. False when one cannot close now (a payment in flight)."""
        for dialog in list(self.dialogs):
            dialog.close()
        return not any(d.isVisible() for d in self.dialogs)

    def show_receipt(self, payment_id: object) -> None:
        if self.desk is not None and isinstance(payment_id, uuid.UUID):
            self._receipts.submit(self.desk.payments.receipt, payment_id)

    # -- inside -----------------------------------------------------------------------
    def _reprocess(
        self, account_id: object, payment_id: object, _amount: int, listing: QDialog | None = None
    ) -> None:
        """A declined payment taken again with another card: the caller must be verified
        for that account first when a call is on."""
        if not isinstance(account_id, uuid.UUID) or not isinstance(payment_id, uuid.UUID):
            return
        if self.calls.masks(account_id):
            self._say("Verify the caller for this account before taking a payment.")
            return
        form = self.take_payment(
            account_id, retry_of_id=payment_id, label="Reprocess a declined payment"
        )
        if form is not None and listing is not None and hasattr(listing, "refresh"):
            form.finished.connect(lambda _result: listing.refresh())

    def _show_receipt(self, _seq: int, view: object) -> None:
        from app.config import data_dir
        from app.integrations.mail import MailSettings
        from ui.payments.receipt import ReceiptDialog

        try:
            mail = MailSettings.from_env(data_dir())
        except Exception as exc:  # a bad PA_DESK_SMTP: say so, still show the receipt
            self._say(f"Mail settings: {exc}")
            mail = MailSettings(host=None, pickup_folder=data_dir() / "mail-outbox")
        self._open(ReceiptDialog(view, mail, self.window))  # type: ignore[arg-type]

    def _set_secure(self, dialog: QDialog, on: bool) -> None:
        """Recording stays paused while any dialog has card or bank fields open."""
        if on:
            self._secure.add(dialog)
        else:
            self._secure.discard(dialog)
        self.calls.set_secure(bool(self._secure))

    def _did(self, action: CallAction) -> None:
        self.calls.note_action(action)

    def _open(self, dialog: QDialog, *, moves_money: bool = False) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _result: self._closed(dialog, moves_money))
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _closed(self, dialog: QDialog, moves_money: bool) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)
        if dialog in self._secure:  # closed without saying so: its fields are gone
            self._set_secure(dialog, False)
        if moves_money and isinstance(self.window.account.detail, AccountDetail):
            self.window.account.refresh()  # fresh figures and explanation
        if moves_money:
            self.window.lookup.refresh()  # and fresh balances in the results

    def _toggle_gateway(self) -> None:
        gateway = self.desk.gateway if self.desk is not None else None
        if gateway is None or gateway.live or not hasattr(gateway, "set_down"):
            return
        gateway.set_down(self.gateway_down_action.isChecked())
        self._say(
            "Sandbox: the payment gateway is now out of reach"
            if self.gateway_down_action.isChecked()
            else "Sandbox: the payment gateway answers again"
        )

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self.window, "PA Desk", text)
        return answer == QMessageBox.StandardButton.Yes
