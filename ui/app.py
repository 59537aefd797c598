"""Starting the desk: the window first, the database in the background.

Only QtCore, QtGui and QtWidgets are imported at start; SQLAlchemy and the store load
inside the worker that opens the database, after the window is on screen.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit

from ui import theme
from ui.main_window import MainWindow, app_icon
from ui.workers import ProgressCallback

if TYPE_CHECKING:
    from app.services.desk import Desk

ORGANIZATION = "PA Desk"
APPLICATION = "PA Desk"


def run_gui(
    url: str | None,
    *,
    username: str | None = None,
    demo_patients: int = 2000,
    startup_probe: bool = False,
    central_url: str | None = None,
) -> int:
    """Show the desk window and run until it closes; return the exit code.

    ``url`` None means the embedded default database. With ``startup_probe`` the
    window is shown, the search box takes focus, ``READY <rss MiB>`` is printed and
    the application quits with 0 without touching the database (so a probe can never
    leave a half-created demo database behind).
    """
    app = _application()
    window = MainWindow()
    window.show()
    window.raise_()
    window.activateWindow()
    window.find_patient()

    if startup_probe:
        QTimer.singleShot(0, lambda: _probe(app, window))
        return app.exec()

    password: str | None = None
    if _is_server_url(central_url):
        signed_in = _sign_in_to_server(central_url or "")
        if signed_in is None:
            return 0  # the person chose not to sign in
        central_url, login, password = signed_in
        username = username or login  # the desk user is the person who signed in

    def opener(progress: ProgressCallback) -> Desk:
        return _open_desk(url, username, demo_patients, progress, central_url, password)

    # After the first paint, so the window is on screen before any heavy import.
    QTimer.singleShot(0, lambda: window.open_desk_with(opener, database_label(url)))
    code = app.exec()
    # Let a database open still in flight finish cleanly before closing its engine.
    QThreadPool.globalInstance().waitForDone()
    if window.desk is not None:
        window.desk.close()
    return code


def _application() -> QApplication:
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationDisplayName(APPLICATION)
    app.setWindowIcon(app_icon())
    theme.apply(app)
    return app


def _open_desk(
    url: str | None,
    username: str | None,
    demo_patients: int,
    progress: ProgressCallback,
    central_url: str | None = None,
    central_password: str | None = None,
) -> Desk:
    """Runs in a worker thread: the first import of SQLAlchemy happens here."""
    from app.config import default_central_url, default_database_url
    from app.services.desk import open_desk

    return open_desk(
        url or default_database_url(),
        username=username,
        demo_patients=demo_patients,
        progress=progress,
        central_url=central_url or default_central_url(),
        central_password=central_password,
    )


def _is_server_url(url: str | None) -> bool:
    """A central PostgreSQL server (the embedded default is a SQLite file)."""
    import os

    url = url or os.environ.get("PA_DESK_CENTRAL") or ""
    return url.startswith(("postgresql", "postgres:"))


def _sign_in_to_server(url: str) -> tuple[str, str, str] | None:
    """(central URL with the login, login, password) for the central server; the
    password from the keyring, else asked and kept as the person chose. None if they
    cancel. The returned URL never holds the password."""
    import getpass
    import os

    from sqlalchemy.engine import make_url

    from app.services.credentials import Credentials, secret_name
    from app.services.sync import check_sign_in
    from app.store.db import normalize_url

    url = url or os.environ.get("PA_DESK_CENTRAL", "")
    parsed = make_url(normalize_url(url))
    login = parsed.username or getpass.getuser()

    def with_login(name: str) -> str:
        return parsed.set(username=name, password=None).render_as_string(hide_password=True)

    if parsed.password:
        return with_login(login), login, str(parsed.password)
    credentials = Credentials()
    stored = credentials.get(secret_name(url, login))
    if stored is not None:
        return with_login(login), login, stored
    from ui.sign_in import SignInDialog

    dialog = SignInDialog(
        database_label(url),
        login,
        keyring_usable=credentials.remembers,
        keyring_note=credentials.state.explanation,
        verify=lambda name, password: check_sign_in(parsed, name, password),
    )
    if dialog.exec() != SignInDialog.DialogCode.Accepted:
        return None
    password = dialog.password.text()
    login = dialog.login.text().strip()
    credentials.save(secret_name(url, login), password, remember=dialog.remember.isChecked())
    return with_login(login), login, password


def database_label(url: str | None) -> str:
    """The database as the status bar names it before it is open (never a password)."""
    if not url:
        return "SQLite · desk.sqlite3"
    if "://" not in url:
        return f"SQLite · {Path(url).name}"
    scheme, rest = url.split("://", 1)
    if scheme.startswith("sqlite"):
        return f"SQLite · {Path(rest.lstrip('/')).name or 'memory'}"
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed URL: opening it will say what is wrong
        return "Database"
    return f"PostgreSQL · {parts.hostname or 'localhost'}{port}{parts.path}"


def _probe(app: QApplication, window: MainWindow) -> None:
    """Print READY once the search box is shown, focused and accepting input."""
    search = window.lookup.search
    ready = (
        window.isVisible()
        and search.isVisible()
        and search.isEnabled()
        and not search.isReadOnly()
        and (search.hasFocus() or app.focusWidget() is search or _focus_pending(search))
    )
    if not ready:
        QTimer.singleShot(10, lambda: _probe(app, window))
        return
    print(f"READY {rss_mib():.1f}", flush=True)
    app.quit()


def _focus_pending(search: QLineEdit) -> bool:
    # Offscreen and some window managers never activate the window; the box is still
    # the window's focus widget and takes keys as soon as the window is active.
    window = search.window()
    return window.focusWidget() is search


def rss_mib() -> float:
    """This process's resident set size in MiB (Linux: /proc/self/status VmRSS)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
    except (ImportError, OSError):
        return 0.0
