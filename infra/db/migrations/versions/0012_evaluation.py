"""Evaluation: the evaluation of a tender, each bid's checks and decision, declarations on
conflicts of interest, the evaluators' points, the ranking per lot, requests to bidders.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = infra.db.base.UTCDateTime
POINTS = sa.Numeric(precision=9, scale=2)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("ranked_at", UTC(timezone=True), nullable=True),
        sa.Column("ranked_by", sa.Uuid(), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        _fk("evaluations", "tender_id", "tenders", "CASCADE"),
        _fk("evaluations", "started_by", "users", "SET NULL"),
        _fk("evaluations", "ranked_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("tender_id", name=op.f("pk_evaluations")),
    )
    op.create_table(
        "evaluation_bids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("received_in_time", sa.Boolean(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("signature", sa.String(length=20), nullable=False),
        sa.Column("eligibility", sa.String(length=20), nullable=False),
        sa.Column("certificate_number", sa.String(length=40), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("checked_at", UTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ground", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        _fk("evaluation_bids", "tender_id", "tenders", "CASCADE"),
        _fk("evaluation_bids", "bid_id", "bids", "CASCADE"),
        _fk("evaluation_bids", "organisation_id", "organisations", "RESTRICT"),
        _fk("evaluation_bids", "submission_id", "bid_submissions", "CASCADE"),
        _fk("evaluation_bids", "decided_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_bids")),
        sa.UniqueConstraint("bid_id", name=op.f("uq_evaluation_bids_bid_id")),
    )
    op.create_index("ix_evaluation_bids_tender_id", "evaluation_bids", ["tender_id"])
    op.create_table(
        "evaluation_declarations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("declared_at", UTC(timezone=True), nullable=False),
        _fk("evaluation_declarations", "tender_id", "tenders", "CASCADE"),
        _fk("evaluation_declarations", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_declarations")),
        sa.UniqueConstraint(
            "tender_id",
            "user_id",
            name=op.f("uq_evaluation_declarations_tender_id_user_id"),
        ),
    )
    op.create_table(
        "evaluation_scores",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("lot", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Uuid(), nullable=False),
        sa.Column("evaluator_id", sa.Uuid(), nullable=False),
        sa.Column("points", POINTS, nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("given_at", UTC(timezone=True), nullable=False),
        _fk("evaluation_scores", "tender_id", "tenders", "CASCADE"),
        _fk("evaluation_scores", "bid_id", "bids", "CASCADE"),
        _fk("evaluation_scores", "criterion_id", "tender_criteria", "CASCADE"),
        _fk("evaluation_scores", "evaluator_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_scores")),
        sa.UniqueConstraint(
            "bid_id",
            "lot",
            "criterion_id",
            "evaluator_id",
            name=op.f("uq_evaluation_scores_bid_id_lot_criterion_id_evaluator_id"),
        ),
    )
    op.create_index("ix_evaluation_scores_tender_id", "evaluation_scores", ["tender_id"])
    op.create_table(
        "evaluation_ranks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("lot", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("total", POINTS, nullable=False),
        sa.Column("points", sa.Text(), nullable=False),
        sa.Column("tied", sa.Boolean(), nullable=False),
        sa.Column("abnormally_low", sa.Boolean(), nullable=False),
        _fk("evaluation_ranks", "tender_id", "tenders", "CASCADE"),
        _fk("evaluation_ranks", "bid_id", "bids", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_ranks")),
        sa.UniqueConstraint(
            "tender_id", "lot", "bid_id", name=op.f("uq_evaluation_ranks_tender_id_lot_bid_id")
        ),
    )
    op.create_table(
        "evaluation_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tender_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("deadline", UTC(timezone=True), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("answer", sa.LargeBinary(), nullable=True),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        _fk("evaluation_requests", "tender_id", "tenders", "CASCADE"),
        _fk("evaluation_requests", "bid_id", "bids", "CASCADE"),
        _fk("evaluation_requests", "organisation_id", "organisations", "CASCADE"),
        _fk("evaluation_requests", "created_by", "users", "SET NULL"),
        _fk("evaluation_requests", "answered_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_requests")),
    )
    op.create_index("ix_evaluation_requests_tender_id", "evaluation_requests", ["tender_id"])
    op.create_index(
        "ix_evaluation_requests_organisation_id", "evaluation_requests", ["organisation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_requests_organisation_id", table_name="evaluation_requests")
    op.drop_index("ix_evaluation_requests_tender_id", table_name="evaluation_requests")
    op.drop_table("evaluation_requests")
    op.drop_table("evaluation_ranks")
    op.drop_index("ix_evaluation_scores_tender_id", table_name="evaluation_scores")
    op.drop_table("evaluation_scores")
    op.drop_table("evaluation_declarations")
    op.drop_index("ix_evaluation_bids_tender_id", table_name="evaluation_bids")
    op.drop_table("evaluation_bids")
    op.drop_table("evaluations")
