"""arrivals: join-online applications, mail messages, how a file came; retention, deleted scans

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:08:29.767086
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=1000), nullable=False),
        sa.Column("message_id", sa.String(length=1000), nullable=True),
        sa.Column("sender", sa.String(length=300), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("received_at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("message_key", name=op.f("uq_mail_message_message_key")),
    )
    op.create_table(
        "application",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("organisation_number", sa.String(length=11), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("signatory_name", sa.String(length=300), nullable=True),
        sa.Column("signatory_title", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.Column("created_at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
            name=op.f("fk_application_declaration_id_declaration"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_application_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_application_organisation_number"), ["organisation_number"], unique=False
        )

    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_rejected_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retention_approved_years", sa.Integer(), nullable=True))

    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scan_deleted_at", registry.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("scan_deleted_reason", sa.String(length=100), nullable=True))

    with op.batch_alter_table("submission_arrival", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="inbox")
        )
        batch_op.add_column(sa.Column("sender", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=1000), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_submission_arrival_message_id"), ["message_id"], unique=False
        )
    # the default was for the rows already there (all came through the inbox or the CLI)
    with op.batch_alter_table("submission_arrival", schema=None) as batch_op:
        batch_op.alter_column("source", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("submission_arrival", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_arrival_message_id"))
        batch_op.drop_column("message_id")
        batch_op.drop_column("subject")
        batch_op.drop_column("sender")
        batch_op.drop_column("source")

    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("scan_deleted_reason")
        batch_op.drop_column("scan_deleted_at")

    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.drop_column("retention_approved_years")
        batch_op.drop_column("retention_rejected_months")

    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_organisation_number"))
        batch_op.drop_index(batch_op.f("ix_application_expires_at"))

    op.drop_table("application")
    op.drop_table("mail_message")
