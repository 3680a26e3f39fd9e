"""Alembic migrations (script_location = atp:migrations). Alembic owns the schema."""
