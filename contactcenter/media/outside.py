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
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        return ip.is_global or any(ip in net for net in self.allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if self.allows(r["host"])]
        if not kept:
            raise NotAllowed(f"{host} is not a public address ({HINT})")
        return kept

    async def check(self, url: str) -> None:
        """NotAllowed unless `url` is http(s) to a host this may reach."""
        parts = urlsplit(url)
        host = parts.hostname
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
            await self.resolve(
                host, parts.port or (443 if parts.scheme == "https" else 80), socket.AF_UNSPEC
            )
        except NotAllowed:
            raise
        except OSError as exc:
            raise NotAllowed(f"cannot resolve {host}") from exc

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
