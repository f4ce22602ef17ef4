"""Engine, URL normalisation, sessions and the content version.

Every content write, whoever makes it (admin, import, seed, CLI), bumps the single
content-version row in the same transaction: a session event does it, so no caller
can forget. Listeners registered with :func:`on_content_commit` learn about committed
changes in this process at once, with the engine that committed them (the local response
cache uses it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import func
from sqlmodel import col

from cms.content.models import CONTENT_TABLES, ContentVersion
from cms.core.config import Settings
from cms.core.dburl import asyncpg_connect_args, is_pooler_url, normalize_database_url, uses_pooler

__all__ = [
    "create_engine",
    "current_content_version",
    "is_pooler_url",
    "make_sessionmaker",
    "normalize_database_url",
    "on_content_commit",
]

_CONTENT_TABLE_NAMES = frozenset(table.name for table in CONTENT_TABLES)
ContentCommitListener = Callable[[Engine], None]
_commit_listeners: list[ContentCommitListener] = []


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the async engine for the configured database.

    PostgreSQL behind a transaction-mode pooler gets no prepared-statement caches, unique
    statement names and ``NullPool`` (the pooler pools). Direct PostgreSQL keeps one
    pre-pinged connection per process (a Lambda container serves one request at a time; a
    concurrent server may open up to four more, closed when returned), and pre-ping survives
    connections the server closed while the container was frozen.
    """
    url = normalize_database_url(settings.database_url)
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": settings.database_timeout})
    pooler = uses_pooler(settings, url)
    connect_args = asyncpg_connect_args(settings, pooler=pooler)
    if pooler:
        connect_args |= {
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__cms_{uuid.uuid4().hex}__",
        }
        return create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    return create_async_engine(
        url,
        pool_size=1,
        max_overflow=4,
        pool_pre_ping=True,
        pool_timeout=settings.database_timeout,
        connect_args=connect_args,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def current_content_version(session: AsyncSession) -> int:
    """The committed content version (0 before anything was written)."""
    statement = select(col(ContentVersion.version)).where(col(ContentVersion.id) == 1)
    version = await session.scalar(statement)
    return version or 0


def on_content_commit(listener: ContentCommitListener) -> ContentCommitListener:
    """Call ``listener(engine)`` after every commit in this process that changed content."""
    _commit_listeners.append(listener)
    return listener


def _is_content(obj: object) -> bool:
    return getattr(obj, "__tablename__", None) in _CONTENT_TABLE_NAMES


def _touches_content(session: Session) -> bool:
    # ``session.dirty`` also holds objects whose attributes were set to the values they had:
    # the flush writes nothing for them, so neither may the version (nor caches, nor a rebuild).
    return any(_is_content(obj) for obj in (*session.new, *session.deleted)) or any(
        _is_content(obj) and session.is_modified(obj) for obj in session.dirty
    )


def _bump_content_version(session: Session) -> None:
    session.info["content_changed"] = True
    connection = session.connection()
    result = connection.execute(
        update(ContentVersion)
        .where(col(ContentVersion.id) == 1)
        .values(version=col(ContentVersion.version) + 1, updated_at=func.now())
    )
    if result.rowcount == 0:  # a database whose version row was deleted by hand
        connection.execute(insert(ContentVersion).values(id=1, version=1))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _touches_content(session) and not session.info.get("content_version_bumped"):
        session.info["content_version_bumped"] = True
        _bump_content_version(session)


@event.listens_for(Session, "do_orm_execute")
def _on_bulk_write(state: Any) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if table is None or table.name not in _CONTENT_TABLE_NAMES:
        return
    session = state.session
    if not session.info.get("content_version_bumped"):
        session.info["content_version_bumped"] = True
        _bump_content_version(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changed = session.info.pop("content_changed", False)
    session.info.pop("content_version_bumped", None)
    if changed:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        for listener in _commit_listeners:
            listener(engine)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("content_changed", None)
    session.info.pop("content_version_bumped", None)
