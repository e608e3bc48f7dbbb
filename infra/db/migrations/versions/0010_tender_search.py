"""Tender search: CPV codes by prefix, full text, the order of the public lists.

``tender_cpv`` holds the eight digits of every CPV code of a public tender and of its lots
(filled from the tenders already published); ``ix_tenders_published_at_id`` serves the order
"newest publication first" across every public state.

Full text differs by database. PostgreSQL: a stored generated column ``tenders.fulltext``,
``to_tsvector('german', title || ' ' || description)``, with a GIN index. The search walks the
tenders newest first and tests each against the query, or asks the index and sorts: kept in
the row, the test costs a few microseconds instead of a ``to_tsvector`` of the whole
description each time (~0.1 ms). SQLite: an FTS5 table ``tenders_fts`` (``tender_id``
unindexed, title, description; ``unicode61`` with diacritics removed) kept by three triggers on
``tenders``. Neither is in the models (autogenerate compares without them, see
``tests/infra/test_migrations_match_models``); the models never write the column.
A later migration that rebuilds ``tenders`` on SQLite (``batch_alter_table`` with column
changes copies the table and drops the old one, and its triggers with it) must create the
triggers of :data:`SQLITE_TRIGGERS` again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FULLTEXT = (
    "ALTER TABLE tenders ADD COLUMN fulltext tsvector GENERATED ALWAYS AS "
    "(to_tsvector('german', title || ' ' || description)) STORED"
)
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE tenders_fts USING fts5("
    "tender_id UNINDEXED, title, description, tokenize = 'unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = {
    "tenders_fts_insert": (
        "CREATE TRIGGER tenders_fts_insert AFTER INSERT ON tenders BEGIN "
        "INSERT INTO tenders_fts (tender_id, title, description) "
        "VALUES (new.id, new.title, new.description); END"
    ),
    "tenders_fts_update": (
        "CREATE TRIGGER tenders_fts_update AFTER UPDATE OF id, title, description ON tenders "
        "BEGIN DELETE FROM tenders_fts WHERE tender_id = old.id; "
        "INSERT INTO tenders_fts (tender_id, title, description) "
        "VALUES (new.id, new.title, new.description); END"
    ),
    "tenders_fts_delete": (
        "CREATE TRIGGER tenders_fts_delete AFTER DELETE ON tenders BEGIN "
        "DELETE FROM tenders_fts WHERE tender_id = old.id; END"
    ),
}


def _fill_cpv(bind: sa.Connection) -> None:
    """The codes of the tenders published before this migration."""
    codes: dict[object, set[str]] = {}
    tenders = bind.execute(
        sa.text("SELECT id, cpv_codes FROM tenders WHERE status <> 'draft'")
    ).all()
    for tender_id, raw in tenders:
        codes[tender_id] = {code.split("-", 1)[0][:8] for code in json.loads(raw)}
    for tender_id, raw in bind.execute(sa.text("SELECT tender_id, cpv_codes FROM tender_lots")):
        if tender_id in codes:
            codes[tender_id] |= {code.split("-", 1)[0][:8] for code in json.loads(raw)}
    rows = [{"t": t, "c": c} for t, found in codes.items() for c in sorted(found)]
    if rows:
        bind.execute(sa.text("INSERT INTO tender_cpv (tender_id, code8) VALUES (:t, :c)"), rows)


def upgrade() -> None:
    op.create_table(
        "tender_cpv",
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("code8", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_cpv_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tender_id", "code8", name=op.f("pk_tender_cpv")),
    )
    op.create_index("ix_tender_cpv_code8_tender_id", "tender_cpv", ["code8", "tender_id"])
    op.create_index("ix_tenders_published_at_id", "tenders", ["published_at", "id"])
    bind = op.get_bind()
    _fill_cpv(bind)
    if bind.dialect.name == "postgresql":
        op.execute(FULLTEXT)
        op.execute("CREATE INDEX ix_tenders_fulltext ON tenders USING gin (fulltext)")
    elif bind.dialect.name == "sqlite":
        op.execute(SQLITE_FTS)
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
        op.execute(
            "INSERT INTO tenders_fts (tender_id, title, description) "
            "SELECT id, title, description FROM tenders"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tenders_fulltext")
        op.execute("ALTER TABLE tenders DROP COLUMN IF EXISTS fulltext")
    elif bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS tenders_fts")
    op.drop_index("ix_tenders_published_at_id", table_name="tenders")
    op.drop_index("ix_tender_cpv_code8_tender_id", table_name="tender_cpv")
    op.drop_table("tender_cpv")
