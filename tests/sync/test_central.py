"""Preparing a central database: policy, environment marker, and the desk's own role."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import ProgrammingError

from app.domain.codes import LedgerKind
from app.services.central import (
    APP_ROLE,
    DEFAULT_POLICY,
    CentralSetupError,
    add_desk_login,
    central_policy,
    init_central,
)
from app.services.desk import open_desk
from app.store.models import GuarantorAccount, LedgerEntry, SyncLog, User
from app.sync.push import push_all

TODAY = date(2026, 11, 20)


def test_init_writes_policy_and_marker_once(engine: Engine) -> None:
    info = init_central(engine, environment="sandbox")
    assert info.environment == "sandbox"
    assert info.policy["hold_breach_seconds"] == "180"
    assert info.policy["idle_lock_minutes"] == "15"
    again = init_central(engine, environment="sandbox")  # harmless to run twice
    assert again.policy == info.policy
    assert set(DEFAULT_POLICY) <= set(central_policy(engine))
    with pytest.raises(CentralSetupError, match="stays 'sandbox'"):
        init_central(engine, environment="production")
    with pytest.raises(CentralSetupError):
        init_central(engine, environment="staging")


@pytest.mark.postgres
def test_desks_connect_as_a_member_of_the_app_role_not_the_owner(
    pg_engine: Engine, pg_url: str, tmp_path: object
) -> None:
    info = init_central(pg_engine)
    assert info.app_role == APP_ROLE
    open_desk(pg_url, demo_patients=20, seed=5, today=lambda: TODAY).close()
    login = f"pa_test_{uuid.uuid4().hex[:10]}"
    add_desk_login(pg_engine, login, "correct horse battery staple", display_name="Pat Lee")
    with pg_engine.connect() as conn:
        user = conn.execute(select(User).where(User.username == login)).one()
        assert user.display_name == "Pat Lee" and user.role == "agent"
        announced = conn.scalar(select(SyncLog.seq).where(SyncLog.row_id == user.id))
        assert announced is not None  # desks pull the new user like any other row
    add_desk_login(pg_engine, login, "a new password, also long")  # a reset: same user
    desk_url = pg_url.replace("postgres@", f"{login}:x@", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    as_desk = create_engine(desk_url)
    try:
        local = open_desk(
            f"sqlite:///{tmp_path}/local.sqlite3", demo_patients=20, seed=5, today=lambda: TODAY
        )
        with local.engine.connect() as conn:
            account = conn.scalar(select(GuarantorAccount.id).limit(1))
        assert account is not None
        entry = local.post_entry(account, LedgerKind.PATIENT_PAYMENT, -1_000)
        result = push_all(local.engine, as_desk, origin="desk-role")
        assert result.accepted >= 1
        with as_desk.connect() as conn:
            assert conn.scalar(select(LedgerEntry.id).where(LedgerEntry.id == entry)) == entry
            assert conn.scalar(text("SELECT current_user")) == login
        # A whole desk opens with the login as its central: schema check, policy, sync.
        desk = open_desk(
            f"sqlite:///{tmp_path}/joined.sqlite3",
            central_url=pg_url.replace("postgres@", f"{login}@", 1),
            today=lambda: TODAY,
        )
        assert desk.link is not None and desk.link.sync_now().online
        assert desk.idle_lock_minutes == 15
        desk.close()
        for forbidden in (
            "CREATE TABLE sneaky (id int)",
            "UPDATE ledger_entry SET amount_cents = 0",
            "DELETE FROM sync_log",
            "UPDATE central_policy SET value = '999'",
        ):
            with as_desk.connect() as conn, pytest.raises(ProgrammingError):
                conn.execute(text(forbidden))
        local.close()
    finally:
        as_desk.dispose()
        with pg_engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{login}"'))
            conn.execute(text(f'DROP ROLE "{login}"'))


@pytest.mark.postgres
def test_logins_are_checked(pg_engine: Engine) -> None:
    with pytest.raises(CentralSetupError):
        add_desk_login(pg_engine, "Robert'); DROP TABLE patient;--", "long enough password")
    with pytest.raises(CentralSetupError):
        add_desk_login(pg_engine, "ok_name", "short")


@pytest.mark.postgres
def test_our_scram_verifier_is_the_servers(pg_engine: Engine) -> None:
    """The verifier made on the client equals the one PostgreSQL makes for the same
    password and salt, so a login made by `central add-login` accepts its password
    without the password ever being sent."""
    import base64

    from app.services.central import scram_verifier

    login = f"pa_scram_{uuid.uuid4().hex[:8]}"
    password = "50% off, 100% sure; naïve"
    try:
        with pg_engine.begin() as conn:
            conn.execute(text("SET password_encryption = 'scram-sha-256'"))
            quoted = password.replace("%", "%%")  # the driver reads % as a placeholder
            conn.exec_driver_sql(f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{quoted}'")
        with pg_engine.connect() as conn:
            stored = conn.scalar(
                text("SELECT rolpassword FROM pg_authid WHERE rolname = :n").bindparams(n=login)
            )
        _method, rest = stored.split("$", 1)
        iterations, salt = rest.split("$")[0].split(":")
        ours = scram_verifier(password, iterations=int(iterations), salt=base64.b64decode(salt))
        assert ours == stored
    finally:
        with pg_engine.begin() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))


@pytest.mark.postgres
def test_a_password_with_percent_signs_makes_a_login(pg_engine: Engine) -> None:
    init_central(pg_engine)
    login = f"pa_pct_{uuid.uuid4().hex[:8]}"
    try:
        add_desk_login(pg_engine, login, "100% secret %(p)s password")
        with pg_engine.connect() as conn:
            stored = conn.scalar(
                text("SELECT rolpassword FROM pg_authid WHERE rolname = :n").bindparams(n=login)
            )
        assert stored.startswith("SCRAM-SHA-256$") and "secret" not in stored
    finally:
        with pg_engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{login}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
