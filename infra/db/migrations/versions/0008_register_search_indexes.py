"""The register's indexes: trigram search on names and places, postal code, events by time.

``lower(legal_name) LIKE '%…%'`` and ``lower(city) LIKE '%…%'`` scan every organisation
without a trigram index (PostgreSQL's ``pg_trgm``, GIN); ``postal_code =`` gets a b-tree, and
the event history one on ``(certificate_id, at)`` that replaces the one on ``certificate_id``
alone (the status at a moment is the last event up to it). SQLite gets the b-trees only.

``CREATE EXTENSION pg_trgm`` needs a role that may create it (since PostgreSQL 13 ``pg_trgm``
is a trusted extension: the database's owner or anyone with CREATE on it may). Where the
extension is unavailable or may not be created, the two trigram indexes are left out with a
warning (``vergabe.db``) and the search answers the same, scanning; an administrator can create
the extension and the indexes later with the statements below. The downgrade leaves the
extension installed, as other objects may use it by then.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger("vergabe.db")

TRIGRAM_INDEXES = {
    "ix_organisations_legal_name_trgm": "legal_name",
    "ix_organisations_city_trgm": "city",
}


def _trigram_available(bind: sa.Connection) -> bool:
    """Whether ``pg_trgm`` is installed in the database or could be created now."""
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    if not bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).first():
        log.warning("pg_trgm is not available on this server: no trigram indexes for the register")
        return False
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        log.warning(
            "cannot create the extension pg_trgm (%s): no trigram indexes for the register",
            str(exc.orig).strip().splitlines()[0],
        )
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("pq_certificate_events", schema=None) as batch_op:
        batch_op.drop_index("ix_pq_certificate_events_certificate_id")
        batch_op.create_index(
            "ix_pq_certificate_events_certificate_id_at", ["certificate_id", "at"], unique=False
        )
    op.create_index("ix_organisations_postal_code", "organisations", ["postal_code"])
    if bind.dialect.name == "postgresql" and _trigram_available(bind):
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON organisations "
                f"USING gin (lower({column}) gin_trgm_ops)"
            )


def downgrade() -> None:
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_organisations_postal_code", table_name="organisations")
    with op.batch_alter_table("pq_certificate_events", schema=None) as batch_op:
        batch_op.drop_index("ix_pq_certificate_events_certificate_id_at")
        batch_op.create_index(
            "ix_pq_certificate_events_certificate_id", ["certificate_id"], unique=False
        )
