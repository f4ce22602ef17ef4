"""Response cache of the public API: rendered bytes per instance, HTTP validators, stale-if-error.

An ASGI middleware in front of ``GET``/``HEAD /api/v1/*``. It knows nothing about the routes: it
stores the bytes they render and answers from them.

**HTTP.** Every ``200`` carries a strong ``ETag`` (a hash of the body) and ``Cache-Control:
public, max-age, stale-while-revalidate, stale-if-error`` from the settings. ``If-None-Match``
(one tag, a list, weak or strong, or ``*``) that matches gives ``304`` with no body, carrying
``ETag``, ``Cache-Control`` and whatever ``Vary`` the ``200`` carries. ``HEAD`` is answered from
the same entry as ``GET``. CORS must sit *outside* this middleware so that ``Access-Control-*``
and ``Vary: Origin`` are computed per request and never stored.

**Instance cache and invalidation.** Entries map path+query → (content version, headers, body,
ETag), LRU-bounded by count and bytes. The instance also keeps ``known_version``, the content
version it last read from the database, and when it read it. A request:

1. If ``known_version`` was confirmed less than ``cache_version_check_interval`` seconds ago,
   it is trusted: no SQL at all.
2. Otherwise one ``SELECT version FROM content_version WHERE id = 1``
   (``cms.core.dburl.CONTENT_VERSION_SQL``, in a short read-only transaction, bounded by
   ``database_timeout``) refreshes it. Concurrent requests share one check.
3. An entry built from ``known_version`` is served (``X-Cache: HIT``); anything else is rendered
   by the routes (``X-Cache: MISS``) and stored under the version read *before* rendering, so a
   write that commits while rendering makes the entry stale at the next check, never the reverse.
   :meth:`cms.public.httpcache.InstanceCache.decide` makes this choice for the fast path too.

Every writer bumps the version row in its own transaction (``cms.core.db``), so another instance
serves the new content at most ``cache_version_check_interval`` seconds after the commit (the
interval is counted from when the check *started*). The writing instance serves it at once: a
commit listener forgets the confirmation of every cache on the committing engine, so its next
request checks. A check in flight when a write commits is not trusted for the next requests.

Cost in database work per request: a hit inside the interval, 0 statements; a hit after it, 1
tiny primary-key ``SELECT`` (plus the pool's pre-ping on a direct connection); a miss, that plus
whatever the route runs. With many requests per interval, the amortised cost of a hit is ≈ 0.

**Shared documents.** A miss for a shared key (:func:`cms.public.httpcache.is_shared`: no query,
or ``featured=true|false``) is also upserted into ``documents`` under the same
version, in its own short transaction after the response is sent (under Mangum, before the
invocation returns; failures are logged and ignored; an older version never overwrites a newer
row). The Lambda fast path (:mod:`cms.public.fastpath`) serves those rows without building this app.

**Stale-if-error.** When the check fails or times out, or a route fails with a 5xx, the last
good bytes for the key (of any version) are served with ``X-Cache: STALE`` and
``X-Cache-Stale: database-unavailable``; a key never rendered gets a ``503`` JSON error. After a
failed check the instance does not wait on the database again for one interval (requests are
answered from memory at once); then it retries, and fresh content resumes when the database is
back, without a restart.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.core.config import Settings
from cms.core.db import on_content_commit
from cms.core.dburl import CONTENT_VERSION_SQL
from cms.core.errors import error_response
from cms.core.models import StoredDocument, utcnow
from cms.public.httpcache import if_none_match, is_shared, make_etag, request_key
from cms.public.instancecache import CacheEntry, InstanceCache, Miss, Unavailable

__all__ = [
    "ResponseCache",
    "ResponseCacheMiddleware",
    "if_none_match",
    "install_response_cache",
    "make_etag",
    "store_document",
]

logger = logging.getLogger(__name__)

_VERSION_SQL = text(CONTENT_VERSION_SQL)


class ResponseCache(InstanceCache):
    """The full app's instance cache, reading the content version through its engine."""

    def __init__(self, engine: AsyncEngine, **options: Any) -> None:
        super().__init__(**options)
        self.engine = engine

    async def _query_version(self) -> Any:
        # Inside a transaction (SQLAlchemy's autobegin; rolled back on exit), not in autocommit:
        # behind a transaction-mode pooler, asyncpg's prepare and execute of one autocommit
        # statement can reach different server connections ("prepared statement ... does not
        # exist"). Once per interval, the extra BEGIN/ROLLBACK round trips cost nothing.
        async with self.engine.connect() as connection:
            return (await connection.execute(_VERSION_SQL)).scalar()


async def store_document(
    engine: AsyncEngine, key: str, version: int, entry: CacheEntry, media_type: str
) -> None:
    """Upsert a rendered document into ``documents`` for other instances' fast path.

    Its own short transaction; a row already holding a newer version is left alone.
    """
    table = StoredDocument.metadata.tables[StoredDocument.__tablename__]
    values = {
        "path": key,
        "version": version,
        "etag": entry.etag,
        "body": entry.body,
        "media_type": media_type,
        "rendered_at": utcnow(),
    }
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.path],
        set_={name: statement.excluded[name] for name in values if name != "path"},
        where=table.c.version <= statement.excluded.version,
    )
    async with engine.begin() as connection:
        await connection.execute(statement)


# --- middleware ----------------------------------------------------------------------


class _Captured:
    """A downstream response, buffered."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


class ResponseCacheMiddleware:
    """Answer ``GET``/``HEAD`` under the cache's prefix from ``cache``; render and store misses.

    A miss worth sharing (:func:`cms.public.httpcache.is_shared`) is also stored in
    ``documents``, where other instances' fast path (:mod:`cms.public.fastpath`) reads it.
    """

    def __init__(self, app: ASGIApp, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache
        if not cache.covers(scope):
            await self.app(scope, receive, send)
            return
        key = request_key(scope)
        head = scope["method"] == "HEAD"
        condition = Headers(scope=scope).get("if-none-match")

        decision = await cache.decide(key)
        if isinstance(decision, Unavailable):
            await self._unavailable(head, send)
            return
        if not isinstance(decision, Miss):
            await cache.respond(decision.entry, decision.label, head, condition, send)
            return

        version, fallback = decision.version, decision.fallback
        captured = _Captured()
        try:
            await self.app({**scope, "method": "GET"}, receive, captured.send)
        except Exception:
            if fallback is None:
                raise
            logger.exception("rendering %s failed: serving the stale response", key)
            await cache.respond(fallback, b"STALE", head, condition, send)
            return
        if captured.status >= 500 and fallback is not None:
            await cache.respond(fallback, b"STALE", head, condition, send)
            return
        cacheable = (
            captured.status == 200
            and captured.complete
            and not any(name.lower() == b"set-cookie" for name, _ in captured.headers)
        )
        if not cacheable:
            await send(
                {
                    "type": "http.response.start",
                    "status": captured.status,
                    "headers": captured.headers,
                }
            )
            await send({"type": "http.response.body", "body": b"" if head else captured.body})
            return
        entry = cache.put(key, version, captured.headers, captured.body)
        await cache.respond(entry, b"MISS", head, condition, send)
        if is_shared(scope):
            await self._store(key, version, entry)

    async def _store(self, key: str, version: int, entry: CacheEntry) -> None:
        media_type = next((v for n, v in entry.headers if n.lower() == b"content-type"), None)
        if media_type is None:
            return
        try:
            await store_document(
                self.cache.engine, key, version, entry, media_type.decode("latin-1")
            )
        except Exception as exc:  # sharing is an optimisation: the response is already sent
            logger.warning("storing document %s failed (%s)", key, type(exc).__name__)

    async def _unavailable(self, head: bool, send: Send) -> None:
        cache = self.cache
        retry_after = str(max(1, math.ceil(cache.check_interval)))
        response = error_response(
            503,
            "The database is unavailable and this response is not cached; try again shortly",
            headers={"Retry-After": retry_after, "Cache-Control": "no-store"},
        )
        await cache.respond_unavailable(response, head, send)


def install_response_cache(
    app: Starlette, settings: Settings, engine: AsyncEngine
) -> ResponseCache:
    """Put a response cache in front of the app's public API (``app.state.response_cache``).

    Add it before (inside) CORS and any middleware that varies per request.
    """
    cache = ResponseCache(engine, **InstanceCache.options(settings))
    # A write on this engine in this process: ask the database at the next request.
    on_content_commit(engine, cache.invalidate)
    app.state.response_cache = cache
    app.add_middleware(ResponseCacheMiddleware, cache=cache)
    return cache
