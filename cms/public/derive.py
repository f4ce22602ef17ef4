"""What a public request asks for, checked without FastAPI, and answers derived from documents.

The read path (:mod:`cms.public.readpath`) answers every public ``GET`` from the stored
documents of :mod:`cms.public.documents`, which hold each path without its query. This module
says which documents a request needs and derives the rest in memory:

- ``/projects?featured=``, ``/skills?category=&featured=``: the list document's entries that
  match (a category matches ignoring case);
- ``/experience/{id}``, ``/projects/{id-or-slug}``: the one entry with that id (or slug).

Entries are cut out of the stored JSON as they are, never re-serialised, so a derived body is
byte for byte what the routes of :mod:`cms.public.routes` render for the same request
(``tests/public/test_read_parity.py`` compares both). Query and path parameters follow the
routes' rules; a request that breaks them gets the same ``422`` details, without touching the
database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from cms.core.dburl import MAX_ID
from cms.public.httpcache import API_CACHE_PREFIX

__all__ = ["Derived", "Invalid", "Stored", "Wanted", "entries", "select", "wanted"]

_BOOLEANS = {
    **dict.fromkeys(("1", "true", "t", "yes", "y", "on"), True),
    **dict.fromkeys(("0", "false", "f", "no", "n", "off"), False),
}
_CATEGORY = re.compile(r"^[^\x00-\x1f\x7f]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_PROJECTS = f"{API_CACHE_PREFIX}/projects"
_SKILLS = f"{API_CACHE_PREFIX}/skills"
_EXPERIENCE = f"{API_CACHE_PREFIX}/experience"


@dataclass(frozen=True, slots=True)
class Stored:
    """The stored document at ``path``, as it is."""

    path: str


@dataclass(frozen=True, slots=True)
class Derived:
    """A subset of the list document at ``path``: the entries ``keep`` accepts.

    ``one`` answers with the single entry (a detail) or ``missing`` (a 404 message).
    """

    path: str
    keep: Callable[[dict[str, Any]], bool]
    one: bool = False
    missing: str = ""
    fallback: Derived | None = None
    """For a detail: what to try when no entry matched (an all-digit slug)."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """A ``422``: the request breaks the route's rules (``details`` as FastAPI words them)."""

    details: list[dict[str, Any]]


Wanted = Stored | Derived | Invalid


def _error(where: str, name: str, kind: str, message: str) -> dict[str, Any]:
    return {"loc": [where, name], "msg": message, "type": kind}


def _boolean(name: str, raw: str, errors: list[dict[str, Any]]) -> bool | None:
    value = _BOOLEANS.get(raw.strip().lower())
    if value is None:
        message = "Input should be a valid boolean, unable to interpret input"
        errors.append(_error("query", name, "bool_parsing", message))
    return value


def _category(raw: str, errors: list[dict[str, Any]]) -> str | None:
    if len(raw) < 1:
        message = "String should have at least 1 character"
        errors.append(_error("query", "category", "string_too_short", message))
    elif len(raw) > 100:
        message = "String should have at most 100 characters"
        errors.append(_error("query", "category", "string_too_long", message))
    elif not _CATEGORY.match(raw):
        message = f"String should match pattern '{_CATEGORY.pattern}'"
        errors.append(_error("query", "category", "string_pattern_mismatch", message))
    else:
        return raw
    return None


def _query(raw: str, allowed: tuple[str, ...]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The last value of each parameter (as Starlette reads it) and the unknown ones' errors."""
    values = dict(parse_qsl(raw, keep_blank_values=True))
    errors = [
        _error("query", name, "extra_forbidden", "Extra inputs are not permitted")
        for name in values
        if name not in allowed
    ]
    return values, errors


def _filtered(path: str, query: str) -> Wanted:
    allowed = ("category", "featured") if path == _SKILLS else ("featured",)
    values, errors = _query(query, allowed)
    category = _category(values["category"], errors) if "category" in values else None
    featured = _boolean("featured", values["featured"], errors) if "featured" in values else None
    if errors:
        return Invalid(errors)
    if category is None and featured is None:
        return Stored(path)
    wanted_category = None if category is None else category.lower()

    def keep(entry: dict[str, Any]) -> bool:
        if featured is not None and entry.get("featured") is not featured:
            return False
        return wanted_category is None or str(entry.get("category", "")).lower() == wanted_category

    return Derived(path, keep)


def _experience(key: str) -> Wanted:
    where = "experience_id"
    if not _INTEGER.match(key):
        message = "Input should be a valid integer, unable to parse string as an integer"
        return Invalid([_error("path", where, "int_parsing", message)])
    number = int(key)
    if number < 1:
        message = "Input should be greater than or equal to 1"
        return Invalid([_error("path", where, "greater_than_equal", message)])
    if number > MAX_ID:
        message = f"Input should be less than or equal to {MAX_ID}"
        return Invalid([_error("path", where, "less_than_equal", message)])
    return Derived(
        _EXPERIENCE, lambda e: e.get("id") == number, True, f"Experience {number} not found"
    )


def _project(key: str) -> Wanted:
    where = "id_or_slug"
    if len(key) > 120:
        message = "String should have at most 120 characters"
        return Invalid([_error("path", where, "string_too_long", message)])
    if not _SLUG.match(key):
        message = f"String should match pattern '{_SLUG.pattern}'"
        return Invalid([_error("path", where, "string_pattern_mismatch", message)])
    missing = f"Project {key!r} not found"
    by_slug = Derived(_PROJECTS, lambda e: e.get("slug") == key, True, missing)
    if not key.isdigit():
        return by_slug
    number = int(key)
    # An all-digit slug ("2048") is valid, so a number that names no project is tried as one.
    return Derived(_PROJECTS, lambda e: e.get("id") == number, True, missing, by_slug)


def wanted(path: str, query: str, stored: Callable[[str], bool]) -> Wanted | None:
    """What ``path?query`` asks for, or ``None``: no public document answers it.

    ``stored(path)`` says whether a document is stored at ``path``.
    """
    if path in (_PROJECTS, _SKILLS):
        return _filtered(path, query)
    parent, _, key = path.rpartition("/")
    if parent == _EXPERIENCE and key:
        found = _experience(key)
    elif parent == _PROJECTS and key:
        found = _project(key)
    elif stored(path):
        found = Stored(path)
    else:
        return None
    if query:
        _, errors = _query(query, ())
        if isinstance(found, Invalid):
            errors = found.details + errors
        return Invalid(errors)
    return found


def entries(body: bytes) -> list[tuple[dict[str, Any], str]]:
    """The entries of a JSON list, each parsed and as its exact text in ``body``."""
    text = body.decode()
    decoder = json.JSONDecoder()
    found: list[tuple[dict[str, Any], str]] = []
    position = 1  # after "["; documents are compact JSON (no whitespace)
    while position < len(text) - 1:
        entry, end = decoder.raw_decode(text, position)
        found.append((entry, text[position:end]))
        position = end + 1  # past ","
    return found


def select(listed: list[tuple[dict[str, Any], str]], derived: Derived) -> bytes | None:
    """The body ``derived`` asks for from the entries of its list, or ``None`` (a 404)."""
    kept = [text for entry, text in listed if derived.keep(entry)]
    if not derived.one:
        return ("[" + ",".join(kept) + "]").encode()
    if kept:
        return kept[0].encode()
    if derived.fallback is not None:
        return select(listed, derived.fallback)
    return None
