"""The one read of the published CV, shared by the public API and the JSON Resume export.

Rows come in the public order: the owner's ``sort_order``, then newest first (the section's
date descending, undated last), then highest id first. Drafts are left out unless asked for.
Technologies are loaded with ``selectinload``: a list costs the same number of statements
whether it holds two rows or two hundred.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Integer, func, literal, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select
from sqlmodel import col

from cms.content.basics import BASICS
from cms.content.localized import localized
from cms.content.models import Technology
from cms.content.record import Section
from cms.content.sections import LIST_SECTIONS
from cms.core.dburl import MAX_ID
from cms.media.image import ProcessedImage

__all__ = [
    "MAX_ID",
    "CVContent",
    "Entry",
    "TechnologyUsage",
    "get_basics",
    "get_entry",
    "list_entries",
    "list_technology_usage",
    "load_cv",
    "public_order",
    "reads_remembered",
    "remembered",
]


@dataclass
class Entry:
    """One list row of a CV with the technologies it is tagged with (work and projects)."""

    row: Any
    technologies: list[str] = field(default_factory=list)


@dataclass
class CVContent:
    """A whole CV as table rows, each section in its order."""

    basics: Any = None
    sections: dict[str, list[Entry]] = field(default_factory=dict)
    media: list[ProcessedImage] = field(default_factory=list)
    """Uploaded images a backup carries (:mod:`cms.content.transfer`)."""

    def counts(self) -> dict[str, int]:
        """Rows per section (``basics`` first), sections without rows left out."""
        counts = {"basics": 1} if self.basics is not None else {}
        for section in LIST_SECTIONS:
            if self.sections.get(section.name):
                counts[section.name] = len(self.sections[section.name])
        return counts

    def summary(self) -> str:
        """A short human summary, e.g. ``"1 basics, 12 work, 3 projects (1 draft)"``."""
        parts = [f"{count} {name}" for name, count in self.counts().items()]
        entries = [entry for entries in self.sections.values() for entry in entries]
        drafts = sum(1 for entry in entries if not entry.row.is_published)
        technologies = {name for entry in entries for name in entry.technologies}
        if technologies:
            parts.append(f"{len(technologies)} technologies")
        text = ", ".join(parts) if parts else "an empty CV"
        if drafts:
            text += f" ({drafts} draft{'s' if drafts != 1 else ''})"
        return text


@dataclass(frozen=True, slots=True)
class TechnologyUsage:
    """A technology with the number of published jobs and projects that use it."""

    id: int
    name: str
    experience_count: int
    project_count: int

    @property
    def count(self) -> int:
        """Published jobs plus published projects using the technology."""
        return self.experience_count + self.project_count


T = TypeVar("T")
_REMEMBERED = "cms.read.remembered"


@contextmanager
def reads_remembered(session: AsyncSession) -> Iterator[None]:
    """Within the block, a list read twice on ``session`` is queried once: publishing renders
    every response in every locale from the same rows (nothing writes meanwhile)."""
    session.info[_REMEMBERED] = {}
    try:
        yield
    finally:
        session.info.pop(_REMEMBERED, None)


async def remembered(session: AsyncSession, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """``load()``, or what it gave for ``key`` already within :func:`reads_remembered`."""
    kept: dict[Hashable, Any] | None = session.info.get(_REMEMBERED)
    if kept is None:
        return await load()
    if key not in kept:
        kept[key] = await load()
    return kept[key]  # type: ignore[no-any-return]


async def _rows(session: AsyncSession, key: Hashable, statement: Select[Any]) -> Sequence[Any]:
    async def load() -> Sequence[Any]:
        return (await session.scalars(statement)).all()

    return await remembered(session, key, load)


def public_order(section: Section) -> list[Any]:
    """The public order: the owner's ``sort_order``, then newest first, then latest added."""
    table: Any = section.table
    order = [col(table.sort_order).asc()]
    if section.order_date is not None:
        order.append(col(getattr(table, section.order_date)).desc().nulls_last())
    order.append(col(table.id).desc())
    return order


def _entries(section: Section, *, include_drafts: bool = False) -> Select[Any]:
    table: Any = section.table
    statement = select(table)
    if not include_drafts:
        statement = statement.where(col(table.is_published).is_(True))
    if section.tagged:
        statement = statement.options(selectinload(table.technologies))
    if section.illustrated:
        statement = statement.options(selectinload(table.image_media))
    return statement


async def list_entries(
    session: AsyncSession,
    section: Section,
    *,
    where: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
) -> Sequence[Any]:
    """A list section's rows in public order, filtered by ``where`` (text matches ignore case);
    in the locale read in (:func:`cms.content.localized.reading_in`)."""
    table: Any = section.table
    statement = _entries(section, include_drafts=include_drafts).order_by(*public_order(section))
    for name, value in (where or {}).items():
        if value is None:
            continue
        column = col(getattr(table, name))
        if isinstance(value, str):
            statement = statement.where(func.lower(column) == value.lower())
        else:
            statement = statement.where(column.is_(value))
    key = (section.name, include_drafts, tuple(sorted((where or {}).items())))
    return [localized(row) for row in await _rows(session, key, statement)]


async def get_entry(
    session: AsyncSession, section: Section, *, include_drafts: bool = False, **key: Any
) -> Any:
    """One published row (or any, with drafts) found by ``key`` (``id=…`` or another unique
    column), or ``None``."""
    table: Any = section.table
    if "id" in key and not 0 < key["id"] <= MAX_ID:
        return None
    statement = _entries(section, include_drafts=include_drafts).where(
        *(col(getattr(table, name)) == value for name, value in key.items())
    )
    return localized((await session.scalars(statement)).first())


async def get_basics(session: AsyncSession) -> Any:
    """The owner's basics row (the first one, should there ever be several), in the locale
    read in."""
    table: Any = BASICS.table
    statement = (
        select(table)
        .options(selectinload(table.image_media))
        .order_by(col(table.id).asc())
        .limit(1)
    )
    rows = await _rows(session, ("basics",), statement)
    return localized(rows[0] if rows else None)


async def load_cv(session: AsyncSession, *, include_drafts: bool = False) -> CVContent:
    """The whole CV as rows, in public order (drafts only if asked for)."""
    content = CVContent(basics=await get_basics(session))
    for section in LIST_SECTIONS:
        rows = await list_entries(session, section, include_drafts=include_drafts)
        content.sections[section.name] = [
            Entry(row, [tech.name for tech in row.technologies] if section.tagged else [])
            for row in rows
        ]
    return content


async def list_technology_usage(
    session: AsyncSession, *, include_drafts: bool = False
) -> list[TechnologyUsage]:
    """Technologies used by at least one published (or, with drafts, any) job or project."""
    tagged = [section for section in LIST_SECTIONS if section.tagged]
    links = union_all(
        *(
            select(
                section.links.technology.label("technology_id"),
                *(literal(int(other is section), Integer).label(other.name) for other in tagged),
            )
            .join(section.table, col(section.table.id) == section.links.owner)  # type: ignore[attr-defined]
            .where(
                col(section.table.is_published).is_(True)  # type: ignore[attr-defined]
                if not include_drafts
                else true()
            )
            for section in tagged
        )
    ).subquery()
    statement = (
        select(
            col(Technology.id),
            col(Technology.name),
            *(func.sum(links.c[section.name]) for section in tagged),
        )
        .join(links, links.c.technology_id == col(Technology.id))
        .group_by(col(Technology.id), col(Technology.name))
        .order_by(func.count().desc(), func.lower(col(Technology.name)), col(Technology.id))
    )
    rows = (await session.execute(statement)).all()
    counts = [
        {section.name: int(n) for section, n in zip(tagged, row[2:], strict=True)} for row in rows
    ]
    return [
        TechnologyUsage(
            id=row[0],
            name=row[1],
            experience_count=count.get("work", 0),
            project_count=count.get("projects", 0),
        )
        for row, count in zip(rows, counts, strict=True)
    ]
