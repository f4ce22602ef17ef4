"""Projects' slugs in an imported document: the given ones kept and unique, missing ones made."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from cms.content.jsonlimits import PathParts
from cms.content.read import Entry

__all__ = ["assign_slugs", "unique_slug"]


def unique_slug(name: str, taken: set[str]) -> str:
    """A slug made from ``name`` (ASCII, lower case, hyphens) that ``taken`` does not hold."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100].strip("-")
    base = base or "project"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def assign_slugs(entries: list[Entry], items: Any) -> list[tuple[PathParts, str]]:
    """Give every project a unique slug; returns the given slugs that repeat, by path.

    ``items`` are the document's projects, ``entries`` the rows read from them (each row's
    ``sort_order`` is its item's index).
    """
    if not isinstance(items, list):
        return []
    problems: list[tuple[PathParts, str]] = []
    given: dict[str, int] = {}
    for index, item in enumerate(items):
        slug = item.get("slug") if isinstance(item, dict) else None
        if not isinstance(slug, str):
            continue
        if slug in given:
            message = f"{slug!r} is already the slug of $.projects[{given[slug]}]"
            problems.append((("projects", index, "slug"), message))
        given.setdefault(slug, index)
    taken = set(given)
    for entry in entries:
        project = entry.row
        if "slug" in items[project.sort_order]:
            continue
        project.slug = unique_slug(project.name, taken)
        taken.add(project.slug)
    return problems
