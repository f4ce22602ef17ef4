"""CORS of the public API, importable without FastAPI (the Lambda read path uses it too)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from cms.core.readsettings import ReadSettings
from cms.public.httpcache import is_under

__all__ = ["API_METHODS", "API_PREFIX", "ApiCORSMiddleware", "api_cors_options", "is_under"]

API_PREFIX = "/api"
API_METHODS = ("GET", "HEAD", "OPTIONS")


def api_cors_options(settings: ReadSettings) -> dict[str, Any]:
    """The public API's CORS configuration: origins from settings, no credentials, reads only."""
    return {
        "allow_origins": settings.cors_origins,
        "allow_credentials": False,
        "allow_methods": API_METHODS,
        "allow_headers": ["If-None-Match"],
        "expose_headers": ["ETag", "X-Cache", "X-Content-Version"],
    }


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
        if scope["type"] == "http" and is_under(scope, self.prefix):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)
