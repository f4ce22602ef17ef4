"""HTTP-method handling for the read-only public API, as two small ASGI middlewares.

FastAPI routes declared with ``@router.get`` answer ``HEAD`` with 405, and a write method on a
GET route gets ``Allow: GET``. The public contract is different: ``GET``/``HEAD``/``OPTIONS``
everywhere under ``/api``, 405 with ``Allow: GET, HEAD, OPTIONS`` for anything else.

Order in ``create_app`` (outermost first): ``cms.public.cors.ApiCORSMiddleware`` (preflights),
:class:`ReadOnlyApiMiddleware` (405 / plain ``OPTIONS``), :class:`HeadAsGetMiddleware`, then
anything that should only ever see ``GET`` (a response cache), then the routes.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.core.errors import error_response
from cms.public.cors import API_METHODS, API_PREFIX
from cms.public.cors import is_under as _is_under
from cms.public.httpcache import with_current_version

__all__ = ["CurrentVersionMiddleware", "HeadAsGetMiddleware", "ReadOnlyApiMiddleware"]

_ALLOW = ", ".join(API_METHODS)


class CurrentVersionMiddleware:
    """Answer ``/api/…`` as ``/api/v1/…`` (same bytes, same ETag): it is the current version."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(with_current_version(scope), receive, send)


class HeadAsGetMiddleware:
    """Run every ``HEAD`` request as ``GET`` and send the headers without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            # Content-Length stays that of the GET body, as HTTP specifies for HEAD.
            if message["type"] in ("http.response.body", "http.response.pathsend"):
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


class ReadOnlyApiMiddleware:
    """Under ``prefix``: ``OPTIONS`` → 204 with ``Allow``; any write method → 405 JSON error."""

    def __init__(self, app: ASGIApp, *, prefix: str = API_PREFIX) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_under(scope, self.prefix):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        response: Response
        if method == "OPTIONS":
            response = Response(status_code=204, headers={"Allow": _ALLOW})
        else:
            response = error_response(
                405,
                "Method Not Allowed: the public API is read-only",
                headers={"Allow": _ALLOW},
            )
        await response(scope, receive, send)
