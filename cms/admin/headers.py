"""The headers every answer of the back office carries (standard library only).

Security headers, and a Content-Security-Policy whose script nonce is made per response:
templates read it with ``csp_nonce(request)``. :class:`cms.admin.guard.AdminGuard` adds them to
what the back office answers, :mod:`cms.admin.loginpage` to the login page it serves before
the back office is built.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from typing import Any

__all__ = [
    "NONCE_KEY",
    "SECURITY_HEADERS",
    "add_page_headers",
    "content_security_policy",
    "csp_nonce",
    "new_nonce",
]

NONCE_KEY = "cms.csp_nonce"
"""Where a request's scope keeps its response's script nonce."""

SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(nonce: str) -> str:
    """The admin's CSP: only its own files, inline scripts only with this response's nonce.

    No inline styles: no template the back office renders carries a ``style`` attribute or a
    ``<style>`` element (SQLAdmin's that do, the import modal and the CKEditor widget, are not
    rendered), and its scripts set styles through the CSSOM (``element.style``), which CSP
    allows. Images may be ``data:`` URIs (Tabler's CSS icons).
    """
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )


def new_nonce(scope: MutableMapping[str, Any]) -> str:
    """A fresh script nonce for the response to the request of ``scope``, kept in it."""
    nonce = secrets.token_urlsafe(18)
    scope[NONCE_KEY] = nonce
    return nonce


def csp_nonce(request: Any) -> str:
    """This response's script nonce (a template global, for ``<script nonce="...">``)."""
    return str(request.scope.get(NONCE_KEY, ""))


def add_page_headers(headers: list[tuple[bytes, bytes]], nonce: str, *, static: bool) -> None:
    """Add the security headers, the CSP and (for a page) ``Cache-Control: no-store`` to
    ``headers``, each unless the answer set it itself."""
    present = {name.lower() for name, _ in headers}
    wanted = {**SECURITY_HEADERS, "Content-Security-Policy": content_security_policy(nonce)}
    for name, value in wanted.items():
        if name.lower().encode() not in present:
            headers.append((name.lower().encode(), value.encode()))
    if not static and b"cache-control" not in present:
        headers.append((b"cache-control", b"no-store"))
