"""A whole CV in and out without losing one: what a replace changes, backups, restore.

A backup is the CV as a JSON Resume document with every draft (``"published": false``), in the
owner's order, dates at their precision, technologies, unknown properties and the uploaded
images (``meta.cmsMedia``, :mod:`cms.media.backup`) and every locale's texts
(``meta.cmsTranslations``, :mod:`cms.content.localized`): what import reads back. Backup, restore
into an empty database, backup again: the same bytes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from cms.content import write
from cms.content.jsonresume import parse_resume, render_resume
from cms.content.localized import TRANSLATIONS_KEY, translations_document
from cms.content.read import CVContent, load_cv
from cms.content.record import Section
from cms.content.sections import SECTIONS, sections_in_document
from cms.media.backup import MEDIA_KEY, media_document
from cms.media.image import ProcessedImage, Variant
from cms.media.models import Media, MediaVariant
from cms.media.storage import read_variant
from cms.media.urls import media_id_in_url

__all__ = [
    "BackupError",
    "SectionChanges",
    "backup_bytes",
    "changes",
    "current_document",
    "describe_changes",
    "describe_deletions",
    "is_empty",
    "read_backup",
    "replace_with_backup",
    "replaces_anything",
    "save_backup",
    "stored_images",
    "write_backup",
]


@dataclass(frozen=True, slots=True)
class SectionChanges:
    """How many entries of one section a replace adds, changes and removes."""

    added: int = 0
    changed: int = 0
    removed: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


async def current_document(session: AsyncSession) -> dict[str, Any]:
    """The whole CV, drafts and images included, as the JSON Resume document a backup holds."""
    content = await load_cv(session, include_drafts=True)
    document = render_resume(content, include_drafts=True)
    images = await stored_images(session)
    if images:
        document.setdefault("meta", {})[MEDIA_KEY] = media_document(images)
    rows = {name: [entry.row for entry in entries] for name, entries in content.sections.items()}
    if translations := translations_document(content.basics, rows):
        document.setdefault("meta", {})[TRANSLATIONS_KEY] = translations
    return document


async def stored_images(session: AsyncSession) -> list[ProcessedImage]:
    """Every stored image with its variants' bytes (from the database or the bucket)."""
    images = []
    for media in (await session.scalars(select(Media).order_by(col(Media.id)))).all():
        statement = (
            select(
                col(MediaVariant.name),
                col(MediaVariant.width),
                col(MediaVariant.height),
                col(MediaVariant.content_type),
            )
            .where(col(MediaVariant.media_id) == media.id)
            .order_by(col(MediaVariant.width).desc())
        )
        variants = []
        for name, width, height, content_type in (await session.execute(statement)).all():
            data = await read_variant(session, media.id, name)
            if data is None:
                raise LookupError(f"image {media.id}: variant {name} has no bytes")
            variants.append(Variant(name, width, height, data, content_type))
        images.append(
            ProcessedImage(
                id=media.id,
                width=media.width,
                height=media.height,
                placeholder=media.placeholder,
                original_name=media.original_name,
                original_bytes=media.original_bytes,
                variants=tuple(variants),
            )
        )
    return images


def backup_bytes(document: dict[str, Any]) -> bytes:
    """A document as backup file bytes (stable: the same CV gives the same bytes)."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class BackupError(Exception):
    """The backup of the current CV could not be written: nothing else was written either."""

    def __init__(self, directory: Path, reason: str) -> None:
        self.directory = directory
        self.reason = reason
        super().__init__(f"Cannot write a backup to {directory}: {reason}")


_BACKUP_NAME = re.compile(r"cv-backup-(?P<stamp>\d{8}-\d{6})(?:-(?P<number>\d+))?\.json")


def _backup_order(path: Path) -> tuple[str, int]:
    found = _BACKUP_NAME.fullmatch(path.name)
    assert found is not None
    return found["stamp"], int(found["number"] or 0)


def _create(path: Path, data: bytes) -> None:
    """Write a new file only the owner can read (drafts and images are in it)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def save_backup(path: Path, data: bytes) -> None:
    """Write a backup to ``path`` (replacing a file there) that only the owner can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # a file that was there keeps no wider mode
        file.write(data)


def _prune_backups(directory: Path, *, keep: int, written: Path) -> None:
    """Delete all but the newest ``keep`` backup files in ``directory``, never ``written``."""
    backups = sorted(
        (path for path in directory.iterdir() if _BACKUP_NAME.fullmatch(path.name)),
        key=_backup_order,
    )
    for path in backups[: max(len(backups) - keep, 0)]:
        if path != written:  # a clock set back names the newest backup as older ones
            path.unlink(missing_ok=True)  # another writer may have pruned it already


def write_backup(document: dict[str, Any], directory: Path, *, keep: int) -> Path:
    """Write ``document`` to a new timestamped file in ``directory``, then keep the newest ``keep``.

    The file is readable by its owner only (0600); a directory made here too (0700). Raises
    :class:`BackupError` when the directory or the file cannot be written.
    """
    data = backup_bytes(document)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # After the newest: a name freed by pruning is never taken again (it would sort first).
        same_second = [
            _backup_order(path)[1]
            for path in directory.glob(f"cv-backup-{stamp}*.json")
            if _BACKUP_NAME.fullmatch(path.name)
        ]
        first = max(same_second, default=-1) + 1
        for number in range(first, first + 1000):
            path = directory / f"cv-backup-{stamp}{f'-{number}' if number else ''}.json"
            try:
                _create(path, data)  # never overwrite an earlier backup
            except FileExistsError:
                continue
            _prune_backups(directory, keep=keep, written=path)
            return path
    except OSError as exc:
        raise BackupError(directory, exc.strerror or type(exc).__name__) from exc
    raise BackupError(directory, f"it already holds 1,000 backups made at {stamp}")


def read_backup(directory: Path, name: str) -> bytes | None:
    """A backup file of ``directory`` by name (``None``: no such backup, or not a backup name)."""
    if not _BACKUP_NAME.fullmatch(name):
        return None
    try:
        return (directory / name).read_bytes()
    except OSError:
        return None


def is_empty(content: CVContent) -> bool:
    """Whether a CV has nothing in it (no basics, no entries)."""
    return not content.counts()


def _key(section: Section, item: dict[str, Any]) -> tuple[Any, ...]:
    """What names an entry across two versions: its first field and its dates."""
    first = section.resume[0].key
    dates = [f.key for f in section.resume if f.kind in ("date", "full_date")]
    return (item.get(first), *(item.get(key) for key in dates))


def _compare(
    section: Section, old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]
) -> SectionChanges:
    before = {_key(section, item): item for item in old}
    after = {_key(section, item): item for item in new}
    return SectionChanges(
        added=len(after.keys() - before.keys()),
        changed=sum(1 for key in after.keys() & before.keys() if after[key] != before[key]),
        removed=len(before.keys() - after.keys()),
    )


def changes(current: dict[str, Any], new: dict[str, Any]) -> dict[str, SectionChanges]:
    """Per section, what replacing the ``current`` document with ``new`` does."""
    old_basics = {k: v for k, v in (current.get("basics") or {}).items() if k != "profiles"}
    new_basics = {k: v for k, v in (new.get("basics") or {}).items() if k != "profiles"}
    result = {
        "basics": SectionChanges(
            added=int(bool(new_basics) and not old_basics),
            changed=int(bool(new_basics) and bool(old_basics) and new_basics != old_basics),
            removed=int(bool(old_basics) and not new_basics),
        ),
        "profiles": _compare(
            SECTIONS["profiles"],
            (current.get("basics") or {}).get("profiles", []),
            (new.get("basics") or {}).get("profiles", []),
        ),
    }
    for section in sections_in_document():
        result[section.name] = _compare(
            section, current.get(section.name, []), new.get(section.name, [])
        )
    old_meta, new_meta = _meta(current), _meta(new)
    if old_meta != new_meta:
        result["meta"] = SectionChanges(
            added=int(old_meta is None),
            changed=int(old_meta is not None and new_meta is not None),
            removed=int(new_meta is None),
        )
    return {name: found for name, found in result.items() if found}


def replaces_anything(found: dict[str, SectionChanges]) -> bool:
    """Whether changes found by :func:`changes` change or remove something (not only add)."""
    return any(change.changed or change.removed for change in found.values())


def _entries(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """A document's entries by section, the basics' profiles as a section of their own."""
    basics = document.get("basics") or {}
    found = {"basics": [basics] if basics else [], "profiles": basics.get("profiles") or []}
    for section in sections_in_document():
        found[section.name] = list(document.get(section.name) or [])
    return found


def _images_named(value: Any) -> set[str]:
    """The ids of uploaded images a document's values name (``…/<id>/full.webp``)."""
    if isinstance(value, dict):
        return set().union(*map(_images_named, value.values()))
    if isinstance(value, list):
        return set().union(*map(_images_named, value))
    media_id = media_id_in_url(value) if isinstance(value, str) else None
    return {media_id} if media_id else set()


def describe_deletions(current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What replacing ``current`` with ``new`` deletes, one line per section: entries (by their
    first field), how many of them are drafts, and the uploaded images no entry shows then."""
    kept_images = _images_named({k: v for k, v in new.items() if k != "meta"})
    after = _entries(new)
    lines = []
    for name, items in _entries(current).items():
        section = SECTIONS[name]
        remaining = {_key(section, item) for item in after[name]}
        if name == "basics":
            gone = [item for item in items if not after[name]]
        else:
            gone = [item for item in items if _key(section, item) not in remaining]
        images = {
            media_id
            for item in items
            for media_id in _images_named({k: v for k, v in item.items() if k != "profiles"})
            if media_id not in kept_images
        }
        parts = []
        if gone:
            labels = ", ".join(str(item.get(section.resume[0].key) or "untitled") for item in gone)
            noun = "entry" if len(gone) == 1 else "entries"
            parts.append(f"{len(gone)} {noun} ({labels})")
        drafts = sum(1 for item in gone if item.get("published") is False)
        if drafts:
            parts.append(f"{drafts} of them {'a draft' if drafts == 1 else 'drafts'}")
        if images:
            parts.append(f"{len(images)} uploaded image{'s' if len(images) > 1 else ''}")
        if parts:
            lines.append(f"{name}: {'; '.join(parts)}")
    return lines


def _meta(document: dict[str, Any]) -> Any:
    """A document's ``meta`` without a backup's images (entries name the images they show)."""
    meta = document.get("meta")
    if isinstance(meta, dict) and meta.keys() & {MEDIA_KEY, TRANSLATIONS_KEY}:
        meta = {k: v for k, v in meta.items() if k not in (MEDIA_KEY, TRANSLATIONS_KEY)} or None
    return meta


def describe_changes(found: dict[str, SectionChanges]) -> list[str]:
    """One line per changed section, e.g. ``"work: 2 added, 1 removed"``."""
    lines = []
    for name, change in found.items():
        parts = [
            f"{count} {word}"
            for count, word in (
                (change.added, "added"),
                (change.changed, "changed"),
                (change.removed, "removed"),
            )
            if count
        ]
        lines.append(f"{name}: {', '.join(parts)}")
    return lines or ["no changes"]


async def replace_with_backup(
    session: AsyncSession,
    document: Any,
    *,
    backup_dir: Path,
    keep: int,
    actor: str,
    keep_translations: bool = True,
) -> tuple[Path | None, str]:
    """Back the CV up (keeping the newest ``keep`` backups), then replace it with ``document``.

    ``keep_translations``: entries the document keeps keep their texts in the other locales
    (an import); off, the CV is exactly the document (a restore).

    All in the caller's transaction. Returns the backup's path (``None`` when the CV was empty)
    and a summary of the new CV. Raises :class:`~cms.content.jsonresume.ResumeValidationError`
    or :class:`BackupError` before writing anything.
    """
    content = parse_resume(document)
    current = await current_document(session)
    backup = write_backup(current, backup_dir, keep=keep) if current else None
    if keep_translations:
        await _keep_translations(session, content)
    await write.replace_cv(session, content=content, actor=actor)
    return backup, content.summary()


def _row_key(section: Section, row: Any) -> tuple[Any, ...]:
    """What names a row across an import: its first field and its dates (as :func:`_key`)."""
    dates = [f.column for f in section.resume if f.kind in ("date", "full_date")]
    return (getattr(row, section.resume[0].column), *(getattr(row, name) for name in dates))


async def _keep_translations(session: AsyncSession, content: CVContent) -> None:
    """An import of the default locale's document keeps the other locales' texts of the
    entries it keeps (same first field and dates), unless it brings its own (a backup's)."""
    old = await load_cv(session, include_drafts=True)
    if content.basics is not None and old.basics is not None and not content.basics.translations:
        content.basics.translations = dict(old.basics.translations or {})
    for name, entries in content.sections.items():
        section = SECTIONS[name]
        before = {
            _row_key(section, entry.row): entry.row.translations
            for entry in old.sections.get(name, [])
            if entry.row.translations
        }
        for entry in entries:
            if not entry.row.translations:
                entry.row.translations = dict(before.get(_row_key(section, entry.row), {}))
