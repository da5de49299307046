"""Whether a backend endpoint is on this machine, and the warning shown when it is not."""

from __future__ import annotations

import ipaddress
import re
import socket

import httpx

from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.services.backends.endpoints import base_url_for

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                            "ip6-loopback"})

_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$")
"""IPv4 written the way the C resolver still accepts: ``2130706433``, ``127.1``, ``0x7f.0.0.1``."""


def _ip_address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``name`` connects to without a name lookup, in any spelling the OS takes."""
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if _LEGACY_IPV4.match(name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    return None


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` (and ``*.localhost``), 127.0.0.0/8 and ``::1`` in any spelling
    (also IPv4-mapped), and the unspecified addresses."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    address = _ip_address(name.split("%", 1)[0])
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # 0.0.0.0 and :: (a server's bind address, often copied into a client) reach this host.
    return address.is_loopback or address.is_unspecified


def off_machine_warning(base_url: str, *, api_key_env: str | None = None,
                        name: str | None = None) -> str | None:
    """The warning for an endpoint that is not on this machine, or None when it is loopback."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    if not url.host or is_loopback_host(url.host):
        return None
    who = f"model {name!r} is served" if name else "the endpoint is"
    text = (f"{who} at {url.host}, which is not this machine: every photo sent to it "
            f"leaves the computer")
    if api_key_env and url.scheme == "http":
        text += f", and the API key from {api_key_env} travels unencrypted (plain http)"
    return text + "; use a loopback address (127.0.0.1) if that is not intended"


def entry_off_machine_warning(entry: RegistryEntry) -> str | None:
    """``off_machine_warning`` for a registry entry's endpoint."""
    return off_machine_warning(base_url_for(entry), api_key_env=entry.backend_config.api_key_env,
                               name=entry.name)
