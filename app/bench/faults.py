"""Kill the desk's sync at random points and check the central ledger is exact.

Each trial starts a child process that plays a desk: it commits ledger entries to its
local store, writes each entry's key to an acknowledgement file once the commit has
returned (the moment the agent is told "saved"), and pushes every few entries. The
parent kills it with SIGKILL after a random delay, so the kill lands anywhere: inside
a local commit, between the central commit and the local mark, in the middle of a
central transaction. After the last trial the parent restarts the desk's sync (one
more push of everything waiting) and compares:

- ``lost``: acknowledged entries missing centrally (must be 0);
- ``duplicated``: entries that reached the central ledger more than once, or central
  entries the desk never committed (must be 0).

``python -m app.bench.faults --child ...`` is the child; :func:`run` the parent.
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
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.bench.sync_load import make_load
from app.domain.codes import LedgerKind
from app.store.db import make_engine, session_factory
from app.store.migrate import upgrade_to_head
from app.store.models import LedgerEntry, SyncLog
from app.store.types import utcnow
from app.sync.outbox import track_writes
from app.sync.push import CentralUnavailable, push, push_all

ORIGIN = "fault-desk"


def run(
    central_url: str, trials: int, *, seed: int | None = None, say: Any = None
) -> dict[str, Any]:
    rng = random.Random(seed)
    central = make_engine(central_url)
    upgrade_to_head(central)
    with tempfile.TemporaryDirectory(prefix="pa-desk-faults-") as folder:
        load = make_load(Path(folder), 0, name="desk")
        push_all(load.local, central, origin=ORIGIN)  # the account itself
        ack = Path(folder) / "acknowledged.txt"
        ack.touch()
        db_path = Path(folder) / "desk.sqlite3"
        killed_mid_push = 0
        for trial in range(trials):
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app.bench.faults",
                    "--child",
                    "--local",
                    str(db_path),
                    "--central",
                    central_url,
                    "--account",
                    load.account_id.hex,
                    "--ack",
                    str(ack),
                    "--seed",
                    str(rng.getrandbits(32)),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert child.stdout is not None
            child.stdout.readline()  # READY: imports done, writing starts now
            time.sleep(rng.uniform(0.0, 0.4))
            child.send_signal(signal.SIGKILL)
            child.wait()
            killed_mid_push += 0 if child.returncode == -signal.SIGKILL else 1
            if say and (trial + 1) % 10 == 0:
                say(f"trial {trial + 1}/{trials}")
        # The desk restarts: its sync sends whatever is still waiting.
        push_all(load.local, central, origin=ORIGIN)
        acknowledged = {line.strip() for line in ack.read_text().splitlines() if line.strip()}
        with load.local.connect() as conn:
            committed = {
                key.hex
                for key in conn.scalars(
                    select(LedgerEntry.id).where(LedgerEntry.account_id == load.account_id)
                )
            }
        with central.connect() as conn:
            central_ids = [
                key.hex
                for key in conn.scalars(
                    select(LedgerEntry.id).where(LedgerEntry.account_id == load.account_id)
                )
            ]
            logged = Counter(
                key.hex
                for key in conn.scalars(
                    select(SyncLog.row_id).where(SyncLog.table_name == "ledger_entry")
                )
            )
            central_sum = conn.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == load.account_id
                )
            )
        with load.local.connect() as conn:
            local_sum = conn.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == load.account_id
                )
            )
        load.local.dispose()
    central.dispose()
    central_set = set(central_ids)
    duplicated = (
        (len(central_ids) - len(central_set))
        + len(central_set - committed)
        + sum(1 for key in central_set if logged[key] > 1)
    )
    return {
        "trials": trials,
        "acknowledged": len(acknowledged),
        "committed_locally": len(committed),
        "central": len(central_set),
        "lost": len(acknowledged - central_set) + len(committed - central_set),
        "duplicated": duplicated,
        "balance_matches": int(central_sum or 0) == int(local_sum or 0),
        "children_not_killed": killed_mid_push,
    }


def _child(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    local = make_engine(f"sqlite:///{args.local}")
    central = make_engine(args.central)
    sessions = track_writes(session_factory(local))
    account = uuid.UUID(hex=args.account)
    # Open both connections before saying READY, so kills land in the work itself.
    with local.connect(), central.connect():
        pass
    print("READY", flush=True)
    with open(args.ack, "a", encoding="ascii") as ack:
        written = 0
        while True:
            key = uuid.uuid4()
            with sessions.begin() as session:
                session.add(
                    LedgerEntry(
                        id=key,
                        account_id=account,
                        kind=LedgerKind.PATIENT_PAYMENT,
                        amount_cents=-rng.randint(100, 9_999),
                        effective_date=date.today(),
                        posted_at=utcnow(),
                        memo="fault trial",
                    )
                )
            ack.write(key.hex + "\n")
            ack.flush()
            os.fsync(ack.fileno())
            written += 1
            if written % rng.randint(1, 4) == 0:
                try:
                    push(local, central, origin=ORIGIN, batch=rng.randint(1, 25))
                except CentralUnavailable:
                    time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", required=True)
    parser.add_argument("--local", required=True)
    parser.add_argument("--central", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--ack", required=True)
    parser.add_argument("--seed", type=int, default=0)
    _child(parser.parse_args())


if __name__ == "__main__":
    main()
