"""JSON Schemas of the 17 notification types (written by scripts/notification_schemas.py)."""
