"""Where the desk keeps its files, and the embedded default database."""

from __future__ import annotations

import os
import socket
from pathlib import Path

APP_NAME = "PA Desk"
DEFAULT_DEMO_PATIENTS = 2000


def data_dir() -> Path:
    """The per-user data folder (``PA_DESK_HOME`` overrides it, e.g. for tests)."""
    override = os.environ.get("PA_DESK_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path("pa-desk", appauthor=False)


def default_database_url() -> str:
    """The embedded default: a SQLite file in the user's data folder, demo data on first run."""
    return f"sqlite:///{data_dir() / 'desk.sqlite3'}"


def default_central_url() -> str:
    """``PA_DESK_CENTRAL``, else the embedded default: a SQLite "central" database next
    to the desk's, so the desk syncs with no server."""
    return os.environ.get("PA_DESK_CENTRAL") or f"sqlite:///{data_dir() / 'central.sqlite3'}"


def workstation_name() -> str:
    return os.environ.get("PA_DESK_WORKSTATION") or socket.gethostname()
