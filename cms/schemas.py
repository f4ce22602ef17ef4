"""Response models of the public API: one ``XPublic`` per entity, snake_case JSON.

Dates are ISO-8601 text at the precision the CV states (``"2020"``, ``"2020-05"``,
``"2020-05-17"``). Each model is built from its table row with ``from_row``, so what the API
shows is decided here and nowhere else (``extra``, timestamps and draft flags never leak).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cms.models import (
    Award,
    Basics,
    Certificate,
    Education,
    Interest,
    Language,
    Profile,
    Project,
    Publication,
    Reference,
    Skill,
    Technology,
    Volunteer,
    Work,
    format_partial_date,
)

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


def _names(technologies: list[Technology]) -> list[str]:
    return [technology.name for technology in technologies]


class ProfilePublic(BaseModel):
    """A published social profile."""

    id: int
    network: str
    username: str | None
    url: str | None
    sort_order: int

    @classmethod
    def from_row(cls, row: Profile) -> ProfilePublic:
        """The public view of a profile row."""
        assert row.id is not None
        return cls(
            id=row.id,
            network=row.network,
            username=row.username,
            url=row.url,
            sort_order=row.sort_order,
        )


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


class ExperiencePublic(BaseModel):
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
    def from_row(cls, row: Work) -> ExperiencePublic:
        """The public view of a work row (``technologies`` must be loaded)."""
        assert row.id is not None
        return cls(
            id=row.id,
            company=row.company,
            position=row.position,
            url=row.url,
            location=row.location,
            description=row.description,
            summary=row.summary,
            highlights=list(row.highlights or []),
            start_date=format_partial_date(row.start_date, row.start_precision),
            end_date=format_partial_date(row.end_date, row.end_precision),
            is_current=row.end_date is None,
            technologies=_names(row.technologies),
            sort_order=row.sort_order,
        )


class ProjectPublic(BaseModel):
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

    @classmethod
    def from_row(cls, row: Project) -> ProjectPublic:
        """The public view of a project row (``technologies`` must be loaded)."""
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            slug=row.slug,
            description=row.description,
            highlights=list(row.highlights or []),
            url=row.url,
            github_url=row.github_url,
            demo_url=row.demo_url,
            image_url=row.image_url,
            roles=list(row.roles or []),
            entity=row.entity,
            type=row.type,
            start_date=format_partial_date(row.start_date, row.start_precision),
            end_date=format_partial_date(row.end_date, row.end_precision),
            is_featured=row.is_featured,
            technologies=_names(row.technologies),
            sort_order=row.sort_order,
        )


class SkillPublic(BaseModel):
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

    @classmethod
    def from_row(cls, row: Skill) -> SkillPublic:
        """The public view of a skill row."""
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            category=row.category,
            level=row.level,
            level_label=row.level_label,
            years_experience=row.years_experience,
            keywords=list(row.keywords or []),
            is_featured=row.is_featured,
            sort_order=row.sort_order,
        )


class EducationPublic(BaseModel):
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

    @classmethod
    def from_row(cls, row: Education) -> EducationPublic:
        """The public view of an education row."""
        assert row.id is not None
        return cls(
            id=row.id,
            institution=row.institution,
            url=row.url,
            area=row.area,
            study_type=row.study_type,
            score=row.score,
            courses=list(row.courses or []),
            start_date=format_partial_date(row.start_date, row.start_precision),
            end_date=format_partial_date(row.end_date, row.end_precision),
            sort_order=row.sort_order,
        )


class VolunteerPublic(BaseModel):
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

    @classmethod
    def from_row(cls, row: Volunteer) -> VolunteerPublic:
        """The public view of a volunteer row."""
        assert row.id is not None
        return cls(
            id=row.id,
            organization=row.organization,
            position=row.position,
            url=row.url,
            summary=row.summary,
            highlights=list(row.highlights or []),
            start_date=format_partial_date(row.start_date, row.start_precision),
            end_date=format_partial_date(row.end_date, row.end_precision),
            sort_order=row.sort_order,
        )


class AwardPublic(BaseModel):
    """A published award."""

    id: int
    title: str
    date: str | None
    awarder: str | None
    summary: str | None
    sort_order: int

    @classmethod
    def from_row(cls, row: Award) -> AwardPublic:
        """The public view of an award row."""
        assert row.id is not None
        return cls(
            id=row.id,
            title=row.title,
            date=format_partial_date(row.date, row.date_precision),
            awarder=row.awarder,
            summary=row.summary,
            sort_order=row.sort_order,
        )


class CertificatePublic(BaseModel):
    """A published certificate."""

    id: int
    name: str
    date: str | None
    issuer: str | None
    url: str | None
    sort_order: int

    @classmethod
    def from_row(cls, row: Certificate) -> CertificatePublic:
        """The public view of a certificate row."""
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            date=format_partial_date(row.date, row.date_precision),
            issuer=row.issuer,
            url=row.url,
            sort_order=row.sort_order,
        )


class PublicationPublic(BaseModel):
    """A published publication."""

    id: int
    name: str
    publisher: str | None
    release_date: str | None
    url: str | None
    summary: str | None
    sort_order: int

    @classmethod
    def from_row(cls, row: Publication) -> PublicationPublic:
        """The public view of a publication row."""
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            publisher=row.publisher,
            release_date=format_partial_date(row.release_date, row.release_date_precision),
            url=row.url,
            summary=row.summary,
            sort_order=row.sort_order,
        )


class LanguagePublic(BaseModel):
    """A published spoken language."""

    id: int
    language: str
    fluency: str | None
    sort_order: int

    @classmethod
    def from_row(cls, row: Language) -> LanguagePublic:
        """The public view of a language row."""
        assert row.id is not None
        return cls(id=row.id, language=row.language, fluency=row.fluency, sort_order=row.sort_order)


class InterestPublic(BaseModel):
    """A published interest."""

    id: int
    name: str
    keywords: list[str]
    sort_order: int

    @classmethod
    def from_row(cls, row: Interest) -> InterestPublic:
        """The public view of an interest row."""
        assert row.id is not None
        return cls(
            id=row.id, name=row.name, keywords=list(row.keywords or []), sort_order=row.sort_order
        )


class ReferencePublic(BaseModel):
    """A published reference."""

    id: int
    name: str
    reference: str | None
    sort_order: int

    @classmethod
    def from_row(cls, row: Reference) -> ReferencePublic:
        """The public view of a reference row."""
        assert row.id is not None
        return cls(id=row.id, name=row.name, reference=row.reference, sort_order=row.sort_order)


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
