"""Requests to URLs that came in a payload: public addresses only (no server-side request forgery).

An attachment URL in a Messenger, Instagram, Facebook, Viber, API or public X payload is the
sender's to choose. It may reach only public addresses, plus the networks the operator allows
(`CC_MEDIA_ALLOWED_NETWORKS`, e.g. the company's own file server behind the API channel).

Checked twice. Before each request and each redirect hop, so the refusal says why (and literal
addresses, which aiohttp never resolves, are judged there). And by the resolver the connection
itself uses, so a name that resolves to a public address when checked and to an inner one a
moment later (DNS rebinding) still never connects inward.
"""

from __future__ import annotations

import ipaddress
import socket
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
HINT = "CC_MEDIA_ALLOWED_NETWORKS can allow a private network"


# IPv6 ranges that carry or reach IPv4 in ways we cannot judge: Teredo, NAT64 for local use
# (RFC 8215), the deprecated site-local range.
TUNNELS = tuple(ipaddress.IPv6Network(n) for n in ("2001::/32", "64:ff9b:1::/48", "fec0::/10"))
# Ranges whose last 32 bits are the IPv4 address they reach: NAT64 (RFC 6052), IPv4-translated
# (RFC 2765), the deprecated IPv4-compatible addresses.
CARRIERS = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: mapped, 6to4, or a carrier range's."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in CARRIERS) and int(ip) > 1:  # :: and ::1 are themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class NotAllowed(OSError):
    """A host that resolves only to addresses a payload URL may not reach."""


def networks(text: str) -> tuple[Network, ...]:
    """'10.8.0.0/16, fd00::/8' → the networks; ValueError names a bad entry."""
    found = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                found.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ValueError(f"{part!r} is not a network (give e.g. 10.8.0.0/16)") from exc
    return tuple(found)


class Outside(AbstractResolver):
    """The resolver and HTTP session for payload URLs (use as `async with Outside(...)`)."""

    def __init__(self, allowed: str = "", inner: AbstractResolver | None = None) -> None:
        self.allowed = networks(allowed)
        self._inner = inner or DefaultResolver()
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:  # made on first use, inside the running loop
            connector = aiohttp.TCPConnector(resolver=self)
            self._http = aiohttp.ClientSession(connector=connector,
                                               headers={"User-Agent": "contactcenter"})  # fmt: skip
        return self._http

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%")[0])  # fe80::1%eth0: the scope is no part
        if any(ip in net for net in self.allowed):
            return True
        if isinstance(ip, ipaddress.IPv6Address):
            if any(ip in net for net in TUNNELS):
                return False  # Teredo, local NAT64, site-local: where they lead is unknowable
            inner = embedded_ipv4(ip)
            if inner is not None:  # ::ffff:10.0.0.5, 64:ff9b::a00:5, 2002:a00:5::: 10.0.0.5
                return self.allows(str(inner))
        return ip.is_global

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if self.allows(r["host"])]
        if not kept:
            raise NotAllowed(f"{host} is not a public address ({HINT})")
        return kept

    async def check(self, url: str) -> None:
        """NotAllowed unless `url` is http(s) to a host this may reach; ClientConnectionError
        when its name does not resolve now."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # http://x:99999/, http://[::1/x
            raise NotAllowed(f"not a valid URL: {url[:100]}") from None
        if parts.scheme not in ("http", "https") or not host:
            raise NotAllowed(f"not an http(s) URL: {url[:100]}")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            if not self.allows(host):
                raise NotAllowed(f"{host} is not a public address ({HINT})")
            return
        try:
            await self.resolve(host, port, socket.AF_UNSPEC)
        except NotAllowed:
            raise
        except OSError as exc:  # DNS may answer again later: tried again, not refused
            raise aiohttp.ClientConnectionError(f"cannot resolve {host}") from exc

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        await self._inner.close()

    async def __aenter__(self) -> Outside:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
