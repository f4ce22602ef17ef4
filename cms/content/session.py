"""Sessions whose flushes follow the write rules, for every writer.

Installed by :func:`make_sessionmaker` (the app, the admin, the CLI and the tests build their
sessions with it): the content version moves in the same transaction as any content change
(caches and ETags depend on it), technology links get the order a writer chose, each tracked
row (:func:`cms.content.tracking.track`) gets an audit entry with what changed, images get their
``published`` flag and the ones no entry shows any more are deleted
(:func:`cms.media.storage.sync_media`), and the public responses of the new version are stored
(:func:`cms.content.publish.store_for_commit`). A write that changes nothing writes nothing: no
audit, no new version, no responses. Committed content changes are announced to the engine's
listeners.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, func, insert, inspect, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import col

from cms.content.models import CONTENT_TABLES
from cms.content.publish import store_for_commit
from cms.content.revisions import forget, note_flush, note_new, note_statement, record
from cms.content.sections import LIST_SECTIONS, SECTIONS
from cms.content.tracking import TRACKED, audit_values, technology_names
from cms.core.db import notify_content_commit
from cms.core.models import AuditLog, ContentVersion
from cms.media.storage import media_storage, sync_media

__all__ = ["ContentSession", "make_sessionmaker"]

_CONTENT_TABLE_NAMES = frozenset(table.name for table in CONTENT_TABLES)
# The columns naming an image, each with its entry's published flag (None: always public).
_IMAGE_REFERENCES = [
    (
        section.table.__table__.c.image_media_id,  # type: ignore[attr-defined]
        section.table.__table__.c.is_published if section.is_list else None,  # type: ignore[attr-defined]
    )
    for section in SECTIONS.values()
    if section.illustrated
]
_ILLUSTRATED_TABLES = frozenset(column.table.name for column, _ in _IMAGE_REFERENCES)


def _is_content(obj: object) -> bool:
    return getattr(obj, "__tablename__", None) in _CONTENT_TABLE_NAMES


def _changed_tables(session: Session) -> set[str]:
    """The content tables this flush writes to."""
    # ``session.dirty`` also holds objects whose attributes were set to the values they had:
    # the flush writes nothing for them, so neither may the version (nor caches, nor a rebuild).
    changed = [*session.new, *session.deleted]
    changed += [obj for obj in session.dirty if _is_content(obj) and session.is_modified(obj)]
    return {obj.__tablename__ for obj in changed if _is_content(obj)}


def _bump_content_version(session: Session, tables: set[str]) -> None:
    session.info.setdefault("changed_tables", set()).update(tables)
    if session.info.get("content_version_bumped"):
        return
    session.info["content_version_bumped"] = session.info["content_changed"] = True
    connection = session.connection()
    result = connection.execute(
        update(ContentVersion)
        .where(col(ContentVersion.id) == 1)
        .values(version=col(ContentVersion.version) + 1, updated_at=func.now())
    )
    if result.rowcount == 0:  # a database whose version row was deleted by hand
        connection.execute(insert(ContentVersion).values(id=1, version=1))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    note_flush(session)
    if tables := _changed_tables(session):
        _bump_content_version(session, tables)
    tracked = [
        (obj, obj in session.deleted)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if TRACKED in inspect(obj).info
    ]
    session.info.setdefault("tracked", []).extend(tracked)


def _on_bulk_write(state: Any) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete or state.is_insert) and (
        table is not None and table.name in _CONTENT_TABLE_NAMES
    ):
        _bump_content_version(state.session, {table.name})
        note_statement(state)


def _after_flush(session: Session, _context: Any) -> None:
    note_new(session)


def _after_flush_postexec(session: Session, _context: Any) -> None:
    for row, deleted in session.info.pop("tracked", []):
        tracked = inspect(row).info.pop(TRACKED)
        section = next((s for s in LIST_SECTIONS if s.table is type(row)), None)
        moved = tracked["order"] and (
            tracked["before"] is None
            or tracked["before"].get("technologies") != technology_names(row, tracked["order"])
        )
        # Links already in the chosen order keep their positions: no write, no new version.
        if not deleted and section is not None and section.tagged and moved:
            links = section.links
            for position, tech_id in enumerate(tracked["order"]):
                session.execute(
                    update(links.table)
                    .where(links.owner == row.id, links.technology == tech_id)
                    .values(position=position)
                )
        values = audit_values(row, tracked, deleted)
        if values is not None:
            session.execute(insert(AuditLog).values(**values))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the documents are stored once, when the transaction commits
    session.flush()  # SQLAlchemy flushes after this hook: the responses must see every change
    record(session)
    if changed := session.info.pop("changed_tables", None):
        if changed & _ILLUSTRATED_TABLES:
            if removed := sync_media(session, _IMAGE_REFERENCES):
                session.info["media_removed"] = removed
        store_for_commit(session, frozenset(changed))


def _after_commit(session: Session) -> None:
    changed = session.info.pop("content_changed", False)
    session.info.pop("content_version_bumped", None)
    removed = session.info.pop("media_removed", None)
    if changed or removed:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        if removed:  # bytes kept outside the database go once their rows are gone for good
            media_storage(engine).remove(removed)
        if changed:
            notify_content_commit(engine)


def _after_rollback(session: Session) -> None:
    forget(session)
    keys = ("content_changed", "content_version_bumped", "changed_tables", "tracked")
    for key in (*keys, "media_removed"):
        session.info.pop(key, None)


class ContentSession(Session):
    """A session whose flushes follow the write rules: each sessionmaker makes a subclass and
    installs the rules on it (:func:`make_sessionmaker`), so no other session hears them."""


_RULES: dict[str, Callable[..., None]] = {
    "before_flush": _before_flush,
    "do_orm_execute": _on_bulk_write,
    "after_flush": _after_flush,
    "after_flush_postexec": _after_flush_postexec,
    "before_commit": _before_commit,
    "after_commit": _after_commit,
    "after_rollback": _after_rollback,
}


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine`` that follow the write rules and keep objects usable after commit."""
    rules_session = type("ContentSession", (ContentSession,), {})
    for name, rule in _RULES.items():
        event.listen(rules_session, name, rule)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=rules_session)
