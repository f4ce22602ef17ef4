"""Read queries of the published CV, shared by the public API (and anyone rendering it).

Every function returns published rows only, in the public order: the owner's ``sort_order``,
then newest first (the section's date descending, undated last), then highest id first.
Technologies are loaded with ``selectinload``: a list costs the same number of statements
whether it holds two rows or two hundred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Integer, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlmodel import col

from cms.content.models import (
    Award,
    Basics,
    Certificate,
    Education,
    Profile,
    Project,
    ProjectTechnology,
    Publication,
    Skill,
    Technology,
    Volunteer,
    Work,
    WorkTechnology,
)

__all__ = [
    "MAX_ID",
    "TechnologyUsage",
    "get_basics",
    "get_project",
    "get_project_by_slug",
    "get_work",
    "list_profiles",
    "list_projects",
    "list_published",
    "list_skills",
    "list_technology_usage",
    "list_work",
    "public_order",
]

MAX_ID = 2**31 - 1
"""Largest id an ``INTEGER`` primary key holds; larger numbers cannot name a row."""

T = TypeVar("T")

# The date that makes an entry "newer" in each dated section.
_SECTION_DATE: dict[type[Any], Any] = {
    Work: Work.start_date,
    Project: Project.start_date,
    Volunteer: Volunteer.start_date,
    Education: Education.start_date,
    Award: Award.date,
    Certificate: Certificate.date,
    Publication: Publication.release_date,
}


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


def _published(model: type[Any]) -> Any:
    return col(model.is_published).is_(True)


def public_order(model: type[Any]) -> list[Any]:
    """The public order: the owner's ``sort_order``, then newest first, then latest added."""
    order = [col(model.sort_order).asc()]
    date_column = _SECTION_DATE.get(model)
    if date_column is not None:
        order.append(col(date_column).desc().nulls_last())
    order.append(col(model.id).desc())
    return order


async def list_published(session: AsyncSession, model: type[T]) -> Sequence[T]:
    """All published rows of a section table, in public order."""
    statement = select(model).where(_published(model)).order_by(*public_order(model))
    return (await session.scalars(statement)).all()


async def get_basics(session: AsyncSession) -> Basics | None:
    """The owner's basics row (the first one, should there ever be several)."""
    statement = select(Basics).order_by(col(Basics.id).asc()).limit(1)
    return (await session.scalars(statement)).first()


async def list_profiles(session: AsyncSession) -> Sequence[Profile]:
    """Published social profiles, in public order."""
    return await list_published(session, Profile)


async def list_work(session: AsyncSession) -> Sequence[Work]:
    """Published jobs with their technologies, in public order."""
    statement = (
        select(Work)
        .where(_published(Work))
        .options(selectinload(Work.technologies))  # type: ignore[arg-type]
        .order_by(*public_order(Work))
    )
    return (await session.scalars(statement)).all()


async def get_work(session: AsyncSession, work_id: int) -> Work | None:
    """One published job with its technologies, or ``None`` (missing or draft)."""
    if not 0 < work_id <= MAX_ID:
        return None
    statement = (
        select(Work)
        .where(col(Work.id) == work_id, _published(Work))
        .options(selectinload(Work.technologies))  # type: ignore[arg-type]
    )
    return (await session.scalars(statement)).first()


async def list_projects(
    session: AsyncSession, *, featured: bool | None = None
) -> Sequence[Project]:
    """Published projects with their technologies, optionally only (non-)featured ones."""
    statement = (
        select(Project)
        .where(_published(Project))
        .options(selectinload(Project.technologies))  # type: ignore[arg-type]
        .order_by(*public_order(Project))
    )
    if featured is not None:
        statement = statement.where(col(Project.is_featured).is_(featured))
    return (await session.scalars(statement)).all()


async def get_project(session: AsyncSession, project_id: int) -> Project | None:
    """One published project by id, or ``None`` (missing or draft)."""
    if not 0 < project_id <= MAX_ID:
        return None
    statement = (
        select(Project)
        .where(col(Project.id) == project_id, _published(Project))
        .options(selectinload(Project.technologies))  # type: ignore[arg-type]
    )
    return (await session.scalars(statement)).first()


async def get_project_by_slug(session: AsyncSession, slug: str) -> Project | None:
    """One published project by slug, or ``None`` (missing or draft)."""
    statement = (
        select(Project)
        .where(col(Project.slug) == slug, _published(Project))
        .options(selectinload(Project.technologies))  # type: ignore[arg-type]
    )
    return (await session.scalars(statement)).first()


async def list_skills(
    session: AsyncSession, *, category: str | None = None, featured: bool | None = None
) -> Sequence[Skill]:
    """Published skills, optionally of one category (case-insensitive) or (non-)featured."""
    statement = select(Skill).where(_published(Skill)).order_by(*public_order(Skill))
    if category is not None:
        statement = statement.where(func.lower(col(Skill.category)) == category.lower())
    if featured is not None:
        statement = statement.where(col(Skill.is_featured).is_(featured))
    return (await session.scalars(statement)).all()


async def list_technology_usage(session: AsyncSession) -> list[TechnologyUsage]:
    """Technologies used by at least one published job or project, most used first."""
    work_links: Select[int | None, int, int] = (
        select(
            col(WorkTechnology.technology_id).label("technology_id"),
            literal(1, Integer).label("in_work"),
            literal(0, Integer).label("in_project"),
        )
        .join(Work, col(Work.id) == col(WorkTechnology.work_id))
        .where(_published(Work))
    )
    project_links: Select[int | None, int, int] = (
        select(
            col(ProjectTechnology.technology_id).label("technology_id"),
            literal(0, Integer).label("in_work"),
            literal(1, Integer).label("in_project"),
        )
        .join(Project, col(Project.id) == col(ProjectTechnology.project_id))
        .where(_published(Project))
    )
    links = union_all(work_links, project_links).subquery()
    statement = (
        select(
            col(Technology.id),
            col(Technology.name),
            func.sum(links.c.in_work),
            func.sum(links.c.in_project),
        )
        .join(links, links.c.technology_id == col(Technology.id))
        .group_by(col(Technology.id), col(Technology.name))
        .order_by(func.count().desc(), func.lower(col(Technology.name)), col(Technology.id))
    )
    rows = (await session.execute(statement)).all()
    return [
        TechnologyUsage(
            id=row[0], name=row[1], experience_count=int(row[2]), project_count=int(row[3])
        )
        for row in rows
    ]
