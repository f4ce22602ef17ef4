"""A whole CV in and out without losing one: what a replace changes, backups, restore.

A backup is the CV as a JSON Resume document with every draft (``"published": false``), in the
owner's order, dates at their precision, technologies and unknown properties: what import reads
back. Backup, restore into an empty database, backup again: the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cms.content import write
from cms.content.jsonresume import parse_resume, render_resume
from cms.content.read import CVContent, load_cv
from cms.content.record import Section
from cms.content.sections import SECTIONS, sections_in_document

__all__ = [
    "SectionChanges",
    "backup_bytes",
    "changes",
    "current_document",
    "describe_changes",
    "is_empty",
    "replace_with_backup",
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
    """The whole CV, drafts included, as the JSON Resume document a backup holds."""
    return render_resume(await load_cv(session, include_drafts=True), include_drafts=True)


def backup_bytes(document: dict[str, Any]) -> bytes:
    """A document as backup file bytes (stable: the same CV gives the same bytes)."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_backup(document: dict[str, Any], directory: Path) -> Path:
    """Write ``document`` to a new timestamped file in ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for number in range(1000):
        path = directory / f"cv-backup-{stamp}{f'-{number}' if number else ''}.json"
        try:
            with path.open("xb") as file:  # never overwrite an earlier backup
                file.write(backup_bytes(document))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory} already holds backups for {stamp}")


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
    if current.get("meta") != new.get("meta"):
        result["meta"] = SectionChanges(changed=1)
    return {name: found for name, found in result.items() if found}


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
    session: AsyncSession, document: Any, *, backup_dir: Path, actor: str
) -> tuple[Path | None, str]:
    """Back the CV up, then replace it with ``document``, in the caller's transaction.

    Returns the backup's path (``None`` when the CV was empty) and a summary of the new CV.
    Raises :class:`~cms.content.jsonresume.ResumeValidationError` before writing anything.
    """
    content = parse_resume(document)
    current = await current_document(session)
    backup = write_backup(current, backup_dir) if current else None
    await write.replace_cv(session, content=content, actor=actor)
    return backup, content.summary()
