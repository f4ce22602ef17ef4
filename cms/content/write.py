"""The one write path: the admin, ``cms import``, ``cms seed`` and the CLI all write through here.

A write is checked, then committed with the same rules whoever makes it:

1. **Validation**, once, with the section's write schema (:func:`check`), and unique columns
   (:func:`unique_problems`). Problems come back by field, worded the same for every writer.
2. **Staging**: the writer names who writes and, for tagged rows, the technologies' order
   (:func:`stage`); then it sets the row's attributes and flushes, as SQLAlchemy writers do.
3. **Rules at flush**, installed on every session of :func:`make_sessionmaker`: the content
   version moves in the same transaction as any content change (caches and ETags depend on
   it), technology links get their positions, and each staged row gets an audit entry with
   what changed. A write that changes nothing writes nothing: no audit, no new version.

The back office reaches this through SQLAdmin's own hooks (``on_model_change`` checks and
stages, SQLAdmin sets the attributes and commits); import and seeding through
:func:`replace_cv`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import delete, event, func, insert, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, selectinload
from sqlmodel import col

from cms.content.models import CONTENT_TABLES, Technology
from cms.content.read import CVContent
from cms.content.record import Section
from cms.content.sections import LIST_SECTIONS, SECTIONS
from cms.core.db import notify_content_commit
from cms.core.models import AuditLog, ContentVersion, utcnow

__all__ = [
    "RECORD",
    "Problems",
    "WriteError",
    "check",
    "ensure_technologies",
    "make_sessionmaker",
    "replace_cv",
    "set_published",
    "snapshot",
    "stage",
    "technology_order",
    "unique_problems",
]

Problems = dict[str, list[str]]
"""Messages by field name (:data:`RECORD` for the record as a whole)."""

RECORD = ""
"""Key of problems that belong to the record as a whole rather than one field."""

_STAGED = "cms.write"  # InstanceState.info key of a staged write
_CONTENT_TABLE_NAMES = frozenset(table.name for table in CONTENT_TABLES)
_NOT_AUDITED = frozenset({"id", "created_at", "updated_at"})
_REDACTED_COLUMNS = frozenset({"password_hash"})
_REDACTED = "(changed, not shown)"
_PATTERN_HINTS = {"slug": "Use lower-case letters, digits and single hyphens, e.g. my-project."}


class WriteError(Exception):
    """A write the owner can fix: nothing was written; ``problems`` says where and why."""

    def __init__(self, problems: Problems, message: str = "Not saved") -> None:
        self.problems = problems
        details = "; ".join(
            f"{name.replace('_', ' ') or 'record'}: {' '.join(messages)}"
            for name, messages in problems.items()
        )
        super().__init__(f"{message}: {details}" if details else f"{message}.")


# --- validation ------------------------------------------------------------------------


def _readable(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "missing":
        return "This field is required."
    if error["type"] == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return _PATTERN_HINTS[field]
    message = error["msg"].removeprefix("Value error, ")
    message = re.sub(r"\b([a-z]+(?:_[a-z]+)+)\b", lambda m: m.group(1).replace("_", " "), message)
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else f"{message}."


def _owner_field(error: ErrorDetails, fields: Mapping[str, Any]) -> str:
    if error["loc"]:
        return str(error["loc"][0])
    # A model-level rule ("end_date must not be before start_date"): pin it on the field its
    # message names first, which is the one to correct.
    named = [(error["msg"].find(n), n) for n in fields if re.search(rf"\b{n}\b", error["msg"])]
    return min(named)[1] if named else RECORD


def check(schema: type[BaseModel], values: Mapping[str, Any]) -> tuple[Any, Problems]:
    """Validate ``values`` with a write schema: the validated model (or ``None``) and problems."""
    data = {name: values[name] for name in schema.model_fields if name in values}
    problems: Problems = {}
    # Model-level rules (end after start) only run once every field is valid: validate again
    # without the failed fields that have defaults, to report those rules as well.
    for _attempt in range(2):
        try:
            validated = schema.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                messages = problems.setdefault(_owner_field(error, schema.model_fields), [])
                if (message := _readable(error)) not in messages:
                    messages.append(message)
            failed = {name for name in problems if name in data}
            if not failed or any(schema.model_fields[name].is_required() for name in failed):
                break
            data = {name: value for name, value in data.items() if name not in failed}
        else:
            return (None, problems) if problems else (validated, {})
    return None, problems


async def unique_problems(
    session: AsyncSession, table: Any, values: Mapping[str, Any], *, row_id: int | None, noun: str
) -> Problems:
    """Values of unique columns another row already holds (ignoring case)."""
    problems: Problems = {}
    for column in table.__table__.columns:
        value = values.get(column.name)
        if not column.unique or not isinstance(value, str) or not value:
            continue
        statement = select(func.count()).where(func.lower(column) == value.lower())
        if row_id is not None:
            statement = statement.where(table.id != row_id)
        if await session.scalar(statement):
            label = column.name.replace("_", " ")
            problems[column.name] = [f"Another {noun} already uses this {label}."]
    return problems


async def technology_order(
    session: AsyncSession, *, current: Sequence[Any], wanted: Sequence[int]
) -> list[int]:
    """The technologies' order after an edit: kept ones as they were, new picks by name."""
    kept = [tech.id for tech in current if tech.id in wanted]
    new = [tech_id for tech_id in dict.fromkeys(wanted) if tech_id not in kept]
    if new:
        statement = select(col(Technology.id)).where(col(Technology.id).in_(new))
        found = await session.scalars(statement.order_by(col(Technology.name)))
        new = [tech_id for tech_id in found.all() if tech_id is not None]
    return kept + new


# --- staging and the rules at flush ----------------------------------------------------


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


def snapshot(row: Any, technologies: Sequence[str] | None = None) -> dict[str, Any]:
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
    before = snapshot(row, _technology_names(row)) if state.persistent else None
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
        after = snapshot(row, _technology_names(row, staged["order"]))
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


def _touches_content(session: Session) -> bool:
    # ``session.dirty`` also holds objects whose attributes were set to the values they had:
    # the flush writes nothing for them, so neither may the version (nor caches, nor a rebuild).
    return any(_is_content(obj) for obj in (*session.new, *session.deleted)) or any(
        _is_content(obj) and session.is_modified(obj) for obj in session.dirty
    )


def _bump_content_version(session: Session) -> None:
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
    if _touches_content(session):
        _bump_content_version(session)
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
        _bump_content_version(state.session)


def _after_flush_postexec(session: Session, _context: Any) -> None:
    for row, deleted in session.info.pop("staged", []):
        staged = inspect(row).info.pop(_STAGED)
        section = next((s for s in LIST_SECTIONS if s.table is type(row)), None)
        if not deleted and section is not None and section.tagged and staged["order"]:
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


def _after_commit(session: Session) -> None:
    changed = session.info.pop("content_changed", False)
    session.info.pop("content_version_bumped", None)
    if changed:
        bind = session.get_bind()
        notify_content_commit(bind if isinstance(bind, Engine) else bind.engine)


def _after_rollback(session: Session) -> None:
    for key in ("content_changed", "content_version_bumped", "staged"):
        session.info.pop(key, None)


class ContentSession(Session):
    """A session whose flushes follow the write rules (installed by :func:`make_sessionmaker`)."""


_RULES: dict[str, Callable[..., None]] = {
    "before_flush": _before_flush,
    "do_orm_execute": _on_bulk_write,
    "after_flush_postexec": _after_flush_postexec,
    "after_commit": _after_commit,
    "after_rollback": _after_rollback,
}


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine`` that follow the write rules and keep objects usable after commit."""
    for name, rule in _RULES.items():
        if not event.contains(ContentSession, name, rule):
            event.listen(ContentSession, name, rule)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ContentSession)


# --- writes of many rows ---------------------------------------------------------------


async def ensure_technologies(session: AsyncSession, *, names: Sequence[str]) -> list[int]:
    """The ids of the technologies called ``names``, in that order, creating missing ones."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    statement = select(Technology).where(col(Technology.name).in_(wanted))
    existing = {tech.name: tech for tech in (await session.scalars(statement)).all()}
    missing = [Technology(name=name) for name in wanted if name not in existing]
    if missing:
        session.add_all(missing)
        await session.flush()
        existing |= {tech.name: tech for tech in missing}
    return [existing[name].id for name in names]  # type: ignore[misc]


async def replace_cv(session: AsyncSession, *, content: CVContent, actor: str) -> None:
    """Make ``content`` the whole CV, in the caller's transaction, with one audit entry.

    Technologies are reused by name (their ids stay stable across imports); the ones no
    longer used are deleted, so the CV afterwards is exactly ``content``.
    """
    for section in LIST_SECTIONS:  # links first: SQLite does not enforce ON DELETE CASCADE
        if section.tagged:
            await session.execute(delete(section.links.table))
    for section in (*LIST_SECTIONS, SECTIONS["basics"]):
        await session.execute(delete(section.table))
    if content.basics is not None:
        session.add(content.basics)
    entries = [
        (section, entry)
        for section in LIST_SECTIONS
        for entry in content.sections.get(section.name, [])
    ]
    session.add_all(entry.row for _, entry in entries)
    await session.flush()
    for section, entry in entries:
        if section.tagged and entry.technologies:
            links = section.links
            ids = await ensure_technologies(session, names=entry.technologies)
            await session.execute(
                insert(links.table),
                [
                    {links.owner.name: entry.row.id, links.technology.name: tech_id, "position": n}
                    for n, tech_id in enumerate(ids)
                ],
            )
    await _delete_unused_technologies(session)
    session.add(
        AuditLog(
            username=actor,
            action="replace",
            table_name="cv",
            record_label=content.summary()[:300],
            changes=content.counts(),
            created_at=utcnow(),
        )
    )
    await session.flush()


async def _delete_unused_technologies(session: AsyncSession) -> None:
    conditions = [
        col(Technology.id).not_in(select(section.links.technology))
        for section in LIST_SECTIONS
        if section.tagged
    ]
    await session.execute(delete(Technology).where(*conditions))


async def set_published(
    session: AsyncSession, section: Section, *, ids: Sequence[int], published: bool, actor: str
) -> int:
    """Publish or unpublish entries of ``section``, all or none; returns how many changed.

    Raises :class:`LookupError` if an id names no row and :class:`WriteError` if a row breaks
    the section's rules.
    """
    table: Any = section.table
    statement = select(table).where(col(table.id).in_(ids))
    if section.tagged:
        statement = statement.options(selectinload(table.technologies))
    rows = (await session.scalars(statement)).all()
    if len(rows) != len(set(ids)):
        raise LookupError("Some of these entries no longer exist.")
    for row in rows:  # rows written outside this path may break the rules: publish none of them
        values = {name: getattr(row, name) for name in section.write.model_fields}
        if problems := check(section.write, values | {"is_published": published})[1]:
            raise WriteError(problems)
    changed = [row for row in rows if row.is_published != published]
    for row in changed:
        stage(row, actor=actor)
        row.is_published = published
    await session.flush()
    return len(changed)
