"""operations: a streetlight's state beside its attributes; one open alarm per dedupe key

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:11:22.983519
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from quancheng.operations.model import STREETLIGHT, entity_state

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "state != 'cleared'"
_BATCH = 2_000


def upgrade() -> None:
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="", nullable=False)
        )
    entities = sa.table(
        "ops_entities",
        sa.column("id", sa.String),
        sa.column("type", sa.String),
        sa.column("attrs", sa.JSON),
        sa.column("state", sa.String),
    )
    bind = op.get_bind()
    last = ""
    while True:
        rows = bind.execute(
            sa.select(entities.c.id, entities.c.attrs)
            .where(entities.c.type == STREETLIGHT, entities.c.id > last)
            .order_by(entities.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            sa.update(entities)
            .where(entities.c.id == sa.bindparam("eid"))
            .values(state=sa.bindparam("new_state")),
            [{"eid": r[0], "new_state": entity_state(STREETLIGHT, r[1])} for r in rows],
        )
        last = rows[-1][0]
    # Two processes may have opened the same alarm twice before this index: keep the first.
    alarms = sa.table(
        "ops_alarms",
        sa.column("id", sa.Integer),
        sa.column("dedupe_key", sa.String),
        sa.column("state", sa.String),
    )
    first = (
        sa.select(sa.func.min(alarms.c.id))
        .where(alarms.c.state != "cleared")
        .group_by(alarms.c.dedupe_key)
    )
    bind.execute(
        sa.update(alarms)
        .where(alarms.c.state != "cleared", alarms.c.id.not_in(first))
        .values(state="cleared")
    )
    with op.batch_alter_table("ops_alarms", schema=None) as batch_op:
        batch_op.create_index(
            "ux_ops_alarms_open",
            ["dedupe_key"],
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("ops_alarms", schema=None) as batch_op:
        batch_op.drop_index("ux_ops_alarms_open")
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.drop_column("state")
