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
2. Otherwise one ``SELECT version FROM content_version WHERE id = 1`` (autocommit, bounded by
   ``database_timeout``) refreshes it. Concurrent requests share one check.
3. An entry built from ``known_version`` is served (``X-Cache: HIT``); anything else is rendered
   by the routes (``X-Cache: MISS``) and stored under the version read *before* rendering, so a
   write that commits while rendering makes the entry stale at the next check, never the reverse.

Every writer bumps the version row in its own transaction (``cms.db``), so another instance
serves the new content at most ``cache_version_check_interval`` seconds after the commit (the
interval is counted from when the check *started*). The writing instance serves it at once: a
commit listener forgets the confirmation of every cache on the committing engine, so its next
request checks. A check in flight when a write commits is not trusted for the next requests.

Cost in database work per request: a hit inside the interval, 0 statements; a hit after it, 1
tiny primary-key ``SELECT`` (plus the pool's pre-ping on a direct connection); a miss, that plus
whatever the route runs. With many requests per interval, the amortised cost of a hit is ≈ 0.

**Stale-if-error.** When the check fails or times out, or a route fails with a 5xx, the last
good bytes for the key (of any version) are served with ``X-Cache: STALE`` and
``X-Cache-Stale: database-unavailable``; a key never rendered gets a ``503`` JSON error. After a
failed check the instance does not wait on the database again for one interval (requests are
answered from memory at once); then it retries, and fresh content resumes when the database is
back, without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.config import Settings
from cms.db import on_content_commit
from cms.errors import error_response

__all__ = [
    "API_CACHE_PREFIX",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "CacheEntry",
    "CacheState",
    "ResponseCache",
    "ResponseCacheMiddleware",
    "if_none_match",
    "install_response_cache",
    "make_etag",
]

logger = logging.getLogger(__name__)

API_CACHE_PREFIX = "/api/v1"
DEFAULT_MAX_ENTRIES = 1024
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # 32 MiB of bodies per instance

_VERSION_SQL = text("SELECT version FROM content_version WHERE id = 1")
# Response headers a stored entry never keeps: validators and freshness are ours, CORS is
# computed per request outside the cache, and the server adds the rest.
_DROPPED_HEADERS = frozenset(
    {
        b"etag",
        b"cache-control",
        b"content-length",
        b"date",
        b"server",
        b"x-cache",
        b"x-cache-stale",
        b"x-content-version",
        b"age",
        b"expires",
        b"last-modified",
    }
)
# What a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
_NOT_MODIFIED_HEADERS = frozenset({b"etag", b"cache-control", b"vary", b"content-location"})


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


@dataclass(slots=True)
class CacheEntry:
    """A rendered ``200``: its content version, stored headers, body and ETag."""

    version: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str


class CacheState(BaseModel):
    """What one instance's response cache holds and how well it does (for ``/health``)."""

    entries: int
    bytes: int
    hits: int
    misses: int
    stale: int
    not_modified: int
    unavailable: int
    hit_ratio: float | None
    content_version: int | None
    last_check_age_seconds: float | None
    version_checks: int
    database: Literal["ok", "unavailable", "unknown"]


class ResponseCache:
    """Rendered public responses of one instance, valid for the content version they came from."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_age: int,
        stale_while_revalidate: int,
        stale_if_error: int,
        check_interval: float,
        timeout: float,
        prefix: str = API_CACHE_PREFIX,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        # Version checks run inside a transaction, not in autocommit: behind a transaction-mode
        # pooler, asyncpg's prepare and execute of one autocommit statement can reach different
        # server connections ("prepared statement ... does not exist"). Once per interval, the
        # extra BEGIN/ROLLBACK round trips cost nothing that matters.
        self.prefix = prefix.rstrip("/")
        self.check_interval = check_interval
        self.timeout = timeout
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        """Monotonic seconds; tests may replace it."""
        self.cache_control = (
            f"public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}, "
            f"stale-if-error={stale_if_error}"
        ).encode()
        # A stale answer is good for now only: caches downstream revalidate (cheaply, via the
        # ETag) and may keep using it while we keep failing.
        self.stale_cache_control = f"public, max-age=0, stale-if-error={stale_if_error}".encode()
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._bytes = 0
        self.known_version: int | None = None
        self._confirmed_at = -math.inf
        self._checked_at: float | None = None
        self._failed_at: float | None = None
        self._generation = 0
        self._check: asyncio.Future[int | None] | None = None
        self._check_generation = -1
        self.hits = self.misses = self.stale = self.not_modified = self.unavailable = 0
        self.version_checks = 0
        _register(self)

    @classmethod
    def from_settings(
        cls, settings: Settings, engine: AsyncEngine, **options: Any
    ) -> ResponseCache:
        """A cache configured from ``settings`` on ``engine``."""
        return cls(
            engine,
            max_age=settings.cache_max_age,
            stale_while_revalidate=settings.cache_stale_while_revalidate,
            stale_if_error=settings.cache_stale_if_error,
            check_interval=settings.cache_version_check_interval,
            timeout=settings.database_timeout,
            **options,
        )

    # --- version ---------------------------------------------------------------------

    def invalidate(self) -> None:
        """Distrust the known content version: the next request asks the database."""
        self._generation += 1
        self._confirmed_at = -math.inf

    async def version(self) -> int | None:
        """The content version to serve, or ``None`` when the database cannot tell us."""
        now = self.clock()
        if self.known_version is not None and now - self._confirmed_at < self.check_interval:
            return self.known_version
        if self._failed_at is not None and now - self._failed_at < self.check_interval:
            return None
        check = self._check
        if (
            check is None
            or check.done()
            or self._check_generation != self._generation
            or check.get_loop() is not asyncio.get_running_loop()
        ):
            check = asyncio.ensure_future(self._read_version())
            self._check, self._check_generation = check, self._generation
        elif self._failed_at is not None:
            # The database failed last time: answer from memory now rather than queue up
            # behind a check that may take the whole timeout.
            return None
        # Shielded: a client that disconnects must not cancel a check others wait on.
        return await asyncio.shield(check)

    async def _read_version(self) -> int | None:
        generation = self._generation
        started = self.clock()
        self.version_checks += 1
        query = asyncio.ensure_future(self._query_version())
        try:
            # asyncio.wait, not asyncio.timeout: a cancelled asyncpg connection may spend another
            # timeout closing itself, and the request must not wait for that cleanup.
            done, _ = await asyncio.wait({query}, timeout=self.timeout)
            if not done:
                query.cancel()
                _background.add(query)
                query.add_done_callback(_settle)
                raise TimeoutError(f"no answer within {self.timeout} s")
            version = query.result()
        except Exception as exc:  # any failure to read the version means "database unavailable"
            if self._failed_at is None:
                logger.warning(
                    "content version check failed (%s): serving stale responses", type(exc).__name__
                )
            self._failed_at = self.clock()
            return None
        if self._failed_at is not None:
            logger.info("database reachable again: serving fresh responses")
        self._failed_at = None
        version = int(version or 0)
        if self._checked_at is None or started >= self._checked_at:
            self.known_version, self._checked_at = version, started
            if generation == self._generation:
                self._confirmed_at = started
        return version

    async def _query_version(self) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(_VERSION_SQL)).scalar()

    # --- entries ---------------------------------------------------------------------

    def get(self, key: str) -> CacheEntry | None:
        """The entry for ``key`` (of any version), marked as recently used."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(
        self, key: str, version: int, headers: Iterable[tuple[bytes, bytes]], body: bytes
    ) -> CacheEntry:
        """Store a rendered ``200`` for ``key`` built from ``version``; evict the least used."""
        etag = make_etag(body)
        stored = [(name, value) for name, value in headers if name.lower() not in _DROPPED_HEADERS]
        stored += [
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag.encode()),
            (b"cache-control", self.cache_control),
        ]
        entry = CacheEntry(version=version, headers=stored, body=body, etag=etag)
        if len(body) > self.max_bytes:
            return entry
        self.discard(key)
        self._entries[key] = entry
        self._bytes += len(body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self.discard(next(iter(self._entries)))
        return entry

    def discard(self, key: str) -> None:
        """Forget the entry for ``key``, if any."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def clear(self) -> None:
        """Forget every entry (the version state stays)."""
        self._entries.clear()
        self._bytes = 0

    def state(self) -> CacheState:
        """Counters and freshness of this cache."""
        served = self.hits + self.misses
        if self._failed_at is not None:
            database: Literal["ok", "unavailable", "unknown"] = "unavailable"
        elif self._checked_at is None:
            database = "unknown"
        else:
            database = "ok"
        return CacheState(
            entries=len(self._entries),
            bytes=self._bytes,
            hits=self.hits,
            misses=self.misses,
            stale=self.stale,
            not_modified=self.not_modified,
            unavailable=self.unavailable,
            hit_ratio=round(self.hits / served, 4) if served else None,
            content_version=self.known_version,
            last_check_age_seconds=(
                None if self._checked_at is None else round(self.clock() - self._checked_at, 3)
            ),
            version_checks=self.version_checks,
            database=database,
        )

    def covers(self, scope: Scope) -> bool:
        """Whether a request is a cacheable read under the prefix."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        return path == self.prefix or path.startswith(self.prefix + "/")


# Timed-out checks still cleaning up their connection: referenced so they are not collected.
_background: set[asyncio.Future[Any]] = set()


def _settle(task: asyncio.Future[Any]) -> None:
    _background.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as unhandled


# --- invalidation on local commits -------------------------------------------------------

_caches: weakref.WeakSet[ResponseCache] = weakref.WeakSet()


def _register(cache: ResponseCache) -> None:
    _caches.add(cache)


def _invalidate_local_caches(engine: Engine) -> None:
    for cache in list(_caches):
        if cache.engine.sync_engine is engine:
            cache.invalidate()


on_content_commit(_invalidate_local_caches)


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
    """Answer ``GET``/``HEAD`` under the cache's prefix from ``cache``; render and store misses."""

    def __init__(self, app: ASGIApp, cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache
        if not cache.covers(scope):
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        key = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        head = scope["method"] == "HEAD"
        condition = Headers(scope=scope).get("if-none-match")

        version = await cache.version()
        entry = cache.get(key)
        if version is None:
            await self._stale_or_unavailable(entry, head, condition, send)
            return
        if entry is not None and entry.version == version:
            cache.hits += 1
            await self._serve(entry, b"HIT", head, condition, send)
            return

        captured = _Captured()
        try:
            await self.app({**scope, "method": "GET"}, receive, captured.send)
        except Exception:
            if entry is None:
                raise
            logger.exception("rendering %s failed: serving the stale response", key)
            await self._stale_or_unavailable(entry, head, condition, send)
            return
        if captured.status >= 500 and entry is not None:
            await self._stale_or_unavailable(entry, head, condition, send)
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
        cache.misses += 1
        entry = cache.put(key, version, captured.headers, captured.body)
        await self._serve(entry, b"MISS", head, condition, send)

    async def _serve(
        self,
        entry: CacheEntry,
        label: bytes,
        head: bool,
        condition: str | None,
        send: Send,
        cache_control: bytes | None = None,
    ) -> None:
        extra = [(b"x-cache", label), (b"x-content-version", str(entry.version).encode())]
        if label == b"STALE":
            extra.append((b"x-cache-stale", b"database-unavailable"))
        headers = entry.headers
        if cache_control is not None:
            headers = [(n, cache_control if n == b"cache-control" else v) for n, v in headers]
        if if_none_match(condition, entry.etag):
            self.cache.not_modified += 1
            kept = [(n, v) for n, v in headers if n.lower() in _NOT_MODIFIED_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": kept + extra})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers + extra})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})

    async def _stale_or_unavailable(
        self, entry: CacheEntry | None, head: bool, condition: str | None, send: Send
    ) -> None:
        cache = self.cache
        if entry is not None:
            cache.stale += 1
            await self._serve(entry, b"STALE", head, condition, send, cache.stale_cache_control)
            return
        cache.unavailable += 1
        retry_after = str(max(1, math.ceil(cache.check_interval)))
        response = error_response(
            503,
            "The database is unavailable and this response is not cached; try again shortly",
            headers={"Retry-After": retry_after, "Cache-Control": "no-store"},
        )
        start_headers = response.raw_headers
        await send({"type": "http.response.start", "status": 503, "headers": start_headers})
        await send({"type": "http.response.body", "body": b"" if head else response.body})


def install_response_cache(
    app: Starlette, settings: Settings, engine: AsyncEngine
) -> ResponseCache:
    """Put a response cache in front of the app's public API (``app.state.response_cache``).

    Add it before (inside) CORS and any middleware that varies per request.
    """
    cache = ResponseCache.from_settings(settings, engine)
    app.state.response_cache = cache
    app.add_middleware(ResponseCacheMiddleware, cache=cache)
    return cache
