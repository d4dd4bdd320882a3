"""The metadata database: SQLAlchemy models, sessions and Alembic migrations."""

from quancheng.db.database import Database

__all__ = ["Database"]
