"""HTTP-method handling and CORS for the read-only public API, as three small ASGI middlewares.

FastAPI routes declared with ``@router.get`` answer ``HEAD`` with 405, and a write method on a
GET route gets ``Allow: GET``. The public contract is different: ``GET``/``HEAD``/``OPTIONS``
everywhere under ``/api``, 405 with ``Allow: GET, HEAD, OPTIONS`` for anything else.

Order in ``create_app`` (outermost first): :class:`ApiCORSMiddleware` (answers preflights),
:class:`ReadOnlyApiMiddleware` (405 / plain ``OPTIONS``), :class:`HeadAsGetMiddleware`, then
anything that should only ever see ``GET`` (a response cache), then the routes.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.errors import error_response

__all__ = [
    "API_METHODS",
    "API_PREFIX",
    "ApiCORSMiddleware",
    "HeadAsGetMiddleware",
    "ReadOnlyApiMiddleware",
]

API_PREFIX = "/api"
API_METHODS = ("GET", "HEAD", "OPTIONS")
_ALLOW = ", ".join(API_METHODS)


def _is_under(scope: Scope, prefix: str) -> bool:
    """Whether the request path, without any ``root_path`` (API Gateway stage), is in ``prefix``."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path) :][:1] in ("/", ""):
        path = path[len(root_path) :]
    return path == prefix or path.startswith(prefix + "/")


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


class ApiCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, applied under ``prefix`` only (the admin must stay same-origin)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str = API_PREFIX,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = API_METHODS,
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,  # seconds a browser may reuse a preflight answer
    ) -> None:
        super().__init__(
            app,
            allow_origins=allow_origins,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            allow_credentials=allow_credentials,
            expose_headers=expose_headers,
            max_age=max_age,
        )
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_under(scope, self.prefix):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)
