"""The engine, the content version and who hears of committed content.

Sessions and the rules every write follows (the content version moves with each content
change) live in :mod:`cms.content.write`. Listeners registered with :func:`on_content_commit`
learn about committed changes in this process at once, with the engine that committed them
(the local response caches use it).
"""

from __future__ import annotations

import inspect
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from cms.core.config import Settings
from cms.core.dburl import (
    CONTENT_VERSION_SQL,
    asyncpg_connect_args,
    is_pooler_url,
    normalize_database_url,
    uses_pooler,
)

__all__ = [
    "create_engine",
    "create_migration_engine",
    "current_content_version",
    "engine_settings",
    "is_pooler_url",
    "notify_content_commit",
    "normalize_database_url",
    "on_content_commit",
    "pooler_dialect_args",
]

# Per engine, the settings it was made with (writes read their media storage from them).
_engine_settings: weakref.WeakKeyDictionary[Engine, Settings] = weakref.WeakKeyDictionary()
# Per engine, the listeners of its content commits (held weakly where they are methods).
_commit_listeners: weakref.WeakKeyDictionary[Engine, list[Callable[[], Any]]] = (
    weakref.WeakKeyDictionary()
)


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the async engine for the configured database.

    PostgreSQL behind a transaction-mode pooler gets no prepared-statement caches, unique
    statement names and ``NullPool`` (the pooler pools). Direct PostgreSQL keeps one
    pre-pinged connection per process (a Lambda container serves one request at a time; a
    concurrent server may open up to four more, closed when returned), and pre-ping survives
    connections the server closed while the container was frozen.
    """
    engine = _create_engine(settings)
    _engine_settings[engine.sync_engine] = settings
    return engine


def _create_engine(settings: Settings) -> AsyncEngine:
    url = normalize_database_url(settings.database_url)
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": settings.database_timeout})
    pooler = uses_pooler(settings, url)
    connect_args = asyncpg_connect_args(settings, pooler=pooler)
    if pooler:
        connect_args |= pooler_dialect_args()
        return create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    return create_async_engine(
        url,
        pool_size=1,
        max_overflow=4,
        pool_pre_ping=True,
        pool_timeout=settings.database_timeout,
        connect_args=connect_args,
    )


def create_migration_engine(settings: Settings) -> AsyncEngine:
    """A short-lived engine for the migrations, carrying ``settings`` as every engine does.

    No pool and no statement timeout (a migration may rewrite a large table); behind a
    transaction-mode pooler, the pooler's statement options (prefer the direct URL, but a
    pooled one works).
    """
    url = normalize_database_url(settings.database_url)
    pooler = url.startswith("postgresql+asyncpg") and uses_pooler(settings, url)
    connect_args = pooler_dialect_args() if pooler else {}
    engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    _engine_settings[engine.sync_engine] = settings
    return engine


def pooler_dialect_args() -> dict[str, Any]:
    """SQLAlchemy's asyncpg options behind a transaction-mode pooler (engine and migrations).

    The next transaction may run on another server connection: no prepared-statement cache,
    and statement names that never collide with another client's.
    """
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__cms_{uuid.uuid4().hex}__",
    }


def engine_settings(bind: Any) -> Settings:
    """The settings the engine of ``bind`` (an engine, a connection) was made with.

    Only :func:`create_engine` makes engines that carry settings: anything else (no bind, an
    engine made elsewhere) is a :class:`LookupError`, never the process's settings, so what a
    row says (its image URLs) never depends on which engine happened to load it.
    """
    engine = getattr(bind, "engine", bind)
    engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    found = _engine_settings.get(engine) if isinstance(engine, Engine) else None
    if found is None:
        raise LookupError(
            f"{type(bind).__name__} has no settings: engines come from cms.core.db.create_engine"
        )
    return found


async def current_content_version(session: AsyncSession) -> int:
    """The committed content version (0 before anything was written)."""
    version = await session.scalar(text(CONTENT_VERSION_SQL))
    return version or 0


def on_content_commit(
    engine: AsyncEngine | Engine, listener: Callable[[], None]
) -> Callable[[], None]:
    """Call ``listener()`` after each commit of content changes on ``engine`` in this process.

    A bound method is held weakly (a cache that is gone stops listening by itself). Returns a
    function that unsubscribes.
    """
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    held: Callable[[], Callable[[], None] | None] = (
        weakref.WeakMethod(listener) if inspect.ismethod(listener) else lambda: listener
    )
    listeners = _commit_listeners.setdefault(sync_engine, [])
    listeners.append(held)
    return lambda: listeners.remove(held)


def notify_content_commit(engine: Engine) -> None:
    """Tell the listeners of ``engine`` that a transaction committed content changes."""
    for held in list(_commit_listeners.get(engine, ())):
        listener = held()
        if listener is not None:
            listener()
