"""The HTTP protocol `quancheng serve` runs: answers leave at once on kept-alive connections."""

from __future__ import annotations

import asyncio
import http.client
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from quancheng.serving import NoDelayH11Protocol
from tests.support.live import running


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    # Headers and body written apart, as every framework answer is.
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@contextmanager
def multi_worker_server(protocol: Any) -> Iterator[tuple[uvicorn.Server, int]]:
    """uvicorn on the socket it binds for `--workers N` (the production path of serve)."""
    config = uvicorn.Config(
        hello, host="127.0.0.1", port=0, http=protocol, lifespan="off", log_level="warning"
    )
    sock = config.bind_socket()
    port = sock.getsockname()[1]
    with running(uvicorn.Server(config), sock) as server:
        yield server, port


def nodelay_of_open_connections(server: uvicorn.Server) -> list[int]:
    flags = []
    for connection in list(server.server_state.connections):
        transport: asyncio.Transport = connection.transport  # type: ignore[attr-defined]
        sock = transport.get_extra_info("socket")
        flags.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    return flags


@pytest.mark.parametrize(("protocol", "expected"), [("h11", 0), (NoDelayH11Protocol, 1)])
def test_kept_alive_connections_send_answers_without_waiting(protocol: Any, expected: int) -> None:
    # uvicorn's plain protocol on the socket it binds for several workers leaves Nagle's
    # algorithm on (a body then waits up to 40 ms for the client to acknowledge the headers);
    # the protocol serve hands it turns it off on every connection.
    with multi_worker_server(protocol) as (server, port):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(3):
            connection.request("GET", "/")
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, b"ok")
        assert nodelay_of_open_connections(server) == [expected]
        connection.close()
