"""Engine and transactions of the metadata database (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from quancheng.db.derived import Derivation, check_kinds, refresh, write_stamp


class Database:
    """One metadata database; `transaction()` is the unit of every state change.

    `derived`: the kinds of derived data `migrate` keeps built with the current code.
    """

    def __init__(self, *, url: str, echo: bool = False, derived: Sequence[Derivation] = ()) -> None:
        parsed = make_url(url)
        self.url = url
        self.derived = check_kinds(derived)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # A deferred BEGIN lets two writers both read and then fail to upgrade their
            # lock; write transactions take the lock at BEGIN IMMEDIATE instead.
            event.listen(self.engine, "begin", _sqlite_begin)
            # PostgreSQL refuses text holding NUL; SQLite would store it. Refuse it alike,
            # so that a value is valid or not whichever database the city runs on.
            event.listen(self.engine, "before_cursor_execute", _refuse_nul)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(
            self.engine.execution_options(qc_write=True), expire_on_commit=False
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._writers() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reads only; nothing it does is committed."""
        # Closing ends the transaction without expiring the objects handed back.
        with self._sessions() as session:
            yield session

    def migrate(self) -> dict[str, int]:
        """Bring the schema to the newest migration, then rebuild stale derived data.

        Idempotent. Returns the kinds of derived data rebuilt and the rows of each.
        """
        fresh = not self.is_initialised()
        with self.engine.begin() as connection:
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            if fresh:
                # A new database holds nothing to derive from: each kind is already what the
                # current code would build, so it is stamped, not rebuilt.
                for kind in self.derived:
                    write_stamp(connection, kind)
        return {} if fresh else refresh(self, self.derived)

    def is_initialised(self) -> bool:
        """Whether the schema has been created in this database."""
        return inspect(self.engine).has_table("alembic_version")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _alembic_config() -> Config:
    config = Config()
    location = resources.files("quancheng.db") / "migrations"
    config.set_main_option("script_location", str(location))
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens transactions itself unless isolation_level is None;
    # SQLAlchemy's "begin" hook below then issues BEGIN explicitly.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, executemany: bool
) -> None:
    rows = parameters if executemany else (parameters,)
    for row in rows:
        if isinstance(row, dict):
            values: Any = row.values()
        elif isinstance(row, (tuple, list)):
            values = row
        else:
            values = (row,)
        for value in values:
            if type(value) is str and "\x00" in value:
                # Raised as the driver's DataError, which SQLAlchemy wraps as on PostgreSQL.
                raise sqlite3.DataError("a text value holds a NUL character")


def _sqlite_begin(connection: Any) -> None:
    write = connection.get_execution_options().get("qc_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
