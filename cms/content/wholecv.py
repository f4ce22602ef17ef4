"""The public responses made of the whole CV rather than of one section's list (and the
list of the locales it is written in).

Each is declared once here (path, response schema, how it is rendered, which tables it reads:
all of them unless said);
:mod:`cms.content.publish` renders and stores them with the section lists, and the API's routes
are generated from the same declarations. A new whole-CV response is one entry in
:data:`WHOLE_CV` (plus, if it needs one, a read in :mod:`cms.content.read`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content import read
from cms.content.basics import BASICS, PROFILES, PersonalInfoPublic
from cms.content.cv import render_cv
from cms.content.jsonresume import export_resume
from cms.content.localedata import locales_document
from cms.content.localized import reading_locale
from cms.content.queries import API_V1_PREFIX
from cms.content.response import Published
from cms.core.db import engine_settings

__all__ = ["WHOLE_CV", "LocalePublic", "LocalesPublic", "ResumePublic", "TechnologyPublic"]


class TechnologyPublic(BaseModel):
    """A technology and how many published jobs and projects use it."""

    id: int
    name: str
    count: int = Field(description="Published experience entries plus published projects.")
    experience_count: int
    project_count: int


class ResumePublic(BaseModel):
    """A JSON Resume v1.0.0 document (https://jsonresume.org/schema); sections may be absent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    schema_: str | None = Field(default=None, alias="$schema")
    basics: dict[str, Any] | None = None
    work: list[dict[str, Any]] | None = None
    volunteer: list[dict[str, Any]] | None = None
    education: list[dict[str, Any]] | None = None
    awards: list[dict[str, Any]] | None = None
    certificates: list[dict[str, Any]] | None = None
    publications: list[dict[str, Any]] | None = None
    skills: list[dict[str, Any]] | None = None
    languages: list[dict[str, Any]] | None = None
    interests: list[dict[str, Any]] | None = None
    references: list[dict[str, Any]] | None = None
    projects: list[dict[str, Any]] | None = None
    meta: dict[str, Any] | None = None


class LocalePublic(BaseModel):
    """A language the CV is written in."""

    tag: str = Field(description="Its BCP 47 tag, the value of `?locale=`.")
    name: str = Field(description="Its name in its own language (CLDR), e.g. `Deutsch`.")


class LocalesPublic(BaseModel):
    """The languages the CV is written in (``LOCALES``), the default first."""

    default: str = Field(description="The locale answered when a request names none.")
    locales: list[LocalePublic]


async def _locales(session: AsyncSession, drafts: bool) -> dict[str, Any]:
    return locales_document(engine_settings(session.get_bind()).locales)


async def _personal_info(session: AsyncSession, drafts: bool) -> PersonalInfoPublic | None:
    basics = await read.get_basics(session)
    if basics is None:
        return None
    profiles = await read.list_entries(session, PROFILES, include_drafts=drafts)
    return PersonalInfoPublic.from_rows(basics, list(profiles))


async def _technologies(session: AsyncSession, drafts: bool) -> list[TechnologyPublic]:
    usage = await read.list_technology_usage(session, include_drafts=drafts)
    return [
        TechnologyPublic(
            id=item.id,
            name=item.name,
            count=item.count,
            experience_count=item.experience_count,
            project_count=item.project_count,
        )
        for item in usage
    ]


async def _resume(session: AsyncSession, drafts: bool) -> dict[str, Any]:
    # /resume and /cv of one locale are made of one document: built once per publishing pass.
    key = ("resume", reading_locale(), drafts)
    return await read.remembered(
        session, key, lambda: export_resume(session, include_drafts=drafts)
    )


async def _cv(session: AsyncSession, drafts: bool) -> bytes:
    return render_cv(await _resume(session, drafts))


def _table_names(*sections: Any) -> frozenset[str]:
    return frozenset(str(section.table.__tablename__) for section in sections)


WHOLE_CV: tuple[Published, ...] = (
    Published(
        f"{API_V1_PREFIX}/personal-info",
        "get_personal_info",
        "The owner's name, contact details, links and published profiles.",
        _personal_info,
        PersonalInfoPublic,
        tables=_table_names(BASICS, PROFILES),
        missing="No personal info has been entered yet",
        tag="personal info",
    ),
    Published(
        f"{API_V1_PREFIX}/technologies",
        "list_technologies",
        "Technologies used by published experience or projects, most used first.",
        _technologies,
        list[TechnologyPublic],
        tag="technologies",
        localized=False,  # technologies are names: the same in every locale
    ),
    Published(
        f"{API_V1_PREFIX}/resume",
        "get_resume",
        "The whole published CV as one JSON Resume v1.0.0 document.",
        _resume,
        ResumePublic,
        exclude_unset=True,
        tag="resume",
    ),
    Published(
        f"{API_V1_PREFIX}/locales",
        "list_locales",
        "The languages the CV is written in (`?locale=` of every read), the default first.",
        _locales,
        LocalesPublic,
        tables=frozenset(),  # settings, not content: rendered again when LOCALES changes
        tag="locales",
        localized=False,
    ),
    Published(
        "/cv",
        "get_cv",
        "The published CV as a printable HTML page (A4 and Letter).",
        _cv,
        tag="cv",
    ),
)
"""Every whole-CV response, in the API reference's order."""
