"""A fresh PostgreSQL database per test, on the server that `scripts/with-postgres` starts."""

from __future__ import annotations

import os
import uuid

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from sqlalchemy.engine import make_url

ADMIN_URL_VARIABLE = "QC_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    """The SQLAlchemy URL of the test server's maintenance database, if there is a server."""
    return os.environ.get(ADMIN_URL_VARIABLE) or None


def _libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://...`) as a libpq URL (`postgresql://...`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _connect(admin_url: str) -> psycopg.Connection[TupleRow]:
    return psycopg.connect(_libpq_url(admin_url), autocommit=True)


def create_database(admin_url: str) -> str:
    """Create a new, uniquely named database; return its SQLAlchemy URL."""
    name = f"qc_test_{uuid.uuid4().hex[:12]}"
    with _connect(admin_url) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                sql.Identifier(name)
            )
        )
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop a database made by `create_database`, closing any connection still open to it."""
    name = make_url(url).database
    if not name:
        raise ValueError(f"no database name in {url!r}")
    with _connect(admin_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
