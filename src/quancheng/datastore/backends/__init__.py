"""Storage backends of the datastore: DuckDB (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from quancheng.datastore.backends.base import Backend, SqlResult
from quancheng.errors import ConfigurationError

__all__ = ["Backend", "SqlResult", "open_backend"]


def open_backend(
    url: str, *, memory_mib: int | None = None, staging_dir: Path | None = None
) -> Backend:
    """Open the backend a URL names: `duckdb:///abs/path.duckdb` or `postgresql://…`.

    `memory_mib` caps the embedded engine's memory (DuckDB spills to disk beyond it); a
    PostgreSQL server has its own settings. `staging_dir` is where PostgreSQL loads stage
    their rows (DuckDB stages beside its file); by default a directory of the system's.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigurationError(f"not a datastore URL: {url!r}", code="bad_datastore_url")
    engine = scheme.split("+", 1)[0].lower()
    if engine == "duckdb":
        from quancheng.datastore.backends.duckdb import DuckDBBackend

        path = rest[1:] if rest.startswith("/") and rest[1:] == ":memory:" else rest
        if not path:
            raise ConfigurationError(f"no file in datastore URL {url!r}", code="bad_datastore_url")
        return DuckDBBackend(path, memory_mib=memory_mib)
    if engine in ("postgresql", "postgres"):
        from quancheng.datastore.backends.postgres import PostgresBackend

        return PostgresBackend("postgresql://" + rest, staging_dir=staging_dir)
    raise ConfigurationError(
        f"unknown datastore engine {engine!r}: use duckdb:// or postgresql://",
        code="bad_datastore_url",
    )
