"""The public, read-only JSON API under ``/api/v1`` (DESIGN §4).

Published rows only, in public order (see :mod:`cms.content.read`); with a read-drafts token,
drafts too (:mod:`cms.public.preview`). The read path answers these paths from the documents
the writes render with these functions (:mod:`cms.public.documents`). Every route rejects query
parameters it does not know with 422, so a typo never silently returns unfiltered data (and
response-cache keys cannot be multiplied by junk parameters).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from cms.content import read
from cms.content.basics import PROFILES, PersonalInfoPublic
from cms.content.record import Section
from cms.content.sections import SECTIONS
from cms.core.deps import SessionDep
from cms.core.errors import ErrorResponse
from cms.public.preview import DraftsDep

__all__ = [
    "NoQuery",
    "ProjectQuery",
    "ResumePublic",
    "SkillQuery",
    "TechnologyPublic",
    "router",
]

WORK, PROJECTS, SKILLS = SECTIONS["work"], SECTIONS["projects"], SECTIONS["skills"]
ExperiencePublic: Any = WORK.public
ProjectPublic: Any = PROJECTS.public
SkillPublic: Any = SKILLS.public


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


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No published entry with this id"}
}

router = APIRouter(
    prefix="/api/v1",
    responses={
        401: {
            "model": ErrorResponse,
            "description": "A token was sent that is not a live read-drafts token",
        },
        422: {
            "model": ErrorResponse,
            "description": "Invalid path or query parameter (details in `details`)",
        },
    },
)


class _StrictQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoQuery(_StrictQuery):
    """This route takes no query parameters."""


class ProjectQuery(_StrictQuery):
    """Filters of ``GET /projects``."""

    featured: bool | None = Field(default=None, description="Only (non-)featured projects.")


class SkillQuery(_StrictQuery):
    """Filters of ``GET /skills``."""

    category: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        # Control characters (NUL above all) cannot be stored, so they cannot match anything;
        # PostgreSQL would reject a NUL with an error instead of returning no rows.
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Only skills of this category (case-insensitive).",
    )
    featured: bool | None = Field(default=None, description="Only (non-)featured skills.")


_NoQueryDep = Annotated[NoQuery, Query()]
_WorkId = Annotated[int, Path(ge=1, le=read.MAX_ID, description="Experience id.")]
_ProjectKey = Annotated[
    str,
    Path(
        max_length=120,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        description="A numeric project id or a project slug.",
    ),
]


@router.get(
    "/personal-info",
    response_model=PersonalInfoPublic,
    operation_id="get_personal_info",
    tags=["personal info"],
    responses={404: {"model": ErrorResponse, "description": "No personal info entered yet"}},
)
async def get_personal_info(
    session: SessionDep, query: _NoQueryDep, drafts: DraftsDep
) -> PersonalInfoPublic:
    """The owner's name, contact details, links and published profiles."""
    basics = await read.get_basics(session)
    if basics is None:
        raise HTTPException(404, "No personal info has been entered yet")
    profiles = await read.list_entries(session, PROFILES, include_drafts=drafts)
    return PersonalInfoPublic.from_rows(basics, list(profiles))


@router.get(
    "/experience",
    response_model=list[ExperiencePublic],
    operation_id="list_experience",
    tags=["experience"],
)
async def list_experience(
    session: SessionDep, query: _NoQueryDep, drafts: DraftsDep
) -> list[ExperiencePublic]:
    """Published work experience, in the owner's order, newest first."""
    rows = await read.list_entries(session, WORK, include_drafts=drafts)
    return [ExperiencePublic.from_row(row) for row in rows]


@router.get(
    "/experience/{experience_id}",
    response_model=ExperiencePublic,
    operation_id="get_experience",
    tags=["experience"],
    responses=_NOT_FOUND,
)
async def get_experience(
    experience_id: _WorkId, session: SessionDep, query: _NoQueryDep, drafts: DraftsDep
) -> ExperiencePublic:
    """One published experience entry by id."""
    row = await read.get_entry(session, WORK, include_drafts=drafts, id=experience_id)
    if row is None:
        raise HTTPException(404, f"Experience {experience_id} not found")
    return ExperiencePublic.from_row(row)


@router.get(
    "/projects",
    response_model=list[ProjectPublic],
    operation_id="list_projects",
    tags=["projects"],
)
async def list_projects(
    session: SessionDep, query: Annotated[ProjectQuery, Query()], drafts: DraftsDep
) -> list[ProjectPublic]:
    """Published projects, optionally only featured (or non-featured) ones."""
    where = {"is_featured": query.featured}
    rows = await read.list_entries(session, PROJECTS, where=where, include_drafts=drafts)
    return [ProjectPublic.from_row(row) for row in rows]


@router.get(
    "/projects/{id_or_slug}",
    response_model=ProjectPublic,
    operation_id="get_project",
    tags=["projects"],
    responses={404: {"model": ErrorResponse, "description": "No published project by that key"}},
)
async def get_project(
    id_or_slug: _ProjectKey, session: SessionDep, query: _NoQueryDep, drafts: DraftsDep
) -> ProjectPublic:
    """One published project by numeric id or by slug."""
    row = None
    if id_or_slug.isdigit():
        row = await read.get_entry(session, PROJECTS, include_drafts=drafts, id=int(id_or_slug))
    if row is None:
        # An all-digit slug ("2048") is valid, so a number that names no project is tried as one.
        row = await read.get_entry(session, PROJECTS, include_drafts=drafts, slug=id_or_slug)
    if row is None:
        raise HTTPException(404, f"Project {id_or_slug!r} not found")
    return ProjectPublic.from_row(row)


@router.get(
    "/skills",
    response_model=list[SkillPublic],
    operation_id="list_skills",
    tags=["skills"],
)
async def list_skills(
    session: SessionDep, query: Annotated[SkillQuery, Query()], drafts: DraftsDep
) -> list[SkillPublic]:
    """Published skills, optionally of one category or only featured (or non-featured) ones."""
    where = {"category": query.category, "is_featured": query.featured}
    rows = await read.list_entries(session, SKILLS, where=where, include_drafts=drafts)
    return [SkillPublic.from_row(row) for row in rows]


def _add_section_list(section: Section) -> None:
    """``GET /{path}``: a section that is a plain published list."""
    public: Any = section.public

    async def list_section(session: SessionDep, query: _NoQueryDep, drafts: DraftsDep) -> list[Any]:
        rows = await read.list_entries(session, section, include_drafts=drafts)
        return [public.from_row(row) for row in rows]

    list_section.__doc__ = section.path_doc
    router.add_api_route(
        f"/{section.path}",
        list_section,
        methods=["GET"],
        response_model=list[public],
        operation_id=f"list_{section.name}",
        name=f"list_{section.name}",
        tags=["sections"],
    )


for _section in SECTIONS.values():
    if _section.path_doc:
        _add_section_list(_section)


@router.get(
    "/technologies",
    response_model=list[TechnologyPublic],
    operation_id="list_technologies",
    tags=["technologies"],
)
async def list_technologies(
    session: SessionDep, query: _NoQueryDep, drafts: DraftsDep
) -> list[TechnologyPublic]:
    """Technologies used by published experience or projects, most used first."""
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


@router.get(
    "/resume",
    response_model=ResumePublic,
    response_model_exclude_unset=True,
    operation_id="get_resume",
    tags=["resume"],
)
async def get_resume(session: SessionDep, query: _NoQueryDep, drafts: DraftsDep) -> Any:
    """The whole published CV as one JSON Resume v1.0.0 document."""
    # Imported here: the export (and its JSON Schema tooling) stays off the cold path of the
    # section routes, which a Lambda serves far more often.
    from cms.content.jsonresume import export_resume

    return await export_resume(session, include_drafts=drafts)
