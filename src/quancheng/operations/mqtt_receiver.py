"""The MQTT bridge's receiving side, in a child process of the server (paho on its own core).

Run as `python -m quancheng.operations.mqtt_receiver` by `MqttBridge.start()`; it imports
paho and the standard library only. The two processes talk over the child's stdin and stdout
in length-prefixed pickle frames (both ends are ours):

- parent to child: first the settings (a dict, carrying the broker password: it is kept off
  the command line, which `ps` shows to every user), then `("stored", n)` once batch n is
  stored — only then are its messages acknowledged (PUBACK), in order — and
  `("publish", topic, data, qos)` for commands. End of input means stop: the child
  disconnects and exits, leaving unacknowledged messages to the broker's session.
- child to parent: `("batch", n, [(topic, payload), ...])` (a retained message, sent
  because of our subscription, as `(topic, payload, True)`), at most `window` of them
  unconfirmed, and the connection's events `("connected", session_present)` (once the
  broker has granted the subscription),
  `("disconnected", reason)`, `("refused", reason)`, `("error", message)`.

The child never outlives the server: it exits when its stdin closes (the parent is gone,
even after SIGKILL) and asks Linux for SIGTERM when the thread that started it ends.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger("quancheng.operations.mqtt_receiver")

MODULE = "quancheng.operations.mqtt_receiver"
# Batches sent to the parent and not confirmed yet: enough to keep both processes busy (one
# being stored, the next on its way), few enough to bound what a stop leaves to redelivery.
WINDOW = 3
_HEADER = struct.Struct(">I")
_PR_SET_PDEATHSIG = 1


def write_frame(stream: IO[bytes], message: Any) -> None:
    """Write one length-prefixed pickle frame and flush it."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """Read one frame; EOFError when the other side closed the pipe."""
    header = _read_exactly(stream, _HEADER.size)
    # Only ever between the server and the child it started, over their private pipes.
    return pickle.loads(_read_exactly(stream, _HEADER.unpack(header)[0]))  # noqa: S301


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError("the other process closed the pipe")
    return data


def spawn() -> subprocess.Popen[bytes]:
    """Start a receiver child with pipes on its stdin and stdout (its stderr is ours)."""
    env = dict(os.environ)
    # The package's own directory first, however this process found it (an editable
    # install, pytest's rootdir, PYTHONPATH).
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(  # noqa: S603 (our interpreter and module, no user input)
        [sys.executable, "-m", MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the thread that started this process ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # stdin closing still ends the child


class Receiver:
    """Paho in a persistent session, handing batches to the parent and acknowledging them."""

    def __init__(self, config: dict[str, Any], out: IO[bytes]) -> None:
        self.out = out
        self.subscription: str = config["subscription"]
        self.batch_size: int = config["batch_size"]
        self.batch_seconds: float = config["batch_seconds"]
        self.window: int = config.get("window", WINDOW)
        self.host: str = config["host"]
        self.port: int = config["port"]
        self.keepalive: int = config["keepalive"]
        self._write_lock = threading.Lock()
        self._inbox: deque[tuple[str, bytes | bytearray, int, int, bool]] = deque()
        self._arrived = threading.Condition()
        # Batch number -> the (mid, qos) of its messages, until the parent has stored it.
        self._unconfirmed: dict[int, list[tuple[int, int]]] = {}
        self._next = 0
        self._running = True
        self._session_present = False
        # A persistent session (clean_session false) with a stable client id: the broker
        # keeps our subscription and the QoS 1 messages queued while we are disconnected.
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=config["client_id"],
            clean_session=False,
            protocol=paho.MQTTv311,
            manual_ack=True,
        )
        if config["username"] is not None:
            self.client.username_pw_set(config["username"], config["password"])
        if config["tls"]:
            self.client.tls_set()
        self.client.reconnect_delay_set(
            config["reconnect_min_delay"], config["reconnect_max_delay"]
        )
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def run(self, commands: IO[bytes]) -> None:
        """Receive until the parent closes `commands`, then disconnect."""
        batcher = threading.Thread(target=self._batches, name="qc-mqtt-batches", daemon=True)
        batcher.start()
        # connect_async: a broker that is down at start-up is retried, not fatal.
        self.client.connect_async(self.host, self.port, self.keepalive)
        self.client.loop_start()
        try:
            while True:
                try:
                    command = read_frame(commands)
                except EOFError:
                    break
                self._command(command)
        finally:
            self._running = False
            with self._arrived:
                self._arrived.notify_all()
            batcher.join(timeout=5)
            # Queued after the acknowledgements already given, so those reach the broker.
            self.client.disconnect()
            self.client.loop_stop()

    def _command(self, command: tuple[Any, ...]) -> None:
        if command[0] == "stored":
            with self._arrived:
                acks = self._unconfirmed.pop(command[1], [])
                self._arrived.notify_all()
            for mid, qos in acks:
                if qos:
                    self.client.ack(mid, qos)
        elif command[0] == "publish":
            _, topic, data, qos = command
            try:
                info = self.client.publish(topic, data, qos=qos)
            except ValueError as exc:  # a topic paho refuses must not end the receiver
                self._send(("error", f"publish to {topic}: {exc}"))
                return
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._send(("error", f"publish to {topic}: {paho.error_string(info.rc)}"))

    def _send(self, message: Any) -> None:
        with self._write_lock:
            try:
                write_frame(self.out, message)
            except (BrokenPipeError, ValueError):
                self._running = False  # the parent is gone; stdin's end stops us too

    # Callbacks run in paho's network thread.

    def _on_connect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            self._send(("refused", str(reason_code)))
            return
        # What was received and not acknowledged on the last connection is delivered again
        # on this one; its packet ids may be reused for other messages from now on, so
        # acknowledging them later could acknowledge a message nobody stored.
        with self._arrived:
            self._inbox.clear()
            self._unconfirmed.clear()
            self._arrived.notify_all()
        # Subscribing again on a resumed session is harmless and covers a broker that lost it.
        # "connected" is reported once the broker has granted it (_on_subscribe): only then
        # does the broker deliver what devices publish.
        self._session_present = bool(flags.session_present)
        client.subscribe(self.subscription, qos=1)

    def _on_subscribe(
        self,
        client: paho.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            # Connected but deaf (an ACL denying the topic): say so, as a refused connect.
            self._send(("refused", f"subscription to {self.subscription} refused: {refused[0]}"))
            return
        self._send(("connected", self._session_present))

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: Any,
        flags: paho.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._send(("disconnected", str(reason_code)))

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        # deque.append is atomic: the condition is only taken to wake the batcher.
        inbox = self._inbox
        inbox.append((message.topic, message.payload, message.mid, message.qos, message.retain))
        if len(inbox) >= self.batch_size:
            with self._arrived:
                self._arrived.notify_all()

    # The batcher: what arrived, in batches, to the parent; a few at a time.

    def _batches(self) -> None:
        while self._running:
            with self._arrived:
                while self._running and len(self._unconfirmed) >= self.window:
                    self._arrived.wait()
                if len(self._inbox) < self.batch_size:
                    self._arrived.wait(self.batch_seconds)
                number, batch = self._take()
            if batch:
                items = [(t, p, True) if r else (t, p) for t, p, _, _, r in batch]
                self._send(("batch", number, items))

    def _take(self) -> tuple[int, list[tuple[str, bytes | bytearray, int, int, bool]]]:
        """Up to batch_size messages and their batch number (the condition held)."""
        inbox = self._inbox
        batch: list[tuple[str, bytes | bytearray, int, int, bool]] = []
        while inbox and len(batch) < self.batch_size:
            batch.append(inbox.popleft())
        number = self._next
        if batch:
            self._unconfirmed[number] = [(mid, qos) for _, _, mid, qos, _ in batch]
            self._next += 1
        return number, batch


def main() -> int:
    """The child's entry point: settings from stdin, batches to stdout, until stdin closes."""
    die_with_parent()
    # Ctrl-C reaches the whole process group: the server decides when the child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The frames own fd 1; anything printed by accident goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    commands = sys.stdin.buffer
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s mqtt-receiver %(levelname)s %(message)s"
    )
    try:
        config = read_frame(commands)
    except EOFError:
        return 0
    Receiver(config, out).run(commands)
    return 0


if __name__ == "__main__":
    sys.exit(main())
