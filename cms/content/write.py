"""The one write path: the admin, ``cms import``, ``cms seed`` and the CLI all write through here.

A write is checked, then committed with the same rules whoever makes it:

1. **Validation**, once, with the section's write schema (:func:`check`), and unique columns
   (:func:`unique_problems`). Problems come back by field, worded the same for every writer.
2. **Tracking**: the writer names who writes and, for tagged rows, the technologies' order
   (:func:`cms.content.tracking.track`); then it sets the row's attributes and flushes, as
   SQLAlchemy writers do.
3. **Rules at flush** (:mod:`cms.content.session`, on every session of its
   ``make_sessionmaker``): the content version moves in the same transaction as any content
   change (caches and ETags depend on it), technology links get their positions, and each
   tracked row gets an audit entry with what changed, and the public responses of the new
   version are stored (:mod:`cms.content.publish`). A write that changes nothing writes
   nothing: no audit, no new version.

The back office reaches this through SQLAdmin's own hooks (``on_model_change`` checks and
tracks, SQLAdmin sets the attributes and commits); import, seeding, restore and the JSON
Resume page through :func:`replace_cv`; publish/unpublish through :func:`set_published`;
the order of a list (dragging rows in the back office) through :func:`reorder`. An uploaded
image becomes ``media`` rows through :func:`new_images`, attached to the row that shows it and
inserted with it; the rules at commit keep images' ``published`` flag and delete the ones no
row refers to (:mod:`cms.media.storage`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlmodel import col

from cms.content.models import Technology
from cms.content.read import CVContent, public_order
from cms.content.record import Section
from cms.content.revisions import written_by
from cms.content.sections import LIST_SECTIONS, SECTIONS
from cms.content.tracking import track
from cms.core.models import AuditLog, utcnow
from cms.media.image import ProcessedImage
from cms.media.models import Media
from cms.media.storage import media_storage
from cms.media.urls import media_id_in_url

__all__ = [
    "RECORD",
    "Checked",
    "Problems",
    "WriteError",
    "check",
    "ensure_technologies",
    "new_images",
    "reorder",
    "replace_cv",
    "set_published",
    "technology_order",
    "unique_problems",
]

Problems = dict[str, list[str]]
"""Messages by field name (:data:`RECORD` for the record as a whole)."""

RECORD = ""
"""Key of problems that belong to the record as a whole rather than one field."""

_PATTERN_HINTS = {"slug": "Use lower-case letters, digits and single hyphens, e.g. my-project."}


class WriteError(Exception):
    """A write the owner can fix: nothing was written; ``problems`` says where and why."""

    def __init__(self, problems: Problems, message: str = "Not saved") -> None:
        self.problems = problems
        details = "; ".join(
            f"{name.replace('_', ' ') or 'record'}: {' '.join(messages)}"
            for name, messages in problems.items()
        )
        super().__init__(f"{message}: {details}" if details else f"{message}.")


# --- validation ------------------------------------------------------------------------


def _readable(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "missing":
        return "This field is required."
    if error["type"] == "string_pattern_mismatch" and field in _PATTERN_HINTS:
        return _PATTERN_HINTS[field]
    message = error["msg"].removeprefix("Value error, ")
    message = re.sub(r"\b([a-z]+(?:_[a-z]+)+)\b", lambda m: m.group(1).replace("_", " "), message)
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else f"{message}."


def _owner_field(error: ErrorDetails, fields: Mapping[str, Any]) -> str:
    if error["loc"]:
        return str(error["loc"][0])
    # A model-level rule ("end_date must not be before start_date"): pin it on the field its
    # message names first, which is the one to correct.
    named = [(error["msg"].find(n), n) for n in fields if re.search(rf"\b{n}\b", error["msg"])]
    # At one place the longest name is the one meant ("image_alt", not its prefix "image").
    return min(named, key=lambda found: (found[0], -len(found[1])))[1] if named else RECORD


class Checked(NamedTuple):
    """What :func:`check` found: the validated model (``None`` if refused), problems, warnings."""

    model: Any
    problems: Problems
    warnings: Problems


def check(
    schema: type[BaseModel], values: Mapping[str, Any], *, lenient: Collection[str] = ()
) -> Checked:
    """Validate ``values`` with a write schema.

    A format error of a ``lenient`` field (a URL without a scheme, a malformed email) is a
    warning, not a problem: the model is validated without that field, for the caller to keep
    the value as written (JSON Resume themes read such values; the admin asks for a fix).
    """
    data = {name: values[name] for name in schema.model_fields if name in values}
    problems: Problems = {}
    warnings: Problems = {}
    # Model-level rules (end after start) only run once every field is valid: validate again
    # without the failed fields that have defaults, to report those rules as well.
    for _attempt in range(2):
        try:
            validated = schema.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                field = _owner_field(error, schema.model_fields)
                found = (
                    warnings if field in lenient and error["type"] == "value_error" else problems
                )
                messages = found.setdefault(field, [])
                if (message := _readable(error)) not in messages:
                    messages.append(message)
            failed = {name for name in (*problems, *warnings) if name in data}
            if not failed or any(schema.model_fields[name].is_required() for name in failed):
                break
            data = {name: value for name, value in data.items() if name not in failed}
        else:
            return Checked(None if problems else validated, problems, warnings)
    return Checked(None, problems, warnings)


async def unique_problems(
    session: AsyncSession, table: Any, values: Mapping[str, Any], *, row_id: int | None, noun: str
) -> Problems:
    """Values of unique columns another row already holds (ignoring case)."""
    problems: Problems = {}
    for column in table.__table__.columns:
        value = values.get(column.name)
        if not column.unique or not isinstance(value, str) or not value:
            continue
        statement = select(func.count()).where(func.lower(column) == value.lower())
        if row_id is not None:
            statement = statement.where(table.id != row_id)
        if await session.scalar(statement):
            label = column.name.replace("_", " ")
            problems[column.name] = [f"Another {noun} already uses this {label}."]
    return problems


async def technology_order(
    session: AsyncSession, *, current: Sequence[Any], wanted: Sequence[int]
) -> list[int]:
    """The technologies' order after an edit: kept ones as they were, new picks by name."""
    kept = [tech.id for tech in current if tech.id in wanted]
    new = [tech_id for tech_id in dict.fromkeys(wanted) if tech_id not in kept]
    if new:
        statement = select(col(Technology.id)).where(col(Technology.id).in_(new))
        found = await session.scalars(statement.order_by(col(Technology.name)))
        new = [tech_id for tech_id in found.all() if tech_id is not None]
    return kept + new


# --- writes of many rows ---------------------------------------------------------------


async def ensure_technologies(session: AsyncSession, *, names: Sequence[str]) -> list[int]:
    """The ids of the technologies called ``names``, in that order, creating missing ones."""
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
    return [existing[name].id for name in names]  # type: ignore[misc]


async def new_images(session: AsyncSession, images: Sequence[ProcessedImage]) -> list[Media]:
    """The ``media`` rows of the images the database does not hold yet, for the caller to add.

    Their bytes go where the engine's ``MEDIA_STORAGE`` keeps them: in the rows, or uploaded to
    the bucket now (before the transaction commits, so no committed row names a missing
    object). An image held already is shared: ids are content-addressed.
    """
    wanted = {image.id: image for image in images}
    if not wanted:
        return []
    statement = select(col(Media.id)).where(col(Media.id).in_(wanted))
    held = set((await session.scalars(statement)).all())
    fresh = [image for media_id, image in wanted.items() if media_id not in held]
    return await media_storage(session.get_bind()).new_rows(fresh)


async def _link_images(session: AsyncSession, content: CVContent) -> None:
    """Give back their uploaded image to rows naming one by URL (a backup, an export)."""
    rows = [content.basics] if content.basics is not None else []
    rows += [
        entry.row
        for section in LIST_SECTIONS
        if section.illustrated
        for entry in content.sections.get(section.name, [])
    ]
    named = [(row, media_id_in_url(getattr(row, row.image_url_field))) for row in rows]
    candidates = {media_id for _, media_id in named if media_id}
    if not candidates:
        return
    statement = select(col(Media.id)).where(col(Media.id).in_(candidates))
    known = set((await session.scalars(statement)).all())
    for row, media_id in named:
        if media_id in known and not row.image_media_id:
            row.image_media_id = media_id
            setattr(row, row.image_url_field, None)


async def replace_cv(session: AsyncSession, *, content: CVContent, actor: str) -> None:
    """Make ``content`` the whole CV, in the caller's transaction, with one audit entry.

    Technologies are reused by name (their ids stay stable across imports); the ones no
    longer used are deleted, so the CV afterwards is exactly ``content``. Images the content
    carries (a backup's) are stored; a row whose image URL names an image the database holds
    (``…/<id>/full.webp``) refers to that image again. Images no row refers to afterwards are
    deleted when the transaction commits (:func:`cms.media.storage.sync_media`).
    """
    written_by(session, actor)
    session.add_all(await new_images(session, content.media))
    await session.flush()
    await _link_images(session, content)
    for section in LIST_SECTIONS:  # links first: SQLite does not enforce ON DELETE CASCADE
        if section.tagged:
            await session.execute(delete(section.links.table))
    for section in (*LIST_SECTIONS, SECTIONS["basics"]):
        await session.execute(delete(section.table))
    if content.basics is not None:
        session.add(content.basics)
    entries = [
        (section, entry)
        for section in LIST_SECTIONS
        for entry in content.sections.get(section.name, [])
    ]
    session.add_all(entry.row for _, entry in entries)
    await session.flush()
    for section, entry in entries:
        if section.tagged and entry.technologies:
            links = section.links
            ids = await ensure_technologies(session, names=entry.technologies)
            await session.execute(
                insert(links.table),
                [
                    {links.owner.name: entry.row.id, links.technology.name: tech_id, "position": n}
                    for n, tech_id in enumerate(ids)
                ],
            )
    await _delete_unused_technologies(session)
    session.add(
        AuditLog(
            username=actor,
            action="replace",
            table_name="cv",
            record_label=content.summary()[:300],
            changes=content.counts(),
            created_at=utcnow(),
        )
    )
    await session.flush()


async def _delete_unused_technologies(session: AsyncSession) -> None:
    conditions = [
        col(Technology.id).not_in(select(section.links.technology))
        for section in LIST_SECTIONS
        if section.tagged
    ]
    await session.execute(delete(Technology).where(*conditions))


async def set_published(
    session: AsyncSession, section: Section, *, ids: Sequence[int], published: bool, actor: str
) -> int:
    """Publish or unpublish entries of ``section``, all or none; returns how many changed.

    Raises :class:`LookupError` if an id names no row and :class:`WriteError` if a row breaks
    the section's rules.
    """
    table: Any = section.table
    statement = select(table).where(col(table.id).in_(ids))
    if section.tagged:
        statement = statement.options(selectinload(table.technologies))
    rows = (await session.scalars(statement)).all()
    if len(rows) != len(set(ids)):
        raise LookupError("Some of these entries no longer exist.")
    for row in rows:  # rows written outside this path may break the rules: publish none of them
        values = {name: getattr(row, name) for name in section.schema.model_fields}
        if problems := check(section.schema, values | {"is_published": published}).problems:
            raise WriteError(problems)
    changed = [row for row in rows if row.is_published != published]
    for row in changed:
        track(row, actor=actor)
        row.is_published = published
    await session.flush()
    return len(changed)


async def reorder(
    session: AsyncSession, section: Section, *, ids: Sequence[int], actor: str
) -> dict[int, int]:
    """Put the entries ``ids`` of ``section`` in that order, all or none.

    Returns the new ``sort_order`` of each row it changed (empty: the order already was this).

    ``ids`` are the rows the owner sees (a page of the list, a search, a filter) in their new
    order. They take the places in the public order that they held between them before, so
    the rows not shown keep theirs. Where the shown rows' ``sort_order`` values are distinct
    and no other row shares one, the shown rows trade those values among themselves (the
    owner's own numbers are kept); otherwise (ties: new entries all start at 0) the whole
    section is numbered 0, 1, 2, … in the new order, so the order holds whatever the dates.
    Only rows whose value changes are written and audited; an order that changes nothing
    writes nothing (no audit entry, no new content version).

    Raises :class:`WriteError` for an empty list or an id given twice, and
    :class:`LookupError` if an id names no entry of the section.
    """
    if not section.is_list:
        raise ValueError(f"{section.name} is not a list section")
    if not ids:
        raise WriteError({}, "Not reordered: no entries were sent")
    if len(set(ids)) != len(ids):
        raise WriteError({}, "Not reordered: an entry appears more than once")
    table: Any = section.table
    rows = list((await session.scalars(select(table).order_by(*public_order(section)))).all())
    by_id = {row.id: row for row in rows}
    if any(row_id not in by_id for row_id in ids):
        raise LookupError("Some of these entries no longer exist.")
    current = [row.id for row in rows]
    shown = set(ids)
    places = [n for n, row_id in enumerate(current) if row_id in shown]
    wanted = list(current)
    for place, row_id in zip(places, ids, strict=True):
        wanted[place] = row_id
    if wanted == current:
        return {}
    values = [by_id[row_id].sort_order for row_id in current if row_id in shown]
    others = {row.sort_order for row in rows if row.id not in shown}
    if len(set(values)) == len(values) and others.isdisjoint(values):
        # ``values`` ascend (the public order starts with sort_order): the n-th shown place
        # keeps its number, whichever row now holds it.
        new = dict(zip(ids, values, strict=True))
    else:
        new = {row_id: n for n, row_id in enumerate(wanted)}
    changed = [by_id[row_id] for row_id, value in new.items() if by_id[row_id].sort_order != value]
    for row in changed:
        track(row, actor=actor)
        row.sort_order = new[row.id]
    await session.flush()
    return {row.id: row.sort_order for row in changed}
