"""Tenders: the tender, its lots, award criteria, documents, amendments, questions, downloads.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tender_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_tender_number_counters")),
    )
    op.create_table(
        "tenders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("procedure", sa.String(length=30), nullable=False),
        sa.Column("contract_kind", sa.String(length=20), nullable=False),
        sa.Column("authority_kind", sa.String(length=20), nullable=False),
        sa.Column("estimated_value", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("regime", sa.String(length=10), nullable=True),
        sa.Column("cpv_codes", sa.Text(), nullable=False),
        sa.Column("nuts_code", sa.String(length=5), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("urgency_reason", sa.Text(), nullable=True),
        sa.Column(
            "clarification_deadline", infra.db.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("submission_deadline", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("binding_until", sa.Date(), nullable=True),
        sa.Column("pq_categories", sa.Text(), nullable=False),
        sa.Column("pq_divisions", sa.Text(), nullable=False),
        sa.Column("evidence_types", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["organisations.id"],
            name=op.f("fk_tenders_authority_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"],
            ["users.id"],
            name=op.f("fk_tenders_cancelled_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_tenders_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["users.id"],
            name=op.f("fk_tenders_published_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenders")),
        sa.UniqueConstraint("number", name=op.f("uq_tenders_number")),
    )
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tenders_authority_id_status", ["authority_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_tenders_status_published_at", ["status", "published_at"], unique=False
        )
        batch_op.create_index(
            "ix_tenders_status_submission_deadline", ["status", "submission_deadline"], unique=False
        )

    op.create_table(
        "tender_amendments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by"], ["users.id"], name=op.f("fk_tender_amendments_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_amendments_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_amendments")),
        sa.UniqueConstraint("tender_id", "number", name=op.f("uq_tender_amendments_tender_id")),
    )
    op.create_table(
        "tender_criteria",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("max_points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_criteria_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_criteria")),
        sa.UniqueConstraint("tender_id", "position", name=op.f("uq_tender_criteria_tender_id")),
    )
    with op.batch_alter_table("tender_criteria", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tender_criteria_tender_id"), ["tender_id"], unique=False
        )

    op.create_table(
        "tender_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("superseded_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("amendment_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_documents_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_tender_documents_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_documents")),
    )
    with op.batch_alter_table("tender_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tender_documents_tender_id_key", ["tender_id", "key"], unique=False
        )

    op.create_table(
        "tender_lots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("estimated_value", sa.Numeric(precision=15, scale=2), nullable=False),
        sa.Column("cpv_codes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_lots_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_lots")),
        sa.UniqueConstraint("tender_id", "number", name=op.f("uq_tender_lots_tender_id")),
    )
    with op.batch_alter_table("tender_lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tender_lots_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "tender_questions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["users.id"],
            name=op.f("fk_tender_questions_answered_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tender_questions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_questions_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tender_questions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_questions")),
        sa.UniqueConstraint("tender_id", "number", name=op.f("uq_tender_questions_tender_id")),
    )
    op.create_table(
        "tender_downloads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["tender_documents.id"],
            name=op.f("fk_tender_downloads_document_id_tender_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_tender_downloads_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_tender_downloads_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tender_downloads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_downloads")),
        sa.UniqueConstraint("document_id", "user_id", name=op.f("uq_tender_downloads_document_id")),
    )
    with op.batch_alter_table("tender_downloads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tender_downloads_tender_id_organisation_id",
            ["tender_id", "organisation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("tender_downloads", schema=None) as batch_op:
        batch_op.drop_index("ix_tender_downloads_tender_id_organisation_id")

    op.drop_table("tender_downloads")
    op.drop_table("tender_questions")
    with op.batch_alter_table("tender_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_lots_tender_id"))

    op.drop_table("tender_lots")
    with op.batch_alter_table("tender_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_tender_documents_tender_id_key")

    op.drop_table("tender_documents")
    with op.batch_alter_table("tender_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tender_criteria_tender_id"))

    op.drop_table("tender_criteria")
    op.drop_table("tender_amendments")
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_index("ix_tenders_status_submission_deadline")
        batch_op.drop_index("ix_tenders_status_published_at")
        batch_op.drop_index("ix_tenders_authority_id_status")

    op.drop_table("tenders")
    op.drop_table("tender_number_counters")
