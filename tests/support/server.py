"""`quancheng serve` as a real subprocess on a prepared city, for the fault tests.

The city is built in this process through the real services, which are then closed (the
embedded DuckDB file admits one process); the server runs in its own process so that it can
be killed with SIGKILL, restarted on the same port and data dir, and held to what it answered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from quancheng.app import Services
from quancheng.cli import main
from quancheng.identity.service import PasswordPolicy
from quancheng.operations.model import STREETLIGHT
from quancheng.settings import Settings
from tests.support.city import SmallCity, seed_small_city
from tests.support.mosquitto import free_port

SECRET = "fault-tests-secret-key-0123456789abcdef"
# Cheap hashing: the served city is reached with API tokens, never with passwords.
FAST_PASSWORDS = PasswordPolicy(time_cost=1, memory_cost_kib=1024)
QUANCHENG = str(Path(sys.executable).with_name("quancheng"))

Setup = Callable[[Services, SmallCity], None]


@dataclass
class PreparedCity:
    """A migrated, seeded data dir with the settings and environment to serve it."""

    settings: Settings
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, username: str) -> dict[str, str]:
        """The Authorization header of a seeded user's API token."""
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def streetlights(ids: list[str], *, start: int = 0) -> list[dict[str, Any]]:
    """NGSI-LD bodies of street lamps in a row along one street (the n-th a metre further)."""
    return [
        {
            "id": lamp,
            "type": STREETLIGHT,
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [116.9 + n * 1e-5, 36.66]},
            },
        }
        for n, lamp in enumerate(ids, start=start)
    ]


def close_services(services: Services) -> None:
    """Close everything a `Services` holds open, the DuckDB files included."""
    services.telemetry.close()
    services.entities.close()
    services.close()


def prepare_city(
    data_dir: Path, *, database_url: str | None = None, setup: Setup | None = None
) -> PreparedCity:
    """Migrate and seed a small city in `data_dir` (SQLite + DuckDB, or PostgreSQL for both)."""
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        datastore_url=database_url,
        secret_key=SECRET,
    )
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    try:
        services.db.migrate()
        city = seed_small_city(services)
        if setup is not None:
            setup(services, city)
    finally:
        close_services(services)
    # The runner's own QC_* settings must not leak into the served city.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env.update(
        QC_DATA_DIR=str(data_dir),
        QC_DATABASE_URL=settings.resolved_database_url,
        QC_DATASTORE_URL=settings.resolved_datastore_url,
        QC_SECRET_KEY=SECRET,
    )
    return PreparedCity(settings=settings, env=env, tokens=dict(city.tokens))


@contextmanager
def opened(city: PreparedCity) -> Iterator[Services]:
    """The city's services in this process (the server must be stopped on DuckDB)."""
    services = Services.from_settings(city.settings, passwords=FAST_PASSWORDS)
    try:
        yield services
    finally:
        close_services(services)


def ledger_verify(city: PreparedCity) -> Result:
    """`quancheng ledger verify --data-dir` as an operator runs it (server stopped on DuckDB)."""
    # In this process through click: the same command, without paying its imports again.
    args = ["ledger", "verify", "--data-dir", str(city.settings.data_dir)]
    return CliRunner().invoke(main, args, env=city.env, catch_exceptions=False)


class Server:
    """One `quancheng serve` process on a fixed loopback port; killed, restarted, stopped."""

    def __init__(
        self,
        city: PreparedCity,
        log: Path,
        *,
        mqtt_url: str | None = None,
        preexec_fn: Callable[[], Any] | None = None,
        workers: int = 1,
    ) -> None:
        self.city = city
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.preexec_fn = preexec_fn
        self.env = dict(city.env)
        if mqtt_url:
            self.env["QC_MQTT_URL"] = mqtt_url
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until /healthz answers 200."""
        command = [
            QUANCHENG,
            "serve",
            "--data-dir",
            str(self.city.settings.data_dir),
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        # Logs go to a file: a pipe nobody reads would block a chatty server.
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec_fn,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start: {self.log_tail()}")
            time.sleep(0.1)

    def kill9(self) -> None:
        """SIGKILL the server, as a power cut or the OOM killer would, and reap it."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not exit in time."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop the server if it runs, then start it again on the same port and data dir."""
        self.stop()
        self.start()

    @property
    def alive(self) -> bool:
        """Whether the server process is running."""
        return self.process is not None and self.process.poll() is None

    def client(self, username: str = "admin", timeout: float = 60.0) -> httpx.Client:
        """An HTTP client of the server with a seeded user's token."""
        return httpx.Client(base_url=self.base, headers=self.city.auth(username), timeout=timeout)

    def log_tail(self, size: int = 3000) -> str:
        """The end of the server's log, for failure messages."""
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""
