"""web: reviewers' roles and scopes, sessions, sign-in attempts, signatory status, list version

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 03:31:55.017681
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import registry.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_version")),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_client", ["client", "at"], unique=False)
        batch_op.create_index("ix_login_attempt_username", ["username", "at"], unique=False)

    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", registry.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_web_session_reviewer_id_reviewer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_web_session_reviewer_id"), ["reviewer_id"], unique=False
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_organisation_merged_into_id_organisation"),
            "organisation",
            ["merged_into_id"],
            ["id"],
        )

    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("county", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_proposal_county"), ["county"], unique=False)

    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="reviewer")
        )
        batch_op.add_column(sa.Column("counties", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("declarations", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("locale", sa.String(length=10), nullable=False, server_default="sv")
        )
        batch_op.add_column(sa.Column("email", sa.String(length=300), nullable=True))

    with op.batch_alter_table("signatory", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="active")
        )
        batch_op.add_column(sa.Column("status_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_signatory_status"), ["status"], unique=False)

    # existing reviewers were all equal: the first one becomes the admin
    bind = op.get_bind()
    first = bind.execute(sa.text("SELECT min(id) FROM reviewer")).scalar()
    if first is not None:
        bind.execute(sa.text("UPDATE reviewer SET role = 'admin' WHERE id = :id"), {"id": first})
    # the county of each proposal, from what was read
    rows = bind.execute(sa.text("SELECT id, fields FROM proposal")).all()
    for pid, fields in rows:
        fields = json.loads(fields) if isinstance(fields, str) else (fields or {})
        county = (fields.get("county") or {}).get("value")
        if county:
            bind.execute(
                sa.text("UPDATE proposal SET county = :c WHERE id = :id"), {"c": county, "id": pid}
            )
    bind.execute(sa.text("INSERT INTO list_version (id, version) VALUES (1, 0)"))
    # server defaults were only for the rows already there; the models set the values
    for table, columns in (
        ("reviewer", ("role", "counties", "declarations", "locale")),
        ("signatory", ("status",)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("signatory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signatory_status"))
        batch_op.drop_column("status_reason")
        batch_op.drop_column("status_since")
        batch_op.drop_column("status")

    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.drop_column("email")
        batch_op.drop_column("locale")
        batch_op.drop_column("declarations")
        batch_op.drop_column("counties")
        batch_op.drop_column("role")

    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_county"))
        batch_op.drop_column("county")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_organisation_merged_into_id_organisation"), type_="foreignkey"
        )
        batch_op.drop_column("merged_into_id")

    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_web_session_expires_at"))

    op.drop_table("web_session")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_username")
        batch_op.drop_index("ix_login_attempt_client")

    op.drop_table("login_attempt")
    op.drop_table("list_version")
