"""Secrets (the central database password, tokens) in the operating system's keyring.

Never in a config file. Where the keyring has no usable backend (keyring's ``fail`` or
``null`` backends, as on a headless Linux machine with no Secret Service) or only a
plaintext file backend, :func:`keyring_state` says so in words the desk shows, and
:class:`Credentials` keeps the secret in this process's memory for this session only:
the desk asks for the password each session instead of storing it anywhere.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any

SERVICE = "PA Desk"

# Backends that store nothing, refuse everything, or write secrets to a plain file.
_REFUSED_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt.file")
_REFUSED_NAMES = ("Plaintext",)


@dataclass(frozen=True)
class KeyringState:
    usable: bool
    backend: str  # the backend's class, for support
    explanation: str  # what the desk tells the person


def keyring_state(backend: Any = None) -> KeyringState:
    """Whether ``backend`` (default: keyring's choice) can keep a secret safely."""
    if backend is None:
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as error:  # a broken keyring install is "no keyring"
            return KeyringState(False, type(error).__name__, _NO_KEYRING)
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if _refused(backend):
        return KeyringState(False, name, _NO_KEYRING)
    return KeyringState(True, name, "Passwords are kept in this computer's keyring.")


_NO_KEYRING = (
    "This computer has no secure keyring (such as GNOME Keyring or KWallet), so the desk "
    "will not store your password: it asks for it each time the desk starts."
)


def _refused(backend: Any) -> bool:
    module = type(backend).__module__
    if module.startswith(_REFUSED_MODULES) or any(
        n in type(backend).__name__ for n in _REFUSED_NAMES
    ):
        return True
    inner = getattr(backend, "backends", None)  # keyring's chainer: usable if one inside is
    if inner is not None:
        return all(_refused(b) for b in inner) if inner else True
    return False


class Credentials:
    """Get, save and forget secrets by name; in the keyring when it is usable, else in
    memory until the process ends (never on disk)."""

    def __init__(self, backend: Any = None) -> None:
        if backend is None:
            import keyring

            backend = keyring.get_keyring()
        self._backend = backend
        self.state = keyring_state(backend)
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def remembers(self) -> bool:
        """True if a saved secret outlives this session (a usable keyring)."""
        return self.state.usable

    def get(self, name: str) -> str | None:
        with self._lock:
            if name in self._session:
                return self._session[name]
        if not self.state.usable:
            return None
        try:
            value = self._backend.get_password(SERVICE, name)
        except Exception:  # a locked or broken keyring: ask the person instead
            return None
        return str(value) if value is not None else None

    def save(self, name: str, secret: str, *, remember: bool = True) -> bool:
        """Keep ``secret``; True if it went to the keyring, False if for this session only."""
        with self._lock:
            self._session[name] = secret
        if not (remember and self.state.usable):
            return False
        try:
            self._backend.set_password(SERVICE, name, secret)
        except Exception:
            return False
        return True

    def forget(self, name: str) -> None:
        with self._lock:
            self._session.pop(name, None)
        if self.state.usable:
            # Nothing stored, or the keyring refused: there is nothing to forget.
            with contextlib.suppress(Exception):
                self._backend.delete_password(SERVICE, name)


def secret_name(url: str, login: str) -> str:
    """The keyring entry for one login on one central database (no password inside)."""
    from sqlalchemy.engine import make_url

    from app.store.db import normalize_url

    parsed = make_url(normalize_url(url))
    return f"{login}@{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
