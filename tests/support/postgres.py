"""A fresh PostgreSQL database per test, on the server that `scripts/with-postgres` starts."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

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


def _server_binaries() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl, if installed."""
    found = [
        d
        for d in Path("/usr/lib/postgresql").glob("*/bin")
        if (d / "initdb").exists() and (d / "pg_ctl").exists()
    ]
    found.sort(key=lambda d: [int(p) if p.isdigit() else 0 for p in d.parent.name.split(".")])
    return found[-1] if found else None


class Cluster:
    """A PostgreSQL server of one test's own, to restart under load.

    The server `scripts/with-postgres` starts is shared by parallel tests; restarting it
    would break them, so a fault test that restarts PostgreSQL runs its own, set up the same
    way (trust on loopback only, fsync off; as root it runs as the `postgres` user).
    """

    def __init__(self, directory: Path) -> None:
        binaries = _server_binaries()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server in /usr/lib/postgresql/*/bin")
        self.bin = binaries
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = 0
        self.as_user: list[str] = []
        self.user = getpass.getuser()
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            self.user = "postgres"
            self.as_user = ["runuser", "-u", self.user, "--"]
            shutil.chown(directory, self.user)

    def _run(self, *args: str) -> None:
        # The server's user may not be allowed into the caller's working directory.
        subprocess.run(
            [*self.as_user, *args], cwd=self.directory, check=True, capture_output=True, timeout=120
        )

    def start(self) -> None:
        """Create the cluster and start it on a free loopback port."""
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--locale=C",
            "--auth=trust",
            "--no-sync",
        )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        self.port = _free_port()
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.directory}'\n"
                f"port = {self.port}\nfsync = off\nfull_page_writes = off\n"
                "max_connections = 100\n"
            )
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "60", *extra,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` disconnects clients and rolls back their transactions)."""
        self._pg_ctl("stop", "-m", mode)

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server comes back."""
        self._pg_ctl("restart", "-m", "fast")

    @property
    def admin_url(self) -> str:
        """The SQLAlchemy URL of the maintenance database."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
