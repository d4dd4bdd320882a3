"""operations: a streetlight's state beside its attributes; one open alarm per dedupe key

Adds the state column, empty. The state of the lamps already there is filled in after the
migrations by the running release's code, as derived data (lamp_state,
quancheng/db/derived.py): a database that predates revision 0010 has no stamp for it.
No later migration reads the column, and `migrate` fills it in before it returns, so
before any command or server of the release uses it. Open alarms sharing a dedupe key are
closed but for the first, and a unique index keeps one open alarm per key from then on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:11:22.983519
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "state != 'cleared'"


def upgrade() -> None:
    with op.batch_alter_table("ops_entities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="", nullable=False)
        )
    bind = op.get_bind()
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
