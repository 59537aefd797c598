"""Demo data: a pediatric behavioral-health practice, deterministic from a seed.

``generate_demo(engine, patients, seed=..., today=...)`` fills an empty, migrated
database (SQLite or PostgreSQL) with guarantor accounts, patients, coverages, visits,
835-style claims, an append-only ledger, payments, plans and statements; a million
patients take a few minutes.
"""

from app.demo.generate import DemoSummary, generate_demo
from app.demo.users import demo_users

__all__ = ["DemoSummary", "demo_users", "generate_demo"]
