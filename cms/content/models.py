"""Tables and write schemas of the CV.

The CV follows JSON Resume v1.0.0: every section has a table. Each entity has a family:
``XBase`` (editable fields and their validation, the section's write schema) and ``X`` (the
table). Table models skip pydantic validation, so every writer validates with the write schema
first (:func:`cms.content.write.check`); the database repeats the rules that matter as
constraints. What the API returns is made from the section records (:mod:`cms.content.sections`).

Dates keep the precision a CV gives them: a ``date`` column and a ``*_precision`` column
(:mod:`cms.content.dates`).
"""

import datetime as dt
from datetime import datetime
from typing import Any, ClassVar

from pydantic import EmailStr
from sqlalchemy import CheckConstraint
from sqlalchemy.schema import Table
from sqlmodel import Field, Relationship, SQLModel

from cms.content.dates import DatePrecision
from cms.content.fields import (
    ContentRow,
    HttpUrlStr,
    Illustrated,
    Line,
    ListEntry,
    Period,
    end_after_start,
    long_text,
    precision_field,
)
from cms.content.queries import SLUG_PATTERN
from cms.core.models import json_dict_field, json_list_field, timestamp_field
from cms.media.models import Media

__all__ = [
    "CONTENT_TABLES",
    "Award",
    "AwardBase",
    "Basics",
    "BasicsBase",
    "Certificate",
    "CertificateBase",
    "Education",
    "EducationBase",
    "Interest",
    "InterestBase",
    "Language",
    "LanguageBase",
    "Profile",
    "ProfileBase",
    "Project",
    "ProjectBase",
    "ProjectTechnology",
    "Publication",
    "PublicationBase",
    "Reference",
    "ReferenceBase",
    "Skill",
    "SkillBase",
    "Technology",
    "Volunteer",
    "VolunteerBase",
    "Work",
    "WorkBase",
    "WorkTechnology",
]


# --- basics ------------------------------------------------------------------------


class BasicsBase(Illustrated):
    """The owner: JSON Resume ``basics``."""

    image_url_field: ClassVar[str] = "image"

    name: str = Field(max_length=200)
    label: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    image: HttpUrlStr | None = Field(default=None, max_length=500)
    summary: str | None = long_text()
    pronouns: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country_code: str | None = Field(default=None, max_length=10)
    region: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    """An IANA time zone, e.g. ``Europe/Lisbon`` (``basics.location.timezone``)."""


class Basics(BasicsBase, table=True):
    """The single ``basics`` row; ``extra`` keeps unknown JSON Resume properties."""

    __tablename__ = "basics"

    id: int | None = Field(default=None, primary_key=True)
    extra: dict[str, Any] = json_dict_field()
    location_extra: dict[str, Any] = json_dict_field()
    meta: dict[str, Any] = json_dict_field()
    """JSON Resume ``meta`` section and any unknown top-level properties (under ``"$document"``)."""
    translations: dict[str, Any] = json_dict_field()
    """Texts in the other locales: ``{"de": {"label": "…"}}`` (:mod:`cms.content.localized`)."""
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field(onupdate=True)

    image_media: Media | None = Relationship(sa_relationship_kwargs={"lazy": "raise_on_sql"})
    """The uploaded image (the read loads it; nothing else does)."""

    def __str__(self) -> str:
        return self.name


class ProfileBase(ListEntry):
    """A social profile: JSON Resume ``basics.profiles``."""

    network: str = Field(max_length=100)
    username: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)


class Profile(ProfileBase, ContentRow, table=True):
    __tablename__ = "profiles"

    def __str__(self) -> str:
        return f"{self.network}: {self.username or self.url or ''}".strip()


# --- technologies --------------------------------------------------------------------


class WorkTechnology(SQLModel, table=True):
    """Link work ↔ technology; ``position`` keeps the order the owner listed them in."""

    __tablename__ = "work_technologies"

    work_id: int | None = Field(
        default=None, foreign_key="work.id", primary_key=True, ondelete="CASCADE"
    )
    technology_id: int | None = Field(
        default=None, foreign_key="technologies.id", primary_key=True, ondelete="CASCADE"
    )
    position: int = 0


class ProjectTechnology(SQLModel, table=True):
    """Link project ↔ technology; ``position`` keeps the listed order."""

    __tablename__ = "project_technologies"

    project_id: int | None = Field(
        default=None, foreign_key="projects.id", primary_key=True, ondelete="CASCADE"
    )
    technology_id: int | None = Field(
        default=None, foreign_key="technologies.id", primary_key=True, ondelete="CASCADE"
    )
    position: int = 0


class Technology(SQLModel, table=True):
    """A shared tag (language, framework, tool) used by work and projects."""

    __tablename__ = "technologies"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    created_at: datetime = timestamp_field()

    work: list["Work"] = Relationship(back_populates="technologies", link_model=WorkTechnology)
    projects: list["Project"] = Relationship(
        back_populates="technologies", link_model=ProjectTechnology
    )

    def __str__(self) -> str:
        return self.name


# --- work ----------------------------------------------------------------------------


class WorkBase(Period, ListEntry):
    """A job: JSON Resume ``work`` (``company`` is its ``name``)."""

    company: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    location: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    summary: str | None = long_text()
    highlights: list[Line] = json_list_field()


class Work(WorkBase, ContentRow, table=True):
    __tablename__ = "work"
    __table_args__ = (end_after_start(),)

    technologies: list[Technology] = Relationship(
        back_populates="work",
        link_model=WorkTechnology,
        sa_relationship_kwargs={"order_by": "WorkTechnology.position"},
    )

    def __str__(self) -> str:
        return f"{self.position} at {self.company}" if self.position else self.company


# --- projects ------------------------------------------------------------------------


class ProjectBase(Period, ListEntry, Illustrated):
    """A project: JSON Resume ``projects`` plus slug, featured flag and repository/demo links."""

    image_url_field: ClassVar[str] = "image_url"

    name: str = Field(max_length=200)
    # SQLModel's `regex=` is silently ignored under pydantic 2: pass the pattern through.
    slug: str = Field(max_length=120, unique=True, schema_extra={"pattern": SLUG_PATTERN})
    description: str | None = long_text()
    highlights: list[Line] = json_list_field()
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    github_url: HttpUrlStr | None = Field(default=None, max_length=500)
    demo_url: HttpUrlStr | None = Field(default=None, max_length=500)
    image_url: HttpUrlStr | None = Field(default=None, max_length=500)
    roles: list[Line] = json_list_field()
    entity: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, max_length=100)
    is_featured: bool = False


class Project(ProjectBase, ContentRow, table=True):
    __tablename__ = "projects"
    __table_args__ = (end_after_start(),)

    technologies: list[Technology] = Relationship(
        back_populates="projects",
        link_model=ProjectTechnology,
        sa_relationship_kwargs={"order_by": "ProjectTechnology.position"},
    )
    image_media: Media | None = Relationship(sa_relationship_kwargs={"lazy": "raise_on_sql"})
    """The uploaded image (the read loads it; nothing else does)."""

    def __str__(self) -> str:
        return self.name


# --- skills --------------------------------------------------------------------------


class SkillBase(ListEntry):
    """A skill with category, level 1–5, years of use and a featured flag."""

    name: str = Field(max_length=100)
    category: str | None = Field(default=None, max_length=100)
    level: int | None = Field(default=None, ge=1, le=5, description="1 (beginner) to 5 (expert).")
    level_label: str | None = Field(
        default=None, max_length=50, description="JSON Resume's free-text level, as written."
    )
    years_experience: float | None = Field(
        default=None, ge=0, schema_extra={"allow_inf_nan": False}
    )
    keywords: list[Line] = json_list_field()
    is_featured: bool = False


class Skill(SkillBase, ContentRow, table=True):
    __tablename__ = "skills"
    __table_args__ = (
        CheckConstraint("level IS NULL OR (level >= 1 AND level <= 5)", name="level"),
        CheckConstraint("years_experience IS NULL OR years_experience >= 0", name="years"),
    )

    def __str__(self) -> str:
        return self.name


# --- other JSON Resume sections ------------------------------------------------------


class VolunteerBase(Period, ListEntry):
    """Volunteering: JSON Resume ``volunteer``."""

    organization: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    summary: str | None = long_text()
    highlights: list[Line] = json_list_field()


class Volunteer(VolunteerBase, ContentRow, table=True):
    __tablename__ = "volunteer"
    __table_args__ = (end_after_start(),)

    def __str__(self) -> str:
        return f"{self.position} at {self.organization}" if self.position else self.organization


class EducationBase(Period, ListEntry):
    """A degree or course of study: JSON Resume ``education``."""

    institution: str = Field(max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    area: str | None = Field(default=None, max_length=200)
    study_type: str | None = Field(default=None, max_length=100)
    score: str | None = Field(default=None, max_length=50)
    courses: list[Line] = json_list_field()


class Education(EducationBase, ContentRow, table=True):
    __tablename__ = "education"
    __table_args__ = (end_after_start(),)

    def __str__(self) -> str:
        subject = " ".join(part for part in (self.study_type, self.area) if part)
        return f"{subject}, {self.institution}" if subject else self.institution


class AwardBase(ListEntry):
    """An award: JSON Resume ``awards``."""

    title: str = Field(max_length=200)
    date: dt.date | None = None
    date_precision: DatePrecision = precision_field()
    awarder: str | None = Field(default=None, max_length=200)
    summary: str | None = long_text()


class Award(AwardBase, ContentRow, table=True):
    __tablename__ = "awards"

    def __str__(self) -> str:
        return self.title


class CertificateBase(ListEntry):
    """A certificate: JSON Resume ``certificates``."""

    name: str = Field(max_length=200)
    date: dt.date | None = None
    date_precision: DatePrecision = precision_field()
    issuer: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)


class Certificate(CertificateBase, ContentRow, table=True):
    __tablename__ = "certificates"

    def __str__(self) -> str:
        return self.name


class PublicationBase(ListEntry):
    """A publication: JSON Resume ``publications``."""

    name: str = Field(max_length=300)
    publisher: str | None = Field(default=None, max_length=200)
    release_date: dt.date | None = None
    release_date_precision: DatePrecision = precision_field()
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    summary: str | None = long_text()


class Publication(PublicationBase, ContentRow, table=True):
    __tablename__ = "publications"

    def __str__(self) -> str:
        return self.name


class LanguageBase(ListEntry):
    """A spoken language: JSON Resume ``languages``."""

    language: str = Field(max_length=100)
    fluency: str | None = Field(default=None, max_length=100)


class Language(LanguageBase, ContentRow, table=True):
    __tablename__ = "languages"

    def __str__(self) -> str:
        return self.language


class InterestBase(ListEntry):
    """An interest: JSON Resume ``interests``."""

    name: str = Field(max_length=100)
    keywords: list[Line] = json_list_field()


class Interest(InterestBase, ContentRow, table=True):
    __tablename__ = "interests"

    def __str__(self) -> str:
        return self.name


class ReferenceBase(ListEntry):
    """A reference: JSON Resume ``references``."""

    name: str = Field(max_length=200)
    reference: str | None = long_text()


class Reference(ReferenceBase, ContentRow, table=True):
    # "references" is an SQL keyword.
    __tablename__ = "cv_references"

    def __str__(self) -> str:
        return self.name


def _tables(*models: Any) -> tuple[Table, ...]:
    return tuple(model.__table__ for model in models)


CONTENT_TABLES: tuple[Table, ...] = _tables(
    Basics,
    Profile,
    Technology,
    WorkTechnology,
    ProjectTechnology,
    Work,
    Project,
    Skill,
    Volunteer,
    Education,
    Award,
    Certificate,
    Publication,
    Language,
    Interest,
    Reference,
)
"""Tables whose rows are public content: writing any of them bumps the content version."""
