"""Loopback ports for tests: never fixed numbers, and "offline" ports that stay offline."""

from __future__ import annotations

import socket

_held: list[socket.socket] = []


def closed_port() -> int:
    """A 127.0.0.1 port that refuses connections for the rest of the test session.

    The port is bound (so no other program can take it meanwhile) but never listens, so a
    connection attempt is refused at once, whatever runs on the machine (a real vLLM on 8000,
    Ollama on 11434, ...).
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _held.append(sock)
    return int(sock.getsockname()[1])
