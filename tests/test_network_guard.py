"""The guard that keeps tests off the internet really blocks, and lets loopback through."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import NetworkBlocked


def test_connecting_to_a_public_address_fails_the_test() -> None:
    with pytest.raises(NetworkBlocked), socket.create_connection(("93.184.216.34", 80), 1):
        pass


def test_loopback_is_allowed(redis_url: str) -> None:
    port = int(redis_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(7) == b"+PONG\r\n"
