"""Alembic migrations, run on start by `migrate()`."""
