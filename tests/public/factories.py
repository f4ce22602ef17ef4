"""Small helpers that write CV rows for API tests (each commits, so the app sees it)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.content.dates import parse_partial_date
from cms.content.models import (
    Basics,
    Profile,
    Project,
    ProjectTechnology,
    Technology,
    Work,
    WorkTechnology,
)

__all__ = ["add", "add_basics", "add_profile", "add_project", "add_work", "period"]

T = TypeVar("T")

_counter = itertools.count(1)


def period(start: str | None, end: str | None = None) -> dict[str, Any]:
    """Date fields for ``start``/``end`` given as CV text (``"2020"``, ``"2020-05"``, …)."""
    fields: dict[str, Any] = {"start_date": None, "end_date": None}
    if start is not None:
        fields["start_date"], fields["start_precision"] = parse_partial_date(start)
    if end is not None:
        fields["end_date"], fields["end_precision"] = parse_partial_date(end)
    return fields


async def add(session: AsyncSession, row: T) -> T:
    """Insert one row and commit."""
    session.add(row)
    await session.commit()
    return row


async def _technology(session: AsyncSession, name: str) -> Technology:
    found = (await session.scalars(select(Technology).where(col(Technology.name) == name))).first()
    if found is None:
        found = Technology(name=name)
        session.add(found)
        await session.flush()
    return found


async def add_basics(session: AsyncSession, **fields: Any) -> Basics:
    """The owner's basics row."""
    values: dict[str, Any] = {"name": "Ada Lovelace", "label": "Engineer"} | fields
    return await add(session, Basics(**values))


async def add_profile(session: AsyncSession, network: str, **fields: Any) -> Profile:
    """A social profile."""
    values: dict[str, Any] = {"username": "ada", "url": f"https://{network.lower()}.com/ada"}
    return await add(session, Profile(network=network, **(values | fields)))


async def add_work(
    session: AsyncSession,
    *,
    company: str | None = None,
    start: str | None = "2020-01",
    end: str | None = None,
    technologies: Sequence[str] = (),
    **fields: Any,
) -> Work:
    """A job, linked to ``technologies`` in the given order."""
    work = Work(company=company or f"Company {next(_counter)}", **period(start, end), **fields)
    session.add(work)
    await session.flush()
    for position, name in enumerate(technologies):
        technology = await _technology(session, name)
        session.add(WorkTechnology(work_id=work.id, technology_id=technology.id, position=position))
    await session.commit()
    return work


async def add_project(
    session: AsyncSession,
    *,
    name: str | None = None,
    slug: str | None = None,
    start: str | None = "2020-01",
    end: str | None = None,
    technologies: Sequence[str] = (),
    **fields: Any,
) -> Project:
    """A project, linked to ``technologies`` in the given order."""
    number = next(_counter)
    project = Project(
        name=name or f"Project {number}",
        slug=slug or f"project-{number}",
        **period(start, end),
        **fields,
    )
    session.add(project)
    await session.flush()
    for position, tech_name in enumerate(technologies):
        technology = await _technology(session, tech_name)
        session.add(
            ProjectTechnology(project_id=project.id, technology_id=technology.id, position=position)
        )
    await session.commit()
    return project
