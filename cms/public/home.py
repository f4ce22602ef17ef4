"""``GET /``: a small page that links the API, its docs, the CV and the back office; the icon.

A person who opens the app's address sees where to go instead of a JSON 404. The page has no
script and no style of its own, so its CSP allows nothing but this origin's icon.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

__all__ = ["FAVICON_PATH", "FAVICON_SVG", "router"]

router = APIRouter(include_in_schema=False)

FAVICON_PATH = "/favicon.ico"
FAVICON_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    b'<rect width="64" height="64" rx="14" fill="#2563eb"/>'
    b'<text x="32" y="43" font-family="system-ui,sans-serif" font-size="30" font-weight="700" '
    b'text-anchor="middle" fill="#fff">CV</text></svg>'
)
"""The app's icon (an SVG: browsers read it under the name they ask for)."""

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _page(root: str, *, title: str, docs: bool) -> str:
    links = [
        ("api/v1/resume", "The API", "the published CV as JSON Resume, one path per section"),
        *([("docs", "The API's documentation", "every path, interactive")] if docs else []),
        ("cv", "The CV", "printable"),
        ("admin/", "The back office", "for the owner"),
    ]
    items = "\n".join(
        f'<li><a href="{escape(root)}/{path}">{escape(name)}</a>: {escape(what)}</li>'
        for path, name, what in links
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="{escape(root)}{FAVICON_PATH}" type="image/svg+xml">'
        f"<title>{escape(title)}</title></head>\n<body><main><h1>{escape(title)}</h1>\n"
        f"<ul>\n{items}\n</ul></main></body></html>\n"
    )


@router.api_route("/", methods=["GET", "HEAD"])
async def home(request: Request) -> Response:
    """Where to go from here: the API, its docs, the CV, the back office."""
    root = request.scope.get("root_path", "").rstrip("/")
    settings = request.app.state.settings
    html = _page(root, title=request.app.title, docs=settings.docs_enabled)
    page = HTMLResponse(html, headers=_HEADERS)
    if request.method == "HEAD":
        return Response(status_code=200, headers=dict(page.headers))
    return page


@router.api_route(FAVICON_PATH, methods=["GET", "HEAD"])
async def favicon(request: Request) -> Response:
    """The app's icon, cached for a day."""
    body = b"" if request.method == "HEAD" else FAVICON_SVG
    headers = {
        "Cache-Control": "public, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        "Content-Length": str(len(FAVICON_SVG)),
    }
    return Response(body, media_type="image/svg+xml", headers=headers)
