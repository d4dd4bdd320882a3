"""open data portal: usage, harvesting, public requests, feedback, reuses, applications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:58:47.172887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "harvest_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("interval_hours", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_harvest_sources_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_harvest_sources_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_sources")),
    )
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_harvest_sources_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_harvest_sources_next_run_at"), ["next_run_at"], unique=False
        )

    op.create_table(
        "portal_reuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderated_by"], ["users.id"], name=op.f("fk_portal_reuses_moderated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_portal_reuses_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_reuses")),
    )
    with op.batch_alter_table("portal_reuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_reuses_state"), ["state"], unique=False)

    op.create_table(
        "harvest_records",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=300), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_harvest_records_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_sources.id"],
            name=op.f("fk_harvest_records_source_id_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "remote_id", name=op.f("pk_harvest_records")),
    )
    with op.batch_alter_table("harvest_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvest_records_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "harvest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["harvest_sources.id"],
            name=op.f("fk_harvest_runs_source_id_harvest_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_runs")),
    )
    with op.batch_alter_table("harvest_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_harvest_runs_source_id"), ["source_id"], unique=False)

    op.create_table(
        "portal_data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_portal_data_requests_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_portal_data_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_portal_data_requests_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_portal_data_requests_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_data_requests")),
    )
    with op.batch_alter_table("portal_data_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_data_requests_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_data_requests_state"), ["state"], unique=False)

    op.create_table(
        "portal_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("replied_by", sa.Integer(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_portal_feedback_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by"], ["users.id"], name=op.f("fk_portal_feedback_moderated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["replied_by"], ["users.id"], name=op.f("fk_portal_feedback_replied_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portal_feedback_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_feedback")),
    )
    with op.batch_alter_table("portal_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_feedback_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_feedback_state"), ["state"], unique=False)

    op.create_table(
        "portal_reuse_entries",
        sa.Column("reuse_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_portal_reuse_entries_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["reuse_id"],
            ["portal_reuses.id"],
            name=op.f("fk_portal_reuse_entries_reuse_id_portal_reuses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reuse_id", "entry_id", name=op.f("pk_portal_reuse_entries")),
    )
    op.create_table(
        "portal_usage",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("api_calls", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_portal_usage_entry_id_catalog_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "day", name=op.f("pk_portal_usage")),
    )
    op.create_table(
        "portal_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("agreement_hash", sa.String(length=64), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_portal_applications_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_portal_applications_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_portal_applications_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_portal_applications_grant_id_sharing_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portal_applications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_applications")),
    )
    with op.batch_alter_table("portal_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_applications_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_applications_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_applications_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_portal_applications_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.alter_column("department_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_sharing_grants_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sharing_grants_user_id_users"), "users", ["user_id"], ["id"]
        )


def downgrade() -> None:

    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sharing_grants_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_sharing_grants_user_id"))
        batch_op.alter_column("department_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("user_id")

    with op.batch_alter_table("portal_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_applications_user_id"))
        batch_op.drop_index(batch_op.f("ix_portal_applications_state"))
        batch_op.drop_index(batch_op.f("ix_portal_applications_entry_id"))
        batch_op.drop_index(batch_op.f("ix_portal_applications_department_id"))

    op.drop_table("portal_applications")
    op.drop_table("portal_usage")
    op.drop_table("portal_reuse_entries")
    with op.batch_alter_table("portal_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_feedback_state"))
        batch_op.drop_index(batch_op.f("ix_portal_feedback_entry_id"))

    op.drop_table("portal_feedback")
    with op.batch_alter_table("portal_data_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_data_requests_state"))
        batch_op.drop_index(batch_op.f("ix_portal_data_requests_department_id"))

    op.drop_table("portal_data_requests")
    with op.batch_alter_table("harvest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvest_runs_source_id"))

    op.drop_table("harvest_runs")
    with op.batch_alter_table("harvest_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvest_records_entry_id"))

    op.drop_table("harvest_records")
    with op.batch_alter_table("portal_reuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_reuses_state"))

    op.drop_table("portal_reuses")
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_harvest_sources_next_run_at"))
        batch_op.drop_index(batch_op.f("ix_harvest_sources_department_id"))

    op.drop_table("harvest_sources")
