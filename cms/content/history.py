"""Reading the revisions (:mod:`cms.content.revisions`): the versions, one entry's history,
the Trash, and the rows of the CV as they were at a content version.

The state at version ``N`` is the current rows with every revision after ``N`` undone, newest
first: a created row goes, a deleted row comes back whole, an updated row takes back the
columns it changed. That needs the revisions after ``N`` to be complete, so the oldest version
the CV can go back to is the one before the oldest revision kept (:func:`earliest_version`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.content.record import Section
from cms.content.revisions import REVISED_TABLES, SCOPES, decode_row, encode_row
from cms.content.sections import SECTIONS
from cms.core.models import Revision, as_utc, utcnow

__all__ = [
    "EntryChange",
    "FieldChange",
    "Rows",
    "TrashItem",
    "VersionSummary",
    "deleted_entries",
    "earliest_version",
    "entry_history",
    "current_rows",
    "entry_state_at",
    "label_of",
    "list_versions",
    "section_of",
    "state_at",
]

Rows = dict[str, dict[str, dict[str, Any]]]
"""Encoded rows by table name and row key."""

_SECTION_OF_TABLE: dict[str, Section] = {
    str(section.table.__tablename__): section for section in SECTIONS.values()
}
_OWNER_OF_LINK: dict[str, str] = {
    column.table.name: owner
    for owner, columns in SCOPES.items()
    if owner in _SECTION_OF_TABLE
    for column in columns
}
_NOT_SHOWN = frozenset({"id", "created_at", "updated_at"})


def section_of(table_name: str) -> Section | None:
    """The CV section stored in ``table_name`` (``None``: technologies and link tables)."""
    return _SECTION_OF_TABLE.get(table_name)


def label_of(section: Section, row: dict[str, Any]) -> str:
    """How the back office names an entry, from its encoded row."""
    values = decode_row(section.table.__table__, row)  # type: ignore[attr-defined]
    return str(section.table.model_construct(**values))[:200]


# --- versions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """One content version: when, who, and what it changed in a few words."""

    version: int
    at: dt.datetime
    who: str
    summary: str


def _summary(counts: Iterable[tuple[str, str, int]]) -> str:
    words = {"create": "added", "update": "changed", "delete": "removed"}
    parts: dict[str, list[str]] = {}
    links: set[str] = set()
    for table_name, action, count in counts:
        section = section_of(table_name)
        if section is None:
            if table_name in _OWNER_OF_LINK:
                links.add(_OWNER_OF_LINK[table_name])
            elif table_name in REVISED_TABLES:
                parts.setdefault("technologies", []).append(f"{count} {words[action]}")
            continue
        parts.setdefault(section.name, []).append(f"{count} {words[action]}")
    for owner in sorted(links):
        name = _SECTION_OF_TABLE[owner].name
        parts.setdefault(name, []).append("technologies changed")
    return "; ".join(f"{name}: {', '.join(found)}" for name, found in sorted(parts.items()))


async def list_versions(session: AsyncSession, *, limit: int = 50) -> list[VersionSummary]:
    """The newest ``limit`` content versions that changed content, newest first."""
    newest = (
        select(col(Revision.version)).distinct().order_by(col(Revision.version).desc()).limit(limit)
    )
    versions = list((await session.scalars(newest)).all())
    if not versions:
        return []
    statement = (
        select(
            col(Revision.version),
            col(Revision.table_name),
            col(Revision.action),
            func.count(),
            func.max(Revision.username),
            func.max(Revision.created_at),
        )
        .where(col(Revision.version).in_(versions))
        .group_by(col(Revision.version), col(Revision.table_name), col(Revision.action))
    )
    grouped: dict[int, list[Any]] = {}
    for row in (await session.execute(statement)).all():
        grouped.setdefault(row[0], []).append(row)
    return [
        VersionSummary(
            version=version,
            at=as_utc(max(row[5] for row in grouped[version])),
            who=max(row[4] for row in grouped[version]),
            summary=_summary((row[1], row[2], row[3]) for row in grouped[version]),
        )
        for version in versions
    ]


async def earliest_version(session: AsyncSession) -> int | None:
    """The oldest version the CV can be restored as of (``None``: no revisions yet)."""
    oldest = await session.scalar(select(func.min(Revision.version)))
    return None if oldest is None else max(oldest - 1, 0)


# --- rows as of a version ---------------------------------------------------------------


def _undo(rows: dict[str, dict[str, Any]], revision: Revision) -> None:
    if revision.action == "create":
        rows.pop(revision.row_key, None)
    elif revision.action == "delete":
        rows[revision.row_key] = dict(revision.before or {})
    elif revision.row_key in rows:
        rows[revision.row_key] = rows[revision.row_key] | (revision.before or {})


async def _current(session: AsyncSession, table_name: str, where: Any = None) -> dict[str, Any]:
    table = REVISED_TABLES[table_name]
    statement = select(table) if where is None else select(table).where(where)
    rows = (await session.execute(statement)).mappings().all()
    key_columns = [column.name for column in table.primary_key.columns]
    return {
        ":".join(str(row[name]) for name in key_columns): encode_row(table, row) for row in rows
    }


async def current_rows(session: AsyncSession) -> Rows:
    """Every content row as it is."""
    return {name: await _current(session, name) for name in REVISED_TABLES}


async def state_at(session: AsyncSession, version: int, current: Rows | None = None) -> Rows:
    """Every content row as it was when version ``version`` was committed (from ``current``,
    the rows as they are, if the caller holds them already)."""
    now = current if current is not None else await current_rows(session)
    state: Rows = {name: dict(rows) for name, rows in now.items()}
    statement = (
        select(Revision)
        .where(col(Revision.version) > version)
        .order_by(col(Revision.version).desc(), col(Revision.id).desc())
    )
    for revision in (await session.scalars(statement)).all():
        _undo(state.setdefault(revision.table_name, {}), revision)
    return state


def _link_pattern(column: Any, entry_id: int) -> str:
    position = list(column.table.primary_key.columns).index(column)
    width = len(column.table.primary_key.columns)
    return ":".join(str(entry_id) if n == position else "%" for n in range(width))


async def _entry_revisions(session: AsyncSession, table_name: str, entry_id: int) -> list[Revision]:
    """The revisions of one entry and of its link rows, oldest first."""
    wanted = [(col(Revision.table_name) == table_name) & (col(Revision.row_key) == str(entry_id))]
    for column in SCOPES.get(table_name, ()):
        wanted.append(
            (col(Revision.table_name) == column.table.name)
            & col(Revision.row_key).like(_link_pattern(column, entry_id))
        )
    condition = wanted[0]
    for more in wanted[1:]:
        condition = condition | more
    statement = select(Revision).where(condition)
    ordered = statement.order_by(col(Revision.version), col(Revision.id))
    return list((await session.scalars(ordered)).all())


async def entry_state_at(
    session: AsyncSession, table_name: str, entry_id: int, version: int
) -> Rows:
    """One entry's row and link rows as they were at ``version`` (``{}`` where it was not)."""
    table = REVISED_TABLES[table_name]
    (key_column,) = table.primary_key.columns
    state: Rows = {table_name: await _current(session, table_name, key_column == entry_id)}
    for column in SCOPES.get(table_name, ()):
        state[column.table.name] = await _current(session, column.table.name, column == entry_id)
    for revision in reversed(await _entry_revisions(session, table_name, entry_id)):
        if revision.version > version:
            _undo(state.setdefault(revision.table_name, {}), revision)
    return state


# --- one entry's history ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an entry, before and after a version (``None``: no value)."""

    name: str
    before: Any
    after: Any


@dataclass
class EntryChange:
    """What one version did to one entry."""

    version: int
    at: dt.datetime
    who: str
    action: str
    """``create``, ``update`` or ``delete`` (of the entry; a change of links only: ``update``)."""
    fields: list[FieldChange] = field(default_factory=list)


async def _technology_names(session: AsyncSession) -> dict[str, str]:
    """Technology names by id: the current ones, and the ones revisions remember."""
    names: dict[str, str] = {}
    statement = select(Revision).where(col(Revision.table_name) == "technologies")
    for revision in (await session.scalars(statement.order_by(col(Revision.id)))).all():
        for image in (revision.before, revision.after):
            if image and "name" in image:
                names[revision.row_key] = image["name"]
    for key, row in (await _current(session, "technologies")).items():
        names[key] = row["name"]
    return names


def _technologies(
    links: dict[str, dict[str, Any]], column: str, names: dict[str, str]
) -> list[str]:
    ordered = sorted(links.values(), key=lambda row: (row.get("position") or 0, row[column]))
    return [names.get(str(row[column]), f"#{row[column]}") for row in ordered]


async def entry_history(
    session: AsyncSession, section: Section, entry_id: int
) -> list[EntryChange]:
    """What each version did to one entry, newest first, field by field."""
    table_name = str(section.table.__tablename__)
    revisions = await _entry_revisions(session, table_name, entry_id)
    links = section.links if section.tagged else None
    names = await _technology_names(session) if links is not None else {}
    link_state: dict[str, dict[str, Any]] = {}
    changes: list[EntryChange] = []
    by_version: dict[int, list[Revision]] = {}
    for revision in revisions:
        by_version.setdefault(revision.version, []).append(revision)
    for version, found in by_version.items():
        own = [r for r in found if r.table_name == table_name]
        action = own[0].action if own else "update"
        first = found[0]
        change = EntryChange(version, as_utc(first.created_at), first.username, action)
        for revision in own:
            before, after = revision.before or {}, revision.after or {}
            for name in dict.fromkeys([*before, *after]):
                if name not in _NOT_SHOWN and before.get(name) != after.get(name):
                    change.fields.append(FieldChange(name, before.get(name), after.get(name)))
        link_rows = [r for r in found if r.table_name != table_name]
        if links is not None and link_rows:
            tech_column = links.technology.name
            old = _technologies(link_state, tech_column, names)
            for revision in link_rows:
                if revision.action == "delete":
                    link_state.pop(revision.row_key, None)
                else:
                    link_state[revision.row_key] = link_state.get(revision.row_key, {}) | (
                        revision.after or {}
                    )
            new = _technologies(link_state, tech_column, names)
            if old != new:
                change.fields.append(FieldChange("technologies", old, new))
        changes.append(change)
    return list(reversed(changes))


# --- the Trash --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrashItem:
    """A deleted entry that can still be restored."""

    section: Section
    entry_id: int
    label: str
    deleted_at: dt.datetime
    who: str
    version: int
    """The version that deleted it: restoring brings back the entry as it was just before."""


async def deleted_entries(session: AsyncSession, *, days: int) -> list[TrashItem]:
    """Entries deleted in the last ``days`` days that do not exist again, newest first."""
    since = utcnow() - dt.timedelta(days=days)
    statement = (
        select(Revision)
        .where(
            col(Revision.action) == "delete",
            col(Revision.table_name).in_(list(_SECTION_OF_TABLE)),
            col(Revision.created_at) >= since,
        )
        .order_by(col(Revision.version).desc(), col(Revision.id).desc())
    )
    found: dict[tuple[str, str], Revision] = {}
    for revision in (await session.scalars(statement)).all():
        found.setdefault((revision.table_name, revision.row_key), revision)
    items: list[TrashItem] = []
    existing: dict[str, Sequence[str]] = {}
    for (table_name, key), revision in found.items():
        if table_name not in existing:
            existing[table_name] = list(await _current(session, table_name))
        if key in existing[table_name]:
            continue
        section = _SECTION_OF_TABLE[table_name]
        items.append(
            TrashItem(
                section=section,
                entry_id=int(key),
                label=label_of(section, revision.before or {}),
                deleted_at=as_utc(revision.created_at),
                who=revision.username,
                version=revision.version,
            )
        )
    return items
