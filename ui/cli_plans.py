"""``pa-desk plans``: charge due installments (``run-due``) and show an account's plans.

``run-due`` is meant for a daily scheduled job: it is idempotent (run it twice, or after
a run was killed, and nothing is charged twice) and exits 0 once it has done what it
could; a gateway out of reach is reported on standard error and left for the next run.
No Qt is imported here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.services.desk import Desk
    from app.services.plans import PlanInfo, Plans

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def plans_command(args: argparse.Namespace) -> int:
    """``args.plans`` is ``run-due`` (``--date``, ``--json``) or ``list`` (``account``);
    both take ``--db`` (default: the embedded desk) and ``--user``."""
    if args.plans == "run-due":
        return _run_due(args)
    if args.plans == "list":
        return _list(args)
    raise AssertionError(args.plans)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse_date(text: str) -> date | None:
    if _ISO_DATE.fullmatch(text.strip()) is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _open(args: argparse.Namespace) -> Desk:
    from app.config import default_database_url
    from app.services.desk import open_desk

    return open_desk(
        args.db or default_database_url(), username=getattr(args, "user", None), demo_patients=0
    )


def _plans(desk: Desk) -> Plans:
    found = getattr(desk, "plans", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    from app.services.plans import Plans

    return Plans(
        desk._sessions, desk.payments, desk.user, today=desk._today,
        limits=lambda: desk.policy.plans,
    )  # fmt: skip


def _run_due(args: argparse.Namespace) -> int:
    on: date | None = None
    if args.date is not None:
        on = _parse_date(args.date)
        if on is None:
            _err(f"pa-desk plans run-due: {args.date!r} is not a date; use YYYY-MM-DD")
            return 2
    desk = _open(args)
    try:
        report = _plans(desk).run_due(on or desk._today())
    finally:
        desk.close()
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        from app.domain.money import format_usd

        print(
            f"{report.on.isoformat()}: charged {report.charged} installment(s) "
            f"({format_usd(report.charged_cents)}), declined {report.declined}, "
            f"pending {report.pending}, paused {report.skipped_paused}, "
            f"already paid {report.already_done}, reminders {report.reminded}, "
            f"completed plans {report.completed}"
            + (f", not charged (nothing owed) {report.nothing_owed}" if report.nothing_owed else "")
        )
    if report.unreachable:
        _err(
            f"pa-desk plans run-due: the payment gateway could not be reached; "
            f"{report.unreachable} installment(s) left for the next run"
        )
    if report.failed:
        _err(f"pa-desk plans run-due: {report.failed} installment(s) not charged (see the log)")
    return 0


def _list(args: argparse.Namespace) -> int:
    number = (args.account or "").strip()
    desk = _open(args)
    try:
        found = [r for r in desk.lookup(number).results if r.account_number == number]
        if not number or not found:
            _err(f"pa-desk plans list: no account {number}")
            return 2
        plans = _plans(desk).plans_of(found[0].account_id)
    finally:
        desk.close()
    if getattr(args, "json", False):
        print(json.dumps([_as_json(plan) for plan in plans]))
        return 0
    if not plans:
        print(f"Account {number} has no payment plan.")
    for plan in plans:
        print(_describe(plan))
    return 0


def _describe(plan: PlanInfo) -> str:
    from app.domain.money import format_usd

    lines = [
        f"Plan {plan.id.hex[:8]}  {plan.status}  total {format_usd(plan.total_cents)}  "
        f"down {format_usd(plan.down_payment_cents)}  "
        f"{format_usd(plan.installment_cents)} a month × {plan.months}  "
        f"paid {format_usd(plan.paid_cents)}  left {format_usd(plan.remaining_cents)}",
        f"  autopay: {plan.autopay_label or 'none'}"
        + (f" (consent: {plan.consent_by})" if plan.consent_by else ""),
    ]
    for line in plan.installments:
        lines.append(
            f"  {line.sequence:>3}  {line.due_date:%m/%d/%Y}  "
            f"{format_usd(line.amount_cents):>11}  {line.status}"
        )
    return "\n".join(lines)


def _as_json(plan: PlanInfo) -> dict[str, Any]:
    return {
        "id": str(plan.id),
        "status": plan.status,
        "total_cents": plan.total_cents,
        "down_payment_cents": plan.down_payment_cents,
        "installment_cents": plan.installment_cents,
        "months": plan.months,
        "next_due_date": plan.next_due_date.isoformat() if plan.next_due_date else None,
        "next_due_cents": plan.next_due_cents,
        "paid_cents": plan.paid_cents,
        "remaining_cents": plan.remaining_cents,
        "autopay": plan.autopay_label,
        "installments": [
            {
                "sequence": line.sequence,
                "due_date": line.due_date.isoformat(),
                "amount_cents": line.amount_cents,
                "status": line.status,
            }
            for line in plan.installments
        ],
    }
