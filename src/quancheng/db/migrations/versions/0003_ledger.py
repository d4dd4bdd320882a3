"""ledger: leaves, stored subtree hashes, head, checkpoints, witness keys and cosignatures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 08:22:19.789857
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
    )
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_checkpoints_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ledger_checkpoints_size"), ["size"], unique=False)

    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=64), nullable=True),
        sa.Column("hash_name", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_head")),
    )
    # The one head row exists from the start: appenders lock it rather than race to create it.
    op.bulk_insert(
        sa.table("ledger_head", sa.column("id", sa.Integer()), sa.column("size", sa.BigInteger())),
        [{"id": 1, "size": 0}],
    )
    op.create_table(
        "ledger_leaves",
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=64), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_ledger_leaves")),
    )
    with op.batch_alter_table("ledger_leaves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_leaves_subject"), ["subject"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_leaves_type"), ["type"], unique=False)

    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_ledger_nodes")),
    )
    op.create_table(
        "ledger_witness_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_witness_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_ledger_witness_keys_name")),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_cosignatures_checkpoint_id_ledger_checkpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_cosignatures")),
        sa.UniqueConstraint(
            "checkpoint_id", "witness", name=op.f("uq_ledger_cosignatures_checkpoint_id")
        ),
    )
    with op.batch_alter_table("ledger_cosignatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_cosignatures_checkpoint_id"), ["checkpoint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_cosignatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_cosignatures_checkpoint_id"))

    op.drop_table("ledger_cosignatures")
    op.drop_table("ledger_witness_keys")
    op.drop_table("ledger_nodes")
    with op.batch_alter_table("ledger_leaves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_leaves_type"))
        batch_op.drop_index(batch_op.f("ix_ledger_leaves_subject"))

    op.drop_table("ledger_leaves")
    op.drop_table("ledger_head")
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoints_size"))
        batch_op.drop_index(batch_op.f("ix_ledger_checkpoints_created_at"))

    op.drop_table("ledger_checkpoints")
