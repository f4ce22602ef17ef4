"""One instance's cache of rendered public responses, and the one decision both read paths take.

:class:`InstanceCache` holds rendered ``200`` responses keyed by
:func:`~cms.public.httpcache.request_key`, each valid for the content version it was built
from, and knows that version: it asks the database at most once per
``cache_version_check_interval`` (see :mod:`cms.public.cache` for the full story). Subclasses
say how to read the version: :class:`cms.public.cache.ResponseCache` through the SQLAlchemy
engine, :mod:`cms.public.fastpath` through the raw driver. Both take :meth:`InstanceCache.decide`'s
answer for a key and send with :meth:`InstanceCache.respond`, so validators, ``304``, ``HEAD``,
stale answers and counters are the same.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias

from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Scope, Send

from cms.core.config import Settings
from cms.public.httpcache import API_CACHE_PREFIX, if_none_match, is_under, make_etag

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "CacheEntry",
    "CacheState",
    "Decision",
    "Hit",
    "InstanceCache",
    "Label",
    "Miss",
    "Stale",
    "Unavailable",
]

logger = logging.getLogger(__name__)

Label: TypeAlias = Literal[b"HIT", b"MISS", b"STALE"]
"""The ``X-Cache`` value of a response sent from an instance cache."""

DEFAULT_MAX_ENTRIES = 1024
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # 32 MiB of bodies per instance
# Response headers a stored entry never keeps: validators and freshness are ours, CORS is
# computed per request outside the cache, and the server adds the rest.
DROPPED_HEADERS = frozenset(
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


@dataclass(slots=True)
class CacheEntry:
    """A rendered ``200``: its content version, stored headers, body and ETag.

    The headers of its ``304`` are chosen once, here, so a revalidation costs less than a hit.
    """

    version: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    not_modified_headers: list[tuple[bytes, bytes]] = field(init=False)

    def __post_init__(self) -> None:
        self.not_modified_headers = [
            (name, value) for name, value in self.headers if name.lower() in _NOT_MODIFIED_HEADERS
        ]


@dataclass(frozen=True, slots=True)
class Hit:
    """``entry`` was built from the current content version: send it."""

    entry: CacheEntry
    label: ClassVar[Label] = b"HIT"


@dataclass(frozen=True, slots=True)
class Stale:
    """The database is unavailable: send ``entry``, the last good response (of any version)."""

    entry: CacheEntry
    label: ClassVar[Label] = b"STALE"


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The database is unavailable and nothing is stored for the key."""


@dataclass(frozen=True, slots=True)
class Miss:
    """Render or load the response for ``version``; ``fallback`` is the stale-if-error answer."""

    version: int
    fallback: CacheEntry | None
    """The stored entry of an older version, if any."""


Decision: TypeAlias = Hit | Stale | Unavailable | Miss


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


class InstanceCache:
    """Rendered public responses of one instance, valid for the content version they came from."""

    def __init__(
        self,
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
        # Answers sent, counted by respond() and respond_unavailable() only.
        self.hits = self.misses = self.stale = self.not_modified = self.unavailable = 0
        self.version_checks = 0

    @staticmethod
    def options(settings: Settings) -> dict[str, Any]:
        """Constructor arguments taken from ``settings``."""
        return {
            "max_age": settings.cache_max_age,
            "stale_while_revalidate": settings.cache_stale_while_revalidate,
            "stale_if_error": settings.cache_stale_if_error,
            "check_interval": settings.cache_version_check_interval,
            "timeout": settings.database_timeout,
        }

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
        """Run ``cms.core.dburl.CONTENT_VERSION_SQL``, however the subclass talks SQL."""
        raise NotImplementedError

    # --- the decision ----------------------------------------------------------------

    async def decide(self, key: str) -> Decision:
        """What to do for ``key``: send a hit or a stale entry, refuse, or render/load (a miss)."""
        version = await self.version()
        entry = self.get(key)
        if version is None:
            return Unavailable() if entry is None else Stale(entry)
        if entry is not None and entry.version == version:
            return Hit(entry)
        return Miss(version, entry)

    # --- entries ---------------------------------------------------------------------

    def get(self, key: str) -> CacheEntry | None:
        """The entry for ``key`` (of any version), marked as recently used."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(
        self,
        key: str,
        version: int,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        etag: str | None = None,
    ) -> CacheEntry:
        """Store a rendered ``200`` for ``key`` built from ``version``; evict the least used."""
        etag = etag or make_etag(body)
        stored = [(name, value) for name, value in headers if name.lower() not in DROPPED_HEADERS]
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
        return (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and is_under(scope, self.prefix)
        )

    # --- answers ---------------------------------------------------------------------

    async def respond(
        self,
        entry: CacheEntry,
        label: Label,
        head: bool,
        condition: str | None,
        send: Send,
    ) -> None:
        """Send and count ``entry`` as ``label``: ``304`` if ``condition`` matches, HEAD no body."""
        if label == b"HIT":
            self.hits += 1
        elif label == b"MISS":
            self.misses += 1
        else:
            self.stale += 1
        extra = [(b"x-cache", label), (b"x-content-version", str(entry.version).encode())]
        modified = not if_none_match(condition, entry.etag)
        headers = entry.headers if modified else entry.not_modified_headers
        if label == b"STALE":
            extra.append((b"x-cache-stale", b"database-unavailable"))
            stale = self.stale_cache_control
            headers = [(n, stale if n == b"cache-control" else v) for n, v in headers]
        if not modified:
            self.not_modified += 1
            await send({"type": "http.response.start", "status": 304, "headers": headers + extra})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers + extra})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})

    async def respond_unavailable(self, response: Response, head: bool, send: Send) -> None:
        """Send ``response``, the ``503`` of an :class:`Unavailable` key; no body on HEAD."""
        self.unavailable += 1
        start = {"type": "http.response.start", "status": 503, "headers": response.raw_headers}
        await send(start)
        await send({"type": "http.response.body", "body": b"" if head else response.body})


# Timed-out checks still cleaning up their connection: referenced so they are not collected.
_background: set[asyncio.Future[Any]] = set()


def _settle(task: asyncio.Future[Any]) -> None:
    _background.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as unhandled
