"""JSON Resume v1.0.0 import and export.

Import checks a document three ways and reports every problem with its JSON path: the official
schema (``cms/jsonresume/resume-schema-1.0.0.json``, Draft 7 validator, formats ``date``, ``email``
and ``uri`` asserted), the types of our extensions, and the rules of our models
(``XBase.model_validate``: lengths, emails, absolute http(s) URLs, real dates, end ≥ start,
skill rating 1–5). Only a document without problems is written, replacing the whole CV in the
caller's transaction. Export renders the rows back into a document the schema accepts.

Our extensions are extra properties, which the schema allows on every item: ``published``
(``false`` = draft) on every list item; ``keywords`` on work (its technologies, like a
project's ``keywords``); ``slug``, ``githubUrl``, ``demoUrl``, ``image``, ``featured`` on
projects; ``rating`` (1–5), ``category``, ``yearsExperience``, ``featured`` on skills. Unknown
properties are kept in each row's ``extra`` (``Basics.location_extra`` for ``basics.location``;
``Basics.meta`` holds the ``meta`` section and ``$schema``) and exported verbatim.

import → export gives the document back, except for these normalisations: a value equal to the
default comes back absent (empty lists and sections, ``""`` URLs, an empty
``location``, ``"featured": false``, ``"published": true``); a project without ``slug`` gets
one made from its name; whole numbers come back as integers (``5.0`` → ``5``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from cms.content import write as crud
from cms.content.models import (
    AwardBase,
    Basics,
    BasicsBase,
    CertificateBase,
    EducationBase,
    InterestBase,
    LanguageBase,
    ProfileBase,
    Project,
    ProjectBase,
    ProjectTechnology,
    PublicationBase,
    ReferenceBase,
    SkillBase,
    Technology,
    VolunteerBase,
    WorkBase,
    WorkTechnology,
    format_partial_date,
    parse_partial_date,
)
from cms.content.read import get_basics, public_order
from cms.content.validation import readable_message
from cms.content.write import SECTION_MODELS, CVContent, Entry

if TYPE_CHECKING:
    # Imported where used: jsonschema costs ~200 ms of import, which GET /api/v1/resume on
    # a cold Lambda must not pay (only import and `cms export` validate).
    from jsonschema import Draft7Validator, FormatChecker
    from jsonschema.exceptions import ValidationError as SchemaError

__all__ = [
    "SCHEMA_PATH",
    "Problem",
    "ResumeValidationError",
    "export_resume",
    "import_resume",
    "load_cv",
    "parse_resume",
    "render_resume",
    "schema_problems",
    "validate_resume",
]

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "resume-schema-1.0.0.json"
"""The official JSON Resume v1.0.0 schema (npm ``resume-schema@1.0.0``, MIT)."""


PathParts = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a document cannot be imported, located by a JSON path like ``$.work[2]``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ResumeValidationError(Exception):
    """A document was refused; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = f": {problems[0]}" if problems else ""
        super().__init__(f"{len(problems)} problem(s) in the JSON Resume document{first}")


# --- mapping --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    """A document property and the row attribute it maps to."""

    key: str
    column: str
    kind: str = "text"
    """text, url, email, list, date, full_date, flag, number or technologies."""
    precision: str | None = None


@dataclass(frozen=True, slots=True)
class _Section:
    name: str
    base: type[SQLModel]
    fields: tuple[_Field, ...]

    @property
    def known(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields) | {"published"}


def _f(key: str, column: str | None = None, kind: str = "text") -> _Field:
    return _Field(key, column or key, kind)


def _period() -> tuple[_Field, _Field]:
    return (
        _Field("startDate", "start_date", "date", "start_precision"),
        _Field("endDate", "end_date", "date", "end_precision"),
    )


_BASICS_FIELDS = (
    _f("name"),
    _f("label"),
    _f("image", kind="url"),
    _f("email", kind="email"),
    _f("phone"),
    _f("url", kind="url"),
    _f("summary"),
)
_LOCATION_FIELDS = (
    _f("address"),
    _f("postalCode", "postal_code"),
    _f("city"),
    _f("countryCode", "country_code"),
    _f("region"),
)

_SECTIONS: dict[str, _Section] = {
    section.name: section
    for section in (
        _Section(
            "profiles",
            ProfileBase,
            (_f("network"), _f("username"), _f("url", kind="url")),
        ),
        _Section(
            "work",
            WorkBase,
            (
                _f("name", "company"),
                _f("location"),
                _f("description"),
                _f("position"),
                _f("url", kind="url"),
                *_period(),
                _f("summary"),
                _f("highlights", kind="list"),
                _f("keywords", "technologies", "technologies"),
            ),
        ),
        _Section(
            "volunteer",
            VolunteerBase,
            (
                _f("organization"),
                _f("position"),
                _f("url", kind="url"),
                *_period(),
                _f("summary"),
                _f("highlights", kind="list"),
            ),
        ),
        _Section(
            "education",
            EducationBase,
            (
                _f("institution"),
                _f("url", kind="url"),
                _f("area"),
                _f("studyType", "study_type"),
                *_period(),
                _f("score"),
                _f("courses", kind="list"),
            ),
        ),
        _Section(
            "awards",
            AwardBase,
            (
                _f("title"),
                _Field("date", "date", "date", "date_precision"),
                _f("awarder"),
                _f("summary"),
            ),
        ),
        _Section(
            "certificates",
            CertificateBase,
            (
                _f("name"),
                _Field("date", "date", "full_date", "date_precision"),
                _f("url", kind="url"),
                _f("issuer"),
            ),
        ),
        _Section(
            "publications",
            PublicationBase,
            (
                _f("name"),
                _f("publisher"),
                _Field("releaseDate", "release_date", "date", "release_date_precision"),
                _f("url", kind="url"),
                _f("summary"),
            ),
        ),
        _Section(
            "skills",
            SkillBase,
            (
                _f("name"),
                _f("level", "level_label"),
                _f("keywords", kind="list"),
                _f("rating", "level", "number"),
                _f("category"),
                _f("yearsExperience", "years_experience", "number"),
                _f("featured", "is_featured", "flag"),
            ),
        ),
        _Section("languages", LanguageBase, (_f("language"), _f("fluency"))),
        _Section("interests", InterestBase, (_f("name"), _f("keywords", kind="list"))),
        _Section("references", ReferenceBase, (_f("name"), _f("reference"))),
        _Section(
            "projects",
            ProjectBase,
            (
                _f("name"),
                _f("description"),
                _f("highlights", kind="list"),
                _f("keywords", "technologies", "technologies"),
                *_period(),
                _f("url", kind="url"),
                _f("roles", kind="list"),
                _f("entity"),
                _f("type"),
                _f("slug"),
                _f("githubUrl", "github_url", "url"),
                _f("demoUrl", "demo_url", "url"),
                _f("image", "image_url", "url"),
                _f("featured", "is_featured", "flag"),
            ),
        ),
    )
}

# Sections in the order of the schema; profiles live inside basics.
_DOCUMENT_SECTIONS = [name for name in SECTION_MODELS if name != "profiles"]
_TOP_LEVEL_KNOWN = frozenset({"basics", "meta", *_DOCUMENT_SECTIONS})
_DOCUMENT_KEY = "$document"  # Basics.meta key for top-level properties beyond the sections

_DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"
_PARTIAL_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TECHNOLOGY_MAX: int = Technology.__table__.c.name.type.length  # type: ignore[attr-defined]


# --- schema validation ----------------------------------------------------------------


def _extensions_schema() -> dict[str, Any]:
    """Types of our extension properties (the official schema allows, but does not type, them)."""
    published = {"published": {"type": "boolean"}}
    strings = {"type": "array", "items": {"type": "string"}}

    def items(properties: dict[str, Any]) -> dict[str, Any]:
        return {"items": {"properties": {**published, **properties}}}

    sections = {name: items({}) for name in _DOCUMENT_SECTIONS}
    sections["work"] = items({"keywords": strings})
    sections["projects"] = items(
        {
            "slug": {"type": "string"},
            "githubUrl": {"type": "string"},
            "demoUrl": {"type": "string"},
            "image": {"type": "string"},
            "featured": {"type": "boolean"},
        }
    )
    sections["skills"] = items(
        {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "category": {"type": "string"},
            "yearsExperience": {"type": "number", "minimum": 0},
            "featured": {"type": "boolean"},
        }
    )
    sections["basics"] = {"properties": {"profiles": items({})}}
    return {"properties": sections}


def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=("date", "email"))

    # jsonschema checks "uri" only with an optional package. RFC 3986 asks for a scheme; ""
    # passes, as with the project's own validator (its sample uses "" for "no URL").
    @checker.checks("uri")
    def _is_uri(instance: object) -> bool:
        return not isinstance(instance, str) or not instance or bool(_URI.fullmatch(instance))

    return checker


@cache
def _validators() -> tuple[Draft7Validator, Draft7Validator]:
    from jsonschema import Draft7Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The file says draft-04; the jsonresume project checks it against draft-07, and nothing
    # in it reads differently under draft-07.
    checker = _format_checker()
    return (
        Draft7Validator(schema, format_checker=checker),
        Draft7Validator(_extensions_schema(), format_checker=checker),
    )


def _schema_error_problems(error: SchemaError) -> list[tuple[PathParts, str]]:
    parts: PathParts = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        return [
            (
                (*parts, key),
                "unknown property (JSON Resume v1.0.0 allows no extra top-level properties)",
            )
            for key in error.instance
            if key not in allowed
        ]
    if error.validator == "pattern" and error.validator_value == _iso8601_pattern():
        return [(parts, f"{error.instance!r} is not a date in the form {_DATE_FORMS}")]
    if error.validator == "format" and error.validator_value == "date":
        return [(parts, f"{error.instance!r} is not a full date (YYYY-MM-DD)")]
    if error.validator == "format" and error.validator_value == "uri":
        return [(parts, f"{error.instance!r} is not a URL (e.g. https://example.com/page)")]
    return [(parts, error.message)]


@cache
def _iso8601_pattern() -> str:
    return str(_validators()[0].schema["definitions"]["iso8601"]["pattern"])


def schema_problems(document: Any) -> list[Problem]:
    """Problems of ``document`` against the official JSON Resume v1.0.0 schema alone."""
    official, _ = _validators()
    found = [p for e in official.iter_errors(document) for p in _schema_error_problems(e)]
    return _finish(document, found)


# --- import ---------------------------------------------------------------------------


class _Parser:
    """Turns a document into unsaved rows, collecting problems instead of stopping at one."""

    def __init__(self) -> None:
        self.problems: list[tuple[PathParts, str]] = []

    def problem(self, parts: PathParts, message: str) -> None:
        self.problems.append((parts, message))

    def parse(self, document: Any) -> CVContent:
        content = CVContent()
        if not isinstance(document, dict):
            return content
        meta: dict[str, Any] = {}
        if "meta" in document:
            meta["meta"] = document["meta"]
        top_extra = {k: v for k, v in document.items() if k not in _TOP_LEVEL_KNOWN}
        if top_extra:
            meta[_DOCUMENT_KEY] = top_extra
        basics = document.get("basics")
        if isinstance(basics, dict):
            content.basics = self.basics(basics, meta)
            profiles = basics.get("profiles")
            if isinstance(profiles, list):
                section = _SECTIONS["profiles"]
                content.sections["profiles"] = self.items(section, profiles, ("basics", "profiles"))
        elif basics is None:
            for key in [k for k in document if k == "meta" or k in top_extra]:
                self.problem(
                    (key,), "needs a basics section (it is stored with the owner's basics)"
                )
        for name in _DOCUMENT_SECTIONS:
            items = document.get(name)
            if isinstance(items, list):
                content.sections[name] = self.items(_SECTIONS[name], items, (name,))
        self.check_slugs(content.sections.get("projects", []), document.get("projects"))
        return content

    def basics(self, basics: dict[str, Any], meta: dict[str, Any]) -> Basics | None:
        data, origin = self.values(_BASICS_FIELDS, basics, ("basics",))
        location = basics.get("location")
        location_extra: dict[str, Any] = {}
        if isinstance(location, dict):
            values, location_origin = self.values(
                _LOCATION_FIELDS, location, ("basics", "location")
            )
            data |= values
            origin |= location_origin
            known = {f.key for f in _LOCATION_FIELDS}
            location_extra = {k: v for k, v in location.items() if k not in known}
        known = {f.key for f in _BASICS_FIELDS} | {"location", "profiles"}
        extra = {k: v for k, v in basics.items() if k not in known}
        validated = self.validate(BasicsBase, data, origin, ("basics",))
        if validated is None:
            return None
        values = validated.model_dump()
        if "email" in data:
            values["email"] = data["email"]  # as written: the validator normalises the domain
        return Basics(**values, extra=extra, location_extra=location_extra, meta=meta)

    def items(self, section: _Section, items: list[Any], parts: PathParts) -> list[Entry]:
        entries = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue  # the schema reports it
            entry = self.item(section, item, index, (*parts, index))
            if entry is not None:
                entries.append(entry)
        return entries

    def item(
        self, section: _Section, item: dict[str, Any], index: int, parts: PathParts
    ) -> Entry | None:
        data, origin = self.values(section.fields, item, parts)
        technologies = data.pop("technologies", [])
        start, end = data.get("start_date"), data.get("end_date")
        if start is not None and end is not None and end < start:
            self.problem((*parts, "endDate"), f"must not be before startDate ({item['startDate']})")
        data["sort_order"] = index
        if "published" in item:
            data["is_published"] = item["published"]
            origin["is_published"] = (*parts, "published")
        if section.name == "projects" and "slug" not in data:
            data["slug"] = "pending"  # replaced by check_slugs
        validated = self.validate(section.base, data, origin, parts)
        if validated is None:
            return None
        model = SECTION_MODELS[section.name]
        extra = {k: v for k, v in item.items() if k not in section.known}
        return Entry(model(**validated.model_dump(), extra=extra), technologies)

    def values(
        self, fields: Iterable[_Field], item: Mapping[str, Any], parts: PathParts
    ) -> tuple[dict[str, Any], dict[str, PathParts]]:
        data: dict[str, Any] = {}
        origin: dict[str, PathParts] = {}
        for field in fields:
            here = (*parts, field.key)
            origin[field.column] = here
            if field.precision:
                origin[field.precision] = here
            if field.key not in item:
                continue
            value = item[field.key]
            if field.kind in {"date", "full_date"}:
                parsed = self.date(value, here, full=field.kind == "full_date")
                if parsed is not None and field.precision:
                    data[field.column], data[field.precision] = parsed
            elif field.kind == "technologies":
                data["technologies"] = self.technologies(value, here)
            elif field.kind == "url" and value == "":
                continue  # "no URL", as our models read it
            else:
                data[field.column] = value
        return data, origin

    def date(self, value: Any, parts: PathParts, *, full: bool) -> tuple[dt.date, Any] | None:
        if not isinstance(value, str):
            return None  # the schema reports it
        if not _PARTIAL_DATE.fullmatch(value):
            self.problem(parts, f"{value!r} is not a date in the form {_DATE_FORMS}")
            return None
        if full and len(value) != 10:
            self.problem(parts, f"{value!r} is not a full date (YYYY-MM-DD)")
            return None
        try:
            return parse_partial_date(value)
        except ValueError as exc:
            self.problem(parts, f"{value!r} is not a real date ({exc})")
            return None

    def technologies(self, value: Any, parts: PathParts) -> list[str]:
        if not isinstance(value, list):
            return []
        seen: set[str] = set()
        names: list[str] = []
        for index, name in enumerate(value):
            if not isinstance(name, str):
                continue
            if not name.strip():
                self.problem((*parts, index), "a technology needs a name")
            elif len(name) > _TECHNOLOGY_MAX:
                self.problem((*parts, index), f"at most {_TECHNOLOGY_MAX} characters")
            elif name in seen:
                self.problem((*parts, index), f"{name!r} is listed twice")
            seen.add(name)
            names.append(name)
        return names

    def validate(
        self,
        base: type[SQLModel],
        data: dict[str, Any],
        origin: Mapping[str, PathParts],
        parts: PathParts,
    ) -> SQLModel | None:
        try:
            return base.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                if not loc and "end_date" in error["msg"]:
                    continue  # reported by item(), also when other fields fail
                where = origin.get(str(loc[0]), (*parts, str(loc[0]))) if loc else parts
                message = "is required" if error["type"] == "missing" else readable_message(error)
                self.problem((*where, *loc[1:]), message)
            return None

    def check_slugs(self, entries: list[Entry], items: Any) -> None:
        """Give every project a unique slug: keep the given ones, make the missing ones."""
        if not isinstance(items, list):
            return
        given: dict[str, int] = {}
        for index, item in enumerate(items):
            slug = item.get("slug") if isinstance(item, dict) else None
            if not isinstance(slug, str):
                continue
            if slug in given:
                self.problem(
                    ("projects", index, "slug"),
                    f"{slug!r} is already the slug of $.projects[{given[slug]}]",
                )
            given.setdefault(slug, index)
        taken = set(given)
        for entry in entries:
            project: Project = entry.row
            if "slug" in items[project.sort_order]:
                continue
            project.slug = _unique_slug(project.name, taken)
            taken.add(project.slug)


def _unique_slug(name: str, taken: set[str]) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100].strip("-")
    base = base or "project"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _doc_order(document: Any, parts: PathParts) -> tuple[int, ...]:
    """Where a path points in the document, so problems come out in reading order."""
    order: list[int] = []
    node = document
    for part in parts:
        if isinstance(part, int):
            order.append(part)
            node = node[part] if isinstance(node, list) and part < len(node) else None
        elif isinstance(node, dict) and part in node:
            order.append(list(node).index(part))
            node = node[part]
        else:
            order.append(1_000_000)
            node = None
    return tuple(order)


def _json_path(parts: PathParts) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path


def _finish(document: Any, found: list[tuple[PathParts, str]]) -> list[Problem]:
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda problem: _doc_order(document, problem[0]))
    return [Problem(_json_path(parts), message) for parts, message in unique]


def _parse(document: Any) -> tuple[CVContent, list[Problem]]:
    official, extensions = _validators()
    found = [
        problem
        for validator in (official, extensions)
        for error in validator.iter_errors(document)
        for problem in _schema_error_problems(error)
    ]
    parser = _Parser()
    content = parser.parse(document)
    # A path the schema already refused is not reported again by the later checks.
    refused = [parts for parts, _ in found]
    for parts, message in parser.problems:
        if not any(parts[: len(bad)] == bad for bad in refused):
            found.append((parts, message))
    return content, _finish(document, found)


def validate_resume(document: Any) -> list[Problem]:
    """Every reason ``document`` cannot be imported (an empty list: it can)."""
    return _parse(document)[1]


def parse_resume(document: Any) -> CVContent:
    """The unsaved rows ``document`` describes; raises :class:`ResumeValidationError`."""
    content, problems = _parse(document)
    if problems:
        raise ResumeValidationError(problems)
    return content


async def import_resume(session: AsyncSession, document: Any) -> str:
    """Replace the whole CV with ``document`` in the caller's transaction; return a summary.

    Raises :class:`ResumeValidationError` before writing anything if the document has problems.
    """
    content = parse_resume(document)
    await crud.replace_cv(session, content=content)
    return content.summary()


# --- export ---------------------------------------------------------------------------


async def load_cv(session: AsyncSession, *, include_drafts: bool = False) -> CVContent:
    """The CV in the database as rows, in public order (drafts only if asked for)."""
    content = CVContent(basics=await get_basics(session))
    for name, model in SECTION_MODELS.items():
        statement = select(model).order_by(*public_order(model))
        if not include_drafts:
            statement = statement.where(col(model.is_published).is_(True))  # type: ignore[attr-defined]
        rows = (await session.scalars(statement)).all()
        content.sections[name] = [Entry(row) for row in rows]
    links: list[tuple[str, Any, Any]] = [
        ("work", WorkTechnology.work_id, WorkTechnology),
        ("projects", ProjectTechnology.project_id, ProjectTechnology),
    ]
    for name, item_id, link in links:
        entries = {entry.row.id: entry for entry in content.sections[name]}
        if not entries:
            continue
        statement = (
            select(item_id, col(Technology.name))
            .join(Technology, col(Technology.id) == link.technology_id)
            .order_by(item_id, link.position, link.technology_id)
        )
        tags: Sequence[Any] = (await session.execute(statement)).all()
        for owner, technology in tags:
            if owner in entries:
                entries[owner].technologies.append(technology)
    return content


def _render_value(field: _Field, row: Any, entry: Entry | None) -> Any:
    """The document value of ``field`` or ``None`` when it is left out."""
    if field.kind == "technologies":
        return list(entry.technologies) if entry and entry.technologies else None
    value = getattr(row, field.column)
    if field.kind == "date":
        return format_partial_date(value, getattr(row, field.precision or ""))
    if field.kind == "full_date":
        return value.isoformat() if value is not None else None
    if field.kind == "list":
        return list(value) if value else None
    if field.kind in {"url", "email"}:
        return value or None
    if field.kind == "flag":
        return True if value else None
    if field.kind == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _render_fields(
    fields: Iterable[_Field], row: Any, entry: Entry | None = None
) -> dict[str, Any]:
    rendered = {}
    for field in fields:
        value = _render_value(field, row, entry)
        if value is not None:
            rendered[field.key] = value
    return rendered


def _with_extra(rendered: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    for key, value in (extra or {}).items():
        rendered.setdefault(key, value)
    return rendered


def _render_entry(section: _Section, entry: Entry, *, include_drafts: bool) -> dict[str, Any]:
    rendered = _render_fields(section.fields, entry.row, entry)
    if include_drafts and not entry.row.is_published:
        rendered["published"] = False
    extra = {k: v for k, v in (entry.row.extra or {}).items() if k not in section.known}
    return _with_extra(rendered, extra)


def _render_entries(content: CVContent, name: str, *, include_drafts: bool) -> list[dict[str, Any]]:
    return [
        _render_entry(_SECTIONS[name], entry, include_drafts=include_drafts)
        for entry in content.sections.get(name, [])
        if include_drafts or entry.row.is_published
    ]


def render_resume(content: CVContent, *, include_drafts: bool = False) -> dict[str, Any]:
    """The JSON Resume document of ``content`` (drafts marked ``"published": false``)."""
    document: dict[str, Any] = {}
    basics = content.basics
    meta = dict(basics.meta or {}) if basics is not None else {}
    document |= meta.get(_DOCUMENT_KEY) or {}
    if basics is not None:
        rendered = _render_fields(_BASICS_FIELDS, basics)
        location = _with_extra(_render_fields(_LOCATION_FIELDS, basics), basics.location_extra)
        if location:
            rendered["location"] = location
        profiles = _render_entries(content, "profiles", include_drafts=include_drafts)
        if profiles:
            rendered["profiles"] = profiles
        known = {f.key for f in _BASICS_FIELDS} | {"location", "profiles"}
        extra = {k: v for k, v in (basics.extra or {}).items() if k not in known}
        document["basics"] = _with_extra(rendered, extra)
    for name in _DOCUMENT_SECTIONS:
        entries = _render_entries(content, name, include_drafts=include_drafts)
        if entries:
            document[name] = entries
    if "meta" in meta:
        document["meta"] = meta["meta"]
    return document


async def export_resume(session: AsyncSession, *, include_drafts: bool = False) -> dict[str, Any]:
    """The published CV as a JSON Resume v1.0.0 document (with drafts only if asked for).

    Rows pass the import checks on their way in, so the document is valid; ``cms export``
    and the tests confirm it with :func:`schema_problems`.
    """
    content = await load_cv(session, include_drafts=include_drafts)
    return render_resume(content, include_drafts=include_drafts)
