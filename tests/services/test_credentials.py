"""Credentials: the keyring when it is usable; memory for one session when it is not;
never a plaintext file; sign-in against the real PostgreSQL server."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail, null

from app.services.credentials import SERVICE, Credentials, keyring_state, secret_name
from app.services.sync import CentralLink, SignInFailed, check_sign_in
from tests.support.memory_keyring import MemoryKeyring


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's file backend: refused by name."""


def test_a_usable_keyring_keeps_the_secret() -> None:
    backend = MemoryKeyring()
    creds = Credentials(backend)
    assert creds.remembers and creds.state.usable
    assert creds.save("amorgan@db:5432/pa", "s3cret-passphrase") is True
    assert backend.secrets[(SERVICE, "amorgan@db:5432/pa")] == "s3cret-passphrase"
    # A new session (a new Credentials) finds it in the keyring.
    assert Credentials(backend).get("amorgan@db:5432/pa") == "s3cret-passphrase"
    creds.forget("amorgan@db:5432/pa")
    assert Credentials(backend).get("amorgan@db:5432/pa") is None
    creds.forget("never-saved")  # harmless


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), PlaintextKeyring()])
def test_no_usable_keyring_means_this_session_only(backend: object) -> None:
    state = keyring_state(backend)
    assert not state.usable
    assert "asks for it each time" in state.explanation
    creds = Credentials(backend)
    assert creds.save("amorgan@db:5432/pa", "pw", remember=True) is False
    assert creds.get("amorgan@db:5432/pa") == "pw"  # for this session
    assert Credentials(backend).get("amorgan@db:5432/pa") is None  # not stored anywhere


def test_tests_never_touch_a_real_keyring() -> None:
    assert isinstance(keyring.get_keyring(), MemoryKeyring)  # conftest installs it


class _Chain:
    """Shaped like keyring's ChainerBackend: a list of backends tried in turn."""

    def __init__(self, *backends: object) -> None:
        self.backends = list(backends)


def test_a_chain_is_as_good_as_its_best_backend() -> None:
    assert not keyring_state(_Chain()).usable
    assert not keyring_state(_Chain(fail.Keyring(), PlaintextKeyring())).usable
    assert keyring_state(_Chain(fail.Keyring(), MemoryKeyring())).usable


def test_remember_false_keeps_it_out_of_the_keyring() -> None:
    backend = MemoryKeyring()
    creds = Credentials(backend)
    assert creds.save("x", "pw", remember=False) is False
    assert backend.secrets == {}
    assert creds.get("x") == "pw"


def test_secret_names_carry_no_password() -> None:
    name = secret_name("postgresql://owner:hunter2@db.example:6543/pa", "amorgan")
    assert name == "amorgan@db.example:6543/pa"
    assert "hunter2" not in name


@pytest.mark.postgres
def test_sign_in_against_the_server(pg_url: str) -> None:
    check_sign_in(pg_url, "postgres", "any (the test server trusts local logins)")
    with pytest.raises(SignInFailed) as refused:
        check_sign_in(pg_url, "no_such_login_here", "wrong password 123")
    assert "wrong password" not in str(refused.value)


def test_sign_in_to_nowhere_says_so() -> None:
    with pytest.raises(SignInFailed, match="cannot be reached"):
        check_sign_in("postgresql://postgres@127.0.0.1:1/none", "postgres", "pw")


def test_the_password_never_reaches_status_or_reports(tmp_path: object) -> None:
    from app.store.db import make_engine

    local = make_engine(f"sqlite:///{tmp_path}/l.sqlite3")
    link = CentralLink(
        local, "postgresql://amorgan@127.0.0.1:1/none", origin="t", password="hunter2-secret"
    )
    try:
        from app.store.migrate import upgrade_to_head

        upgrade_to_head(local)
        report = link.sync_now()
        status = link.status()
        assert "hunter2" not in repr(report) and "hunter2" not in repr(status)
        assert "hunter2" not in repr(link.central.url)
    finally:
        link.close()
        local.dispose()
