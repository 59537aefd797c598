"""An open desk: one database, one signed-in user. The GUI's facade over the services.

Every method is safe to call from worker threads: each call takes its own connection
or session from the engine's pool and returns plain records (``app.services.views``).
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import DEFAULT_DEMO_PATIENTS, workstation_name
from app.domain.codes import LedgerKind, Role
from app.integrations.gateway import UnconfiguredGateway
from app.services.accounts import open_account
from app.services.adjustments import Adjustments
from app.services.calls import account_card, close_unfinished_calls, save_call, verify_caller
from app.services.central import prepare_embedded_central
from app.services.errors import DeskError
from app.services.lookup import lookup as run_lookup
from app.services.notes import NoteInfo, account_notes, add_note, post_entry
from app.services.payments import Payments
from app.services.plans import Plans
from app.services.policy import DeskPolicy
from app.services.sync import CentralLink, check_sign_in
from app.services.views import AccountCard, AccountDetail, LookupAnswer, UserInfo
from app.store.db import describe, make_engine, normalize_url, session_factory
from app.store.migrate import upgrade_to_head
from app.store.models import Patient, User
from app.sync.outbox import track_writes

if TYPE_CHECKING:
    from app.domain.call import CallRecord
    from app.domain.explain import AccountExplanation
    from app.domain.identity import Answers, Verification
    from app.domain.statements import StatementComparison
    from app.integrations.gateway import PaymentGateway
    from app.services.eligibility import EligibilityImport
    from app.services.explainer import ExplainerView
    from app.services.remittance import ImportResult


class Desk:
    def __init__(
        self,
        engine: Engine,
        user: UserInfo,
        *,
        today: Callable[[], date] = date.today,
        workstation: str | None = None,
        gateway: PaymentGateway | None = None,
    ) -> None:
        self.engine = engine
        self.user = user
        self.database_label = describe(engine)
        self.workstation = workstation or workstation_name()
        self._today = today
        self._sessions: sessionmaker[Session] = track_writes(session_factory(engine))
        self.link: CentralLink | None = None  # the central database, when the desk syncs
        self.central_url: URL | None = None  # with the session's password, if any
        self.policy = DeskPolicy()  # central policy, once read
        self.gateway: PaymentGateway = gateway or gateway_for(engine)
        self.payments = Payments(
            self._sessions, self.gateway, user, self.workstation, today=today,
            practice_name=lambda: self.policy.practice_name,
        )  # fmt: skip
        self.plans = Plans(
            self._sessions, self.payments, user, today=today, limits=lambda: self.policy.plans
        )
        self.adjustments = Adjustments(
            self._sessions, user, self.workstation, today=today,
            limits=lambda: self.policy.adjustments,
        )  # fmt: skip

    @property
    def idle_lock_minutes(self) -> int:
        return self.policy.idle_lock_minutes

    @property
    def needs_password(self) -> bool:
        """Whether unlocking asks for a password: a PostgreSQL central checks it; the
        embedded sandbox's demo users have none."""
        return (
            bool(self.central_url)
            and self.link is not None
            and (self.link.central.dialect.name == "postgresql")
        )

    def verify_password(self, password: str) -> None:
        """Raise :class:`SignInFailed` unless ``password`` is the signed-in login's."""
        if not self.needs_password or self.link is None or self.central_url is None:
            return
        login = self.link.central.url.username or self.user.username
        check_sign_in(self.central_url, login, password)

    def lookup(self, text: str, limit: int = 20) -> LookupAnswer:
        """Search patients and guarantors; see :func:`app.services.lookup.lookup`."""
        with self.engine.connect() as conn:
            return run_lookup(conn, text, self._today(), limit)

    def account(self, account_id: uuid.UUID, patient_id: uuid.UUID | None = None) -> AccountDetail:
        """The account view, recording an audit event that it was opened (for whom)."""
        with self._sessions.begin() as session:
            return open_account(
                session,
                account_id,
                self._today(),
                self.user,
                self.workstation,
                patient_id=patient_id,
            )

    def account_card(self, account_id: uuid.UUID) -> AccountCard:
        """What is shown of an account before the caller is verified (no PHI beyond a name)."""
        with self._sessions() as session:
            return account_card(session, account_id)

    def verify_caller(self, account_id: uuid.UUID, answers: Answers) -> Verification:
        """Check the caller's answers against the account under central policy (audited)."""
        with self._sessions.begin() as session:
            return verify_caller(
                session, account_id, answers, self.policy.verification, self.user,
                self.workstation,
            )  # fmt: skip

    def save_call(self, record: CallRecord) -> None:
        """Store the call's trail so far (idempotent; it syncs, so leads see it live)."""
        with self._sessions.begin() as session:
            save_call(session, record, self.user)

    def close_unfinished_calls(self) -> int:
        """End the calls the desk left open when it last stopped (see ``calls``)."""
        with self._sessions.begin() as session:
            return close_unfinished_calls(session, self.user)

    def add_note(
        self, account_id: uuid.UUID, body: str, patient_id: uuid.UUID | None = None
    ) -> NoteInfo:
        """Save a note on the account (it syncs to every desk)."""
        with self._sessions.begin() as session:
            return add_note(
                session, account_id, body, self.user, self.workstation, patient_id=patient_id
            )

    def notes(self, account_id: uuid.UUID) -> list[NoteInfo]:
        with self._sessions() as session:
            return account_notes(session, account_id)

    def post_entry(
        self,
        account_id: uuid.UUID,
        kind: LedgerKind,
        amount_cents: int,
        *,
        patient_id: uuid.UUID | None = None,
        memo: str | None = None,
    ) -> uuid.UUID:
        """Append a ledger entry dated today (it syncs to every desk)."""
        with self._sessions.begin() as session:
            return post_entry(
                session,
                account_id,
                kind,
                amount_cents,
                self.user,
                effective=self._today(),
                patient_id=patient_id,
                memo=memo,
            )

    def import_835(self, text: str) -> ImportResult:
        """Read an 835 and apply it in one transaction (nothing half-imported)."""
        from app.integrations.x12.remit835 import parse_835
        from app.services.remittance import import_835

        remittance = parse_835(text)  # a malformed file fails before anything is written
        with self._sessions.begin() as session:
            return import_835(session, remittance, self.user, today=self._today())

    def import_271(self, text: str, reference: str = "") -> EligibilityImport:
        """Read a 271 and keep each answer as a benefits snapshot (one transaction)."""
        from app.integrations.x12.eligibility import parse_271
        from app.services.eligibility import import_271

        answers = parse_271(text)
        with self._sessions.begin() as session:
            return import_271(session, answers, self.user, reference=reference)

    def explain(self, account_id: uuid.UUID) -> AccountExplanation:
        """The account's balance taken apart, visit by visit (see app.domain.explain)."""
        from app.domain.explain import explain_account
        from app.store.explain import explain_facts

        with Session(self.engine) as session:  # reads only
            visits, entries = explain_facts(session, account_id)
        return explain_account(visits, entries, self._today())

    def compare_with_statements(self, account_id: uuid.UUID) -> list[StatementComparison]:
        """What changed between each statement (newest first, up to a year's) and today."""
        now = self.explain(account_id)
        with Session(self.engine) as session:
            return _comparisons(session, account_id, now)

    def compare_with_statement(self, account_id: uuid.UUID) -> StatementComparison | None:
        """What changed between the newest statement and today (None: never billed)."""
        comparisons = self.compare_with_statements(account_id)
        return comparisons[0] if comparisons else None

    def explainer(self, account_id: uuid.UUID) -> ExplainerView:
        """Everything the explainer panel shows for an account, in both languages."""
        from app.domain.explain import explain_account
        from app.services.explainer import explainer_view
        from app.store.explain import explain_facts

        # One read of the facts serves the table, the words, the statements and reasons.
        with Session(self.engine) as session:
            visits, entries = explain_facts(session, account_id)
            explanation = explain_account(visits, entries, self._today())
            comparisons = _comparisons(session, account_id, explanation)
            return explainer_view(session, account_id, explanation, comparisons, visits)

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        self.engine.dispose()


def open_desk(
    url: str,
    *,
    username: str | None = None,
    demo_patients: int = DEFAULT_DEMO_PATIENTS,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
    today: Callable[[], date] = date.today,
    central_url: str | None = None,
    central_password: str | None = None,
) -> Desk:
    """Open (and on first run create) a desk database and sign in.

    Migrates the database to head; an empty database gets ``demo_patients`` demo
    patients (0 for none). With ``central_url`` the desk syncs with that central
    database; an empty SQLite central is made a sandbox with the same demo practice
    (the embedded default). Slow the first time: call it off the GUI thread.
    """
    say = progress or (lambda _message: None)
    central = _with_password(central_url, central_password) if central_url else None
    engine = make_engine(url)
    try:
        say("Opening database…")
        upgrade_to_head(engine)
        if central is not None and _is_empty(engine) and _is_server(central):
            # A desk joining a central server takes its share of the real data; demo
            # data would be a second, unrelated history.
            say("Joining the central database (first run)…")
            prepare_embedded_central(central, 0, seed=seed, today=today())
            _join(engine, central, say)
        elif demo_patients > 0 and _is_empty(engine):
            say(f"Creating demo data ({demo_patients:,} patients, first run)…")
            from app.demo import generate_demo

            generate_demo(engine, demo_patients, seed=seed, today=today())
        user = _sign_in(engine, username or os.environ.get("PA_DESK_USER"))
    except Exception:
        engine.dispose()
        raise
    desk = Desk(engine, user, today=today)
    desk.close_unfinished_calls()  # a crash must not leave a call "in progress" for ever
    if central is not None:
        say("Connecting to the central database…")
        try:
            _check_central(central, demo_patients, seed=seed, today=today())
            desk.link = CentralLink(engine, central, origin=desk.workstation)
            desk.central_url = central
            desk.policy = _read_policy(desk.link)
        except Exception:
            desk.close()
            raise
    if desk.policy.environment == "production" and not desk.gateway.live:
        # Payments on real accounts must never go to a sandbox that moves no money.
        desk.gateway = desk.payments.gateway = UnconfiguredGateway()
    say("Checking payments left unfinished…")
    desk.payments.reconcile()  # a crash between approval and posting is settled here
    say("Ready")
    return desk


def gateway_for(engine: Engine) -> PaymentGateway:
    """The payment gateway of a desk: the sandbox processor, whose file lives next to a
    SQLite desk database or in the user's data folder. Real processors plug in here
    behind the same protocol (``app.integrations.gateway``)."""
    from app.config import data_dir
    from app.integrations.sandbox_gateway import SandboxGateway

    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    folder = Path(database).parent if database and database != ":memory:" else data_dir()
    latency = float(os.environ.get("PA_DESK_GATEWAY_LATENCY_MS", "0") or 0) / 1000
    return SandboxGateway(folder / "sandbox-gateway.sqlite3", latency_s=latency)


def _check_central(central: URL, demo_patients: int, *, seed: int, today: date) -> None:
    """Prepare the embedded central, or check a server's schema; a server out of reach
    is not an error here: the desk opens offline and its sync says so."""
    from sqlalchemy.exc import OperationalError

    try:
        prepare_embedded_central(central, demo_patients, seed=seed, today=today)
    except OperationalError:
        if not _is_server(central):
            raise


def _comparisons(
    session: Session, account_id: uuid.UUID, now: AccountExplanation
) -> list[StatementComparison]:
    from app.domain.statements import compare_statement
    from app.store.explain import changes_since, statements_of

    return [
        compare_statement(
            s.statement_date,
            s.balance_cents,
            changes_since(session, account_id, s.through_posted_at),
            now,
        )
        for s in statements_of(session, account_id)
    ]


def _read_policy(link: CentralLink) -> DeskPolicy:
    """The central policy, or the defaults when the centre is out of reach."""
    from sqlalchemy.exc import DBAPIError

    from app.services.central import central_policy

    try:
        return DeskPolicy.from_settings(central_policy(link.central))
    except DBAPIError:
        return DeskPolicy()


def _with_password(url: str, password: str | None) -> URL:
    """The central URL as an object; a password from the keyring or the sign-in goes in
    here, never into a string."""
    parsed = make_url(normalize_url(url))
    return parsed.set(password=password) if password is not None else parsed


def _is_server(url: URL) -> bool:
    return url.get_backend_name() != "sqlite"


def _join(engine: Engine, central_url: URL, say: Callable[[str], None]) -> None:
    from app.sync.bootstrap import join_central

    central = make_engine(central_url)
    try:
        join_central(engine, central, progress=say)
    finally:
        central.dispose()


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.scalar(select(func.count()).select_from(Patient.__table__))


def _sign_in(engine: Engine, username: str | None) -> UserInfo:
    """The desk's user. Password sign-in arrives with central sync; until then the
    desk runs as the named user, or the first agent, or a new agent for this login."""
    with track_writes(session_factory(engine)).begin() as session:
        if username:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise DeskError(f"No desk user named {username!r} in this database")
        else:
            user = session.scalars(
                select(User).where(User.role == Role.AGENT, User.active).order_by(User.username)
            ).first()
            if user is None:
                login = getpass.getuser()
                user = User(username=login, display_name=login, role=Role.AGENT)
                session.add(user)
                session.flush()
        return UserInfo(user.id, user.username, user.display_name, str(user.role))
