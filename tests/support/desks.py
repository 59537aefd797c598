"""Real desks on throwaway SQLite files for payment tests: one demo practice is built
per test session and copied for each test (copying a file is much faster than building
the demo again), so every test owns its database and its sandbox gateway."""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from app.domain.payment_entry import CardEntry, parse_card
from app.services.desk import Desk, open_desk
from app.store.models import LedgerEntry

DEMO_PATIENTS = 40
TODAY = date(2026, 11, 23)
_TEMPLATES: dict[Path, Path] = {}


def demo_desk(folder: Path, template_root: Path) -> Desk:
    """A desk on a fresh copy of the session's demo database, in ``folder``.

    Its sandbox gateway's file is ``folder / "sandbox-gateway.sqlite3"``."""
    template = template_root / "template.sqlite3"
    if not template.exists():
        open_desk(f"sqlite:///{template}", demo_patients=DEMO_PATIENTS, today=lambda: TODAY).close()
        (template_root / "sandbox-gateway.sqlite3").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "desk.sqlite3"
    shutil.copyfile(template, target)
    return open_desk(f"sqlite:///{target}", demo_patients=0, today=lambda: TODAY)


def accounts_with_due(desk: Desk, at_least_cents: int = 5_000) -> list[uuid.UUID]:
    """Accounts with at least ``at_least_cents`` due now (not with insurance), by id."""
    with desk.engine.connect() as conn:
        candidates = conn.scalars(
            select(LedgerEntry.account_id)
            .group_by(LedgerEntry.account_id)
            .having(func.sum(LedgerEntry.amount_cents) >= at_least_cents)
            .order_by(LedgerEntry.account_id)
        ).all()
    found = []
    for account_id in candidates:
        explanation, _ = desk.payments.open_visits(account_id)
        if explanation.due_now >= at_least_cents:
            found.append(account_id)
    return found


def card(number: str = "4242424242424242") -> CardEntry:
    """A sandbox test card as the form would parse it."""
    return parse_card(number, "12/29", "123", "02139", "Ana Ruiz", today=TODAY)


def ledger_balance(desk: Desk, account_id: uuid.UUID) -> int:
    """The account's balance: the ledger's sum."""
    with desk.engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == account_id
                )
            )
            or 0
        )
