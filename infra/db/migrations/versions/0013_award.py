"""Award: the proposal and its approval, the bids to be awarded, competition register queries
(§ 6 WRegG), the information letters (§ 134 GWB), review applications, contracts; a bid's
outcome after the ranking; mails may carry one attachment (the sealed letter).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC = infra.db.base.UTCDateTime
MONEY = sa.Numeric(precision=14, scale=2)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    with op.batch_alter_table("evaluation_bids") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
    with op.batch_alter_table("mails") as batch:
        batch.add_column(sa.Column("attachment_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))
    op.create_table(
        "award_proposals",
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("proposed_at", UTC(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", UTC(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("electronic", sa.Boolean(), nullable=False),
        sa.Column("dispatched_at", UTC(timezone=True), nullable=True),
        sa.Column("standstill_last_day", sa.Date(), nullable=True),
        sa.Column("contract_from", sa.Date(), nullable=True),
        sa.Column("contract_from_moment", UTC(timezone=True), nullable=True),
        sa.Column("standstill_ended_at", UTC(timezone=True), nullable=True),
        _fk("award_proposals", "tender_id", "tenders", "CASCADE"),
        _fk("award_proposals", "proposed_by", "users", "SET NULL"),
        _fk("award_proposals", "approved_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("tender_id", name=op.f("pk_award_proposals")),
    )
    op.create_table(
        "award_lots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("lot", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["award_proposals.tender_id"],
            name=op.f("fk_award_lots_tender_id_award_proposals"),
            ondelete="CASCADE",
        ),
        _fk("award_lots", "bid_id", "bids", "CASCADE"),
        _fk("award_lots", "organisation_id", "organisations", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_lots")),
        sa.UniqueConstraint("tender_id", "lot", name=op.f("uq_award_lots_tender_id_lot")),
    )
    op.create_table(
        "award_register_queries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("adapter", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("entries", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("queried_at", UTC(timezone=True), nullable=False),
        sa.Column("queried_by", sa.Uuid(), nullable=True),
        _fk("award_register_queries", "tender_id", "tenders", "CASCADE"),
        _fk("award_register_queries", "organisation_id", "organisations", "RESTRICT"),
        _fk("award_register_queries", "queried_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_register_queries")),
    )
    op.create_index("ix_award_register_queries_tender_id", "award_register_queries", ["tender_id"])
    op.create_table(
        "award_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("dispatched_at", UTC(timezone=True), nullable=False),
        sa.Column("contract_from", sa.Date(), nullable=False),
        _fk("award_letters", "tender_id", "tenders", "CASCADE"),
        _fk("award_letters", "bid_id", "bids", "CASCADE"),
        _fk("award_letters", "organisation_id", "organisations", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_letters")),
        sa.UniqueConstraint(
            "tender_id",
            "bid_id",
            "dispatched_at",
            name=op.f("uq_award_letters_tender_id_bid_id_dispatched_at"),
        ),
    )
    op.create_index("ix_award_letters_organisation_id", "award_letters", ["organisation_id"])
    op.create_table(
        "award_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("applicant", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_at", UTC(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        _fk("award_reviews", "tender_id", "tenders", "CASCADE"),
        _fk("award_reviews", "recorded_by", "users", "SET NULL"),
        _fk("award_reviews", "resolved_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_reviews")),
    )
    op.create_index("ix_award_reviews_tender_id", "award_reviews", ["tender_id"])
    op.create_table(
        "award_contracts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("lot", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("concluded_on", sa.Date(), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        _fk("award_contracts", "tender_id", "tenders", "CASCADE"),
        _fk("award_contracts", "bid_id", "bids", "CASCADE"),
        _fk("award_contracts", "organisation_id", "organisations", "RESTRICT"),
        _fk("award_contracts", "recorded_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_contracts")),
        sa.UniqueConstraint("tender_id", "lot", name=op.f("uq_award_contracts_tender_id_lot")),
    )


def downgrade() -> None:
    op.drop_table("award_contracts")
    op.drop_index("ix_award_reviews_tender_id", table_name="award_reviews")
    op.drop_table("award_reviews")
    op.drop_index("ix_award_letters_organisation_id", table_name="award_letters")
    op.drop_table("award_letters")
    op.drop_index("ix_award_register_queries_tender_id", table_name="award_register_queries")
    op.drop_table("award_register_queries")
    op.drop_table("award_lots")
    op.drop_table("award_proposals")
    with op.batch_alter_table("mails") as batch:
        batch.drop_column("attachment")
        batch.drop_column("attachment_name")
    with op.batch_alter_table("evaluation_bids") as batch:
        batch.drop_column("outcome")
