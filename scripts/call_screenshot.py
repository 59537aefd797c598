"""Walk through a call on a demo desk and save pictures of it, as an agent sees it.

    .venv/bin/python scripts/call_screenshot.py --db sqlite:///demo.sqlite3 --out docs/

A call rings through the same local socket ``pa-desk ring`` uses (a real subprocess),
the account pops up masked (``call-masked.png``), the caller's answers are checked
against the record, the caller is put on hold and the clock is moved to 2:40
(``call-hold.png``, amber, with the check-in line). Then a payment: the form opens in
secure mode before any card is typed (``payment-form.png``), a test card pays, and the
receipt is shown (``receipt.png``); last, the plan dialog (``payment-plan.png``).
Offscreen, demo data and sandbox test cards only; no card number is on any picture.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from app.domain.clock import ManualClock
from app.domain.codes import CallerRelationship
from app.domain.identity import Factor
from app.services.desk import open_desk
from app.store.models import GuarantorAccount, LedgerEntry, Patient
from ui import theme
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent


def _pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _until(check: object, timeout_ms: int = 15_000) -> None:
    waited = 0
    while not check() and waited < timeout_ms:  # type: ignore[operator]
        _pump(50)
        waited += 50
    if not check():  # type: ignore[operator]
        raise SystemExit("timed out waiting for the desk")


def _payment_pictures(window: MainWindow, out: Path) -> None:
    from PySide6.QtWidgets import QLineEdit, QPushButton

    from ui.payments.receipt import ReceiptDialog

    wiring = window.payment_wiring
    wiring.pay_action.trigger()
    form = wiring.dialogs[-1]
    _until(lambda: form.ready and form.secure_mode)  # type: ignore[attr-defined]
    _pump(300)
    window.grab().save(str(out / "call-secure.png"))
    form.grab().save(str(out / "payment-form.png"))
    amount = form.findChild(QLineEdit, "amountEdit")
    assert amount is not None
    amount.setText("40.00")
    for name, text in (("numberEdit", "4242424242424242"), ("expiryEdit", "12/29"),
                       ("cvvEdit", "123"), ("postalCodeEdit", "02139"),
                       ("nameEdit", "Demo Cardholder")):  # fmt: skip
        edit = form.findChild(QLineEdit, name)
        assert edit is not None
        edit.setText(text)
    pay = form.findChild(QPushButton, "payButton")
    assert pay is not None
    pay.click()
    _until(lambda: form.outcome is not None)  # type: ignore[attr-defined]
    receipt = form.findChild(QPushButton, "receiptButton")
    assert receipt is not None
    receipt.click()
    _until(lambda: any(isinstance(d, ReceiptDialog) for d in wiring.dialogs))
    shown = next(d for d in wiring.dialogs if isinstance(d, ReceiptDialog))
    _pump(300)
    shown.grab().save(str(out / "receipt.png"))
    shown.close()
    form.close()
    _pump(200)
    wiring.plan_action.trigger()
    plan = wiring.dialogs[-1]
    _pump(1500)
    plan.grab().save(str(out / "payment-plan.png"))
    plan.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a demo database URL (made if empty)")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--size", default="1600x900", help="wide enough for the scripts")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.lower().split("x"))
    home = Path(tempfile.mkdtemp(prefix="pa-desk-shot-"))
    os.environ["PA_DESK_HOME"] = str(home)  # this run's own screen-pop socket

    app = QApplication(sys.argv[:1])
    theme.apply(app)
    desk = open_desk(args.db, demo_patients=2000)
    owing = (
        select(LedgerEntry.account_id)
        .group_by(LedgerEntry.account_id)
        .having(func.sum(LedgerEntry.amount_cents) > 5_000)
    )
    with desk.engine.connect() as conn:  # a demo family that owes now, with a phone and a ZIP
        families = conn.execute(
            select(GuarantorAccount.id, Patient.id)
            .join(Patient, Patient.account_id == GuarantorAccount.id)
            .where(GuarantorAccount.phone_e164.is_not(None))
            .where(GuarantorAccount.postal_code.is_not(None))
            .where(GuarantorAccount.id.in_(owing))
            .order_by(GuarantorAccount.account_number)
            .limit(200)
        ).all()
        account, child = next(
            (a, c) for a, c in families if desk.payments.open_visits(a)[0].due_now >= 5_000
        )
        facts = conn.execute(
            select(
                GuarantorAccount.phone_e164, GuarantorAccount.postal_code,
                GuarantorAccount.first_name, GuarantorAccount.last_name,
                Patient.first_name, Patient.last_name, Patient.date_of_birth,
            )
            .join(Patient, Patient.account_id == GuarantorAccount.id)
            .where(Patient.id == child)
        ).one()  # fmt: skip
    settings = QSettings(str(home / "shot.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(width, height)
    window.show()
    window.set_desk(desk)
    clock = ManualClock()
    window.calls.clock = clock
    ring = subprocess.Popen(
        [sys.executable, "-m", "ui", "ring", facts[0]],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    _until(lambda: ring.poll() is not None and window.account.masked)
    args.out.mkdir(parents=True, exist_ok=True)
    _pump(300)
    window.grab().save(str(args.out / "call-masked.png"))

    form = window.account.verify
    form.caller_name.setText(f"{facts[2]} {facts[3]}")
    form.relationship.setCurrentIndex(form.relationship.findData(CallerRelationship.PARENT))
    form.inputs[Factor.NAME].setText(f"{facts[4]} {facts[5]}")
    form.inputs[Factor.DOB].setText(facts[6].strftime("%m/%d/%Y"))
    form.inputs[Factor.ZIP].setText(facts[1])
    form.check()
    _until(lambda: window.account.detail is not None and window.account.detail.id == account)
    window.account.tabs.setCurrentWidget(window.account.explainer)
    window.calls.hold()
    clock.advance(160)
    _until(lambda: window.call_bar.timer.property("level") == "warning")
    _pump(300)
    window.grab().save(str(args.out / "call-hold.png"))
    window.calls.resume()
    _payment_pictures(window, args.out)
    window.close()
    desk.close()
    shutil.rmtree(home, ignore_errors=True)
    print(f"saved call-masked, call-hold, payment-form, receipt and payment-plan in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
