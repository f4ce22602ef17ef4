"""Which ``Host`` and which client address to believe.

``Host`` comes from the client: it is checked against ``ALLOWED_HOSTS`` (ports ignored), and
a redirect carries a host only when the list names it; otherwise :class:`HostGuardMiddleware`
makes the redirect relative, so a forged ``Host`` is never echoed. ``X-Forwarded-For`` is
believed only from ``TRUSTED_PROXIES`` (and ``X-Forwarded-Proto``, the scheme the browser used);
on Lambda the address comes from the event itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.core.jsonerror import error_response

__all__ = [
    "HostGuardMiddleware",
    "client_address",
    "event_source_ip",
    "host_allowed",
    "request_host",
    "request_scheme",
]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def request_host(headers: Headers) -> str:
    """The ``Host`` header's name, lower-case, without port."""
    host = headers.get("host", "").strip().lower()
    if host.startswith("["):  # [v6]:port
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether ``host`` is named by ``allowed`` (``*`` allows any; ``.example.com`` subdomains)."""
    for pattern in allowed:
        pattern = pattern.strip().lower().rsplit(":", 1)[0] if pattern != "*" else pattern
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]):
            return True
    return False


@lru_cache(maxsize=32)
def _networks(proxies: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _is_trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(proxies))


def client_address(scope: Scope, trusted_proxies: Iterable[str]) -> str:
    """The address of whoever sent the request.

    The peer's address, unless the peer is a trusted proxy: then the right-most address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (entries to its left are
    whatever the client chose to write).
    """
    client = scope.get("client")
    peer = str(client[0]) if client and client[0] else "unknown"
    proxies = tuple(trusted_proxies)
    if not proxies or not _is_trusted(peer, proxies):
        return peer[:100]
    forwarded = Headers(scope=scope).getlist("x-forwarded-for")
    hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, proxies):
            return hop[:100]
    return peer[:100]


def request_scheme(scope: Scope, trusted_proxies: Iterable[str]) -> str:
    """``http`` or ``https`` as the client used it: ``X-Forwarded-Proto`` only from a trusted proxy.

    A proxy that ends TLS talks plain HTTP to the app; its header says what the browser used.
    The right-most value is the nearest proxy's (what lies to its left, the client wrote).
    """
    scheme = str(scope.get("scheme", "http"))
    client = scope.get("client")
    peer = str(client[0]) if client and client[0] else ""
    proxies = tuple(trusted_proxies)
    if proxies and _is_trusted(peer, proxies):
        forwarded = Headers(scope=scope).getlist("x-forwarded-proto")
        hops = [hop.strip().lower() for value in forwarded for hop in value.split(",")]
        if hops and hops[-1] in {"http", "https"}:
            return hops[-1]
    return "https" if scheme in {"https", "wss"} else "http"


def event_source_ip(event: Mapping[str, Any]) -> str | None:
    """The caller's address as API Gateway, a Function URL or an ALB saw it."""
    context = event.get("requestContext")
    if isinstance(context, Mapping):
        http = context.get("http")
        if isinstance(http, Mapping) and isinstance(http.get("sourceIp"), str):
            return str(http["sourceIp"])
        identity = context.get("identity")
        if isinstance(identity, Mapping) and isinstance(identity.get("sourceIp"), str):
            return str(identity["sourceIp"])
        if "elb" in context:
            # The ALB appends the address it saw: only the right-most entry is its own.
            headers = event.get("headers") or {}
            forwarded = next((v for k, v in headers.items() if k.lower() == "x-forwarded-for"), "")
            hops = [hop.strip() for hop in str(forwarded).split(",") if hop.strip()]
            return hops[-1] if hops else None
    return None


class HostGuardMiddleware:
    """Refuse hosts ``ALLOWED_HOSTS`` does not name; never echo an unchecked host in a redirect.

    ``/admin`` paths are refused by the admin's own guard (as an HTML page); here they only
    get their redirects made relative.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed = [h for h in allowed_hosts if h != "*"]
        self.any_host = "*" in allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = request_host(Headers(scope=scope))
        named = host_allowed(host, self.allowed)
        if not named and not self.any_host and not _is_admin(scope):
            response = error_response(400, "Invalid Host header")
            await response(scope, receive, send)
            return
        if named:
            await self.app(scope, receive, send)
            return

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, _relative(value) if name.lower() == b"location" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_relative)


def _is_admin(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    path = path[len(root) :] if root and path.startswith(root) else path
    return path == "/admin" or path.startswith("/admin/")


def _relative(location: bytes) -> bytes:
    parts = urlsplit(location.decode("latin-1"))
    if not parts.netloc:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)).encode("latin-1")
