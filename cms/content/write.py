"""Whole-CV writes shared by import and seeding: keyword-only, in the caller's session.

Nothing here commits: the caller owns the transaction (the CLI's ``session.begin()``). The
content version moves by itself (session events in :mod:`cms.core.db`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from cms.content.models import (
    Award,
    Basics,
    Certificate,
    Education,
    Interest,
    Language,
    Profile,
    Project,
    ProjectTechnology,
    Publication,
    Reference,
    Skill,
    Technology,
    Volunteer,
    Work,
    WorkTechnology,
)

__all__ = [
    "CVContent",
    "Entry",
    "SECTION_MODELS",
    "delete_cv",
    "delete_orphan_technologies",
    "get_or_create_technologies",
    "replace_cv",
]

SECTION_MODELS: dict[str, type[SQLModel]] = {
    "profiles": Profile,
    "work": Work,
    "volunteer": Volunteer,
    "education": Education,
    "awards": Award,
    "certificates": Certificate,
    "publications": Publication,
    "skills": Skill,
    "languages": Language,
    "interests": Interest,
    "references": Reference,
    "projects": Project,
}
"""The list sections of a CV (JSON Resume names, ``profiles`` included) and their tables."""


@dataclass
class Entry:
    """One list row of a CV with the technologies it is tagged with (work and projects)."""

    row: Any
    technologies: list[str] = field(default_factory=list)


@dataclass
class CVContent:
    """A whole CV as table rows, each section in its order."""

    basics: Basics | None = None
    sections: dict[str, list[Entry]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Rows per section (``basics`` first), sections without rows left out."""
        counts = {"basics": 1} if self.basics is not None else {}
        for name in SECTION_MODELS:
            if self.sections.get(name):
                counts[name] = len(self.sections[name])
        return counts

    def summary(self) -> str:
        """A short human summary, e.g. ``"1 basics, 12 work, 3 projects (1 draft)"``."""
        parts = [f"{count} {name}" for name, count in self.counts().items()]
        drafts = sum(
            1
            for entries in self.sections.values()
            for entry in entries
            if not entry.row.is_published
        )
        technologies = {
            name for entries in self.sections.values() for e in entries for name in e.technologies
        }
        if technologies:
            parts.append(f"{len(technologies)} technologies")
        text = ", ".join(parts) if parts else "an empty CV"
        if drafts:
            text += f" ({drafts} draft{'s' if drafts != 1 else ''})"
        return text


async def get_or_create_technologies(
    session: AsyncSession, *, names: Sequence[str]
) -> list[Technology]:
    """The technologies called ``names``, in that order, creating the missing ones."""
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
    return [existing[name] for name in names]


async def delete_orphan_technologies(session: AsyncSession) -> None:
    """Delete technologies no job and no project uses any more."""
    used_by_work = select(col(WorkTechnology.technology_id))
    used_by_projects = select(col(ProjectTechnology.technology_id))
    await session.execute(
        delete(Technology).where(
            col(Technology.id).not_in(used_by_work), col(Technology.id).not_in(used_by_projects)
        )
    )


async def delete_cv(session: AsyncSession) -> None:
    """Delete every content row (technologies stay; see :func:`delete_orphan_technologies`)."""
    # Links first: SQLite does not enforce the ON DELETE CASCADE of the foreign keys.
    models: Iterable[type[SQLModel]] = (
        WorkTechnology,
        ProjectTechnology,
        *SECTION_MODELS.values(),
        Basics,
    )
    for model in models:
        await session.execute(delete(model))


async def replace_cv(session: AsyncSession, *, content: CVContent) -> None:
    """Make ``content`` the whole CV: delete every content row, then insert the given rows.

    Technologies are reused by name (their ids stay stable across imports); the ones no
    longer used are deleted, so the CV afterwards is exactly ``content``.
    """
    await delete_cv(session)
    if content.basics is not None:
        session.add(content.basics)
    for name in SECTION_MODELS:
        session.add_all(entry.row for entry in content.sections.get(name, []))
    await session.flush()
    tagged = [
        entry
        for name in ("work", "projects")
        for entry in content.sections.get(name, [])
        if entry.technologies
    ]
    names = [name for entry in tagged for name in entry.technologies]
    by_name = {tech.name: tech for tech in await get_or_create_technologies(session, names=names)}
    session.add_all(
        _link(entry.row, by_name[name], position)
        for entry in tagged
        for position, name in enumerate(entry.technologies)
    )
    await session.flush()
    await delete_orphan_technologies(session)


def _link(item: Work | Project, tech: Technology, position: int) -> SQLModel:
    if isinstance(item, Work):
        return WorkTechnology(work_id=item.id, technology_id=tech.id, position=position)
    return ProjectTechnology(project_id=item.id, technology_id=tech.id, position=position)
