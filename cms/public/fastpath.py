"""The Lambda fast path: public documents from ``documents`` without the full app.

A cold Lambda container that builds ``create_app()`` imports FastAPI, SQLAlchemy, SQLModel and
every model before its first answer. :class:`FastPath` is an ASGI app that answers the common
public reads with the raw driver (asyncpg, or the standard library's sqlite3) and builds the
full app only when something else arrives. It imports nothing heavier than Starlette's CORS and
the settings.

It answers:

- ``GET``/``HEAD`` of a shared key under ``/api/v1`` (:func:`cms.public.httpcache.is_shared`: no
  query, or ``featured=true|false``) whose document the full app has already rendered for the
  current content version. The version is read at most once per
  ``cache_version_check_interval`` (``cms.core.dburl.CONTENT_VERSION_SQL``), and
  :meth:`~cms.public.httpcache.InstanceCache.decide` chooses as the full app's cache does; a
  document not in this instance's memory costs one primary-key ``SELECT`` on
  ``documents``, keyed by path *and* version, so a row of an older version is never
  served for a newer one, and only what the full app rendered (published content) is there.
  Headers, ``ETag``, ``304``, ``HEAD`` and CORS are those of the full app.
- ``GET``/``HEAD /health``, from the same version check (the JSON of ``cms.public.health``).
- When the database fails: the last bytes this instance holds for the key (``X-Cache: STALE``).

Everything else (other paths and methods, documents not rendered yet, the admin, docs, a
database failure with nothing in memory) goes to the full app, built on first need. Writes
through that full app in this process invalidate the fast path's version at once.

Connections: direct PostgreSQL keeps one connection per container (reopened once if the server
dropped it while the container was frozen); behind a transaction-mode pooler every read opens
one, with no statement cache, inside a transaction (as ``cms.core.db`` configures the engine).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from cms.core.config import Settings
from cms.core.dburl import (
    CONTENT_VERSION_SQL,
    asyncpg_connect_args,
    normalize_database_url,
    sqlite_path,
    uses_pooler,
)
from cms.public.cors import ApiCORSMiddleware, api_cors_options
from cms.public.httpcache import (
    health_payload,
    is_shared,
    request_key,
    request_path,
    with_current_version,
)
from cms.public.instancecache import Hit, InstanceCache, Miss, Stale, Unavailable

__all__ = ["DocumentStore", "FastPath"]

logger = logging.getLogger(__name__)

HEALTH_PATH = "/health"
_DOCUMENT = "cms.public.fastpath.document"  # scope key: the Hit or Stale to send


class _Database:
    """The two reads of the fast path; subclasses run one SQL statement with their driver."""

    _DOCUMENT_SQL: str  # (path, version) → etag, body, media_type, in the driver's paramstyle

    async def version(self) -> Any:
        row = await self._fetchrow(CONTENT_VERSION_SQL)
        return None if row is None else row[0]

    async def document(self, key: str, version: int) -> tuple[str, bytes, str] | None:
        row = await self._fetchrow(self._DOCUMENT_SQL, key, version)
        return None if row is None else (row[0], bytes(row[1]), row[2])

    async def _fetchrow(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _Postgres(_Database):
    """Raw asyncpg reads with the engine's per-connection settings."""

    _DOCUMENT_SQL = "SELECT etag, body, media_type FROM documents WHERE path = $1 AND version = $2"

    def __init__(self, settings: Settings, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.pooler = uses_pooler(settings, url)
        self.connect_args = asyncpg_connect_args(settings, pooler=self.pooler)
        # ``ssl`` (from ``sslmode``, see normalize_database_url) is a keyword for asyncpg.
        self.connect_args |= {key: value for key, value in query if key == "ssl"}
        rest = [(key, value) for key, value in query if key != "ssl"]
        self.dsn = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(rest)))
        self._connection: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    async def _fetchrow(self, sql: str, *args: Any) -> Any:
        import asyncpg  # on the first query, not at import: SQLite deployments never need it

        if self.pooler:
            # The pooler pools: one connection per read, one transaction per connection, as
            # a transaction-mode pooler may route each transaction to another server.
            connection = await asyncpg.connect(self.dsn, **self.connect_args)
            try:
                async with connection.transaction():
                    row = await connection.fetchrow(sql, *args)
            except BaseException:
                connection.terminate()
                raise
            await connection.close()
            return row
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._connection, self._loop, self._lock = None, loop, asyncio.Lock()
        async with self._lock:
            for attempt in range(2):
                connection = self._connection
                if connection is None or connection.is_closed():
                    connection = await asyncpg.connect(self.dsn, **self.connect_args)
                    self._connection = connection
                try:
                    return await connection.fetchrow(sql, *args)
                except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, OSError):
                    # Dropped by the server while the container was frozen: reconnect once.
                    self._drop(connection)
                    if attempt:
                        raise
                except BaseException:  # timeout, cancellation: the connection state is unknown
                    self._drop(connection)
                    raise
        raise AssertionError("unreachable")

    def _drop(self, connection: Any) -> None:
        if self._connection is connection:
            self._connection = None
        connection.terminate()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()


class _Sqlite(_Database):
    """Reads of a local SQLite file with the standard library.

    Synchronous on purpose: a primary-key read of a local file takes microseconds, less than
    handing it to aiosqlite's thread, whose non-daemon worker would also keep a process that
    never closes it from exiting.
    """

    _DOCUMENT_SQL = "SELECT etag, body, media_type FROM documents WHERE path = ? AND version = ?"

    def __init__(self, settings: Settings, path: str) -> None:
        self.uri = f"file:{quote(path)}?mode=rw"  # never create an empty file by mistake
        self.timeout = settings.database_timeout
        self._connection: sqlite3.Connection | None = None

    async def _fetchrow(self, sql: str, *args: Any) -> Any:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.uri,
                uri=True,
                timeout=self.timeout,
                isolation_level=None,  # autocommit: every read sees the latest commit
                check_same_thread=False,
            )
        try:
            return self._connection.execute(sql, args).fetchone()
        except sqlite3.Error:
            self._connection.close()
            self._connection = None
            raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _open_database(settings: Settings) -> _Database | None:
    url = normalize_database_url(settings.database_url)
    if url.startswith("postgresql+asyncpg://"):
        return _Postgres(settings, url)
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return None if path is None else _Sqlite(settings, path)
    return None


class DocumentStore(InstanceCache):
    """The fast path's instance cache, reading the version and documents with the raw driver."""

    def __init__(self, database: _Database, **options: Any) -> None:
        super().__init__(**options)
        self.database = database
        self._absent: dict[str, int] = {}
        """Keys with no document for a version: asked once per version, then left to the app."""

    async def _query_version(self) -> Any:
        return await self.database.version()

    async def lookup(self, key: str) -> Hit | Stale | None:
        """What to send for ``key`` (from memory or ``documents``), or ``None``: ask the app."""
        decision = await self.decide(key)
        if isinstance(decision, Miss):
            return await self._load(key, decision)
        return None if isinstance(decision, Unavailable) else decision

    async def _load(self, key: str, miss: Miss) -> Hit | Stale | None:
        version = miss.version
        if self._absent.get(key) == version:
            return None
        try:
            row = await self.database.document(key, version)
        except Exception as exc:  # the database failed after the version check
            logger.warning("reading a stored document failed (%s)", type(exc).__name__)
            return None if miss.fallback is None else Stale(miss.fallback)
        if row is None:
            if len(self._absent) >= self.max_entries:
                self._absent.clear()
            self._absent[key] = version
            return None
        etag, body, media_type = row
        entry = self.put(
            key, version, [(b"content-type", media_type.encode("latin-1"))], body, etag
        )
        return Hit(entry)


class FastPath:
    """ASGI app for Lambda: shared public documents and ``/health`` here, the rest in the app."""

    def __init__(self, settings: Settings, *, build_app: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._build_app = build_app
        self._app: Any = None
        database = _open_database(settings)
        self.store = (
            None if database is None else DocumentStore(database, **InstanceCache.options(settings))
        )
        self._cors = ApiCORSMiddleware(self._send_document, **api_cors_options(settings))

    # --- the full app ----------------------------------------------------------------

    @property
    def app(self) -> Any:
        """The full application (``create_app``), built on first use."""
        if self._app is None:
            self._app = self._build()
        return self._app

    @property
    def state(self) -> Any:
        """The full app's ``state`` (settings, engine, sessionmaker, response cache)."""
        return self.app.state

    @property
    def app_built(self) -> bool:
        """Whether the full app exists yet."""
        return self._app is not None

    def _build(self) -> Any:
        if self._build_app is not None:
            app = self._build_app()
        else:
            from cms.main import create_app

            app = create_app(self.settings)
        # A write through the full app in this process: distrust our version at once, as the
        # app's own response cache does.
        from cms.core.db import on_content_commit

        if self.store is not None:
            on_content_commit(app.state.engine, self.store.invalidate)
        return app

    def invalidate(self) -> None:
        """Distrust every known content version (fast path and full app): re-read it next."""
        if self.store is not None:
            self.store.invalidate()
        if self._app is not None:
            self._app.state.response_cache.invalidate()

    async def dispose(self) -> None:
        """Close every database connection this instance holds (fast path and full app)."""
        if self.store is not None:
            await self.store.database.close()
        if self._app is not None:
            await self._app.state.engine.dispose()

    # --- requests --------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = with_current_version(scope)
        store = self.store
        if store is None or scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if request_path(scope) == HEALTH_PATH:
            await self._health(scope, receive, send)
            return
        shared = store.covers(scope) and is_shared(scope)
        found = await store.lookup(request_key(scope)) if shared else None
        if found is None:
            await self.app(scope, receive, send)
            return
        await self._cors({**scope, _DOCUMENT: found}, receive, send)

    async def _send_document(self, scope: Scope, _receive: Receive, send: Send) -> None:
        assert self.store is not None
        found: Hit | Stale = scope[_DOCUMENT]
        condition = Headers(scope=scope).get("if-none-match")
        await self.store.respond(
            found.entry, found.label, scope["method"] == "HEAD", condition, send
        )

    async def _health(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.store is not None
        body, status = await health_payload(self.settings, self.store)
        response = JSONResponse(body, status_code=status)
        if scope["method"] == "HEAD":
            response.body = b""  # Content-Length stays that of the GET body
        await response(scope, receive, send)
