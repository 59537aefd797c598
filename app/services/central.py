"""Preparing a central database: schema, policy, environment marker, and (PostgreSQL) roles.

``pa-desk central init --url URL`` runs :func:`init_central` as the database owner. On
PostgreSQL it creates ``pa_desk_app``, a role without login that may read and write the
desk's rows but owns nothing and cannot change the schema; each person signs in with
their own login role, a member of it (:func:`add_desk_login`). Append-only tables get
SELECT and INSERT only, on top of the triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from app.domain.codes import Role
from app.services.errors import DeskError
from app.store.db import make_engine
from app.store.migrate import current_revision, head_revision, is_empty, upgrade_to_head
from app.store.models import CentralPolicy, SyncLog, User
from app.store.types import utcnow
from app.sync.push import lock_feed
from app.sync.tables import is_versioned, synced_tables

APP_ROLE = "pa_desk_app"
ENVIRONMENTS = ("production", "sandbox")

# Central policy every desk reads; changed by an administrator, never by a desk.
DEFAULT_POLICY: dict[str, str] = {
    "hold_warn_seconds": "150",
    "hold_breach_seconds": "180",
    "idle_lock_minutes": "15",
    "write_off_limit_agent_cents": "2500",
    "write_off_limit_lead_cents": "50000",
    "plan_min_installment_cents": "2500",
    "plan_max_months": "24",
    "escalation_rate_target_pct": "5",
    # Name and date of birth of one person on the account, and one more fact.
    "verification_policy": "name+dob+1:address,zip,phone,account",
    "practice_name": "Bright Path Pediatric Behavioral Health",
}
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class CentralSetupError(DeskError):
    """The central database cannot be prepared as asked (the message says why)."""


@dataclass(frozen=True)
class CentralInfo:
    environment: str
    policy: dict[str, str]
    app_role: str | None  # None on SQLite, which has no roles


def init_central(engine: Engine, *, environment: str = "production") -> CentralInfo:
    """Migrate, write missing policy and the environment marker, grant the app role.

    Running it again is harmless; it never changes an existing environment marker (a
    sandbox must not become production by a typo, nor the reverse).
    """
    if environment not in ENVIRONMENTS:
        raise CentralSetupError(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    upgrade_to_head(engine)
    with engine.begin() as conn:
        current = _policy(conn)
        marked = current.get("environment")
        if marked is not None and marked != environment:
            raise CentralSetupError(
                f"this central database is marked {marked!r}; it stays {marked!r}"
            )
        wanted = {"environment": environment, **DEFAULT_POLICY}
        missing = [{"name": k, "value": v} for k, v in wanted.items() if k not in current]
        if missing:
            conn.execute(insert(CentralPolicy), missing)
        role = _grant_app_role(conn) if conn.dialect.name == "postgresql" else None
        return CentralInfo(environment, _policy(conn), role)


def prepare_embedded_central(url: str | URL, demo_patients: int, *, seed: int, today: date) -> None:
    """Make an empty SQLite central database a sandbox holding the desks' demo practice.

    The embedded default runs with no server: its "central" database is a SQLite file
    next to the desk's. Demo data is deterministic, so the central copy holds the very
    rows (same keys) the desks start with. Any other database is left to
    ``pa-desk central init``; one that is not prepared is an error the desk shows.
    """
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite" and is_empty(engine):
            init_central(engine, environment="sandbox")
            if demo_patients > 0:
                from app.demo import generate_demo

                generate_demo(engine, demo_patients, seed=seed, today=today)
        else:
            revision = current_revision(engine)
            if revision is None:
                raise CentralSetupError(
                    "the central database is not prepared: run `pa-desk central init --url ...`"
                )
            if revision != head_revision():
                raise CentralSetupError(
                    f"the central database has schema {revision} and this desk {head_revision()}:"
                    " upgrade them together (`pa-desk central init` upgrades the centre)"
                )
    finally:
        engine.dispose()


def central_policy(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return _policy(conn)


def add_desk_login(
    engine: Engine,
    login: str,
    password: str,
    *,
    display_name: str | None = None,
    role: Role = Role.AGENT,
) -> None:
    """PostgreSQL: a login role for one person, a member of the app role, and their desk
    user (``app_user``, announced on the feed so desks pull it). The owner runs it."""
    if engine.dialect.name != "postgresql":
        raise CentralSetupError("database logins exist on PostgreSQL only")
    if not _ROLE_NAME.fullmatch(login):
        raise CentralSetupError("a login is lower-case letters, digits and _ (at most 63)")
    if len(password) < 12:
        raise CentralSetupError("a password needs at least 12 characters")
    verifier = scram_verifier(password)  # the password itself never leaves this process
    try:
        with engine.begin() as conn:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_roles WHERE rolname = %(name)s", {"name": login}
            ).first()
            verb = "ALTER" if exists else "CREATE"
            conn.exec_driver_sql(f"{verb} ROLE \"{login}\" LOGIN PASSWORD '{verifier}'")
            conn.exec_driver_sql(f'GRANT {APP_ROLE} TO "{login}"')
            _add_desk_user(conn, login, display_name, role)
    except DBAPIError as error:
        raise CentralSetupError(
            f"the login could not be made ({type(error).__name__}); are you the owner?"
        ) from None


def scram_verifier(password: str, *, iterations: int = 4096, salt: bytes | None = None) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier (RFC 5802/7677): what the server stores for a
    password, made here so the password is never sent or written in a statement."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
        f"${b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


def _add_desk_user(conn: Connection, login: str, display_name: str | None, role: Role) -> None:
    """The person's desk user, announced on the feed so desks pull it."""
    if conn.scalar(select(User.id).where(User.username == login)) is None:
        lock_feed(conn)
        now = utcnow()
        key = uuid.uuid4()
        conn.execute(
            insert(User).values(
                id=key,
                username=login,
                display_name=display_name or login,
                role=role,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            insert(SyncLog).values(
                idempotency_key=uuid.uuid4(),
                table_name="app_user",
                row_id=key,
                version=None,
                origin="central-admin",
                accepted_at=now,
            )
        )


def _policy(conn: Connection) -> dict[str, str]:
    return {k: v for k, v in conn.execute(select(CentralPolicy.name, CentralPolicy.value))}


def _grant_app_role(conn: Connection) -> str:
    exists = conn.exec_driver_sql(
        "SELECT 1 FROM pg_roles WHERE rolname = %(name)s", {"name": APP_ROLE}
    ).first()
    if not exists:
        conn.exec_driver_sql(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    for name in synced_tables():
        rights = "SELECT, INSERT, UPDATE" if is_versioned(name) else "SELECT, INSERT"
        conn.exec_driver_sql(f"GRANT {rights} ON {name} TO {APP_ROLE}")
    conn.exec_driver_sql(f"GRANT SELECT, INSERT ON sync_log TO {APP_ROLE}")
    # Desks read the schema revision to check they speak the same schema as the centre.
    conn.exec_driver_sql(
        f"GRANT SELECT ON central_policy, person_lookup, alembic_version TO {APP_ROLE}"
    )
    conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    return APP_ROLE
