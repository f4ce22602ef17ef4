"""The HTTP-cache rules both read paths follow (no ORM, no FastAPI): ETags, ``If-None-Match``,
the cache key of a request, which keys are shared as stored documents, the ``/health`` body.

The instance cache that applies them is :mod:`cms.public.instancecache`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from cms import __version__
from cms.core.config import Settings

if TYPE_CHECKING:
    from cms.public.instancecache import InstanceCache

__all__ = [
    "API_CACHE_PREFIX",
    "MAX_SHARED_KEY_LENGTH",
    "health_payload",
    "if_none_match",
    "is_shared",
    "is_under",
    "make_etag",
    "request_key",
    "request_path",
    "with_current_version",
]


API_CACHE_PREFIX = "/api/v1"
MAX_SHARED_KEY_LENGTH = 500  # characters, the documents primary key
# Query strings whose documents are shared between instances: a bounded set, so arbitrary
# ``?category=`` values cannot grow the table.
_SHARED_QUERIES = frozenset({b"", b"featured=true", b"featured=false"})


def make_etag(body: bytes) -> str:
    """A strong entity tag for ``body``: 128 bits of its SHA-256, quoted."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value matches ``etag`` (weak comparison, as RFC 9110 says)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    for candidate in header.split(","):
        if candidate.strip().removeprefix("W/") == opaque:
            return True
    return False


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
    if not path.startswith("/api/") or is_under(scope, API_CACHE_PREFIX):
        return scope
    versioned = scope.get("root_path", "") + API_CACHE_PREFIX + path.removeprefix("/api")
    scope = {**scope, "path": versioned}
    scope.pop("raw_path", None)  # the original bytes no longer name this path
    return scope


def is_under(scope: Scope, prefix: str) -> bool:
    """Whether the request path, without any ``root_path`` (API Gateway stage), is in ``prefix``."""
    path = request_path(scope)
    return path == prefix or path.startswith(prefix + "/")


def request_key(scope: Scope) -> str:
    """The cache key of a request: its path without ``root_path``, then ``?query`` if any."""
    query: bytes = scope.get("query_string", b"")
    path = request_path(scope)
    return path + "?" + query.decode("latin-1") if query else path


def is_shared(scope: Scope) -> bool:
    """Whether a request's document is shared between instances through ``documents``."""
    return (
        scope.get("query_string", b"") in _SHARED_QUERIES
        and len(request_key(scope)) <= MAX_SHARED_KEY_LENGTH
    )


async def health_payload(settings: Settings, cache: InstanceCache) -> tuple[dict[str, Any], int]:
    """The ``/health`` body (``cms.public.health.HealthResponse``'s shape) and its status code.

    The database status is ``cache``'s content-version check (free when recently confirmed).
    """
    database = "unavailable" if await cache.version() is None else "ok"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "service": settings.service_name,
        "timestamp": datetime.now(UTC).isoformat(),
        "version": __version__,
        "database": database,
        "cache": cache.state().model_dump(),
    }
    return body, 200 if database == "ok" else 503
