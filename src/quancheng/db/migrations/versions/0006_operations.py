"""city operations: entities, subscriptions, rules, alarms, commands, schedules

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:41:12.971026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "ops_entities",
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=12), nullable=False),
        sa.Column("group_id", sa.String(length=256), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ops_entities_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_entities")),
    )
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ops_entities_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ops_entities_district"), ["district"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_entities_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ops_entities_last_seen_at"), ["last_seen_at"], unique=False
        )
        batch_op.create_index("ix_ops_entities_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_entities_type"), ["type"], unique=False)

    op.create_table(
        "ops_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=256), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ops_commands_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ops_commands_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["ops_entities.id"], name=op.f("fk_ops_commands_entity_id_ops_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_commands")),
    )
    with op.batch_alter_table("ops_commands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ops_commands_batch"), ["batch"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ops_commands_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ops_commands_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_commands_state"), ["state"], unique=False)

    op.create_table(
        "ops_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("attribute", sa.String(length=100), nullable=False),
        sa.Column("operator", sa.String(length=4), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ops_rules_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ops_rules_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_rules")),
    )
    with op.batch_alter_table("ops_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ops_rules_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ops_rules_entity_type"), ["entity_type"], unique=False)

    op.create_table(
        "ops_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("program", sa.JSON(), nullable=False),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ops_schedules_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ops_schedules_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_schedules")),
    )
    with op.batch_alter_table("ops_schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ops_schedules_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "ops_subscriptions",
        sa.Column("id", sa.String(length=256), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("entity_type", sa.String(length=100), nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("throttling_seconds", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("times_sent", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_ops_subscriptions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ops_subscriptions_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_subscriptions")),
    )
    with op.batch_alter_table("ops_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ops_subscriptions_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ops_subscriptions_entity_type"), ["entity_type"], unique=False
        )

    op.create_table(
        "ops_alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("entity_id", sa.String(length=256), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["users.id"], name=op.f("fk_ops_alarms_acknowledged_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_ops_alarms_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["ops_entities.id"], name=op.f("fk_ops_alarms_entity_id_ops_entities")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["ops_rules.id"], name=op.f("fk_ops_alarms_rule_id_ops_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_alarms")),
    )
    with op.batch_alter_table("ops_alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ops_alarms_dedupe_key"), ["dedupe_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ops_alarms_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ops_alarms_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_alarms_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_alarms_state"), ["state"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("ops_alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_alarms_state"))
        batch_op.drop_index(batch_op.f("ix_ops_alarms_raised_at"))
        batch_op.drop_index(batch_op.f("ix_ops_alarms_entity_id"))
        batch_op.drop_index(batch_op.f("ix_ops_alarms_department_id"))
        batch_op.drop_index(batch_op.f("ix_ops_alarms_dedupe_key"))

    op.drop_table("ops_alarms")
    with op.batch_alter_table("ops_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_subscriptions_entity_type"))
        batch_op.drop_index(batch_op.f("ix_ops_subscriptions_department_id"))

    op.drop_table("ops_subscriptions")
    with op.batch_alter_table("ops_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_schedules_department_id"))

    op.drop_table("ops_schedules")
    with op.batch_alter_table("ops_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_rules_entity_type"))
        batch_op.drop_index(batch_op.f("ix_ops_rules_department_id"))

    op.drop_table("ops_rules")
    with op.batch_alter_table("ops_commands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_commands_state"))
        batch_op.drop_index(batch_op.f("ix_ops_commands_entity_id"))
        batch_op.drop_index(batch_op.f("ix_ops_commands_department_id"))
        batch_op.drop_index(batch_op.f("ix_ops_commands_batch"))

    op.drop_table("ops_commands")
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_entities_type"))
        batch_op.drop_index("ix_ops_entities_lon_lat")
        batch_op.drop_index(batch_op.f("ix_ops_entities_last_seen_at"))
        batch_op.drop_index(batch_op.f("ix_ops_entities_group_id"))
        batch_op.drop_index(batch_op.f("ix_ops_entities_district"))
        batch_op.drop_index(batch_op.f("ix_ops_entities_department_id"))

    op.drop_table("ops_entities")
