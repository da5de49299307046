"""Which endpoints count as this machine: every spelling of loopback the resolver accepts."""

from __future__ import annotations

import socket

import pytest

from imageworks_gui.services.backends.locality import is_loopback_host, off_machine_warning


@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "LOCALHOST.", "gpu.localhost", "::1", "[::1]",
    "::ffff:127.0.0.1", "0.0.0.0", "::",
    # Legacy IPv4 spellings that the C resolver (and so httpx) connects to as 127.0.0.1.
    "2130706433", "127.1", "0x7f.0.0.1", "0x7f000001", "0177.0.0.1",
])
def test_loopback_spellings(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["8.8.8.8", "10.1", "192.0.2.10", "gpu-box.example",
                                  "1e100.net", "999999999999", "127.0.0.1.example"])
def test_other_hosts_are_off_machine(host: str) -> None:
    assert not is_loopback_host(host)


def test_decimal_host_is_what_the_system_resolves() -> None:
    # The check agrees with the resolver: the decimal spelling really reaches loopback.
    assert socket.inet_aton("2130706433") == socket.inet_aton("127.0.0.1")
    assert off_machine_warning("http://2130706433:8000/v1") is None
    warning = off_machine_warning("http://192.0.2.10:8000/v1", api_key_env="KEY")
    assert warning and "192.0.2.10" in warning and "unencrypted" in warning
