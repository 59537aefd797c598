"""Errors the GUI may show. Importing this module pulls in no SQLAlchemy.

Messages are safe to show and to log: they never carry PHI or card data.
"""

from __future__ import annotations


class DeskError(RuntimeError):
    """A problem the agent can act on (e.g. an unknown desk user)."""


class AccountNotFound(LookupError):
    """The account id names no account on this desk."""
