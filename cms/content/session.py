"""Sessions whose flushes follow the write rules, for every writer.

Installed by :func:`make_sessionmaker` (the app, the admin, the CLI and the tests build their
sessions with it): the content version moves in the same transaction as any content change
(caches and ETags depend on it), technology links get the order a writer staged, and each
staged row gets an audit entry with what changed, images get their ``published`` flag and the
ones no entry shows any more are deleted (:func:`cms.media.storage.sync_media`), and the public
documents of the new version are stored (:mod:`cms.public.documents`). A write that changes
nothing writes nothing: no audit, no new version, no documents. Committed content changes are
announced to the engine's listeners.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, insert, inspect, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import col

from cms.content.models import CONTENT_TABLES
from cms.content.sections import LIST_SECTIONS, SECTIONS
from cms.core.db import notify_content_commit
from cms.core.models import AuditLog, ContentVersion, utcnow
from cms.media.storage import media_storage, sync_media

__all__ = ["ContentSession", "make_sessionmaker", "stage"]

_STAGED = "cms.write"  # InstanceState.info key of a staged write
_CONTENT_TABLE_NAMES = frozenset(table.name for table in CONTENT_TABLES)
_NOT_AUDITED = frozenset({"id", "created_at", "updated_at"})
_REDACTED_COLUMNS = frozenset({"password_hash"})
_REDACTED = "(changed, not shown)"
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def _snapshot(row: Any, technologies: Sequence[str] | None = None) -> dict[str, Any]:
    """The audited state of ``row``: its columns and technology names."""
    state: dict[str, Any] = {}
    for column in inspect(type(row)).columns:
        if column.key not in _NOT_AUDITED:
            value = getattr(row, column.key, None)
            state[column.key] = _jsonable(value)
    if technologies is not None:
        state["technologies"] = list(technologies)
    return state


def stage(row: Any, *, actor: str, technology_ids: Sequence[int] | None = None) -> None:
    """Mark ``row`` as written by ``actor``, before its attributes change.

    At flush the rules store the technologies' order (for tagged rows) and audit the change.
    """
    state = inspect(row)
    before = _snapshot(row, _technology_names(row)) if state.persistent else None
    state.info[_STAGED] = {"actor": actor, "before": before, "order": technology_ids}


def _technology_names(row: Any, order: Sequence[int] | None = None) -> list[str] | None:
    """A tagged row's technology names (in ``order`` of ids if given), if they are loaded."""
    state = inspect(row)
    if "technologies" not in state.mapper.relationships or "technologies" in state.unloaded:
        return None
    by_id = {tech.id: tech.name for tech in row.technologies}
    return [by_id[tech_id] for tech_id in order or by_id if tech_id in by_id]


def _audit_values(row: Any, staged: dict[str, Any], deleted: bool) -> dict[str, Any] | None:
    """The audit entry of a staged row after its flush, or ``None`` if nothing changed."""
    before = staged["before"] or {}
    created = staged["before"] is None
    changes: dict[str, Any]
    if deleted:
        action, changes = "delete", {key: [value, None] for key, value in before.items()}
    else:
        action = "create" if created else "update"
        after = _snapshot(row, _technology_names(row, staged["order"]))
        changes = {
            key: [before.get(key), value]
            for key, value in after.items()
            if before.get(key) != value and not (created and value in (None, [], "", {}))
        }
        if not changes and not created:
            return None
    for key in _REDACTED_COLUMNS & changes.keys():
        changes[key] = _REDACTED  # the audit log never holds secrets, not even hashed
    return {
        "username": staged["actor"],
        "action": action,
        "table_name": row.__tablename__,
        "record_id": str(row.id),
        "record_label": str(row)[:300],
        "changes": changes,
        "created_at": utcnow(),
    }


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
    if tables := _changed_tables(session):
        _bump_content_version(session, tables)
    staged = [
        (obj, obj in session.deleted)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if _STAGED in inspect(obj).info
    ]
    session.info.setdefault("staged", []).extend(staged)


def _on_bulk_write(state: Any) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete or state.is_insert) and (
        table is not None and table.name in _CONTENT_TABLE_NAMES
    ):
        _bump_content_version(state.session, {table.name})


def _after_flush_postexec(session: Session, _context: Any) -> None:
    for row, deleted in session.info.pop("staged", []):
        staged = inspect(row).info.pop(_STAGED)
        section = next((s for s in LIST_SECTIONS if s.table is type(row)), None)
        moved = staged["order"] and (
            staged["before"] is None
            or staged["before"].get("technologies") != _technology_names(row, staged["order"])
        )
        # Links already in the staged order keep their positions: no write, no new version.
        if not deleted and section is not None and section.tagged and moved:
            links = section.links
            for position, tech_id in enumerate(staged["order"]):
                session.execute(
                    update(links.table)
                    .where(links.owner == row.id, links.technology == tech_id)
                    .values(position=position)
                )
        values = _audit_values(row, staged, deleted)
        if values is not None:
            session.execute(insert(AuditLog).values(**values))


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the documents are stored once, when the transaction commits
    session.flush()  # SQLAlchemy flushes after this hook: the documents must see every change
    if changed := session.info.pop("changed_tables", None):
        if changed & _ILLUSTRATED_TABLES:
            if removed := sync_media(session, _IMAGE_REFERENCES):
                session.info["media_removed"] = removed
        # Imported here: the documents are the public routes' output (FastAPI), which the
        # content layer does not need for anything else.
        from cms.public.documents import store_for_commit

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
    keys = ("content_changed", "content_version_bumped", "changed_tables", "staged")
    for key in (*keys, "media_removed"):
        session.info.pop(key, None)


class ContentSession(Session):
    """A session whose flushes follow the write rules (installed by :func:`make_sessionmaker`)."""


_RULES: dict[str, Callable[..., None]] = {
    "before_flush": _before_flush,
    "do_orm_execute": _on_bulk_write,
    "after_flush_postexec": _after_flush_postexec,
    "before_commit": _before_commit,
    "after_commit": _after_commit,
    "after_rollback": _after_rollback,
}


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine`` that follow the write rules and keep objects usable after commit."""
    for name, rule in _RULES.items():
        if not event.contains(ContentSession, name, rule):
            event.listen(ContentSession, name, rule)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ContentSession)
