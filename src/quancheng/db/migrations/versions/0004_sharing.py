"""sharing: requests, grants, usage, disputes and their history

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:26:11.105825
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("consumer_department_id", sa.Integer(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("applications", sa.JSON(), nullable=False),
        sa.Column("coordination", sa.Boolean(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_on_time", sa.Boolean(), nullable=True),
        sa.Column("answer_workdays", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_requests_consumer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_sharing_requests_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_requests_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_sharing_requests_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_requests")),
    )
    with op.batch_alter_table("sharing_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_requests_consumer_department_id"),
            ["consumer_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_requests_deadline_at"), ["deadline_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_requests_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_requests_provider_department_id"),
            ["provider_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sharing_requests_state"), ["state"], unique=False)

    op.create_table(
        "sharing_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("masks", sa.JSON(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=False),
        sa.Column("applications", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("quota_per_day", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sharing_grants_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_grants_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["users.id"], name=op.f("fk_sharing_grants_ended_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_sharing_grants_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_grants_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["sharing_requests.id"],
            name=op.f("fk_sharing_grants_request_id_sharing_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_grants")),
    )
    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            "ix_sharing_grants_entry_department", ["entry_id", "department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_provider_department_id"),
            ["provider_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sharing_grants_state"), ["state"], unique=False)

    op.create_table(
        "sharing_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("consumer_department_id", sa.Integer(), nullable=False),
        sa.Column("provider_department_id", sa.Integer(), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("corrected_version", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_sharing_disputes_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["consumer_department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_disputes_consumer_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_sharing_disputes_entry_id_catalog_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_disputes_grant_id_sharing_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_disputes_provider_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by"], ["users.id"], name=op.f("fk_sharing_disputes_raised_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_disputes")),
    )
    with op.batch_alter_table("sharing_disputes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_disputes_consumer_department_id"),
            ["consumer_department_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_disputes_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_disputes_provider_department_id"),
            ["provider_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_sharing_disputes_state"), ["state"], unique=False)

    op.create_table(
        "sharing_usage",
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_usage_grant_id_sharing_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("grant_id", "day", name=op.f("pk_sharing_usage")),
    )
    op.create_table(
        "sharing_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_department_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_department_id"],
            ["departments.id"],
            name=op.f("fk_sharing_events_actor_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_sharing_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["sharing_disputes.id"],
            name=op.f("fk_sharing_events_dispute_id_sharing_disputes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_events_grant_id_sharing_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["sharing_requests.id"],
            name=op.f("fk_sharing_events_request_id_sharing_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_events")),
    )
    with op.batch_alter_table("sharing_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_events_dispute_id"), ["dispute_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sharing_events_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sharing_events_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sharing_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_events_request_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_events_grant_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_events_dispute_id"))

    op.drop_table("sharing_events")
    op.drop_table("sharing_usage")
    with op.batch_alter_table("sharing_disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_disputes_state"))
        batch_op.drop_index(batch_op.f("ix_sharing_disputes_provider_department_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_disputes_entry_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_disputes_consumer_department_id"))

    op.drop_table("sharing_disputes")
    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_grants_state"))
        batch_op.drop_index(batch_op.f("ix_sharing_grants_request_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_grants_provider_department_id"))
        batch_op.drop_index("ix_sharing_grants_entry_department")
        batch_op.drop_index(batch_op.f("ix_sharing_grants_department_id"))

    op.drop_table("sharing_grants")
    with op.batch_alter_table("sharing_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_requests_state"))
        batch_op.drop_index(batch_op.f("ix_sharing_requests_provider_department_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_requests_entry_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_requests_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_sharing_requests_consumer_department_id"))

    op.drop_table("sharing_requests")
