"""Response models of the public API: one ``XPublic`` per entity, snake_case JSON.

Dates are ISO-8601 text at the precision the CV states (``"2020"``, ``"2020-05"``,
``"2020-05-17"``). Each model is built from its table row with ``from_row``, which copies the
fields the model declares and nothing else, so ``extra``, timestamps and draft flags never leak.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from cms.content.models import Basics, Profile, format_partial_date

__all__ = [
    "AwardPublic",
    "CertificatePublic",
    "EducationPublic",
    "ExperiencePublic",
    "InterestPublic",
    "LanguagePublic",
    "LocationPublic",
    "PersonalInfoPublic",
    "ProfilePublic",
    "ProjectPublic",
    "PublicationPublic",
    "ReferencePublic",
    "ResumePublic",
    "SkillPublic",
    "TechnologyPublic",
    "VolunteerPublic",
]


_PRECISION_OF = {
    "start_date": "start_precision",
    "end_date": "end_precision",
    "date": "date_precision",
    "release_date": "release_date_precision",
}
"""Each public date field and the row attribute holding its precision."""


class _RowPublic(BaseModel):
    """A public view of one table row: its fields are read from the row by name.

    Dates become ISO-8601 text at their stated precision and technologies become names; a
    field the row does not have must come from ``_derived``.
    """

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """The public view of ``row`` (``technologies`` must be loaded where listed)."""
        data: dict[str, Any] = {}
        for name in cls.model_fields:
            if name in _PRECISION_OF:
                data[name] = format_partial_date(
                    getattr(row, name), getattr(row, _PRECISION_OF[name])
                )
            elif name == "technologies":
                data[name] = [technology.name for technology in row.technologies]
            elif hasattr(row, name):
                data[name] = getattr(row, name)
        return cls.model_validate(data | cls._derived(row))

    @classmethod
    def _derived(cls, row: Any) -> dict[str, Any]:
        return {}


class ProfilePublic(_RowPublic):
    """A published social profile."""

    id: int
    network: str
    username: str | None
    url: str | None
    sort_order: int


class LocationPublic(BaseModel):
    """Where the owner lives (JSON Resume ``basics.location``)."""

    address: str | None
    postal_code: str | None
    city: str | None
    country_code: str | None
    region: str | None


class PersonalInfoPublic(BaseModel):
    """The owner: name, contact details, links and published profiles."""

    name: str
    title: str | None = Field(description="JSON Resume `basics.label`.")
    email: str | None
    phone: str | None
    location: LocationPublic
    summary: str | None
    website: str | None = Field(description="JSON Resume `basics.url`.")
    linkedin: str | None = Field(description="URL of the first published LinkedIn profile.")
    github: str | None = Field(description="URL of the first published GitHub profile.")
    image_url: str | None
    profiles: list[ProfilePublic]

    @classmethod
    def from_rows(cls, basics: Basics, profiles: list[Profile]) -> PersonalInfoPublic:
        """Combine the basics row with the (already published-only, ordered) profiles."""

        def profile_url(network: str) -> str | None:
            for profile in profiles:
                if profile.network.strip().casefold() == network and profile.url:
                    return profile.url
            return None

        return cls(
            name=basics.name,
            title=basics.label,
            email=basics.email,
            phone=basics.phone,
            location=LocationPublic(
                address=basics.address,
                postal_code=basics.postal_code,
                city=basics.city,
                country_code=basics.country_code,
                region=basics.region,
            ),
            summary=basics.summary,
            website=basics.url,
            linkedin=profile_url("linkedin"),
            github=profile_url("github"),
            image_url=basics.image,
            profiles=[ProfilePublic.from_row(profile) for profile in profiles],
        )


class ExperiencePublic(_RowPublic):
    """A published job (JSON Resume ``work``) with its technologies in the listed order."""

    id: int
    company: str
    position: str | None
    url: str | None
    location: str | None
    description: str | None
    summary: str | None
    highlights: list[str]
    start_date: str | None
    end_date: str | None
    is_current: bool = Field(description="True when the job has no end date.")
    technologies: list[str]
    sort_order: int

    @classmethod
    def _derived(cls, row: Any) -> dict[str, Any]:
        return {"is_current": row.end_date is None}


class ProjectPublic(_RowPublic):
    """A published project with its technologies in the listed order."""

    id: int
    name: str
    slug: str
    description: str | None
    highlights: list[str]
    url: str | None
    github_url: str | None
    demo_url: str | None
    image_url: str | None
    roles: list[str]
    entity: str | None
    type: str | None
    start_date: str | None
    end_date: str | None
    is_featured: bool
    technologies: list[str]
    sort_order: int


class SkillPublic(_RowPublic):
    """A published skill."""

    id: int
    name: str
    category: str | None
    level: int | None = Field(description="1 (beginner) to 5 (expert).")
    level_label: str | None = Field(description="JSON Resume's free-text level, as written.")
    years_experience: float | None
    keywords: list[str]
    is_featured: bool
    sort_order: int


class EducationPublic(_RowPublic):
    """A published degree or course of study."""

    id: int
    institution: str
    url: str | None
    area: str | None
    study_type: str | None
    score: str | None
    courses: list[str]
    start_date: str | None
    end_date: str | None
    sort_order: int


class VolunteerPublic(_RowPublic):
    """A published volunteering role."""

    id: int
    organization: str
    position: str | None
    url: str | None
    summary: str | None
    highlights: list[str]
    start_date: str | None
    end_date: str | None
    sort_order: int


class AwardPublic(_RowPublic):
    """A published award."""

    id: int
    title: str
    date: str | None
    awarder: str | None
    summary: str | None
    sort_order: int


class CertificatePublic(_RowPublic):
    """A published certificate."""

    id: int
    name: str
    date: str | None
    issuer: str | None
    url: str | None
    sort_order: int


class PublicationPublic(_RowPublic):
    """A published publication."""

    id: int
    name: str
    publisher: str | None
    release_date: str | None
    url: str | None
    summary: str | None
    sort_order: int


class LanguagePublic(_RowPublic):
    """A published spoken language."""

    id: int
    language: str
    fluency: str | None
    sort_order: int


class InterestPublic(_RowPublic):
    """A published interest."""

    id: int
    name: str
    keywords: list[str]
    sort_order: int


class ReferencePublic(_RowPublic):
    """A published reference."""

    id: int
    name: str
    reference: str | None
    sort_order: int


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
