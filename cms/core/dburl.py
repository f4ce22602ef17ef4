"""Database URLs, driver options and the content-version query, without SQLAlchemy.

``cms.core.db`` builds the SQLAlchemy engine from these; :mod:`cms.public.readpath` (which must
not import SQLAlchemy) opens raw asyncpg or sqlite3 connections from the same URL with the same
per-connection settings, and reads the content version with the same SQL.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

__all__ = [
    "CONTENT_VERSION_SQL",
    "MAX_ID",
    "DatabaseSettings",
    "asyncpg_connect_args",
    "asyncpg_dsn",
    "is_pooler_url",
    "normalize_database_url",
    "sqlite_path",
    "uses_pooler",
]

# The committed content version (no row: nothing written yet, version 0). Plain SQL with no
# parameters: SQLAlchemy callers wrap it in ``text()``, the raw drivers run it as it is.
CONTENT_VERSION_SQL = "SELECT version FROM content_version WHERE id = 1"

MAX_ID = 2**31 - 1
"""Largest id an ``INTEGER`` primary key holds; larger numbers cannot name a row."""


class DatabaseSettings(Protocol):
    """The settings a connection needs (:class:`~cms.core.config.Settings` or the read path's)."""

    @property
    def database_pooler(self) -> bool | None: ...
    @property
    def database_timeout(self) -> float: ...
    @property
    def service_name(self) -> str: ...


def normalize_database_url(url: str) -> str:
    """Turn the URLs Neon/Heroku print into ones SQLAlchemy + asyncpg accept.

    ``postgres://`` and ``postgresql://`` get the asyncpg driver; ``sslmode`` becomes
    asyncpg's ``ssl`` and ``channel_binding`` (unknown to asyncpg) is dropped.
    """
    scheme, _, rest = url.partition("://")
    if not rest:
        raise ValueError("DATABASE_URL must look like 'scheme://...'")
    if scheme in {"postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"}:
        scheme = "postgresql+asyncpg"
    elif scheme == "sqlite":
        scheme = "sqlite+aiosqlite"
    if scheme != "postgresql+asyncpg":
        return f"{scheme}://{rest}"
    parts = urlsplit(f"{scheme}://{rest}")
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "channel_binding":
            continue
        if key == "sslmode":
            key = "ssl"
        query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def is_pooler_url(url: str) -> bool:
    """Whether the host looks like a transaction-mode pooler (Neon ``-pooler`` hosts)."""
    host = urlsplit(url).hostname or ""
    return "-pooler" in host.split(".")[0]


def uses_pooler(settings: DatabaseSettings, url: str) -> bool:
    """Whether connections go through a transaction-mode pooler (setting, else host name)."""
    return settings.database_pooler if settings.database_pooler is not None else is_pooler_url(url)


def asyncpg_dsn(url: str) -> tuple[str, dict[str, str]]:
    """The DSN ``asyncpg.connect`` takes for a normalised URL, and the query parameters it takes
    as keywords instead (``ssl``, from ``sslmode``): what SQLAlchemy's asyncpg dialect does for
    the engine, for the read path's raw driver."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    keywords = {key: value for key, value in query if key == "ssl"}
    rest = [(key, value) for key, value in query if key != "ssl"]
    return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(rest))), keywords


def asyncpg_connect_args(settings: DatabaseSettings, *, pooler: bool) -> dict[str, Any]:
    """Keyword arguments for ``asyncpg.connect`` shared by the engine and the read path.

    Behind a transaction-mode pooler asyncpg must not cache prepared statements: the next
    transaction may run on another server connection.
    """
    args: dict[str, Any] = {
        "timeout": settings.database_timeout,
        "command_timeout": settings.database_timeout,
        "server_settings": {"application_name": settings.service_name},
    }
    if pooler:
        args["statement_cache_size"] = 0
    return args


def sqlite_path(url: str) -> str | None:
    """The file of a normalised SQLite URL; ``None`` for an in-memory database."""
    rest = url.partition("://")[2]
    path = unquote(rest.removeprefix("/").split("?", 1)[0])
    return None if path in ("", ":memory:") else path
