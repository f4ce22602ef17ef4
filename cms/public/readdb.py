"""The read path's database: the content version, a version's stored responses, an image.

Without SQLAlchemy: the raw driver (asyncpg, or the standard library's sqlite3) with the
engine's per-connection settings. Direct PostgreSQL keeps one connection per instance (reopened
once if the server dropped it while a Lambda container was frozen); behind a transaction-mode
pooler every read opens one, with no statement cache, inside a transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any
from urllib.parse import quote

from cms.core.dburl import (
    CONTENT_VERSION_SQL,
    asyncpg_connect_args,
    asyncpg_dsn,
    normalize_database_url,
    sqlite_path,
    uses_pooler,
)
from cms.core.readsettings import ReadSettings
from cms.public.instancecache import StoredRow
from cms.public.media import VARIANT_SQL

__all__ = ["ReadDatabase", "open_read_database"]

_RESPONSES_QUERY = (
    "SELECT path, locale, status, etag, body, media_type, rules FROM stored_responses "
    "WHERE version = {}"
)


class ReadDatabase:
    """The reads of an instance; subclasses run one SQL statement with their driver."""

    _RESPONSES_SQL: str  # version → the stored responses, in the driver's paramstyle

    async def version(self) -> Any:
        rows = await self._fetch(CONTENT_VERSION_SQL)
        return rows[0][0] if rows else None

    async def responses(self, version: int) -> list[StoredRow]:
        rows = await self._fetch(self._RESPONSES_SQL, version)
        return [(row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6]) for row in rows]

    async def media_variant(self, media_id: str, variant: str) -> Any:
        """A published image variant (content type, ETag, bytes or ``None``), or ``None``."""
        marks = ("$1", "$2") if isinstance(self, _Postgres) else ("?", "?")
        rows = await self._fetch(VARIANT_SQL.format(*marks), media_id, variant)
        return rows[0] if rows else None

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _Postgres(ReadDatabase):
    """Raw asyncpg reads with the engine's per-connection settings."""

    _RESPONSES_SQL = _RESPONSES_QUERY.format("$1")

    def __init__(self, settings: ReadSettings, url: str) -> None:
        self.pooler = uses_pooler(settings, url)
        self.dsn, keywords = asyncpg_dsn(url)
        self.connect_args = asyncpg_connect_args(settings, pooler=self.pooler) | keywords
        self._connection: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        import asyncpg  # on the first query, not at import: SQLite deployments never need it

        if self.pooler:
            # The pooler pools: one connection per read, one transaction per connection, as
            # a transaction-mode pooler may route each transaction to another server.
            connection = await asyncpg.connect(self.dsn, **self.connect_args)
            try:
                async with connection.transaction():
                    rows = await connection.fetch(sql, *args)
            except BaseException:
                connection.terminate()
                raise
            await connection.close()
            return list(rows)
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
                    return list(await connection.fetch(sql, *args))
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


class _Sqlite(ReadDatabase):
    """Reads of a local SQLite file with the standard library.

    Synchronous on purpose: a primary-key read of a local file takes microseconds, less than
    handing it to aiosqlite's thread, whose non-daemon worker would also keep a process that
    never closes it from exiting.
    """

    _RESPONSES_SQL = _RESPONSES_QUERY.format("?")

    def __init__(self, settings: ReadSettings, path: str) -> None:
        self.uri = f"file:{quote(path)}?mode=rw"  # never create an empty file by mistake
        self.timeout = settings.database_timeout
        self._connection: sqlite3.Connection | None = None

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.uri,
                uri=True,
                timeout=self.timeout,
                isolation_level=None,  # autocommit: every read sees the latest commit
                check_same_thread=False,
            )
        try:
            return self._connection.execute(sql, args).fetchall()
        except sqlite3.Error:
            self._connection.close()
            self._connection = None
            raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def open_read_database(settings: ReadSettings) -> ReadDatabase | None:
    """The database of ``settings`` for the read path (``None``: a kind it cannot read)."""
    url = normalize_database_url(settings.database_url)
    if url.startswith("postgresql+asyncpg://"):
        return _Postgres(settings, url)
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return None if path is None else _Sqlite(settings, path)
    return None
