"""One instance's copy of the stored public responses, and when to trust it.

:class:`InstanceCache` holds a :class:`Snapshot`: every response stored for one content version
(:mod:`cms.content.publish`), loaded with one query. It knows which version is current by
asking the database at most once per ``cache_version_check_interval`` (one check in flight at a
time, shared by every request), and loads the snapshot of a new version once (one load in
flight). Its memory holds one snapshot plus a bounded set of answers derived from it (filters,
details): no query string can evict a response, so stale-if-error works for every path after
any flood. Answers go out through :meth:`InstanceCache.respond`: validators, ``304``, ``HEAD``,
stale labels and counters are the same for every path.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias

from starlette.types import Send

from cms.content.queries import Rules
from cms.core.etags import if_none_match
from cms.core.readsettings import ReadSettings

__all__ = [
    "DERIVED_MAX_ENTRIES",
    "CacheEntry",
    "Current",
    "ResponseSource",
    "InstanceCache",
    "Key",
    "Label",
    "PAGE_HEADERS",
    "Snapshot",
    "content_headers",
    "page_headers",
]

logger = logging.getLogger(__name__)

Label: TypeAlias = Literal[b"HIT", b"MISS", b"STALE"]
"""The ``X-Cache`` value of an answer: from memory, just loaded, or stale (database down)."""

DERIVED_MAX_ENTRIES = 512
"""Filtered and detail answers kept per instance (the stored responses are not counted)."""

PAGE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    # The printable CV is inert: its CSS is inline, it runs no script, loads nothing, is never
    # framed and posts no form.
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
        b"base-uri 'none'; form-action 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
"""What an HTML page answered by the read path carries besides its content type."""

# What a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
_NOT_MODIFIED_HEADERS = frozenset({b"etag", b"cache-control", b"vary", b"content-location"})


def page_headers(media_type: str) -> tuple[tuple[bytes, bytes], ...]:
    """What a response of ``media_type`` carries besides its type: PAGE_HEADERS for HTML."""
    return PAGE_HEADERS if media_type.startswith("text/html") else ()


def content_headers(media_type: str, locale: str) -> list[tuple[bytes, bytes]]:
    """The headers a stored response of ``media_type`` in ``locale`` is sent with."""
    return [
        (b"content-type", media_type.encode("latin-1")),
        (b"content-language", locale.encode("latin-1")),
        *page_headers(media_type),
    ]


@dataclass(slots=True)
class CacheEntry:
    """A ``200`` ready to send: its content version, headers, body and ETag.

    The headers of its ``304`` are chosen once, here, so a revalidation costs less than a hit.
    """

    version: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    not_modified_headers: list[tuple[bytes, bytes]] = field(init=False)
    parsed: Any = field(init=False, default=None)
    """Whatever a reader derived from ``body`` once (:mod:`cms.content.queries`)."""

    def __post_init__(self) -> None:
        self.not_modified_headers = [
            (name, value) for name, value in self.headers if name.lower() in _NOT_MODIFIED_HEADERS
        ]


Key: TypeAlias = tuple[str, str]
"""A stored response's path and locale: every locale is one lookup like the default's."""


@dataclass(slots=True)
class Snapshot:
    """Every response stored for one content version, in every locale."""

    version: int
    responses: dict[Key, CacheEntry]
    """``200`` responses by path and locale."""
    not_found: dict[Key, str]
    """Responses that do not exist yet (personal info never entered), with their message."""
    rules: dict[str, Rules] = field(default_factory=dict)
    """What requests may ask of each path (``cms.content.queries``), as stored with the set."""

    def rules_of(self, path: str) -> Rules | None:
        """The rules of the response published at ``path``, or ``None``: nothing is."""
        return self.rules.get(path)

    def __len__(self) -> int:
        return len(self.responses) + len(self.not_found)


@dataclass(frozen=True, slots=True)
class Current:
    """The snapshot to answer from, and how it came (``label``)."""

    snapshot: Snapshot
    label: Label


StoredRow: TypeAlias = tuple[str, str, int, str, bytes, str, str | None]
"""A stored response as the database holds it: path, locale, status, etag, body, media type,
rules."""


class ResponseSource(Protocol):
    """The two reads of an instance: the content version, and the responses of one version."""

    async def version(self) -> Any:
        """The committed content version (``None`` or 0: nothing written yet)."""
        ...

    async def responses(self, version: int) -> list[StoredRow]:
        """Every response stored for ``version``."""
        ...


class InstanceCache:
    """The stored responses of one instance, valid for the content version they came from."""

    def __init__(
        self,
        source: ResponseSource,
        *,
        max_age: int,
        stale_while_revalidate: int,
        stale_if_error: int,
        check_interval: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.check_interval = check_interval
        self.timeout = timeout
        self.clock = clock
        """Monotonic seconds; tests may replace it."""
        self.cache_control = (
            f"public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}, "
            f"stale-if-error={stale_if_error}"
        ).encode()
        # A stale answer is good for now only: caches downstream revalidate (cheaply, via the
        # ETag) and may keep using it while we keep failing.
        self.stale_cache_control = f"public, max-age=0, stale-if-error={stale_if_error}".encode()
        self.snapshot: Snapshot | None = None
        self.derived: OrderedDict[str, CacheEntry] = OrderedDict()
        self.known_version: int | None = None
        self._confirmed_at = -math.inf
        self._checked_at: float | None = None
        self._failed_at: float | None = None
        self._generation = 0
        self._check: asyncio.Future[int | None] | None = None
        self._check_generation = -1
        self._load: asyncio.Future[Snapshot | None] | None = None
        self._load_version = -1
        # Answers sent, counted by respond() and count_unavailable() only.
        self.hits = self.misses = self.stale = self.not_modified = self.unavailable = 0
        self.version_checks = self.loads = 0

    @staticmethod
    def options(settings: ReadSettings) -> dict[str, Any]:
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
        query = asyncio.ensure_future(self.source.version())
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

    # --- the snapshot ----------------------------------------------------------------

    async def current(self) -> Current | None:
        """The snapshot to answer from, or ``None``: the database is down and memory empty.

        A snapshot with no responses means the database holds none for its version (never
        rendered: ``cms db upgrade`` stores them).
        """
        for attempt in range(2):
            version = await self.version()
            snapshot = self.snapshot
            if version is None:
                return None if snapshot is None else Current(snapshot, b"STALE")
            if snapshot is not None and snapshot.version == version:
                return Current(snapshot, b"HIT")
            loaded = await self._snapshot_of(version)
            if loaded is None:  # the database failed between the two reads
                return None if snapshot is None else Current(snapshot, b"STALE")
            if len(loaded) or not version or attempt:
                return Current(loaded, b"MISS")
            # No rows for this version: two newer writes removed them meanwhile. Ask again.
            self.invalidate()
        raise AssertionError("unreachable")

    async def _snapshot_of(self, version: int) -> Snapshot | None:
        load = self._load
        if (
            load is None
            or self._load_version != version
            or (load.done() and load.result() is None)
            or load.get_loop() is not asyncio.get_running_loop()
        ):
            load = asyncio.ensure_future(self._read_snapshot(version))
            self._load, self._load_version = load, version
        return await asyncio.shield(load)

    async def _read_snapshot(self, version: int) -> Snapshot | None:
        self.loads += 1
        try:
            rows = await asyncio.wait_for(self.source.responses(version), self.timeout)
        except Exception as exc:  # any failure to read means "database unavailable"
            logger.warning("loading the stored responses failed (%s)", type(exc).__name__)
            self._failed_at = self.clock()
            return None
        responses: dict[Key, CacheEntry] = {}
        not_found: dict[Key, str] = {}
        rules: dict[str, Rules] = {}
        for path, locale, status, etag, body, media_type, stored_rules in rows:
            if path not in rules:  # the same in every locale
                rules[path] = Rules.from_json(stored_rules)
            if status == 200:
                headers = content_headers(media_type, locale)
                responses[path, locale] = self.entry(version, headers, bytes(body), etag)
            else:
                not_found[path, locale] = bytes(body).decode()
        snapshot = Snapshot(version, responses, not_found, rules)
        current = self.snapshot
        if rows and (current is None or current.version <= version):
            self.snapshot = snapshot
            self.derived.clear()
        return snapshot

    def invalidate_snapshot(self) -> None:
        """Forget the snapshot: the next request loads the responses again (benchmarks)."""
        self.invalidate()
        self.snapshot = None
        self.derived.clear()

    def entry(
        self, version: int, headers: list[tuple[bytes, bytes]], body: bytes, etag: str
    ) -> CacheEntry:
        """A ``200`` of ``version`` with this cache's validators and freshness."""
        headers = [
            *headers,
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag.encode()),
            (b"cache-control", self.cache_control),
        ]
        return CacheEntry(version=version, headers=headers, body=body, etag=etag)

    def remember(self, key: str, entry: CacheEntry) -> CacheEntry:
        """Keep a derived answer (filter, detail) for ``key``; the least used goes first."""
        self.derived[key] = entry
        if len(self.derived) > DERIVED_MAX_ENTRIES:
            self.derived.popitem(last=False)
        return entry

    def recall(self, key: str, version: int) -> CacheEntry | None:
        """A derived answer for ``key`` built from ``version``, if kept."""
        entry = self.derived.get(key)
        if entry is None or entry.version != version:
            return None
        self.derived.move_to_end(key)
        return entry

    def state(self) -> dict[str, Any]:
        """Counters and freshness of this instance (the ``cache`` object of ``/health``)."""
        served = self.hits + self.misses
        if self._failed_at is not None:
            database = "unavailable"
        elif self._checked_at is None:
            database = "unknown"
        else:
            database = "ok"
        snapshot = self.snapshot
        return {
            "entries": 0 if snapshot is None else len(snapshot) + len(self.derived),
            "bytes": 0
            if snapshot is None
            else sum(len(e.body) for e in snapshot.responses.values()),
            "hits": self.hits,
            "misses": self.misses,
            "stale": self.stale,
            "not_modified": self.not_modified,
            "unavailable": self.unavailable,
            "hit_ratio": round(self.hits / served, 4) if served else None,
            "content_version": self.known_version,
            "last_check_age_seconds": (
                None if self._checked_at is None else round(self.clock() - self._checked_at, 3)
            ),
            "version_checks": self.version_checks,
            "database": database,
        }

    # --- answers ---------------------------------------------------------------------

    async def respond(
        self,
        entry: CacheEntry,
        label: Label,
        head: bool,
        condition: str | None,
        send: Send,
        *,
        vary: bool = False,
    ) -> None:
        """Send and count ``entry`` as ``label``: ``304`` if ``condition`` matches, HEAD no body.

        ``vary``: add ``Vary: Origin`` (what CORS adds to a request without ``Origin``).
        """
        if label == b"HIT":
            self.hits += 1
        elif label == b"MISS":
            self.misses += 1
        else:
            self.stale += 1
        extra = [(b"x-cache", label), (b"x-content-version", str(entry.version).encode())]
        if vary:
            extra.append((b"vary", b"Origin"))
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

    def count_unavailable(self) -> None:
        """Count a ``503`` sent because the database is down and memory holds nothing."""
        self.unavailable += 1


# Timed-out checks still cleaning up their connection: referenced so they are not collected.
_background: set[asyncio.Future[Any]] = set()


def _settle(task: asyncio.Future[Any]) -> None:
    _background.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as unhandled
