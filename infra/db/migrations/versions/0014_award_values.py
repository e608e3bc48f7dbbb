"""Award values as large as a bid may state: a price is below EUR 10**13 (13 digits before the
decimal point), and a register query sums a company's awards over up to 999 lots. The award,
the register query and the contract take 16 digits before the decimal point.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("award_lots", "value"),
    ("award_register_queries", "value"),
    ("award_contracts", "value"),
)


def upgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                type_=sa.Numeric(precision=18, scale=2),
                existing_type=sa.Numeric(precision=14, scale=2),
                existing_nullable=False,
            )


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                type_=sa.Numeric(precision=14, scale=2),
                existing_type=sa.Numeric(precision=18, scale=2),
                existing_nullable=False,
            )
