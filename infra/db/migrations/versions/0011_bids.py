"""Bids: the tender's wrapped data key, sealed bids, their documents and submissions, the
opening; the form bids must take on a tender.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = infra.db.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(
            sa.Column("bid_signature", sa.String(length=10), nullable=False, server_default="text")
        )
    op.create_table(
        "bid_tender_keys",
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("kek_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_bid_tender_keys_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tender_id", name=op.f("pk_bid_tender_keys")),
    )
    op.create_table(
        "bids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("submitted_at", UTC(timezone=True), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_bids_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bids_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_bids_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bids")),
        sa.UniqueConstraint(
            "tender_id", "organisation_id", name=op.f("uq_bids_tender_id_organisation_id")
        ),
    )
    op.create_index("ix_bids_tender_id_status", "bids", ["tender_id", "status"])
    op.create_index("ix_bids_organisation_id_updated_at", "bids", ["organisation_id", "updated_at"])
    op.create_table(
        "bid_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("meta", sa.LargeBinary(), nullable=False),
        sa.Column("stored_bytes", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UTC(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("removed_at", UTC(timezone=True), nullable=True),
        sa.Column("checked", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["bids.id"], name=op.f("fk_bid_documents_bid_id_bids"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_bid_documents_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_bid_documents_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_documents")),
    )
    op.create_index("ix_bid_documents_bid_id", "bid_documents", ["bid_id"])
    op.create_table(
        "bid_submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("receipt_number", sa.String(length=60), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("by", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("bid_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest", sa.LargeBinary(), nullable=False),
        sa.Column("superseded_at", UTC(timezone=True), nullable=True),
        sa.Column("receipt_pdf", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["bids.id"], name=op.f("fk_bid_submissions_bid_id_bids"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["by"], ["users.id"], name=op.f("fk_bid_submissions_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_bid_submissions_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_submissions")),
        sa.UniqueConstraint("bid_id", "sequence", name=op.f("uq_bid_submissions_bid_id_sequence")),
        sa.UniqueConstraint(
            "bid_id", "idempotency_key", name=op.f("uq_bid_submissions_bid_id_idempotency_key")
        ),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_bid_submissions_receipt_number")),
    )
    op.create_index("ix_bid_submissions_tender_id", "bid_submissions", ["tender_id"])
    op.create_table(
        "bid_openings",
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("confirmed_at", UTC(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), nullable=True),
        sa.Column("minutes_pdf", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["users.id"],
            name=op.f("fk_bid_openings_confirmed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["users.id"],
            name=op.f("fk_bid_openings_started_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["tenders.id"],
            name=op.f("fk_bid_openings_tender_id_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tender_id", name=op.f("pk_bid_openings")),
    )


def downgrade() -> None:
    op.drop_table("bid_openings")
    op.drop_index("ix_bid_submissions_tender_id", table_name="bid_submissions")
    op.drop_table("bid_submissions")
    op.drop_index("ix_bid_documents_bid_id", table_name="bid_documents")
    op.drop_table("bid_documents")
    op.drop_index("ix_bids_organisation_id_updated_at", table_name="bids")
    op.drop_index("ix_bids_tender_id_status", table_name="bids")
    op.drop_table("bids")
    op.drop_table("bid_tender_keys")
    with op.batch_alter_table("tenders") as batch:
        batch.drop_column("bid_signature")
