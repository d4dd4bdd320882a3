"""The HTTP protocol `quancheng serve` hands to uvicorn: h11 with Nagle's algorithm off.

With several workers uvicorn binds the listening socket itself, without naming TCP as its
protocol, so asyncio does not set TCP_NODELAY on the connections it accepts (it only does for
sockets whose protocol is IPPROTO_TCP). On a kept-alive connection the body of an answer then
waits for the client to acknowledge its headers, and clients delay that acknowledgement by up
to 40 ms: every request behind nginx or from an application reusing its connection took 40 ms
or more, even /healthz. Each connection sets it here, whatever socket it came from.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Send what is written at once on a TCP connection (no-op on Unix sockets)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answers sent as soon as they are written."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        no_delay(transport)
        super().connection_made(transport)
