"""Outgoing mail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", infra.db.base.UTCDateTime(), nullable=False),
        sa.Column("sent_at", infra.db.base.UTCDateTime(), nullable=True),
        sa.Column("transport", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mails")),
    )
    op.create_index("ix_mails_created_at", "mails", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_mails_created_at", table_name="mails")
    op.drop_table("mails")
