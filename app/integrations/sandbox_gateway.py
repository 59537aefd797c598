"""A sandbox payment gateway that behaves like a real processor and moves no money.

Test cards follow the large processors' convention (any future expiry, any CVV):

=====================  ==========================================================
4242 4242 4242 4242    approved (also 5555 5555 5555 4444, 3782 822463 10005,
                       6011 1111 1111 1117 and any other valid number)
4000 0000 0000 0002    declined (generic decline)
4000 0000 0000 9995    declined: insufficient funds
4000 0000 0000 0069    declined: expired card
4000 0000 0000 0127    declined: CVV does not match
4000 0000 0000 0119    processing error (try again)
4000 0000 0000 0408    charged, but the answer times out (ask again with the same key)
=====================  ==========================================================

Bank accounts (any valid routing number, e.g. 110000000): account 000123456789 settles;
000111111116 comes back R01 (insufficient funds), 000111111113 R02 (account closed),
000222222227 R03 (no account), 000333333335 R04 (invalid account number). ACH debits are
approved when sent and returned later, as real ones are (:meth:`returns`).

The processor's side is its own SQLite file, so it survives the desk being killed, as a
real processor would: idempotency keys, charges, refunds and tokens. It never holds a
card number: a token remembers only how its card behaves (``approve``, ``decline``...).
Putting a file named ``gateway-down`` next to it makes the gateway unreachable.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.domain.payment_entry import BankEntry, CardEntry
from app.integrations.gateway import (
    GatewayError,
    GatewayResult,
    GatewayStatus,
    GatewayTimeout,
    GatewayUnavailable,
    Source,
    StoredCard,
)

# How each test card behaves: (decline code or None, message).
_CARDS: dict[str, str] = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000000000000408": "timeout",
}
_ACH_RETURNS: dict[str, str] = {
    "000111111116": "R01",
    "000111111113": "R02",
    "000222222227": "R03",
    "000333333335": "R04",
}
DECLINE_WORDS: dict[str, str] = {
    "card_declined": "The card was declined by the bank. Ask for another card.",
    "insufficient_funds": "The card has insufficient funds. Offer a smaller amount or a plan.",
    "expired_card": "The bank says the card has expired. Check the date or use another card.",
    "incorrect_cvc": "The security code (CVV) does not match. Ask the caller to read it again.",
    "processing_error": "The bank could not process it just now. Try again in a moment.",
    "account_closed": "The bank account is closed.",
}
RETURN_WORDS: dict[str, str] = {
    "R01": "insufficient funds",
    "R02": "account closed",
    "R03": "no account / unable to locate account",
    "R04": "invalid account number",
}
DOWN_FLAG = "gateway-down"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operation (
    key TEXT PRIMARY KEY,
    op TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    reference TEXT NOT NULL,
    token TEXT,
    brand TEXT,
    last4 TEXT,
    decline_code TEXT,
    return_code TEXT,
    parent TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_operation_reference ON operation (reference);
CREATE TABLE IF NOT EXISTS token (
    token TEXT PRIMARY KEY,
    behaviour TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL
);
"""


class SandboxGateway:
    """See the module docstring. Thread-safe; several processes may share the file."""

    name = "Sandbox"
    live = False

    def __init__(self, path: Path, *, latency_s: float = 0.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.latency_s = latency_s
        self._local = threading.local()
        with self._tx() as db:
            db.executescript(_SCHEMA)

    # -- the protocol ---------------------------------------------------------------

    def ping(self) -> None:
        self._reachable()

    def authorize(
        self, key: str, amount_cents: int, source: Source, *, capture: bool = True
    ) -> GatewayResult:
        self._reachable()
        if amount_cents <= 0:
            raise GatewayError("the amount must be positive")
        behaviour, brand, last4, token = self._behaviour(source)
        fingerprint = _fingerprint("authorize", amount_cents, brand, last4)
        with self._tx() as db:
            known = self._known(db, key, fingerprint)
            if known is None:
                decline = behaviour if behaviour in DECLINE_WORDS else None
                if behaviour.startswith("R0"):
                    decline = None
                status = GatewayStatus.DECLINED if decline else GatewayStatus.APPROVED
                if status == GatewayStatus.APPROVED and token is None:
                    token = self._issue_token(db, behaviour, brand, last4)
                known = self._insert(
                    db, key, "authorize", fingerprint, status, amount_cents,
                    token=token, brand=brand, last4=last4, decline_code=decline,
                    return_code=behaviour if behaviour.startswith("R0") else None,
                )  # fmt: skip
                if behaviour == "timeout":
                    # The charge is made; the answer is lost on the way back.
                    db.commit()
                    raise GatewayTimeout("the gateway did not answer in time")
        self._pause()
        return known

    def capture(self, key: str, reference: str, amount_cents: int) -> GatewayResult:
        # Sandbox charges are captured when authorized; capturing again answers the same.
        self._reachable()
        with self._tx() as db:
            parent = self._by_reference(db, reference)
            fingerprint = _fingerprint("capture", amount_cents, reference, "")
            known = self._known(db, key, fingerprint)
            if known is None:
                known = self._insert(
                    db, key, "capture", fingerprint, GatewayStatus(parent.status),
                    amount_cents, parent=reference, brand=parent.brand, last4=parent.last4,
                )  # fmt: skip
        return known

    def void(self, key: str, reference: str) -> GatewayResult:
        self._reachable()
        with self._tx() as db:
            parent = self._by_reference(db, reference)
            fingerprint = _fingerprint("void", parent.amount_cents, reference, "")
            known = self._known(db, key, fingerprint)
            if known is None:
                db.execute(
                    "UPDATE operation SET status = ? WHERE reference = ?",
                    (GatewayStatus.VOIDED.value, reference),
                )
                known = self._insert(
                    db, key, "void", fingerprint, GatewayStatus.VOIDED, parent.amount_cents,
                    parent=reference, brand=parent.brand, last4=parent.last4,
                )  # fmt: skip
        return known

    def refund(self, key: str, reference: str, amount_cents: int) -> GatewayResult:
        self._reachable()
        if amount_cents <= 0:
            raise GatewayError("the amount must be positive")
        with self._tx() as db:
            parent = self._by_reference(db, reference)
            fingerprint = _fingerprint("refund", amount_cents, reference, "")
            known = self._known(db, key, fingerprint)
            if known is None:
                if parent.status != GatewayStatus.APPROVED:
                    raise GatewayError("only an approved charge can be refunded")
                refunded = db.execute(
                    "SELECT COALESCE(SUM(amount_cents), 0) FROM operation "
                    "WHERE op = 'refund' AND parent = ?",
                    (reference,),
                ).fetchone()[0]
                if refunded + amount_cents > parent.amount_cents:
                    raise GatewayError("a refund cannot be larger than what is left of the charge")
                known = self._insert(
                    db, key, "refund", fingerprint, GatewayStatus.APPROVED, amount_cents,
                    parent=reference, brand=parent.brand, last4=parent.last4,
                )  # fmt: skip
        self._pause()
        return known

    def tokenize(self, key: str, source: CardEntry) -> StoredCard:
        self._reachable()
        behaviour, brand, last4, _ = self._behaviour(source)
        with self._tx() as db:
            fingerprint = _fingerprint("tokenize", 0, brand, last4)
            known = self._known(db, key, fingerprint)
            if known is None:
                if behaviour in DECLINE_WORDS and behaviour != "insufficient_funds":
                    # A zero-amount check still fails for a dead or mistyped card.
                    raise GatewayError(DECLINE_WORDS[behaviour])
                token = self._issue_token(db, behaviour, brand, last4)
                known = self._insert(
                    db, key, "tokenize", fingerprint, GatewayStatus.APPROVED, 0,
                    token=token, brand=brand, last4=last4,
                )  # fmt: skip
        assert known.token is not None
        return StoredCard(known.token, brand, last4, source.exp_month, source.exp_year)

    def lookup(self, key: str) -> GatewayResult | None:
        self._reachable()
        with self._tx() as db:
            row = db.execute("SELECT * FROM operation WHERE key = ?", (key,)).fetchone()
        return _result(row) if row else None

    def returns(self) -> list[GatewayResult]:
        """ACH debits to the R01-R04 test accounts come back once they have "settled"
        (in the sandbox: as soon as they are made)."""
        self._reachable()
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM operation WHERE return_code IS NOT NULL AND op = 'authorize' "
                "AND status = ? ORDER BY at",
                (GatewayStatus.APPROVED.value,),
            ).fetchall()
        return [
            GatewayResult(
                key=row["key"],
                status=GatewayStatus.RETURNED,
                amount_cents=row["amount_cents"],
                reference=row["reference"],
                brand=row["brand"],
                last4=row["last4"],
                return_code=row["return_code"],
                message=f"returned by the bank: {RETURN_WORDS[row['return_code']]}",
                at=datetime.fromisoformat(row["at"]),
            )
            for row in rows
        ]

    # -- for tests and benchmarks ---------------------------------------------------

    def charges(self) -> list[GatewayResult]:
        """Every approved charge the processor made (what a statement from it lists)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM operation WHERE op = 'authorize' AND status = ?",
                (GatewayStatus.APPROVED.value,),
            ).fetchall()
        return [_result(row) for row in rows]

    def set_down(self, down: bool) -> None:
        flag = self.path.parent / DOWN_FLAG
        if down:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)

    @property
    def down(self) -> bool:
        return (self.path.parent / DOWN_FLAG).exists()

    # -- inside ---------------------------------------------------------------------

    def _reachable(self) -> None:
        if self.down:
            raise GatewayUnavailable("the payment gateway cannot be reached")

    def _pause(self) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)

    def _behaviour(self, source: Source) -> tuple[str, str, str, str | None]:
        """(behaviour, brand, last four, token) of what is charged."""
        if isinstance(source, StoredCard):
            with self._tx() as db:
                row = db.execute("SELECT * FROM token WHERE token = ?", (source.token,)).fetchone()
            if row is None and source.token.startswith("tok_demo_"):
                # The demo practice's cards on file (plans made before this desk existed).
                return "approve", source.brand, source.last4, source.token
            if row is None:
                raise GatewayError("the stored card is not known to the gateway")
            return row["behaviour"], row["brand"], row["last4"], source.token
        if isinstance(source, BankEntry):
            behaviour = _ACH_RETURNS.get(source.account, "approve")
            return behaviour, source.account_type.value, source.last4, None
        return _CARDS.get(source.number, "approve"), source.brand.value, source.last4, None

    def _issue_token(self, db: sqlite3.Connection, behaviour: str, brand: str, last4: str) -> str:
        token = "tok_sandbox_" + uuid.uuid4().hex[:20]
        # A stored card that timed out once charges normally later.
        kept = "approve" if behaviour == "timeout" else behaviour
        db.execute("INSERT INTO token VALUES (?, ?, ?, ?)", (token, kept, brand, last4))
        return token

    def _known(self, db: sqlite3.Connection, key: str, fingerprint: str) -> GatewayResult | None:
        row = db.execute("SELECT * FROM operation WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        if row["fingerprint"] != fingerprint:
            raise GatewayError("this idempotency key was used for a different request")
        return _result(row)

    def _by_reference(self, db: sqlite3.Connection, reference: str) -> GatewayResult:
        row = db.execute(
            "SELECT * FROM operation WHERE reference = ? AND op = 'authorize'", (reference,)
        ).fetchone()
        if row is None:
            raise GatewayError("no charge with that reference")
        return _result(row)

    def _insert(
        self,
        db: sqlite3.Connection,
        key: str,
        op: str,
        fingerprint: str,
        status: GatewayStatus,
        amount_cents: int,
        *,
        token: str | None = None,
        brand: str | None = None,
        last4: str | None = None,
        decline_code: str | None = None,
        return_code: str | None = None,
        parent: str | None = None,
    ) -> GatewayResult:
        reference = "sbx_" + uuid.uuid4().hex[:16]
        at = datetime.now(UTC).isoformat()
        db.execute(
            "INSERT INTO operation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key, op, fingerprint, status.value, amount_cents, reference, token, brand,
                last4, decline_code, return_code, parent, at,
            ),
        )  # fmt: skip
        row = db.execute("SELECT * FROM operation WHERE key = ?", (key,)).fetchone()
        return _result(row)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: a key is checked and written atomically, also
        against another process using the same file."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        else:
            if db.in_transaction:
                db.execute("COMMIT")


def _fingerprint(op: str, amount_cents: int, a: str, b: str) -> str:
    """What a key was first used for: a reuse for something else is refused."""
    return hashlib.sha256(f"{op}|{amount_cents}|{a}|{b}".encode()).hexdigest()[:32]


def _result(row: sqlite3.Row) -> GatewayResult:
    code = row["decline_code"]
    return GatewayResult(
        key=row["key"],
        status=GatewayStatus(row["status"]),
        amount_cents=row["amount_cents"],
        reference=row["reference"],
        token=row["token"],
        brand=row["brand"],
        last4=row["last4"],
        decline_code=code,
        message=DECLINE_WORDS.get(code, "") if code else "",
        return_code=row["return_code"],
        at=datetime.fromisoformat(row["at"]),
    )
