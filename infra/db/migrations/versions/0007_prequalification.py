"""Pre-qualification: offices, applications, evidence, self-declarations, certificates.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import infra.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pq_number_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_pq_number_counters")),
    )
    op.create_table(
        "pq_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("cpv_divisions", sa.Text(), nullable=False),
        sa.Column("created_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("submitted_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_submitted_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewer_id", sa.Uuid(), nullable=True),
        sa.Column("change_request", sa.Text(), nullable=True),
        sa.Column("changes_due", sa.Date(), nullable=True),
        sa.Column("decided_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_pq_applications_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_pq_applications_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pq_applications_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_pq_applications_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pq_applications")),
    )
    with op.batch_alter_table("pq_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pq_applications_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_pq_applications_status_submitted", ["status", "submitted_at"], unique=False
        )

    op.create_table(
        "pq_offices",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("designated_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("designated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["designated_by"],
            ["users.id"],
            name=op.f("fk_pq_offices_designated_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pq_offices_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_pq_offices")),
    )
    op.create_table(
        "pq_certificates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("issued_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("document_json", sa.LargeBinary(), nullable=True),
        sa.Column("document_signature", sa.LargeBinary(), nullable=True),
        sa.Column("revocation_ground", sa.String(length=60), nullable=True),
        sa.Column("excluded_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pq_applications.id"],
            name=op.f("fk_pq_certificates_application_id_pq_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["users.id"],
            name=op.f("fk_pq_certificates_issued_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pq_certificates_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pq_certificates")),
        sa.UniqueConstraint("application_id", name=op.f("uq_pq_certificates_application_id")),
        sa.UniqueConstraint("number", name=op.f("uq_pq_certificates_number")),
    )
    with op.batch_alter_table("pq_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pq_certificates_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pq_certificates_valid_to"), ["valid_to"], unique=False)

    op.create_table(
        "pq_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("type_code", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("stated_expiry", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("uploaded_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("label", sa.String(length=40), nullable=True),
        sa.Column("signers", sa.Text(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.String(length=20), nullable=True),
        sa.Column("reviewed_at", infra.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("reminded_days", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pq_applications.id"],
            name=op.f("fk_pq_evidence_application_id_pq_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pq_evidence_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["users.id"],
            name=op.f("fk_pq_evidence_reviewed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_pq_evidence_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pq_evidence")),
    )
    with op.batch_alter_table("pq_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pq_evidence_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pq_evidence_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pq_evidence_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "pq_self_declarations",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("sme_size", sa.String(length=10), nullable=True),
        sa.Column("declared_at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("declared_by", sa.Uuid(), nullable=True),
        sa.Column("review_status", sa.String(length=20), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["pq_applications.id"],
            name=op.f("fk_pq_self_declarations_application_id_pq_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["declared_by"],
            ["users.id"],
            name=op.f("fk_pq_self_declarations_declared_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_pq_self_declarations")),
    )
    op.create_table(
        "pq_certificate_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("at", infra.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_pq_certificate_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["pq_certificates.id"],
            name=op.f("fk_pq_certificate_events_certificate_id_pq_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pq_certificate_events")),
    )
    with op.batch_alter_table("pq_certificate_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pq_certificate_events_certificate_id"), ["certificate_id"], unique=False
        )

    op.create_table(
        "pq_certificate_scopes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("division", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["pq_certificates.id"],
            name=op.f("fk_pq_certificate_scopes_certificate_id_pq_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pq_certificate_scopes")),
        sa.UniqueConstraint("certificate_id", "category", "division", name="uq_pq_scope"),
    )
    with op.batch_alter_table("pq_certificate_scopes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pq_certificate_scopes_certificate_id"), ["certificate_id"], unique=False
        )
        batch_op.create_index("ix_pq_certificate_scopes_division", ["division"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pq_certificate_scopes", schema=None) as batch_op:
        batch_op.drop_index("ix_pq_certificate_scopes_division")
        batch_op.drop_index(batch_op.f("ix_pq_certificate_scopes_certificate_id"))

    op.drop_table("pq_certificate_scopes")
    with op.batch_alter_table("pq_certificate_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pq_certificate_events_certificate_id"))

    op.drop_table("pq_certificate_events")
    op.drop_table("pq_self_declarations")
    with op.batch_alter_table("pq_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pq_evidence_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_pq_evidence_expires_on"))
        batch_op.drop_index(batch_op.f("ix_pq_evidence_application_id"))

    op.drop_table("pq_evidence")
    with op.batch_alter_table("pq_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pq_certificates_valid_to"))
        batch_op.drop_index(batch_op.f("ix_pq_certificates_organisation_id"))

    op.drop_table("pq_certificates")
    op.drop_table("pq_offices")
    with op.batch_alter_table("pq_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_pq_applications_status_submitted")
        batch_op.drop_index(batch_op.f("ix_pq_applications_organisation_id"))

    op.drop_table("pq_applications")
    op.drop_table("pq_number_counters")
