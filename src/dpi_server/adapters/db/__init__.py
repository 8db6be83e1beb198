"""db: the SQL adapters.

Importing the package registers every table on `tables.metadata`, the notification tables
included (they live in a module of their own to keep `tables.py` readable)."""

from dpi_server.adapters.db import notification_tables as _notification_tables  # noqa: F401
