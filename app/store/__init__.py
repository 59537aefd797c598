"""Persistence: SQLAlchemy 2.0 models, queries, search, Alembic migrations."""
