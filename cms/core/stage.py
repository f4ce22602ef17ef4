"""ASGI glue for running behind API Gateway, Function URLs and ALB (no AWS imports).

Mangum always hands the app ``root_path=""``. Behind an API Gateway stage (``/prod``) the
browser sees ``/prod/admin/...`` while the app sees ``/admin/...``, so every URL the app
builds (SQLAdmin links and statics, the ``/docs`` page's OpenAPI URL, redirects) would
lose the prefix. :class:`StagePrefixMiddleware` restores it from the Lambda event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from cms.core.hosts import event_source_ip

__all__ = ["StagePrefixMiddleware", "stage_prefix"]


def stage_prefix(event: Mapping[str, Any], path: str) -> tuple[str, str]:
    """The public path prefix of ``event`` and the request path without it.

    ``path`` is the path Mangum put into the scope. REST APIs (v1) give the path without
    the stage and ``requestContext.path`` with it (also with a custom domain's base path);
    HTTP APIs (v2) and Function URLs keep a named stage in the path itself; ALB and the
    ``$default`` stage have no prefix.
    """
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        stage = context.get("stage") or "$default"
        if stage == "$default":
            return "", path
        prefix = f"/{stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, path[len(prefix) :] or "/"
        return "", path
    public_path = context.get("path")
    if "httpMethod" not in event or not isinstance(public_path, str):
        return "", path
    resource_path = event.get("path") or "/"
    if public_path != resource_path and public_path.endswith(resource_path):
        return public_path[: len(public_path) - len(resource_path)].rstrip("/"), path
    return "", path


class StagePrefixMiddleware:
    """Set ``root_path`` (and a full ``path``, as ASGI wants) and the client from the event.

    The client address is the one API Gateway, the Function URL or the ALB saw
    (:func:`cms.core.hosts.event_source_ip`), never what a header claims.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        # Tests and tools reach ``handler.app.state`` etc. through the wrapper.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event")
        if scope["type"] == "http" and isinstance(event, Mapping):
            scope = dict(scope)
            source_ip = event_source_ip(event)
            if source_ip:
                scope["client"] = (source_ip[:100], 0)
            if not scope.get("root_path"):
                prefix, path = stage_prefix(event, scope["path"])
                if prefix:
                    scope["root_path"] = prefix
                    scope["path"] = prefix + path
        await self.app(scope, receive, send)
