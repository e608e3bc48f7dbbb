"""Alembic migrations of the whole platform (one linear history for all domains)."""
