"""A throwaway Mosquitto broker on a free loopback port, for the MQTT telemetry tests."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Debian's mosquitto installs the broker in /usr/sbin, often not on a user's PATH.
CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def mosquitto_binary() -> str | None:
    """The broker's executable, if it is installed."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((c for c in CANDIDATES if os.access(c, os.X_OK)), None)


def free_port() -> int:
    """A TCP port nobody listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """A mosquitto process with a generated config and persistence in its own directory.

    `stop` then `start` is a broker restart: sessions and queued QoS 1 messages survive
    it (mosquitto saves its persistence file when terminated).
    """

    def __init__(self, binary: str, directory: Path, *, autosave_seconds: int | None = 1) -> None:
        """`autosave_seconds` None keeps mosquitto's default (30 minutes, as docs/deploy.md);
        the tests' 1 s means a SIGKILLed broker loses at most a second."""
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {directory}/",
            *([f"autosave_interval {autosave_seconds}"] if autosave_seconds is not None else []),
            f"log_dest file {self.log}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            # As docs/operations.md advises for the platform's subscription: enough QoS 1
            # messages in flight to it, and a deep queue while it is away (not 1,000).
            "max_inflight_messages 1000",
            "max_queued_messages 1000000",
        ]
        if os.geteuid() == 0:
            # Run as root, mosquitto switches to the `mosquitto` user, who cannot write here.
            lines.append(f"user {getpass.getuser()}")
        self.config.write_text("\n".join(lines) + "\n")

    @property
    def url(self) -> str:
        """The broker's URL as QC_MQTT_URL takes it."""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not start on port {self.port}: {self.log_text()}")

    def stop(self) -> None:
        """Terminate the broker (it saves its sessions) and wait for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def log_text(self) -> str:
        """The broker's log, for failure messages."""
        return self.log.read_text() if self.log.exists() else ""


@pytest.fixture
def mosquitto_broker(tmp_path: Path) -> Iterator[Broker]:
    """A running broker for one test; skipped when mosquitto is not installed."""
    binary = mosquitto_binary()
    if binary is None:
        if os.environ.get("CI"):
            # `make test` installs it: in CI a missing broker is a broken set-up, not a skip.
            pytest.fail("mosquitto is not installed: `make test` runs scripts/ensure-system-deps")
        pytest.skip("mosquitto is not installed: run `scripts/ensure-system-deps mosquitto`")
    directory = tmp_path / "mosquitto"
    directory.mkdir()
    broker = Broker(binary, directory)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def mosquitto_url(mosquitto_broker: Broker) -> str:
    """The URL of a running throwaway broker (skips without mosquitto)."""
    return mosquitto_broker.url
