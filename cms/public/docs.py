"""The interactive API docs, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN: blank without a network and under a
CSP that names no other origin. These pages load the copies the ``fastapi-offline`` package
ships (``swagger-ui-bundle.js``, ``swagger-ui.css``, ``redoc.standalone.js``), served by this
app under ``/docs/assets``, and every page carries a CSP of its own: this origin only, plus
the hash of each inline ``<script>``/``<style>`` FastAPI's HTML holds. ReDoc's footer would
load the Redocly logo from Redocly's CDN, which the CSP turns away with a console error: the
copy served here names an empty inline image instead (the text link stays).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "ASSETS_PATH", "docs_content_security_policy", "install_docs"]

DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"
ASSETS_PATH = "/docs/assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
# The package ships no icon; an empty data: URL keeps the browser from asking for
# /favicon.ico, which this app does not serve.
_FAVICON = "data:,"
_INLINE = re.compile(rb"<(script|style)>(.*?)</\1>", re.DOTALL)
_REDOC_JS = "redoc.standalone.js"
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_NO_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@cache
def _redoc_script() -> bytes:
    """ReDoc's script, its footer logo an empty inline image (nothing from another host)."""
    return (ASSETS_DIR / _REDOC_JS).read_bytes().replace(_REDOC_LOGO, _NO_IMAGE)


def docs_content_security_policy(
    html: bytes, *, extra: Mapping[str, Sequence[str]] | None = None
) -> str:
    """A CSP for a docs page: its own origin, the inline scripts and styles of ``html``, ``extra``.

    ``extra`` adds sources to a directive (never another origin: the point is that none is
    needed).
    """
    sources: dict[str, list[str]] = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
    }
    for directive, more in (extra or {}).items():
        sources.setdefault(directive, []).extend(more)
    for match in _INLINE.finditer(html):
        allowed = sources[f"{match.group(1).decode()}-src"]
        # A browser ignores 'unsafe-inline' in a directive that lists any hash.
        if "'unsafe-inline'" not in allowed:
            digest = base64.b64encode(hashlib.sha256(match.group(2)).digest()).decode()
            allowed.append(f"'sha256-{digest}'")
    policy = "; ".join(f"{name} {' '.join(values)}" for name, values in sources.items())
    return f"{policy}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _answer(
    request: Request, page: HTMLResponse, extra: Mapping[str, Sequence[str]] | None = None
) -> Response:
    """``page`` with its CSP; for ``HEAD``, its headers alone."""
    page.headers["Content-Security-Policy"] = docs_content_security_policy(
        bytes(page.body), extra=extra
    )
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "same-origin"
    if request.method == "HEAD":
        # Content-Length stays that of the GET body, as HTTP specifies for HEAD.
        return Response(status_code=page.status_code, headers=dict(page.headers))
    return page


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets for ``app`` (its OpenAPI URL must be set)."""
    openapi_path = app.openapi_url
    if openapi_path is None:
        raise ValueError("the docs pages need the app's openapi_url")

    @app.api_route(f"{ASSETS_PATH}/{_REDOC_JS}", methods=["GET", "HEAD"], include_in_schema=False)
    async def redoc_script(request: Request) -> Response:
        """ReDoc's script as this app serves it (see the module's docstring)."""
        body = _redoc_script()
        headers = {
            "Cache-Control": "public, max-age=86400",
            "ETag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
            "X-Content-Type-Options": "nosniff",
        }
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            return Response(status_code=200, headers=headers, media_type="text/javascript")
        return Response(body, headers=headers, media_type="text/javascript")

    # After the route above, which takes ReDoc's script before the folder does.
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.api_route(DOCS_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def swagger_ui(request: Request) -> Response:
        """The API, interactive (Swagger UI)."""
        root = request.scope.get("root_path", "").rstrip("/")
        return _answer(
            request,
            get_swagger_ui_html(
                openapi_url=root + openapi_path,
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=_FAVICON,
                swagger_ui_parameters=app.swagger_ui_parameters,
            ),
        )

    @app.api_route(REDOC_PATH, methods=["GET", "HEAD"], include_in_schema=False)
    async def redoc(request: Request) -> Response:
        """The API, as a reference (ReDoc)."""
        root = request.scope.get("root_path", "").rstrip("/")
        return _answer(
            request,
            get_redoc_html(
                openapi_url=root + openapi_path,
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
                redoc_favicon_url=_FAVICON,
                with_google_fonts=False,
            ),
            # styled-components adds <style> elements as ReDoc renders (a style cannot run
            # code), and the search index runs in a worker made from a blob: URL.
            {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]},
        )
