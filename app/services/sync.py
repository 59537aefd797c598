"""The desk's link to the central database: sync now, and what the status bar shows.

Safe to call from a worker thread; one sync runs at a time (a lock), and a central
database that cannot be reached makes the desk "offline", never an error dialog: the
local store goes on taking every write and the next sync sends it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL

from app.services.errors import DeskError
from app.store.db import make_engine
from app.store.models import SyncConflict, SyncState
from app.sync.outbox import waiting
from app.sync.pull import pull_all
from app.sync.push import CentralUnavailable, push_all

CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class SyncReport:
    online: bool
    pushed: int
    duplicates: int
    new_conflicts: int
    pulled: int
    message: str  # safe to show and log: counts and error classes only


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None  # None: no sync tried yet this session
    waiting: int
    conflicts: int
    last_sync_at: datetime | None
    central: str  # the central database, named without a password


class CentralLink:
    def __init__(
        self, local: Engine, central_url: str | URL, *, origin: str, password: str | None = None
    ) -> None:
        self.local = local
        self.origin = origin
        self.central = _central_engine(central_url, password)
        self._lock = threading.Lock()
        self._online: bool | None = None

    def sync_now(self) -> SyncReport:
        """Push everything waiting, then pull everything new."""
        with self._lock:
            try:
                pushed = push_all(self.local, self.central, origin=self.origin)
                pulled = pull_all(self.local, self.central)
            except CentralUnavailable as error:
                self._online = False
                self.central.dispose()  # connections the outage left dead: start afresh
                return SyncReport(False, 0, 0, 0, 0, str(error))
            self._online = True
            message = f"sent {pushed.accepted}, received {pulled.applied}"
            if pushed.conflicts:
                message += f", {pushed.conflicts} conflict(s) to resolve"
            return SyncReport(
                True, pushed.accepted, pushed.duplicates, pushed.conflicts, pulled.applied, message
            )

    def status(self) -> SyncStatus:
        with self.local.connect() as conn:
            count = waiting(conn)
            conflicts = int(
                conn.scalar(
                    select(func.count())
                    .select_from(SyncConflict)
                    .where(SyncConflict.resolved_at.is_(None), SyncConflict.reason != "incoming")
                )
                or 0
            )
            last = conn.scalar(select(SyncState.value).where(SyncState.name == "last_pull_at"))
        return SyncStatus(
            self._online,
            count,
            conflicts,
            datetime.fromisoformat(last) if last else None,
            _describe(self.central),
        )

    def close(self) -> None:
        self.central.dispose()


def _central_engine(url: str | URL, password: str | None = None) -> Engine:
    """The central engine; a password from the keyring or the sign-in dialog goes into
    the URL object only (never into a string that could be logged)."""
    from sqlalchemy.engine import make_url

    from app.store.db import normalize_url

    parsed = make_url(normalize_url(url)) if isinstance(url, str) else url
    if password is not None:
        parsed = parsed.set(password=password)
    if parsed.get_backend_name() == "postgresql":
        return make_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    return make_engine(parsed)


def check_sign_in(url: str | URL, login: str, password: str) -> None:
    """Connect to the central database as ``login``; raise :class:`SignInFailed` if the
    server refuses (the message never repeats the password)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from app.store.db import normalize_url

    base = make_url(normalize_url(url)) if isinstance(url, str) else url
    parsed = base.set(username=login, password=password)
    engine = _central_engine(parsed)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as error:
        refused = "authentication" in str(error.orig or "").lower()
        raise SignInFailed(
            "The user name or password is not right." if refused else CENTRAL_UNREACHABLE
        ) from None
    finally:
        engine.dispose()


CENTRAL_UNREACHABLE = "The central database cannot be reached; check the network."


class SignInFailed(DeskError):
    """The central database refused the login (or could not be reached)."""


def _describe(engine: Engine) -> str:
    from app.store.db import describe

    return describe(engine)
