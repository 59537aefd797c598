"""Kill a desk taking real payments at random moments; check nothing was charged without
its ledger entries, nothing posted twice, and the central ledger equals the desk's.

The sync issue's fault script (``app.bench.faults``) extended to payments. A desk lives
in a temporary folder: its SQLite store, the sandbox gateway's file next to it (the
processor's side, which survives the desk as a real processor would), and a central
database. Each trial starts a child process that plays the desk: it opens it (sometimes
settling what the last one left with :meth:`Payments.reconcile`, as a desk start does),
then takes payments with :meth:`Payments.take` in a loop with the sandbox's test cards
(approvals, declines, charged-then-timeout, ACH), presses Pay twice with the same key
now and then, and pushes to the central database every few payments. The parent kills
it with SIGKILL after a random delay, so the kill lands anywhere: in the pending row's
commit, inside the gateway's transaction, between the gateway's approval and the local
commit, during a push or a reconcile. After each kill the parent notes the payments left
pending and whether the gateway had charged them. No pause is added to the desk's code:
the children's sandbox answers after ``latency_ms`` (the existing
``PA_DESK_GATEWAY_LATENCY_MS`` setting; real processors take longer), during which the
charge is committed on the processor's side and not yet here, so random kills land in
that window often (``killed_after_approval`` counts them).

After the last trial the desk restarts: :func:`app.services.desk.open_desk` (which runs
``Payments.reconcile()``). A payment whose key the gateway never saw stays pending at
that start if it is younger than ``SETTLE_AFTER`` (its request might still be on the
way); all children are dead, so those are settled as the next start after that wait
would (``settled_after_wait`` counts them). Then every waiting row is pushed, and:

- ``charged_without_ledger``: gateway charges whose payment is not approved here with
  ledger entries for exactly its amount (must be 0);
- ``posted_twice``: approved payments with more (or fewer) ledger entries than
  allocation lines, or more than one payment row for one key (must be 0);
- ``ledger_without_charge``: ledger entries of a payment the gateway did not approve
  (must be 0);
- ``approved_without_charge``: approved payments whose key the gateway does not know as
  an approved charge of that amount (must be 0);
- ``pending_left``: payments still pending after the restart (must be 0);
- ``central_ledger_missing`` / ``central_ledger_extra`` / ``central_payments_differ``:
  the central ledger (ids and sum) and payment statuses against the desk's (must be 0).

``python -m app.bench.pay_faults --child ...`` is the child; :func:`run` the parent. The
central URL reaches the child through the environment, never the command line (a
password in it would show in the process list).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from app.domain.codes import LedgerKind, PaymentStatus, Relationship, Role
from app.domain.payment_entry import parse_bank, parse_card
from app.integrations.gateway import GatewayStatus, Source
from app.integrations.sandbox_gateway import SandboxGateway
from app.store.db import make_engine, session_factory
from app.store.migrate import upgrade_to_head
from app.store.models import Encounter, GuarantorAccount, LedgerEntry, Patient, Payment, User
from app.store.types import utcnow
from app.sync.outbox import track_writes, waiting
from app.sync.push import CentralUnavailable, push, push_all

ORIGIN = "pay-fault-desk"
CENTRAL_ENV = "PA_DESK_PAY_FAULTS_CENTRAL"
GATEWAY_FILE = "sandbox-gateway.sqlite3"  # the name app.services.desk.gateway_for uses
VISITS_PER_ACCOUNT = 12
# The sandbox's answer time in the children. The processor has committed the charge
# while its answer travels back (a real one takes a few hundred ms), so this is the
# window between the gateway's approval and the desk's commit that kills must hit.
LATENCY_MS = 20.0
# (weight, kind, number): what the child's callers pay with.
MIX: tuple[tuple[int, str, str], ...] = (
    (60, "card", "4242424242424242"),  # approved
    (8, "card", "5555555555554444"),  # approved
    (8, "card", "4000000000000002"),  # declined
    (6, "card", "4000000000009995"),  # insufficient funds
    (8, "card", "4000000000000408"),  # charged, the answer times out: asked again
    (10, "ach", "000123456789"),  # bank debit
)

Say = Callable[[str], None]


def run(
    central_url: str,
    trials: int,
    *,
    seed: int | None = None,
    say: Say | None = None,
    latency_ms: float = LATENCY_MS,
) -> dict[str, Any]:
    """Run ``trials`` killed children against ``central_url``; the report's zeros are
    the proof (see the module docstring). ``latency_ms`` is the sandbox gateway's answer
    time in the children (``PA_DESK_GATEWAY_LATENCY_MS``)."""
    from app.bench.post import refuse_production
    from app.services.desk import open_desk

    refuse_production(central_url)
    rng = random.Random(seed)
    central = make_engine(central_url)
    upgrade_to_head(central)
    report: dict[str, Any] = {"trials": trials, "gateway_latency_ms": latency_ms}
    with tempfile.TemporaryDirectory(prefix="pa-desk-pay-faults-") as folder_name:
        folder = Path(folder_name)
        db_path = folder / "desk.sqlite3"
        local = make_engine(f"sqlite:///{db_path}")
        upgrade_to_head(local)
        username, accounts = _prepare(local, max(8, trials // 2), rng)
        push_all(local, central, origin=ORIGIN)  # the accounts and the agent
        (folder / "accounts.txt").write_text("\n".join(a.hex for a in accounts) + "\n")
        gateway = SandboxGateway(folder / GATEWAY_FILE)
        after_approval: set[uuid.UUID] = set()
        before_gateway: set[uuid.UUID] = set()
        not_killed = 0
        child_errors: list[str] = []
        env = dict(os.environ, **{CENTRAL_ENV: central_url})
        env["PA_DESK_GATEWAY_LATENCY_MS"] = str(latency_ms)
        for trial in range(trials):
            errors = folder / f"child-{trial}.err"
            with errors.open("wb") as err:
                child = subprocess.Popen(
                    [
                        sys.executable, "-m", "app.bench.pay_faults", "--child",
                        "--folder", str(folder), "--user", username,
                        "--seed", str(rng.getrandbits(32)),
                    ],
                    stdout=subprocess.PIPE, stderr=err, env=env, text=True,
                )  # fmt: skip
                assert child.stdout is not None
                child.stdout.readline()  # READY: imports done and the desk open
                time.sleep(rng.uniform(0.0, 0.5))
                child.send_signal(signal.SIGKILL)
                child.wait()
                child.stdout.close()
            if child.returncode != -signal.SIGKILL:
                not_killed += 1
                lines = errors.read_text(errors="replace").strip().splitlines()
                child_errors.append(lines[-1][:300] if lines else f"exit {child.returncode}")
            # What the kill left: payments pending, charged by the gateway or not.
            for payment_id, key in _pending(local):
                known = gateway.lookup(key)
                if known is not None and known.status == GatewayStatus.APPROVED:
                    after_approval.add(payment_id)
                elif known is None:
                    before_gateway.add(payment_id)
            if say and (trial + 1) % 10 == 0:
                say(f"trial {trial + 1}/{trials}")
        local.dispose()

        # The desk restarts: open_desk reconciles, then its sync sends everything.
        pending_at_restart = len(_pending_ids(db_path))
        desk = open_desk(f"sqlite:///{db_path}", demo_patients=0, username=username)
        try:
            # A key the gateway never saw is voided only once the payment is older than
            # SETTLE_AFTER (it might still be on its way). Every child is dead, so none
            # is: settle those as the next start after that wait would.
            young = [p for p, _ in _pending(desk.engine)]
            for payment_id in young:
                desk.payments.recheck(payment_id, settle_after=timedelta(0))
            report["settled_after_wait"] = len(young)
            push_all(desk.engine, central, origin=ORIGIN)
            report.update(_check(desk.engine, central, gateway, accounts))
            with desk.engine.connect() as conn:
                report["outbox_waiting"] = waiting(conn)
        finally:
            desk.close()
        report.update(
            children_not_killed=not_killed,
            child_errors=child_errors,
            killed_after_approval=len(after_approval),
            killed_before_gateway=len(before_gateway),
            pending_at_restart=pending_at_restart,
        )
    central.dispose()
    return report


def _prepare(local: Engine, accounts: int, rng: random.Random) -> tuple[str, list[uuid.UUID]]:
    """An agent and ``accounts`` self-pay accounts, each with visits charged and unpaid,
    written through tracked sessions (so they reach any central database at head)."""
    suffix = uuid.uuid4().hex[:8]
    today = date.today()
    username = f"fault_{suffix}"
    ids: list[uuid.UUID] = []
    with track_writes(session_factory(local)).begin() as session:
        session.add(User(username=username, display_name="Fault Agent", role=Role.AGENT))
        for n in range(accounts):
            account = GuarantorAccount(
                id=uuid.uuid4(), account_number=f"F{suffix}{n:03d}", first_name="Fault",
                last_name=f"Payer{n}",
            )  # fmt: skip
            session.add(account)
            session.flush()
            patient = Patient(
                id=uuid.uuid4(), account_id=account.id, mrn=f"F{suffix}{n:03d}",
                first_name="Fault", last_name=f"Child{n}", date_of_birth=date(2014, 5, 1),
                relationship_to_guarantor=Relationship.CHILD,
            )  # fmt: skip
            session.add(patient)
            session.flush()
            for v in range(VISITS_PER_ACCOUNT):
                day = today - timedelta(days=7 * v + 1)
                visit = Encounter(
                    id=uuid.uuid4(), patient_id=patient.id, account_id=account.id,
                    date_of_service=day, provider_name="Dr. Fault",
                )  # fmt: skip
                session.add(visit)
                session.flush()
                session.add(
                    LedgerEntry(
                        id=uuid.uuid4(), account_id=account.id, patient_id=patient.id,
                        encounter_id=visit.id, kind=LedgerKind.CHARGE,
                        amount_cents=rng.randint(12_000, 30_000), effective_date=day,
                        posted_at=utcnow(), memo="fault trial visit",
                    )
                )  # fmt: skip
            ids.append(account.id)
    return username, ids


def _pending(local: Engine) -> list[tuple[uuid.UUID, str]]:
    with local.connect() as conn:
        rows = conn.execute(
            select(Payment.id, Payment.idempotency_key).where(
                Payment.status == PaymentStatus.PENDING
            )
        ).all()
    return [(payment_id, key) for payment_id, key in rows]


def _pending_ids(db_path: Path) -> list[uuid.UUID]:
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        return [payment_id for payment_id, _ in _pending(engine)]
    finally:
        engine.dispose()


def _check(
    local: Engine, central: Engine, gateway: SandboxGateway, accounts: list[uuid.UUID]
) -> dict[str, Any]:
    from app.services.payments import _decode

    with local.connect() as conn:
        payments = conn.execute(
            select(
                Payment.id, Payment.idempotency_key, Payment.status, Payment.amount_cents,
                Payment.allocation, Payment.decline_code,
            ).where(Payment.account_id.in_(accounts))
        ).all()  # fmt: skip
        posted = {
            payment_id: (int(count), int(total))
            for payment_id, count, total in conn.execute(
                select(LedgerEntry.payment_id, func.count(), func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.payment_id.is_not(None))
                .group_by(LedgerEntry.payment_id)
            )
        }
        local_ledger = {
            entry_id: int(cents)
            for entry_id, cents in conn.execute(
                select(LedgerEntry.id, LedgerEntry.amount_cents).where(
                    LedgerEntry.account_id.in_(accounts)
                )
            )
        }
    with central.connect() as conn:
        central_ledger = {
            entry_id: int(cents)
            for entry_id, cents in conn.execute(
                select(LedgerEntry.id, LedgerEntry.amount_cents).where(
                    LedgerEntry.account_id.in_(accounts)
                )
            )
        }
        central_status = {
            payment_id: str(status)
            for payment_id, status in conn.execute(
                select(Payment.id, Payment.status).where(Payment.account_id.in_(accounts))
            )
        }

    charges = {c.key: c for c in gateway.charges()}
    by_key: dict[str, list[Any]] = {}
    for p in payments:
        by_key.setdefault(p.idempotency_key, []).append(p)

    charged_without_ledger = 0
    for key, charge in charges.items():
        rows = by_key.get(key, [])
        ok = (
            len(rows) == 1
            and rows[0].status == PaymentStatus.APPROVED
            and posted.get(rows[0].id, (0, 0))[1] == -charge.amount_cents
        )
        charged_without_ledger += 0 if ok else 1
    posted_twice = sum(len(rows) - 1 for rows in by_key.values())
    ledger_without_charge = approved_without_charge = 0
    for p in payments:
        count, total = posted.get(p.id, (0, 0))
        made = charges.get(p.idempotency_key)
        if p.status == PaymentStatus.APPROVED:
            if count != len(_decode(p.allocation)) or total != -p.amount_cents:
                posted_twice += 1
            if made is None or made.amount_cents != p.amount_cents:
                approved_without_charge += 1
        elif count:
            ledger_without_charge += 1
    statuses = [str(p.status) for p in payments]
    local_status = {p.id: str(p.status) for p in payments}
    return {
        "payments": len(payments),
        "approved": statuses.count(PaymentStatus.APPROVED.value),
        "declined": statuses.count(PaymentStatus.DECLINED.value),
        "voided_not_sent": sum(
            1 for p in payments if p.status == PaymentStatus.VOIDED and p.decline_code == "not_sent"
        ),
        "gateway_charges": len(charges),
        "charged_without_ledger": charged_without_ledger,
        "posted_twice": posted_twice,
        "ledger_without_charge": ledger_without_charge,
        "approved_without_charge": approved_without_charge,
        "pending_left": statuses.count(PaymentStatus.PENDING.value),
        "ledger_entries": len(local_ledger),
        "central_ledger_missing": len(local_ledger.keys() - central_ledger.keys()),
        "central_ledger_extra": len(central_ledger.keys() - local_ledger.keys()),
        "ledger_sum_local_cents": sum(local_ledger.values()),
        "ledger_sum_central_cents": sum(central_ledger.values()),
        "central_payments_differ": sum(
            1 for key, status in local_status.items() if central_status.get(key) != status
        )
        + len(central_status.keys() - local_status.keys()),
    }


# -- the child -------------------------------------------------------------------------


def _sources(today: date) -> tuple[list[Source], list[int]]:
    expiry = f"12/{(today.year + 3) % 100:02d}"
    sources: list[Source] = []
    for _, kind, number in MIX:
        if kind == "ach":
            sources.append(parse_bank("110000000", number, "checking", "Fault Payer"))
        else:
            sources.append(parse_card(number, expiry, "917", "02139", "Fault Payer", today=today))
    return sources, [weight for weight, _, _ in MIX]


def _child(args: argparse.Namespace) -> None:
    from app.services.desk import Desk
    from app.services.payments import PaymentRefused, new_key
    from app.services.views import UserInfo

    rng = random.Random(args.seed)
    folder = Path(args.folder)
    local = make_engine(f"sqlite:///{folder / 'desk.sqlite3'}")
    central = make_engine(os.environ[CENTRAL_ENV])
    accounts = [uuid.UUID(hex=line) for line in (folder / "accounts.txt").read_text().split()]
    with local.connect() as conn:
        user = conn.execute(select(User).where(User.username == args.user)).one()
    desk = Desk(
        local, UserInfo(user.id, user.username, user.display_name, str(user.role)),
        workstation=ORIGIN,
    )  # fmt: skip
    sources, weights = _sources(date.today())
    # Open every connection before saying READY, so kills land in the work itself.
    with local.connect(), central.connect():
        pass
    desk.gateway.ping()
    print("READY", flush=True)
    if rng.random() < 0.5:
        desk.payments.reconcile()  # a desk start settles what the last one left
    taken = 0
    while True:
        key = new_key()
        account = rng.choice(accounts)
        amount = rng.randint(100, 5_000)
        source = rng.choices(sources, weights)[0]
        try:
            desk.payments.take(account, amount, source, key, allow_overpayment=True)
        except PaymentRefused:
            # An earlier payment on this account is still unknown (a kill left it
            # pending, too young to call unsent): the desk rightly refuses to charge the
            # account again. The agent takes the next caller.
            continue
        if rng.random() < 0.1:  # the agent presses Pay again
            desk.payments.take(account, amount, source, key, allow_overpayment=True)
        taken += 1
        if taken % rng.randint(1, 4) == 0:
            try:
                push(local, central, origin=ORIGIN, batch=rng.randint(1, 25))
            except CentralUnavailable:
                time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--seed", type=int, default=0)
    _child(parser.parse_args())


if __name__ == "__main__":
    main()
