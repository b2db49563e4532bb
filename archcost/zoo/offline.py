"""``offline()``: no network while a model is built, so no builder can download weights behind archcost's back.

Every download (torch.hub, torchvision's weights, timm's Hugging Face hub, plain urllib) ends in a socket that
resolves a host name and connects; both are refused for the duration of the build and each attempt is recorded, so a
library that catches the refusal and carries on is still seen. Local (Unix) sockets are left alone.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from typing import Any, Iterator


class NetworkRefused(ConnectionRefusedError):
    """Raised in place of a connection (an OSError, which is what a library offline expects to handle)."""


@contextmanager
def offline() -> Iterator[list[str]]:
    """Yield the list of hosts the build tried to reach (empty when it stayed offline)."""
    attempts: list[str] = []
    getaddrinfo, connect, connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex

    def refused_lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(f"{host}:{port}")
        raise NetworkRefused(f"archcost builds models offline; looking up {host} was refused")

    def refused_connect(sock: socket.socket, address: Any, *args: Any) -> Any:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return connect(sock, address, *args)
        attempts.append(":".join(map(str, address[:2])) if isinstance(address, tuple) else str(address))
        raise NetworkRefused(f"archcost builds models offline; connecting to {address} was refused")

    def refused_connect_ex(sock: socket.socket, address: Any) -> Any:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return connect_ex(sock, address)
        refused_connect(sock, address)

    socket.getaddrinfo = refused_lookup  # type: ignore[assignment]
    socket.socket.connect = refused_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = refused_connect_ex  # type: ignore[method-assign,assignment]
    try:
        yield attempts
    finally:
        socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
