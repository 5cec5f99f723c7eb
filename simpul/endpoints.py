"""Which URLs the hub and its nodes call each other at: TLS off loopback, never a link-local or cloud metadata
address (a node's endpoint is a URL the hub fetches for it), and nothing but scheme, host, port and path."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from simpul.errors import InvalidInput

# Link-local networks (where clouds put their metadata services) and metadata addresses outside them.
FORBIDDEN_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16", "fe80::/10",  # link-local, with 169.254.169.254 (AWS, GCP, Azure, OpenStack, ...)
    "fd00:ec2::254/128", "100.100.100.200/32",  # AWS IPv6 and Alibaba metadata
))
# Addresses that are no single host (0.0.0.0 reaches the hub's own machine).
NO_HOST_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "::/128", "224.0.0.0/4", "ff00::/8", "255.255.255.255/32",
))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal", "metadata.azure.internal"})
RESOLVE_TIMEOUT = 3.0  # seconds a name may take to resolve when an endpoint is checked


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) names no other host
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _no_host(address: str) -> bool:
    """0.0.0.0 and the like: a listening address given where a public URL was meant."""
    ip = _ip(address)
    return ip is not None and any(ip in network for network in NO_HOST_NETWORKS)


def forbidden_address(address: str) -> bool:
    """Whether an IP address (text) is one no node endpoint may reach: link-local, metadata, or no host."""
    ip = _ip(address)
    return ip is not None and any(ip in network for network in (*FORBIDDEN_NETWORKS, *NO_HOST_NETWORKS))


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class UrlPolicy:
    """The rules for URLs of one kind (`what`, e.g. "endpoint"); plain http only on loopback or with `flag`."""

    what: str
    flag: str  # the option that allows plain http off loopback, named in the error
    allow_insecure: bool = False

    def check(self, url: str) -> str:
        """The URL without a trailing slash; InvalidInput naming the URL and what is wrong with it."""
        try:
            parts = urlsplit(url)
            host, _port = parts.hostname, parts.port  # a bad port raises here
        except ValueError:
            raise InvalidInput(f"{self.what} is not a URL: {url}") from None
        if parts.scheme not in ("http", "https"):
            raise InvalidInput(f"{self.what} must be an http(s) URL: {url}")
        if not host:
            raise InvalidInput(f"{self.what} has no host: {url}")
        if "@" in parts.netloc:
            raise InvalidInput(f"{self.what} must not carry a user or password: {url}")
        if "?" in url or "#" in url:
            raise InvalidInput(f"{self.what} must not have a query or fragment: {url}")
        if _no_host(host):
            raise InvalidInput(f"{self.what} names no single host (a listening address? give the public URL): {url}")
        if host in METADATA_NAMES or forbidden_address(host):
            raise InvalidInput(f"{self.what} is a link-local or cloud metadata address: {url}")
        if parts.scheme == "http" and not self.allow_insecure and not _loopback(host):
            raise InvalidInput(f"{self.what} must be https off loopback (plain http needs {self.flag}): {url}")
        return url.rstrip("/")

    async def check_resolved(self, url: str) -> None:
        """Refuse a host name that resolves to a forbidden address now; a name that does not resolve is left to
        the resolver at call time, which checks again (so a name re-pointed later reaches nothing either)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(
                host, parts.port or 443, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT)
        except (OSError, TimeoutError):
            return
        if any(forbidden_address(str(info[4][0])) for info in infos):
            raise InvalidInput(f"{self.what} resolves to a link-local or cloud metadata address: {url}")


def node_endpoints(allow_insecure: bool) -> UrlPolicy:
    """The hub's rule for the endpoints nodes give it."""
    return UrlPolicy("endpoint", "the hub's --allow-insecure-nodes", allow_insecure)


def hub_urls(allow_insecure: bool) -> UrlPolicy:
    """A node's rule for the hub URL it enrols with and sends its secret-signed requests to."""
    return UrlPolicy("hub URL", "the node's --allow-insecure-hub", allow_insecure)


class PublicOnlyResolver(AbstractResolver):
    """Resolves as aiohttp does, then drops forbidden addresses: checked at connect time, so a node's name that
    is re-pointed at a metadata service after it was checked (DNS rebinding) reaches nothing."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self.inner = inner or DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        if host in METADATA_NAMES:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is a cloud metadata name")
        results = [r for r in await self.inner.resolve(host, port, family) if not forbidden_address(r["host"])]
        if not results:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} resolves only to link-local or cloud metadata addresses")
        return results

    async def close(self) -> None:
        await self.inner.close()
