"""initial schema: identity and catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-24 06:40:12.852442
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SEARCH_SQLITE = (
    "CREATE VIRTUAL TABLE catalog_search USING fts5("
    "name, abstract, items, tokenize = 'unicode61 remove_diacritics 0')"
)


def upgrade() -> None:
    op.create_table(
        "classifications",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["classifications.code"],
            name=op.f("fk_classifications_parent_code_classifications"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_classifications")),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["departments.id"], name=op.f("fk_departments_parent_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_departments_credit_code")),
        sa.UniqueConstraint("key", name=op.f("uq_departments_key")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempts_username"), ["username"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_department_id"), ["department_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_api_tokens_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "catalog_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("abstract_en", sa.Text(), nullable=False),
        sa.Column("classification_code", sa.String(length=12), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=30), nullable=False),
        sa.Column("sharing_type", sa.String(length=20), nullable=False),
        sa.Column("sharing_conditions", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("sharing_method", sa.String(length=20), nullable=False),
        sa.Column("open_type", sa.String(length=20), nullable=False),
        sa.Column("open_conditions", sa.Text(), nullable=False),
        sa.Column("update_cycle", sa.String(length=20), nullable=False),
        sa.Column("security_grade", sa.String(length=20), nullable=False),
        sa.Column("duty", sa.Text(), nullable=False),
        sa.Column("source_system", sa.String(length=200), nullable=False),
        sa.Column("related_codes", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["classification_code"],
            ["classifications.code"],
            name=op.f("fk_catalog_entries_classification_code_classifications"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_catalog_entries_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_entries_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entries")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_entries_code")),
    )
    with op.batch_alter_table("catalog_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_entries_classification", ["classification_code"], unique=False
        )
        batch_op.create_index(
            "ix_catalog_entries_status_department", ["status", "department_id"], unique=False
        )

    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_catalog_versions_entry_id_catalog_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_catalog_versions_published_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint("entry_id", "version", name=op.f("uq_catalog_versions_entry_id")),
    )
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_versions_entry_id"), ["entry_id"], unique=False
        )

    op.create_table(
        "data_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("data_type", sa.String(length=2), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sensitivity", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_data_items_entry_id_catalog_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_items")),
        sa.UniqueConstraint("entry_id", "position", name=op.f("uq_data_items_entry_id")),
    )
    with op.batch_alter_table("data_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_items_entry_id"), ["entry_id"], unique=False)
    # Full-text index of catalog entries; rowid / entry_id is the entry's id. The token
    # text comes from quancheng.catalog.textindex so both engines index the same tokens.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SEARCH_SQLITE)
    else:
        op.create_table(
            "catalog_search",
            sa.Column(
                "entry_id",
                sa.Integer(),
                sa.ForeignKey("catalog_entries.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        )
        op.create_index(
            "ix_catalog_search_document", "catalog_search", ["document"], postgresql_using="gin"
        )


def downgrade() -> None:
    op.drop_table("catalog_search")
    with op.batch_alter_table("data_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_items_entry_id"))

    op.drop_table("data_items")
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_versions_entry_id"))

    op.drop_table("catalog_versions")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("catalog_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_entries_status_department")
        batch_op.drop_index("ix_catalog_entries_classification")

    op.drop_table("catalog_entries")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_department_id"))

    op.drop_table("users")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_username"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_client"))
        batch_op.drop_index("ix_login_attempts_at")

    op.drop_table("login_attempts")
    op.drop_table("departments")
    op.drop_table("classifications")
