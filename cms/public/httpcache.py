"""The HTTP-cache rules of the read path (no ORM, no FastAPI): the ``/api`` alias, the path and
cache key of a request, the ``/health`` body. ETags themselves are :mod:`cms.core.etags`.

The instance cache that applies them is :mod:`cms.public.instancecache`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from cms import __version__
from cms.content.queries import API_V1_PREFIX

if TYPE_CHECKING:
    from cms.public.instancecache import InstanceCache

__all__ = [
    "health_payload",
    "if_none_match_header",
    "is_plain",
    "is_under",
    "request_key",
    "request_path",
    "with_current_version",
]


def request_path(scope: Scope) -> str:
    """The request path without any ``root_path`` (API Gateway stage)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path) :][:1] in ("/", ""):
        path = path[len(root_path) :]
    return path


def with_current_version(scope: Scope) -> Scope:
    """``/api/…`` as ``/api/v1/…``: the unversioned paths are the current version, same bytes."""
    path = request_path(scope) if scope["type"] == "http" else ""
    if not path.startswith("/api/") or is_under(scope, API_V1_PREFIX):
        return scope
    versioned = scope.get("root_path", "") + API_V1_PREFIX + path.removeprefix("/api")
    scope = {**scope, "path": versioned}
    scope.pop("raw_path", None)  # the original bytes no longer name this path
    return scope


def is_plain(scope: Scope) -> bool:
    """No ``Origin`` and no credentials header: a request the hit path answers without CORS.

    (A credentials header that holds no token of ours is answered anonymously by the CORS path.)
    """
    for name, _ in scope["headers"]:
        if name == b"origin" or name == b"authorization" or name == b"x-api-key":
            return False
    return True


def if_none_match_header(scope: Scope) -> str | None:
    """The request's first ``If-None-Match`` value (without building a headers object)."""
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return value.decode("latin-1")
    return None


def is_under(scope: Scope, prefix: str) -> bool:
    """Whether the request path, without any ``root_path`` (API Gateway stage), is in ``prefix``."""
    path = request_path(scope)
    return path == prefix or path.startswith(prefix + "/")


def request_key(scope: Scope) -> str:
    """The cache key of a request: its path without ``root_path``, then ``?query`` if any."""
    query: bytes = scope.get("query_string", b"")
    path = request_path(scope)
    return path + "?" + query.decode("latin-1") if query else path


async def health_payload(
    service: str, cache: InstanceCache, *, details: bool = False
) -> tuple[dict[str, Any], int]:
    """The ``/health`` body (``cms.public.health.HealthResponse``'s shape) and its status code.

    The database status is ``cache``'s content-version check (free when recently confirmed).
    Without ``details`` (anyone's request) the body is the status alone: the service, version
    and cache figures are for the owner's read-drafts token.
    """
    database = "unavailable" if await cache.version() is None else "ok"
    status = "ok" if database == "ok" else "degraded"
    if not details:
        return {"status": status}, 200 if database == "ok" else 503
    body = {
        "status": status,
        "service": service,
        "timestamp": datetime.now(UTC).isoformat(),
        "version": __version__,
        "database": database,
        "cache": cache.state(),
    }
    return body, 200 if database == "ok" else 503
