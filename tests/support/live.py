"""A city in a temporary directory, and its app served by uvicorn on loopback (browser tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from quancheng.app import Services
from quancheng.serving import NoDelayH11Protocol
from quancheng.settings import Settings
from tests.conftest import FAST_PASSWORDS

TEST_SECRET = "browser-test-secret-0123456789"


def fresh_services(tmp_path: Path) -> Services:
    """Migrated services of an empty city on SQLite and DuckDB under `tmp_path`."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
        secret_key=TEST_SECRET,
    )
    services = Services.from_settings(settings, passwords=FAST_PASSWORDS)
    services.db.migrate()
    return services


def free_socket() -> socket.socket:
    """A listening socket on a free local port (handed to uvicorn, so no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve the app on 127.0.0.1 in a thread; yield its base URL; stop it afterwards."""
    sock = free_socket()
    # The protocol `quancheng serve` uses (TCP_NODELAY on each connection).
    config = uvicorn.Config(app, log_level="warning", lifespan="off", http=NoDelayH11Protocol)
    with running(uvicorn.Server(config), sock):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def running(server: uvicorn.Server, sock: socket.socket) -> Iterator[uvicorn.Server]:
    """Run a uvicorn server on `sock` in a thread until the block ends; the socket closed."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
