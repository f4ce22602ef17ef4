"""Rows as a locale reads them: translated texts, the default locale's where none is given.

Each section record names its translatable columns (``Section.translatable``); a row keeps the
other locales' texts in its ``translations`` column, ``{"de": {"summary": "…"}}``, so a new
locale needs no migration and backups, history and imports carry them as row data. The
default locale's texts are the columns themselves.

A read in a locale (:func:`reading_in`) makes :mod:`cms.content.read` hand out
:class:`Translated` views of its rows: every face that renders from the read (the public
lists, personal info, the JSON Resume document, the printable CV) is translated without
knowing it. A text with no translation (absent, empty) falls back to the default's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cms.content.record import Section
from cms.content.sections import SECTIONS, section_of

__all__ = [
    "Translated",
    "TranslationCount",
    "count_translations",
    "is_translated",
    "localized",
    "TRANSLATIONS_KEY",
    "apply_translations",
    "reading_in",
    "translations_document",
    "reading_locale",
    "translated_values",
    "with_translation",
]


@dataclass(frozen=True, slots=True)
class _Reading:
    tag: str
    translated: bool
    """Not the default locale: translations apply."""


_reading: ContextVar[_Reading | None] = ContextVar("cms_reading_locale", default=None)


@contextmanager
def reading_in(tag: str, *, default: bool) -> Iterator[None]:
    """Read rows in locale ``tag`` within the block (``default``: the columns as they are)."""
    token = _reading.set(_Reading(tag, not default))
    try:
        yield
    finally:
        _reading.reset(token)


def reading_locale() -> str | None:
    """The locale reads are made in, or ``None`` outside :func:`reading_in` (backups, admin)."""
    reading = _reading.get()
    return None if reading is None else reading.tag


def is_translated(value: Any) -> bool:
    """Whether ``value`` is a translation at all (empty texts and lists fall back)."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(isinstance(item, str) and item.strip() for item in value)
    return False


def translated_values(row: Any, section: Section, tag: str) -> dict[str, Any]:
    """The translatable columns of ``row`` that have a text in ``tag``."""
    texts = (row.translations or {}).get(tag)
    if not isinstance(texts, Mapping):
        return {}
    return {
        name: texts[name]
        for name in section.translatable
        if name in texts and is_translated(texts[name])
    }


class Translated:
    """A row read in another locale: translated texts, everything else from the row."""

    __slots__ = ("_row", "_texts")

    def __init__(self, row: Any, tag: str) -> None:
        self._row = row
        self._texts = translated_values(row, section_of(type(row)), tag)

    def __getattr__(self, name: str) -> Any:
        texts = self._texts
        if name in texts:
            return texts[name]
        return getattr(self._row, name)

    def __repr__(self) -> str:
        return f"Translated({self._row!r})"


def localized(row: Any) -> Any:
    """``row`` as the current locale reads it (itself outside a locale or in the default)."""
    reading = _reading.get()
    if row is None or reading is None or not reading.translated or not row.translations:
        return row
    return Translated(row, reading.tag)


def with_translation(
    translations: Mapping[str, Any] | None, tag: str, texts: Mapping[str, Any]
) -> dict[str, Any]:
    """A new ``translations`` value with ``tag``'s texts replaced by ``texts`` (empty ones
    left out, a locale with none removed); a new object, as JSON columns need."""
    result = {key: dict(value) for key, value in (translations or {}).items()}
    kept = {name: value for name, value in texts.items() if is_translated(value)}
    if kept:
        result[tag] = kept
    else:
        result.pop(tag, None)
    return result


@dataclass(frozen=True, slots=True)
class TranslationCount:
    """How many texts of the CV a locale has translated, of how many there are."""

    tag: str
    translated: int
    total: int

    def __str__(self) -> str:
        return f"{self.tag}: {self.translated} of {self.total}"


def count_translations(rows: Mapping[str, list[Any]], tags: list[str]) -> list[TranslationCount]:
    """For each locale of ``tags``: the texts with a translation, of the texts filled in
    (``rows``: every row of each section by name)."""
    counts = []
    for tag in tags:
        translated = total = 0
        for name, section_rows in rows.items():
            section = SECTIONS[name]
            for row in section_rows:
                texts = translated_values(row, section, tag)
                for field in section.translatable:
                    if is_translated(getattr(row, field)):
                        total += 1
                        translated += field in texts
        counts.append(TranslationCount(tag, translated, total))
    return counts


# --- backups ----------------------------------------------------------------------------

TRANSLATIONS_KEY = "cmsTranslations"
"""``meta`` property of a backup holding every row's translations, by section and position."""


def translations_document(basics: Any, sections: Mapping[str, list[Any]]) -> dict[str, Any]:
    """Every row's ``translations`` (``sections``: each list section's rows in the backup's
    order), sections without any left out: what a backup carries in ``meta``."""
    found: dict[str, Any] = {}
    if basics is not None and basics.translations:
        found["basics"] = basics.translations
    for name, rows in sections.items():
        if any(row.translations for row in rows):
            found[name] = [row.translations or {} for row in rows]
    return found


def _field_problem(section: Section, name: str, value: Any) -> str | None:
    if name not in section.translatable:
        return "is not a translatable field"
    try:
        section.schema.__pydantic_validator__.validate_assignment(
            section.schema.model_construct(), name, value
        )
    except ValidationError as exc:
        errors = exc.errors()
        return str(errors[0]["msg"]) if errors else "is not valid"
    return None


def _row_problems(section: Section, value: Any, parts: tuple[Any, ...]) -> list[Any]:
    if not isinstance(value, Mapping):
        return [(parts, "must be an object of locales")]
    problems: list[Any] = []
    for tag, texts in value.items():
        if not isinstance(texts, Mapping):
            problems.append(((*parts, tag), "must be an object of texts"))
            continue
        for name, text in texts.items():
            problem = _field_problem(section, name, text)
            if problem is not None:
                problems.append(((*parts, tag, name), problem))
    return problems


def apply_translations(basics: Any, sections: Mapping[str, list[Any]], found: Any) -> list[Any]:
    """Give the rows of a parsed backup their translations from ``meta.cmsTranslations``;
    the problems, as (path parts, message)."""
    where = ("meta", TRANSLATIONS_KEY)
    if not isinstance(found, Mapping):
        return [(where, "must be an object of sections")]
    problems: list[Any] = []
    for name, value in found.items():
        if name == "basics":
            if basics is None:
                problems.append(((*where, name), "has no basics to translate"))
                continue
            problems += _row_problems(SECTIONS["basics"], value, (*where, name))
            if not problems:
                basics.translations = dict(value)
            continue
        rows = sections.get(name)
        if name not in SECTIONS or rows is None or not isinstance(value, list):
            problems.append(((*where, name), "must be a list as long as its section"))
            continue
        if len(value) != len(rows):
            problems.append(((*where, name), f"has {len(value)} entries, the section {len(rows)}"))
            continue
        for index, (row, item) in enumerate(zip(rows, value, strict=True)):
            found_here = _row_problems(SECTIONS[name], item, (*where, name, index))
            problems += found_here
            if not found_here:
                row.translations = dict(item)
    return problems
