"""Signature checks: uploaded documents, their validation state and reports.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signature_checks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", infra.db.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_size", sa.Integer(), nullable=False),
        sa.Column("detached", sa.Boolean(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("etsi_report", sa.LargeBinary(), nullable=True),
        sa.Column("failure_reason", sa.String(length=20), nullable=True),
        sa.Column("failure_de", sa.Text(), nullable=True),
        sa.Column("failure_en", sa.Text(), nullable=True),
        sa.Column("finished_at", infra.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_checks")),
    )
    op.create_index(
        "ix_signature_checks_created_at", "signature_checks", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_signature_checks_created_at", table_name="signature_checks")
    op.drop_table("signature_checks")
