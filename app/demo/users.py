"""The desk's demo sign-ins: one per role, and a few more agents for the lead to watch."""

from __future__ import annotations

from typing import Any

from app.domain.codes import Role

_USERS: tuple[tuple[str, str, Role], ...] = (
    ("agent", "Alex Morgan", Role.AGENT),
    ("lead", "Taylor Brooks", Role.LEAD),
    ("trainee", "Riley Chen", Role.TRAINEE),
    ("admin", "Morgan Patel", Role.ADMIN),
    ("agent2", "Jordan Reyes", Role.AGENT),
    ("agent3", "Casey Nguyen", Role.AGENT),
)


def demo_users() -> list[dict[str, Any]]:
    """The users :func:`~app.demo.generate_demo` makes: username, display name, role."""
    return [
        {"username": username, "display_name": name, "role": role}
        for username, name, role in _USERS
    ]
