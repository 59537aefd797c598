"""Demo data: shape, 835 arithmetic, ledger, determinism, and both engines."""

from __future__ import annotations

import hashlib
import random
import re
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.demo import DemoSummary, demo_users, generate_demo
from app.demo.adjudication import Accumulator, adjudicate, coordinate
from app.demo.care import CPT_CODES
from app.demo.contact import PhoneBook
from app.demo.payers import ALL, PlanRules
from app.demo.tables import COLUMNS, ORDER, missing_columns, new_key, new_uuid
from app.domain.codes import LedgerKind, Role
from app.store.db import make_engine
from app.store.lookup_index import guarantor_row, patient_row
from app.store.migrate import upgrade_to_head
from app.store.models import Base, LedgerEntry, Patient, User

TODAY = date(2026, 11, 20)
SMALL = 300


def _sqlite(path: Path) -> Engine:
    engine = make_engine(str(path))
    upgrade_to_head(engine)
    return engine


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoSummary, Path]]:
    """One SQLite demo shared by the read-only checks (600 patients, seed 7)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    engine = _sqlite(path)
    summary = generate_demo(engine, 600, seed=7, today=TODAY)
    yield engine, summary, path
    engine.dispose()


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def _digest(path: Path) -> dict[str, str]:
    """A hash of every demo table's rows in key order, read straight from the file."""
    db = sqlite3.connect(path)
    try:
        return {
            table: hashlib.sha256(
                repr(db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()).encode()
            ).hexdigest()
            for table in ORDER
        }
    finally:
        db.close()


# -- shape ---------------------------------------------------------------------------


def test_counts_and_identifiers(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, summary, _ = demo
    assert summary.patients == 600
    [(patients, accounts, encounters, ledger)] = _rows(
        engine,
        "SELECT (SELECT count(*) FROM patient), (SELECT count(*) FROM guarantor_account),"
        " (SELECT count(*) FROM encounter), (SELECT count(*) FROM ledger_entry)",
    )
    assert (patients, accounts, encounters, ledger) == (
        summary.patients, summary.accounts, summary.encounters, summary.ledger_entries,
    )  # fmt: skip
    assert 2.0 <= patients / accounts <= 2.6  # about 2.3 children per family
    assert 1.3 <= encounters / patients <= 2.2
    numbers = [r[0] for r in _rows(engine, "SELECT account_number FROM guarantor_account")]
    assert all(re.fullmatch(r"\d{8}", n) for n in numbers) and len(set(numbers)) == accounts
    mrns = [r[0] for r in _rows(engine, "SELECT mrn FROM patient")]
    assert all(re.fullmatch(r"\d{7}", m) for m in mrns) and len(set(mrns)) == patients
    relationships = {r[0] for r in _rows(engine, "SELECT relationship_to_guarantor FROM patient")}
    assert {"child", "self"} <= relationships <= {"child", "self", "ward", "other"}


def test_ages_are_pediatric(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    for born, relationship in _rows(
        engine, "SELECT date_of_birth, relationship_to_guarantor FROM patient"
    ):
        age = (TODAY - date.fromisoformat(str(born))).days / 365.25
        assert 2 <= age < 21
        if relationship == "self":
            assert age >= 18


def test_names_mix_locales(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    names = [f"{a} {b}" for a, b in _rows(engine, "SELECT first_name, last_name FROM patient")]
    accented = [n for n in names if re.search(r"[áéíóúñÁÉÍÓÚÑü]", n)]
    assert 0.05 < len(accented) / len(names) < 0.5


def test_lookup_rows_come_from_the_index_functions(
    demo: tuple[Engine, DemoSummary, Path],
) -> None:
    engine, summary, _ = demo
    lookups = {row.id: row._asdict() for row in _rows(engine, "SELECT * FROM person_lookup")}
    assert len(lookups) == summary.patients + summary.accounts
    accounts = {row.id: row for row in _rows(engine, "SELECT * FROM guarantor_account")}
    for row in accounts.values():
        expected = guarantor_row(
            account_id=uuid.UUID(row.id), account_number=row.account_number,
            first_name=row.first_name, last_name=row.last_name,
            date_of_birth=date.fromisoformat(row.date_of_birth), phone_e164=row.phone_e164,
        )  # fmt: skip
        assert _as_stored(expected) == lookups[row.id]
    for row in _rows(engine, "SELECT * FROM patient"):
        account = accounts[row.account_id]
        expected = patient_row(
            patient_id=uuid.UUID(row.id), account_id=uuid.UUID(row.account_id),
            account_number=account.account_number, mrn=row.mrn, first_name=row.first_name,
            last_name=row.last_name, date_of_birth=date.fromisoformat(row.date_of_birth),
            phone_e164=account.phone_e164,
        )  # fmt: skip
        assert _as_stored(expected) == lookups[row.id]


def _as_stored(row: dict[str, Any]) -> dict[str, Any]:
    def stored(value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, date):
            return value.isoformat()
        return getattr(value, "value", value)

    return {key: stored(value) for key, value in row.items()}


def test_every_phone_is_valid_e164(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    phones = [
        p for row in _rows(engine, "SELECT phone_e164, alt_phone_e164 FROM guarantor_account")
        for p in row if p is not None
    ]  # fmt: skip
    assert len(phones) > 250
    for phone in phones:
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone


def test_phone_book_numbers_are_valid() -> None:
    rng = random.Random(3)
    book = PhoneBook(rng)
    for _ in range(5_000):
        number = phonenumbers.parse(book.number(rng, "TX"), None)
        assert phonenumbers.is_valid_number(number)


# -- insurance and claims -------------------------------------------------------------


def test_payer_mix(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, summary, _ = demo
    kinds = dict(
        _rows(
            engine,
            "SELECT p.kind, count(DISTINCT c.patient_id) FROM coverage c"
            " JOIN payer p ON p.id = c.payer_id WHERE c.priority = 1 GROUP BY p.kind",
        )
    )
    assert 0.25 < kinds["medicaid"] / summary.patients < 0.48
    assert 0.45 < kinds["commercial"] / summary.patients < 0.7
    [(uninsured,)] = _rows(
        engine, "SELECT count(*) FROM patient WHERE id NOT IN (SELECT patient_id FROM coverage)"
    )
    [(secondary,)] = _rows(engine, "SELECT count(*) FROM coverage WHERE priority = 2")
    assert 0.01 < uninsured / summary.patients < 0.12
    assert 0.02 < secondary / summary.patients < 0.15
    [(snapshots, bad)] = _rows(
        engine,
        "SELECT count(*), sum(source != 'x12_271' OR behavioral_health_covered != 1"
        " OR deductible_met_cents > deductible_cents) FROM benefits_snapshot",
    )
    assert snapshots > 20 and bad == 0


def test_procedure_codes_and_fees(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    codes = dict(_rows(engine, "SELECT cpt_code, min(charge_cents) FROM procedure_line GROUP BY 1"))
    assert set(codes) <= set(CPT_CODES)
    assert {"90791", "90834", "90837", "99213"} <= set(codes)
    assert codes["90837"] == 25_000 and codes["90791"] == 30_000


def test_835_lines_balance(demo: tuple[Engine, DemoSummary, Path]) -> None:
    """billed = paid + all adjustments on every line; claim totals are their lines'."""
    engine, _, _ = demo
    adjustments: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for line_id, group, amount in _rows(
        engine, "SELECT adjudication_line_id, group_code, amount_cents FROM line_adjustment"
    ):
        adjustments[line_id].append((group, amount))
    claims: dict[str, list[Any]] = defaultdict(list)
    for line in _rows(engine, "SELECT * FROM adjudication_line"):
        assert line.billed_cents == line.paid_cents + sum(a for _, a in adjustments[line.id])
        assert line.paid_cents >= 0
        claims[line.claim_id].append(line)
    statuses: dict[str, int] = defaultdict(int)
    for claim in _rows(engine, "SELECT * FROM claim"):
        statuses[claim.status] += 1
        lines = claims.get(claim.id, [])
        if claim.status == "submitted":
            assert not lines and claim.adjudicated_on is None and claim.paid_cents == 0
            continue
        assert lines and claim.adjudicated_on is not None
        assert claim.billed_cents == sum(line.billed_cents for line in lines)
        assert claim.paid_cents == sum(line.paid_cents for line in lines)
        assert claim.patient_responsibility_cents == sum(
            a for line in lines for g, a in adjustments[line.id] if g == "PR"
        )
    assert statuses["adjudicated"] > statuses["submitted"] > 0
    assert statuses["denied"] > 0
    reasons = set(_rows(engine, "SELECT DISTINCT group_code, reason_code FROM line_adjustment"))
    assert {("CO", "45"), ("PR", "1"), ("PR", "2"), ("PR", "3")} <= reasons


def test_medicaid_pays_nearly_everything(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    shares = _rows(
        engine,
        "SELECT cl.patient_responsibility_cents FROM claim cl JOIN coverage c ON c.id ="
        " cl.coverage_id JOIN payer p ON p.id = c.payer_id"
        " WHERE p.kind = 'medicaid' AND cl.status = 'adjudicated' AND c.priority = 1",
    )
    assert shares and max(s for (s,) in shares) <= 300 * 2  # a $3 copay per line at most


@given(
    billed=st.integers(0, 1_000_000),
    allowed_bp=st.integers(1, 10_000),
    deductible=st.integers(0, 500_000),
    coinsurance_bp=st.integers(0, 10_000),
    copay=st.integers(0, 10_000),
    oop=st.integers(0, 800_000),
    met=st.integers(0, 800_000),
)
def test_adjudication_always_balances(
    billed: int, allowed_bp: int, deductible: int, coinsurance_bp: int, copay: int, oop: int,
    met: int,
) -> None:  # fmt: skip
    rules = PlanRules(allowed_bp, deductible, coinsurance_bp, copay, oop)
    acc = Accumulator(deductible_met=min(met, deductible), oop_met=met)
    outcome = adjudicate(billed, "90834", rules, acc)
    assert billed == outcome.paid + sum(a for _, _, a in outcome.adjustments)
    assert outcome.paid >= 0 and all(a > 0 for _, _, a in outcome.adjustments)
    assert acc.deductible_met <= max(deductible, min(met, deductible))
    if oop:
        assert acc.oop_met <= max(oop, met)
    second = coordinate(billed, outcome.patient_share, rules)
    assert billed == second.paid + sum(a for _, _, a in second.adjustments)


# -- money ----------------------------------------------------------------------------


def test_no_float_anywhere(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    for table, columns in COLUMNS.items():
        checks = " + ".join(f"(typeof({c}) = 'real')" for c in columns)
        [(floats,)] = _rows(engine, f"SELECT coalesce(sum({checks}), 0) FROM {table}")
        assert floats == 0, table


def test_ledger_matches_encounters_and_claims(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    charges = dict(
        _rows(engine, "SELECT encounter_id, sum(charge_cents) FROM procedure_line GROUP BY 1")
    )
    posted = dict(
        _rows(
            engine,
            "SELECT encounter_id, sum(amount_cents) FROM ledger_entry"
            " WHERE kind = 'charge' GROUP BY 1",
        )
    )
    assert posted == charges
    insurer = dict(
        _rows(
            engine,
            "SELECT claim_id, -sum(amount_cents) FROM ledger_entry"
            " WHERE kind = 'insurance_payment' GROUP BY 1",
        )
    )
    paid = {k: v for k, v in _rows(engine, "SELECT id, paid_cents FROM claim") if v}
    assert insurer == paid
    kinds = {k for (k,) in _rows(engine, "SELECT DISTINCT kind FROM ledger_entry")}
    assert kinds <= {k.value for k in LedgerKind}
    signs = _rows(
        engine,
        "SELECT count(*) FROM ledger_entry WHERE (kind IN ('charge', 'refund') AND"
        " amount_cents <= 0) OR (kind NOT IN ('charge', 'refund') AND amount_cents >= 0)",
    )
    assert signs == [(0,)]


def test_balances_are_varied(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, summary, _ = demo
    balances = [
        b for (b,) in _rows(
            engine,
            "SELECT coalesce((SELECT sum(amount_cents) FROM ledger_entry l"
            " WHERE l.account_id = a.id), 0) FROM guarantor_account a",
        )
    ]  # fmt: skip
    zero = sum(1 for b in balances if b == 0)
    owing = sum(1 for b in balances if b > 0)
    credit = sum(1 for b in balances if b < 0)
    assert zero > summary.accounts * 0.25 and owing > summary.accounts * 0.15 and credit > 0
    [(recent,)] = _rows(
        engine, f"SELECT count(*) FROM statement WHERE statement_date >= '{TODAY.year}-10-01'"
    )
    assert recent > 0


def test_statements_print_the_ledger(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    rows = _rows(
        engine,
        "SELECT s.balance_cents, (SELECT sum(amount_cents) FROM ledger_entry l WHERE"
        " l.account_id = s.account_id AND l.posted_at <= s.through_posted_at) FROM statement s",
    )
    assert rows and all(printed == ledger and printed > 0 for printed, ledger in rows)


def test_payments_and_plans(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, _ = demo
    for payment in _rows(engine, "SELECT * FROM payment"):
        assert payment.amount_cents > 0
        if payment.method == "card":
            assert payment.card_brand and re.fullmatch(r"\d{4}", payment.last4)
            assert payment.gateway_token.startswith("tok_demo_")
        assert payment.idempotency_key
    credited = dict(
        _rows(engine, "SELECT payment_id, -sum(amount_cents) FROM ledger_entry"
                      " WHERE kind = 'patient_payment' GROUP BY 1")
    )  # fmt: skip
    taken = dict(_rows(engine, "SELECT id, amount_cents FROM payment WHERE status != 'declined'"))
    assert credited == taken
    plans = _rows(engine, "SELECT * FROM payment_plan")
    assert plans
    for plan in plans:
        [(scheduled, count)] = _rows(
            engine,
            f"SELECT sum(amount_cents), count(*) FROM plan_installment WHERE plan_id = '{plan.id}'",
        )
        assert scheduled + plan.down_payment_cents == plan.total_cents
        assert count == plan.installment_count


def test_users_and_referential_integrity(demo: tuple[Engine, DemoSummary, Path]) -> None:
    engine, _, path = demo
    users = {u.username: (u.display_name, u.role) for u in _rows(engine, "SELECT * FROM app_user")}
    assert users == {u["username"]: (u["display_name"], u["role"].value) for u in demo_users()}
    assert {Role.AGENT, Role.LEAD, Role.TRAINEE, Role.ADMIN} == {u["role"] for u in demo_users()}
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    finally:
        db.close()
    assert {"ix_person_lookup_last_first", "ix_ledger_entry_account_amount"} <= indexes


def test_every_model_column_is_written() -> None:
    assert missing_columns(Base.metadata) == {}


def test_keys_are_uuid4_from_the_generator() -> None:
    a, b = random.Random(5), random.Random(5)
    n = b.getrandbits(128)
    assert new_key(a) == uuid.UUID(int=n, version=4).hex
    assert new_uuid(random.Random(9)).hex == new_key(random.Random(9))


# -- both engines, determinism ----------------------------------------------------


def test_generates_on_both_engines(engine: Engine) -> None:
    summary = generate_demo(engine, SMALL, seed=3, today=TODAY)
    assert summary.patients == SMALL
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Patient.__table__)) == SMALL
        unbalanced = conn.scalar(
            text(
                "SELECT count(*) FROM adjudication_line l WHERE l.billed_cents <> l.paid_cents"
                " + (SELECT coalesce(sum(a.amount_cents), 0) FROM line_adjustment a"
                " WHERE a.adjudication_line_id = l.id)"
            )
        )
        assert unbalanced == 0
        amounts = conn.execute(select(LedgerEntry.amount_cents)).scalars().all()
        assert amounts and all(type(a) is int for a in amounts)
    with Session(engine) as session:
        patient = session.scalars(
            select(Patient).where(Patient.id.in_(select(LedgerEntry.patient_id)))
        ).first()
        assert patient is not None and patient.account.patients
        stamp = patient.created_at
        assert stamp.tzinfo is not None and stamp.utcoffset() == UTC.utcoffset(None)
        assert stamp < datetime.combine(TODAY, datetime.min.time(), UTC)
        for coverage in patient.coverages:
            assert coverage.payer.name and coverage.priority in (1, 2)
        entry = session.scalars(
            select(LedgerEntry).where(LedgerEntry.patient_id == patient.id)
        ).first()
        assert entry is not None and isinstance(entry.kind, LedgerKind)
        assert entry.posted_at.tzinfo is not None
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entry SET amount_cents = 0"))
    with pytest.raises(ValueError):
        generate_demo(engine, SMALL, seed=3, today=TODAY)


@pytest.mark.postgres
def test_postgres_holds_the_same_rows_as_sqlite(pg_engine: Engine, tmp_path: Path) -> None:
    lite = _sqlite(tmp_path / "same.sqlite3")
    try:
        for target in (lite, pg_engine):
            generate_demo(target, 120, seed=11, today=TODAY)
        for name in ("guarantor_account", "person_lookup", "claim", "ledger_entry", "payment"):
            table = Base.metadata.tables[name]
            with lite.connect() as a, pg_engine.connect() as b:
                left = sorted(tuple(r) for r in a.execute(select(table)))
                right = sorted(tuple(r) for r in b.execute(select(table)))
            assert left == right, name
    finally:
        lite.dispose()


def test_same_seed_same_rows(tmp_path: Path) -> None:
    digests = []
    for name, seed, workers in (("a", 4, 0), ("b", 4, 1), ("c", 5, 0)):
        engine = _sqlite(tmp_path / f"{name}.sqlite3")
        generate_demo(engine, SMALL, seed=seed, today=TODAY, workers=workers)
        engine.dispose()
        digests.append(_digest(tmp_path / f"{name}.sqlite3"))
    same, in_workers, other = digests
    assert same == in_workers  # worker processes and packed batches change nothing
    assert all(same[t] != other[t] for t in ("patient", "ledger_entry", "claim"))


def test_existing_users_are_kept(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        session.add(User(username="agent", display_name="Pat Existing", role=Role.AGENT))
        session.commit()
    progress: list[tuple[int, int]] = []
    generate_demo(sqlite_engine, 50, today=TODAY, progress=lambda d, t: progress.append((d, t)))
    with Session(sqlite_engine) as session:
        names = {u.username: u.display_name for u in session.scalars(select(User))}
    assert names["agent"] == "Pat Existing"
    assert set(names) == {u["username"] for u in demo_users()}
    assert progress[0] == (0, 50) and progress[-1] == (50, 50)


def test_refuses_bad_sizes(sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError):
        generate_demo(sqlite_engine, 0)


def test_payers_have_unique_codes() -> None:
    assert len({p.code for p in ALL}) == len(ALL)


def test_pending_insurance_is_part_of_the_balance(demo: tuple[Engine, DemoSummary, Path]) -> None:
    """What the account view calls "with insurance" is the open amount of visits whose
    claim is unanswered: within the balance, and for a secondary claim only what the
    primary left over."""
    from app.store.accounts import account_figures

    engine, _, _ = demo
    rows = _rows(
        engine,
        "SELECT e.account_id, e.id FROM claim c JOIN encounter e ON e.id = c.encounter_id "
        "WHERE c.status = 'submitted'",
    )
    assert rows, "the demo should have claims still with insurance"
    waiting: dict[str, set[str]] = defaultdict(set)
    for account, encounter in rows:
        waiting[account].add(encounter)
    secondary_seen = False
    with Session(engine) as session:
        for account, encounters in waiting.items():
            expected = 0
            for encounter in encounters:
                (open_cents,) = _rows(
                    engine,
                    f"SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entry "
                    f"WHERE encounter_id = '{encounter}'",
                )[0]
                expected += max(open_cents, 0)
                (answered,) = _rows(
                    engine,
                    f"SELECT COUNT(*) FROM claim WHERE encounter_id = '{encounter}' "
                    f"AND status = 'adjudicated'",
                )[0]
                secondary_seen = secondary_seen or answered > 0
            figures = account_figures(session, uuid.UUID(hex=account))
            assert figures.pending_insurance_cents == expected
            # An unapplied credit (say a copay taken at the visit) can leave the balance
            # below what insurance still holds; the charges always cover it.
            assert figures.pending_insurance_cents <= sum(c for _, c in figures.charges)
    assert secondary_seen, "the demo should have a secondary claim after a primary answer"


def test_the_explainer_accounts_for_every_demo_balance(
    demo: tuple[Engine, DemoSummary, Path],
) -> None:
    """Across the whole demo practice: the explainer's balance is the ledger's, what it
    calls "with insurance" is the account view's, and every answered claim's CAS
    accounts for the patient's share to the cent (nothing left unexplained)."""
    from app.domain.explain import explain_account
    from app.domain.words import visit_script
    from app.store.accounts import account_figures
    from app.store.explain import explain_facts
    from app.store.models import GuarantorAccount

    engine, _, _ = demo
    secondary_seen = denial_seen = False
    with Session(engine) as session:
        for (account_id,) in session.execute(select(GuarantorAccount.id)):
            explained = explain_account(*explain_facts(session, account_id), TODAY)
            figures = account_figures(session, account_id)
            assert explained.balance == figures.balance_cents
            assert explained.with_insurance == figures.pending_insurance_cents
            for visit in explained.visits:
                if not visit.with_insurance and not visit.self_pay:
                    assert visit.share_unexplained == 0, visit
                secondary_seen = secondary_seen or visit.secondary_paid > 0
                denial_seen = denial_seen or visit.share.noncovered > 0
                for lang in ("en", "es"):
                    assert visit_script(visit, lang)  # every visit can be said
    assert secondary_seen and denial_seen


def test_every_demo_statement_reconciles_with_today(demo: tuple[Engine, DemoSummary, Path]) -> None:
    """Any statement's printed balance plus every entry posted since is today's
    balance, for every account that was ever billed."""
    from app.domain.explain import explain_account
    from app.domain.statements import compare_statement
    from app.store.explain import changes_since, explain_facts, statements_of
    from app.store.models import GuarantorAccount

    engine, _, _ = demo
    compared = 0
    with Session(engine) as session:
        for (account_id,) in session.execute(select(GuarantorAccount.id)):
            statements = statements_of(session, account_id)
            if not statements:
                continue
            now = explain_account(*explain_facts(session, account_id), TODAY)
            for statement in statements:
                changes = changes_since(session, account_id, statement.through_posted_at)
                comparison = compare_statement(
                    statement.statement_date, statement.balance_cents, changes, now
                )
                assert comparison.unexplained == 0
                compared += 1
    assert compared > 50
