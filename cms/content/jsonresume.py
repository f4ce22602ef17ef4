"""JSON Resume v1.0.0 import and export.

The codec follows each section's JSON Resume field map (:mod:`cms.content.sections`). Import
checks a document three ways and reports every problem with its JSON path: the official schema
and the types of our extensions (:mod:`cms.content.resume_schema`), and each section's write
schema (lengths, emails, links (:mod:`cms.content.links`), real dates, end ≥ start, skill
rating 1–5, :func:`cms.content.write.check`). The document itself was read by
:func:`load_document`, within the JSON limits (:mod:`cms.content.jsonlimits`). Only a document
without problems is written, replacing the whole CV in the caller's transaction
(:func:`cms.content.write.replace_cv`). Export renders the rows back into a document the schema
accepts.

Our extensions are extra properties, which the schema allows on every item: ``published``
(``false`` = draft) on every list item; ``keywords`` on work (its technologies, like a
project's ``keywords``); ``slug``, ``githubUrl``, ``demoUrl``, ``image``, ``featured`` on
projects; ``imageAlt`` (the image's text alternative) on basics and projects; ``rating`` (1–5),
``category``, ``yearsExperience``, ``featured`` on skills. Unknown properties are kept in each
row's ``extra`` (``Basics.location_extra`` for ``basics.location``; ``Basics.meta`` holds the
``meta`` section and ``$schema``) and exported verbatim.

An uploaded image is exported as the URL of its largest variant (``basics.image``, a project's
``image``); a backup also carries the images themselves in ``meta.cmsMedia``
(:mod:`cms.media.backup`), which import reads and never keeps among the ``meta`` properties.

import → export gives the document back, except for these normalisations: a value equal to the
default comes back absent (empty lists and sections, an empty ``location``, ``"featured":
false``, ``"published": true``); a project without ``slug`` gets one made from its name; whole
numbers come back as integers (``5.0`` → ``5``); ``meta.lastModified`` is the last change. URLs
and emails come back as written, ``""`` included (import reports malformed ones as warnings;
a link with a scheme other than http, https, mailto or tel refuses the document).
With drafts (a backup), an entry's scheduled publishing comes along as ``"publishAt"`` and
``"unpublishAt"`` (UTC times), which import reads back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.content import write
from cms.content.basics import BASICS, LOCATION_KEYS, PROFILES
from cms.content.dates import format_partial_date, parse_partial_date
from cms.content.images import image_url
from cms.content.localized import TRANSLATIONS_KEY, apply_translations, reading_locale
from cms.content.models import Technology
from cms.content.read import CVContent, Entry, load_cv
from cms.content.record import ResumeField, Section
from cms.content.resume_schema import (
    DATE_FORMS,
    SCHEMA_PATH,
    PathParts,
    Problem,
    ResumeValidationError,
    finish_problems,
    load_document,
    schema_errors,
    schema_problems,
)
from cms.content.sections import SECTIONS, sections_in_document
from cms.content.slugs import assign_slugs
from cms.core.models import ContentVersion, as_utc
from cms.media.backup import MEDIA_KEY, parse_media

__all__ = [
    "SCHEMA_PATH",
    "Problem",
    "ResumeCheck",
    "ResumeValidationError",
    "check_resume",
    "export_resume",
    "import_resume",
    "load_document",
    "parse_resume",
    "render_resume",
    "schema_problems",
    "validate_resume",
]

_DOCUMENT_SECTIONS = [section.name for section in sections_in_document()]
_TOP_LEVEL_KNOWN = frozenset({"basics", "meta", *_DOCUMENT_SECTIONS})
_BASICS_FIELDS = tuple(f for f in BASICS.resume if f.key not in LOCATION_KEYS)
_LOCATION_FIELDS = tuple(f for f in BASICS.resume if f.key in LOCATION_KEYS)
_DOCUMENT_KEY = "$document"  # Basics.meta key for top-level properties beyond the sections

_PARTIAL_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_TECHNOLOGY_MAX: int = Technology.__table__.c.name.type.length  # type: ignore[attr-defined]


# --- import ---------------------------------------------------------------------------


class _Parser:
    """Turns a document into unsaved rows, collecting problems instead of stopping at one."""

    def __init__(self) -> None:
        self.problems: list[tuple[PathParts, str]] = []
        self.warnings: list[tuple[PathParts, str]] = []

    def problem(self, parts: PathParts, message: str) -> None:
        self.problems.append((parts, message))

    def warn(self, parts: PathParts, message: str) -> None:
        self.warnings.append((parts, message))

    def parse(self, document: Any) -> CVContent:
        content = CVContent()
        if not isinstance(document, dict):
            return content
        meta: dict[str, Any] = {}
        backup: dict[str, Any] = document["meta"] if isinstance(document.get("meta"), dict) else {}
        if "meta" in document:
            meta["meta"] = document["meta"]
            if backup.keys() & {MEDIA_KEY, TRANSLATIONS_KEY}:
                # A backup's images and translations: stored as such, not as meta properties.
                if MEDIA_KEY in backup:
                    found = backup[MEDIA_KEY]
                    content.media = parse_media(found, ("meta", MEDIA_KEY), self.problem)
                rest = {k: v for k, v in backup.items() if k not in (MEDIA_KEY, TRANSLATIONS_KEY)}
                meta["meta"] = rest
                if not rest:
                    del meta["meta"]
        top_extra = {k: v for k, v in document.items() if k not in _TOP_LEVEL_KNOWN}
        if top_extra:
            meta[_DOCUMENT_KEY] = top_extra
        basics = document.get("basics")
        if isinstance(basics, dict):
            content.basics = self.basics(basics, meta)
            profiles = basics.get("profiles")
            if isinstance(profiles, list):
                section = PROFILES
                content.sections["profiles"] = self.items(section, profiles, ("basics", "profiles"))
        elif basics is None:
            for key in [k for k in document if k == "meta" or k in top_extra]:
                self.problem(
                    (key,), "needs a basics section (it is stored with the owner's basics)"
                )
        for name in _DOCUMENT_SECTIONS:
            items = document.get(name)
            if isinstance(items, list):
                content.sections[name] = self.items(SECTIONS[name], items, (name,))
        projects = content.sections.get("projects", [])
        for parts, message in assign_slugs(projects, document.get("projects")):
            self.problem(parts, message)
        if TRANSLATIONS_KEY in backup:
            rows = {name: [e.row for e in entries] for name, entries in content.sections.items()}
            found = apply_translations(content.basics, rows, backup[TRANSLATIONS_KEY])
            for parts, message in found:
                self.problem(parts, message)
        return content

    def basics(self, basics: dict[str, Any], meta: dict[str, Any]) -> Any:
        data, origin = self.values(_BASICS_FIELDS, basics, ("basics",))
        location = basics.get("location")
        location_extra: dict[str, Any] = {}
        if isinstance(location, dict):
            place, place_origin = self.values(_LOCATION_FIELDS, location, ("basics", "location"))
            data |= place
            origin |= place_origin
            known = {f.key for f in _LOCATION_FIELDS}
            location_extra = {k: v for k, v in location.items() if k not in known}
        known = {f.key for f in _BASICS_FIELDS} | {"location", "profiles"}
        extra = {k: v for k, v in basics.items() if k not in known}
        values = self.validate(BASICS, data, origin, ("basics",))
        if values is None:
            return None
        return BASICS.table(**values, extra=extra, location_extra=location_extra, meta=meta)

    def items(self, section: Section, items: list[Any], parts: PathParts) -> list[Entry]:
        entries = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue  # the schema reports it
            entry = self.item(section, item, index, (*parts, index))
            if entry is not None:
                entries.append(entry)
        return entries

    def item(
        self, section: Section, item: dict[str, Any], index: int, parts: PathParts
    ) -> Entry | None:
        data, origin = self.values(section.resume, item, parts)
        technologies = data.pop("technologies", [])
        data["sort_order"] = index
        if "published" in item:
            data["is_published"] = item["published"]
            origin["is_published"] = (*parts, "published")
        for key, column in _SCHEDULE_KEYS:
            if key in item:
                data[column] = item[key]
                origin[column] = (*parts, key)
        if section.name == "projects" and "slug" not in data:
            data["slug"] = "pending"  # replaced by check_slugs
        values = self.validate(section, data, origin, parts)
        if values is None:
            return None
        extra = {k: v for k, v in item.items() if k not in _known(section)}
        return Entry(section.table(**values, extra=extra), technologies)

    def values(
        self, fields: Iterable[ResumeField], item: Mapping[str, Any], parts: PathParts
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
            else:
                data[field.column] = value
        return data, origin

    def date(self, value: Any, parts: PathParts, *, full: bool) -> tuple[dt.date, Any] | None:
        if not isinstance(value, str):
            return None  # the schema reports it
        if not _PARTIAL_DATE.fullmatch(value):
            self.problem(parts, f"{value!r} is not a date in the form {DATE_FORMS}")
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
        section: Section,
        data: dict[str, Any],
        origin: Mapping[str, PathParts],
        parts: PathParts,
    ) -> dict[str, Any] | None:
        """The row values of one item, or ``None`` with its problems recorded by path.

        URLs and emails are kept as written: a malformed or empty one is a warning, since
        themes render them (the official sample has ``"url": "missdirection.example.com"``).
        """
        lenient = {f.column for f in section.resume if f.kind in ("url", "email", "image")}
        checked = write.check(section.schema, data, lenient=lenient)
        for found, record in ((checked.problems, self.problem), (checked.warnings, self.warn)):
            for name, messages in found.items():
                for message in messages:
                    record(origin.get(name, (*parts, name)) if name else parts, message)
        if checked.model is None:
            return None
        values = checked.model.model_dump()
        for name in lenient & data.keys():
            if data[name] == "":
                self.warn(origin[name], "Empty: kept as written (themes read it as no value).")
            values[name] = data[name]
        return values


_SCHEDULE_KEYS = (("publishAt", "publish_at"), ("unpublishAt", "unpublish_at"))
"""Where a backup keeps an entry's scheduled publishing (ISO 8601 UTC times)."""


def _known(section: Section) -> frozenset[str]:
    return frozenset(f.key for f in section.resume) | {"published"} | {k for k, _ in _SCHEDULE_KEYS}


@dataclass(frozen=True, slots=True)
class ResumeCheck:
    """What a document holds for the CV, and what is wrong with it."""

    content: CVContent
    problems: list[Problem]
    """Reasons to refuse the document (nothing is written)."""
    warnings: list[Problem]
    """Values kept as written that our rules would not accept from the admin."""


def check_resume(document: Any) -> ResumeCheck:
    """Read ``document`` into unsaved rows, collecting every problem and warning by JSON path."""
    found = schema_errors(document)
    parser = _Parser()
    content = parser.parse(document)
    # A path the schema already refused is not reported again by the later checks.
    refused = [parts for parts, _ in found]
    for parts, message in parser.problems:
        if not any(parts[: len(bad)] == bad for bad in refused):
            found.append((parts, message))
    return ResumeCheck(
        content, finish_problems(document, found), finish_problems(document, parser.warnings)
    )


def validate_resume(document: Any) -> list[Problem]:
    """Every reason ``document`` cannot be imported (an empty list: it can)."""
    return check_resume(document).problems


def parse_resume(document: Any) -> CVContent:
    """The unsaved rows ``document`` describes; raises :class:`ResumeValidationError`."""
    checked = check_resume(document)
    if checked.problems:
        raise ResumeValidationError(checked.problems)
    return checked.content


async def import_resume(session: AsyncSession, document: Any, *, actor: str) -> str:
    """Replace the whole CV with ``document`` in the caller's transaction; return a summary.

    Raises :class:`ResumeValidationError` before writing anything if the document has problems.
    """
    content = parse_resume(document)
    await write.replace_cv(session, content=content, actor=actor)
    return content.summary()


# --- export ---------------------------------------------------------------------------


def _render_value(field: ResumeField, row: Any, entry: Entry | None) -> Any:
    """The document value of ``field`` or ``None`` when it is left out."""
    if field.kind == "technologies":
        return list(entry.technologies) if entry and entry.technologies else None
    if field.kind == "image":
        return image_url(row)  # an upload's largest variant; a URL as written
    value = getattr(row, field.column)
    if field.kind == "date":
        return format_partial_date(value, getattr(row, field.precision or ""))
    if field.kind == "full_date":
        return value.isoformat() if value is not None else None
    if field.kind == "list":
        return list(value) if value else None
    if field.kind in {"url", "email"}:
        return value  # "" comes back as written
    if field.kind == "flag":
        return True if value else None
    if field.kind == "number" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _render_fields(
    fields: Iterable[ResumeField], row: Any, entry: Entry | None = None
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


def _render_entry(section: Section, entry: Entry, *, include_drafts: bool) -> dict[str, Any]:
    rendered = _render_fields(section.resume, entry.row, entry)
    if include_drafts and not entry.row.is_published:
        rendered["published"] = False
    for key, column in _SCHEDULE_KEYS if include_drafts else ():
        if (when := getattr(entry.row, column)) is not None:
            rendered[key] = as_utc(when).isoformat()
    extra = {k: v for k, v in (entry.row.extra or {}).items() if k not in _known(section)}
    return _with_extra(rendered, extra)


def _render_entries(content: CVContent, name: str, *, include_drafts: bool) -> list[dict[str, Any]]:
    return [
        _render_entry(SECTIONS[name], entry, include_drafts=include_drafts)
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

    ``meta.lastModified`` is the time of the last content change. Rows pass the import checks
    on their way in, so the document is valid (URLs kept as written aside); ``cms export`` and
    the tests confirm it with :func:`schema_problems`.
    """
    content = await load_cv(session, include_drafts=include_drafts)
    document = render_resume(content, include_drafts=include_drafts)
    changed = await session.scalar(select(col(ContentVersion.updated_at)))
    if document and changed is not None:
        meta = document.setdefault("meta", {})
        meta["lastModified"] = as_utc(changed).strftime("%Y-%m-%dT%H:%M:%S")
    locale = reading_locale()
    if document and locale is not None:  # the language it is written in (an extension)
        document.setdefault("meta", {})["locale"] = locale
    return document
