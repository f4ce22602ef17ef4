"""ASGI middleware for /admin: refuse cross-site writes, add security headers.

SQLAdmin has no CSRF tokens. The JWT cookie is ``SameSite=Strict``, so a cross-site
request arrives without it; as a second wall, any state-changing request whose
``Sec-Fetch-Site`` or ``Origin`` says it came from another site is refused with 403.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AdminGuard", "SECURITY_HEADERS", "is_cross_site"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Logout and list actions are GET routes that change state.
_STATE_CHANGING_GET_SUFFIXES = ("/logout",)
_STATE_CHANGING_GET_MARKERS = ("/action/",)

SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_cross_site(headers: Headers) -> bool:
    """Whether the browser says this request was made by another site."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


def _changes_state(scope: Scope) -> bool:
    if scope["method"] not in SAFE_METHODS:
        return True
    path: str = scope["path"]
    return path.endswith(_STATE_CHANGING_GET_SUFFIXES) or any(
        marker in path for marker in _STATE_CHANGING_GET_MARKERS
    )


class AdminGuard:
    """Refuse cross-site state changes; put security headers on every admin response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = "/statics/" in scope["path"] or "/assets/" in scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                message["headers"] = headers
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
            await send(message)

        if _changes_state(scope) and is_cross_site(Headers(scope=scope)):
            response = PlainTextResponse(
                "Cross-site request refused: use the back office from its own pages.",
                status_code=403,
            )
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
