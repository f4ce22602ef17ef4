"""Request bodies are capped before they are read: on ``Content-Length`` and on the bytes streamed.

:class:`BodyLimit` wraps an ASGI app; ``limit(scope)`` says how many bytes a request may send.
The app reads the body through a ``receive`` that raises :class:`BodyTooLarge` (an HTTP 413)
instead of handing over a declared length, or a streamed byte, past the limit: nothing beyond
it is ever held, and a request whose body is never read (refused, unknown path) costs nothing.
The layer that reads the body answers the 413 in its own shape (FastAPI's handlers: the JSON
error; the back office: an HTML page, :mod:`cms.admin.guard`); one that escapes before any
response started is answered here in the JSON error shape. A 413 closes the connection, so the
client stops sending the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.core.jsonerror import error_response

__all__ = ["BodyLimit", "BodyTooLarge", "capped_receive", "limits_by_path"]


class BodyTooLarge(HTTPException):
    """A request body over its limit: 413, the limit in the message."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        message = f"The request body is too large: at most {limit:,} bytes are accepted."
        super().__init__(413, message, headers={"Connection": "close"})


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def capped_receive(scope: Scope, receive: Receive, limit: int) -> Receive:
    """``receive`` for a body of at most ``limit`` bytes; past it, :class:`BodyTooLarge`."""
    declared = _declared_length(scope)
    received = 0

    async def capped() -> Message:
        nonlocal received
        if declared is not None and declared > limit:
            raise BodyTooLarge(limit)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return capped


def limits_by_path(limits: Mapping[str, int], *, default: int) -> Callable[[Scope], int]:
    """A ``limit`` for :class:`BodyLimit`: the longest path prefix in ``limits`` wins.

    Paths are taken without the ``root_path`` (an API Gateway stage).
    """
    prefixes = sorted(limits, key=len, reverse=True)

    def limit(scope: Scope) -> int:
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        for prefix in prefixes:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limits[prefix]
        return default

    return limit


class BodyLimit:
    """ASGI middleware: every HTTP request's body capped at ``limit(scope)`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive(scope, receive, limit), tracking)
        except BodyTooLarge as exc:
            if started:
                raise
            headers = dict(exc.headers) if exc.headers else None
            response = error_response(exc.status_code, exc.detail, headers=headers)
            await response(scope, receive, send)
