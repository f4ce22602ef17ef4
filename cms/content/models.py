"""Tables and schemas of the CV.

The CV follows JSON Resume v1.0.0: every section has a table. Each entity has a family:
``XBase`` (editable fields and their validation) and ``X`` (the table); what the public API
returns lives in ``cms.content.schemas``. Table models skip pydantic validation, so writers validate
with ``XBase.model_validate`` first (see ``cms.content.validation``); the database repeats the rules
that matter as constraints.

Dates keep the precision a CV gives them: a ``date`` column and a ``*_precision`` column
(:mod:`cms.content.dates`).
"""

import datetime as dt
from datetime import UTC, date, datetime
from typing import Annotated, Any, overload

from pydantic import AfterValidator, EmailStr, model_validator
from sqlalchemy import JSON, CheckConstraint, DateTime, Enum, LargeBinary, func
from sqlalchemy.schema import Table
from sqlmodel import Field, Relationship, SQLModel

from cms.content.dates import DatePrecision

__all__ = [
    "CONTENT_TABLES",
    "AdminUser",
    "AuditLog",
    "Award",
    "AwardBase",
    "Basics",
    "BasicsBase",
    "Certificate",
    "CertificateBase",
    "ContentVersion",
    "Education",
    "EducationBase",
    "HttpUrlStr",
    "Interest",
    "InterestBase",
    "Language",
    "LanguageBase",
    "LoginAttempt",
    "Profile",
    "ProfileBase",
    "Project",
    "ProjectBase",
    "ProjectTechnology",
    "Publication",
    "PublicationBase",
    "RebuildState",
    "StoredDocument",
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
    "as_utc",
    "utcnow",
]


# Named constraints: Alembic can then alter or drop them later (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Timezone-aware now, for Python-side defaults."""
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC time: SQLite hands back naive datetimes, stored in UTC."""
    if value is None or value.tzinfo:
        return value
    return value.replace(tzinfo=UTC)


def _check_http_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in value:
        raise ValueError("must be an absolute http(s) URL, e.g. https://example.com")
    return value


HttpUrlStr = Annotated[str, AfterValidator(_check_http_url)]
"""A URL kept as typed, checked to be absolute http(s)."""


def _precision_field() -> Any:
    return Field(
        default=DatePrecision.day,
        sa_type=Enum(DatePrecision, name="date_precision", native_enum=False, length=8),
    )


def _timestamp_field(*, onupdate: bool = False) -> Any:
    kwargs: dict[str, Any] = {"server_default": func.now()}
    if onupdate:
        kwargs["onupdate"] = func.now()
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs=kwargs,
    )


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON)


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSON)


def _end_after_start() -> CheckConstraint:
    return CheckConstraint(
        "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
        name="end_after_start",
    )


class _Period(SQLModel):
    """A start and an optional end; the end may not come before the start."""

    start_date: date | None = None
    start_precision: DatePrecision = _precision_field()
    end_date: date | None = None
    end_precision: DatePrecision = _precision_field()

    @model_validator(mode="after")
    def _check_order(self) -> "_Period":
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class _Entry(SQLModel):
    """Fields every list entry has: manual order and draft/published state."""

    sort_order: int = Field(default=0, ge=-(2**31), le=2**31 - 1)  # an INTEGER column
    is_published: bool = True


class _ContentRow(SQLModel):
    """Columns of every CV section table beyond its editable fields.

    ``extra`` keeps the JSON Resume properties we have no column for, so export gives them back.
    """

    id: int | None = Field(default=None, primary_key=True)
    extra: dict[str, Any] = _json_dict()
    created_at: datetime = _timestamp_field()
    updated_at: datetime = _timestamp_field(onupdate=True)


# --- content version -----------------------------------------------------------------


class ContentVersion(SQLModel, table=True):
    """A single row whose counter moves with every content write (cache validity, ETags)."""

    __tablename__ = "content_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    updated_at: datetime = _timestamp_field(onupdate=True)


# --- basics ------------------------------------------------------------------------


class BasicsBase(SQLModel):
    """The owner: JSON Resume ``basics``."""

    name: str = Field(max_length=200)
    label: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    image: HttpUrlStr | None = Field(default=None, max_length=500)
    summary: str | None = None
    address: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country_code: str | None = Field(default=None, max_length=10)
    region: str | None = Field(default=None, max_length=100)


class Basics(BasicsBase, table=True):
    """The single ``basics`` row; ``extra`` keeps unknown JSON Resume properties."""

    __tablename__ = "basics"

    id: int | None = Field(default=None, primary_key=True)
    extra: dict[str, Any] = _json_dict()
    location_extra: dict[str, Any] = _json_dict()
    meta: dict[str, Any] = _json_dict()
    """JSON Resume ``meta`` section and any unknown top-level properties (under ``"$document"``)."""
    created_at: datetime = _timestamp_field()
    updated_at: datetime = _timestamp_field(onupdate=True)

    def __str__(self) -> str:
        return self.name


class ProfileBase(_Entry):
    """A social profile: JSON Resume ``basics.profiles``."""

    network: str = Field(max_length=100)
    username: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)


class Profile(ProfileBase, _ContentRow, table=True):
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
    created_at: datetime = _timestamp_field()

    work: list["Work"] = Relationship(back_populates="technologies", link_model=WorkTechnology)
    projects: list["Project"] = Relationship(
        back_populates="technologies", link_model=ProjectTechnology
    )

    def __str__(self) -> str:
        return self.name


# --- work ----------------------------------------------------------------------------


class WorkBase(_Period, _Entry):
    """A job: JSON Resume ``work`` (``company`` is its ``name``)."""

    company: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    location: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    summary: str | None = None
    highlights: list[str] = _json_list()


class Work(WorkBase, _ContentRow, table=True):
    __tablename__ = "work"
    __table_args__ = (_end_after_start(),)

    technologies: list[Technology] = Relationship(
        back_populates="work",
        link_model=WorkTechnology,
        sa_relationship_kwargs={"order_by": "WorkTechnology.position"},
    )

    def __str__(self) -> str:
        return f"{self.position} at {self.company}" if self.position else self.company


# --- projects ------------------------------------------------------------------------


class ProjectBase(_Period, _Entry):
    """A project: JSON Resume ``projects`` plus slug, featured flag and repository/demo links."""

    name: str = Field(max_length=200)
    # SQLModel's `regex=` is silently ignored under pydantic 2: pass the pattern through.
    slug: str = Field(
        max_length=120, unique=True, schema_extra={"pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$"}
    )
    description: str | None = None
    highlights: list[str] = _json_list()
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    github_url: HttpUrlStr | None = Field(default=None, max_length=500)
    demo_url: HttpUrlStr | None = Field(default=None, max_length=500)
    image_url: HttpUrlStr | None = Field(default=None, max_length=500)
    roles: list[str] = _json_list()
    entity: str | None = Field(default=None, max_length=200)
    type: str | None = Field(default=None, max_length=100)
    is_featured: bool = False


class Project(ProjectBase, _ContentRow, table=True):
    __tablename__ = "projects"
    __table_args__ = (_end_after_start(),)

    technologies: list[Technology] = Relationship(
        back_populates="projects",
        link_model=ProjectTechnology,
        sa_relationship_kwargs={"order_by": "ProjectTechnology.position"},
    )

    def __str__(self) -> str:
        return self.name


# --- skills --------------------------------------------------------------------------


class SkillBase(_Entry):
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
    keywords: list[str] = _json_list()
    is_featured: bool = False


class Skill(SkillBase, _ContentRow, table=True):
    __tablename__ = "skills"
    __table_args__ = (
        CheckConstraint("level IS NULL OR (level >= 1 AND level <= 5)", name="level"),
        CheckConstraint("years_experience IS NULL OR years_experience >= 0", name="years"),
    )

    def __str__(self) -> str:
        return self.name


# --- other JSON Resume sections ------------------------------------------------------


class VolunteerBase(_Period, _Entry):
    """Volunteering: JSON Resume ``volunteer``."""

    organization: str = Field(max_length=200)
    position: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    summary: str | None = None
    highlights: list[str] = _json_list()


class Volunteer(VolunteerBase, _ContentRow, table=True):
    __tablename__ = "volunteer"
    __table_args__ = (_end_after_start(),)

    def __str__(self) -> str:
        return f"{self.position} at {self.organization}" if self.position else self.organization


class EducationBase(_Period, _Entry):
    """A degree or course of study: JSON Resume ``education``."""

    institution: str = Field(max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    area: str | None = Field(default=None, max_length=200)
    study_type: str | None = Field(default=None, max_length=100)
    score: str | None = Field(default=None, max_length=50)
    courses: list[str] = _json_list()


class Education(EducationBase, _ContentRow, table=True):
    __tablename__ = "education"
    __table_args__ = (_end_after_start(),)

    def __str__(self) -> str:
        subject = " ".join(part for part in (self.study_type, self.area) if part)
        return f"{subject}, {self.institution}" if subject else self.institution


class AwardBase(_Entry):
    """An award: JSON Resume ``awards``."""

    title: str = Field(max_length=200)
    date: dt.date | None = None
    date_precision: DatePrecision = _precision_field()
    awarder: str | None = Field(default=None, max_length=200)
    summary: str | None = None


class Award(AwardBase, _ContentRow, table=True):
    __tablename__ = "awards"

    def __str__(self) -> str:
        return self.title


class CertificateBase(_Entry):
    """A certificate: JSON Resume ``certificates``."""

    name: str = Field(max_length=200)
    date: dt.date | None = None
    date_precision: DatePrecision = _precision_field()
    issuer: str | None = Field(default=None, max_length=200)
    url: HttpUrlStr | None = Field(default=None, max_length=500)


class Certificate(CertificateBase, _ContentRow, table=True):
    __tablename__ = "certificates"

    def __str__(self) -> str:
        return self.name


class PublicationBase(_Entry):
    """A publication: JSON Resume ``publications``."""

    name: str = Field(max_length=300)
    publisher: str | None = Field(default=None, max_length=200)
    release_date: dt.date | None = None
    release_date_precision: DatePrecision = _precision_field()
    url: HttpUrlStr | None = Field(default=None, max_length=500)
    summary: str | None = None


class Publication(PublicationBase, _ContentRow, table=True):
    __tablename__ = "publications"

    def __str__(self) -> str:
        return self.name


class LanguageBase(_Entry):
    """A spoken language: JSON Resume ``languages``."""

    language: str = Field(max_length=100)
    fluency: str | None = Field(default=None, max_length=100)


class Language(LanguageBase, _ContentRow, table=True):
    __tablename__ = "languages"

    def __str__(self) -> str:
        return self.language


class InterestBase(_Entry):
    """An interest: JSON Resume ``interests``."""

    name: str = Field(max_length=100)
    keywords: list[str] = _json_list()


class Interest(InterestBase, _ContentRow, table=True):
    __tablename__ = "interests"

    def __str__(self) -> str:
        return self.name


class ReferenceBase(_Entry):
    """A reference: JSON Resume ``references``."""

    name: str = Field(max_length=200)
    reference: str | None = None


class Reference(ReferenceBase, _ContentRow, table=True):
    # "references" is an SQL keyword.
    __tablename__ = "cv_references"

    def __str__(self) -> str:
        return self.name


# --- back office ---------------------------------------------------------------------


class AdminUser(SQLModel, table=True):
    """An owner account for the back office."""

    __tablename__ = "admin_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    last_login_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp_field()

    def __str__(self) -> str:
        return self.username


class LoginAttempt(SQLModel, table=True):
    """A failed login, kept in the database so throttling holds across instances."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, index=True)
    client: str = Field(max_length=100, index=True)
    created_at: datetime = _timestamp_field()


class AuditLog(SQLModel, table=True):
    """Who changed which record, when, and what."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100)
    action: str = Field(max_length=20)
    table_name: str = Field(max_length=100)
    record_id: str | None = Field(default=None, max_length=100)
    record_label: str | None = Field(default=None, max_length=300)
    changes: dict[str, Any] = _json_dict()
    created_at: datetime = _timestamp_field()

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.table_name} #{self.record_id}"


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


# --- rebuild on publish --------------------------------------------------------------


class RebuildState(SQLModel, table=True):
    """Where rebuild-on-publish stands: one row (id 1) shared by every instance (see cms.rebuild).

    Not content: writing it does not move the content version.
    """

    __tablename__ = "rebuild_state"

    id: int = Field(default=1, primary_key=True)
    published_version: int = 0
    """Content version every configured build hook has accepted."""
    hook_versions: dict[str, int] = _json_dict()
    """Per hook (keyed by a hash of its URL, never the URL): the last version it accepted."""
    attempt_version: int | None = None
    last_attempt_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_success_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_status: str | None = Field(default=None, max_length=20)
    last_trigger: str | None = Field(default=None, max_length=20)
    last_results: list[dict[str, Any]] = _json_list()
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """A lease: while it lies in the future, one instance is calling the hooks."""


# --- published documents (the Lambda fast path) --------------------------------------


class StoredDocument(SQLModel, table=True):
    """A public API response as the full app rendered it, shared with every instance.

    Written by the response cache (``cms.public.cache``) on a miss, read by
    ``cms.public.fastpath`` with one primary-key lookup; valid only for ``version``. Not content:
    writing it does not move the content version.
    """

    __tablename__ = "documents"

    path: str = Field(primary_key=True, max_length=500)
    """Path and query under ``/api/v1`` (only the bounded set of ``httpcache.shared_key``)."""
    version: int
    """Content version the document was rendered for."""
    etag: str = Field(max_length=100)
    body: bytes = Field(sa_type=LargeBinary)
    media_type: str = Field(max_length=100)
    rendered_at: datetime = _timestamp_field()
