"""Writing translations: one entry's texts in a locale, or a whole translated document.

Both go through the one write path: checked with the section's write schema (the default's
values with the translated texts in their place: the same lengths and rules), tracked, and
committed by the caller, whose session publishes every locale's responses.

**The translator's loop.** ``cms export --locale de`` writes the CV in that locale (texts
without a translation in the default's words); the translator edits the texts;
``cms import --locale de`` (or ``PUT /api/v1/resume?locale=de``) reads them back here: entries
are matched by position in each section, so the document must have the CV's structure (the
same entries, counts, dates, URLs, flags and technologies; drafts only if the export had
them), else it is refused with the JSON path of each difference. Only the translatable fields
are written; a text equal to the default's is no translation (it keeps following the
default), an empty one removes the translation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.basics import BASICS, LOCATION_KEYS
from cms.content.jsonresume import render_resume
from cms.content.localized import is_translated, translated_values, with_translation
from cms.content.read import load_cv
from cms.content.record import ResumeField, Section
from cms.content.resume_schema import PathParts, ResumeValidationError, finish_problems
from cms.content.sections import SECTIONS, sections_in_document
from cms.content.tracking import track
from cms.content.write import Problems, WriteError, check

__all__ = [
    "TranslationChanges",
    "check_translation",
    "import_translation",
    "set_translation",
]


def _values(section: Section, row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in section.schema.model_fields}


def _kept(section: Section, row: Any, texts: Mapping[str, Any]) -> dict[str, Any]:
    """The texts that are translations: given, and not the default's own words."""
    default = _values(section, row)
    return {k: v for k, v in texts.items() if is_translated(v) and v != default.get(k)}


def check_translation(section: Section, row: Any, texts: Mapping[str, Any]) -> Problems:
    """Problems of ``texts`` as translations of ``row``'s fields, by field (none: fine)."""
    unknown = [name for name in texts if name not in section.translatable]
    if unknown:
        return {name: ["This field is not translatable."] for name in unknown}
    merged = _values(section, row) | {k: v for k, v in texts.items() if is_translated(v)}
    found = check(section.schema, merged).problems
    return {name: messages for name, messages in found.items() if name in texts}


def set_translation(
    section: Section, row: Any, tag: str, texts: Mapping[str, Any], *, actor: str
) -> bool:
    """Make ``texts`` the translations of ``row`` in ``tag`` (flushed and committed by the
    caller); whether anything changed. Raises :class:`WriteError` for a text that breaks the
    section's rules."""
    problems = check_translation(section, row, texts)
    if problems:
        raise WriteError(problems)
    new = with_translation(row.translations, tag, _kept(section, row, texts))
    if new == (row.translations or {}):
        return False
    track(row, actor=actor)
    row.translations = new
    return True


# --- a translated document -------------------------------------------------------------


@dataclass
class TranslationChanges:
    """What importing a translated document changes: entries per section, and the writes."""

    changed: dict[str, int] = field(default_factory=dict)
    writes: list[tuple[Section, Any, dict[str, Any]]] = field(default_factory=list)

    def describe(self) -> list[str]:
        """One line per section whose translations change, e.g. ``"work: 2 changed"``."""
        lines = [f"{name}: {count} changed" for name, count in self.changed.items() if count]
        return lines or ["no changes"]


def _fields(section: Section) -> Iterable[tuple[PathParts, ResumeField]]:
    """Each field of an item with its place in the item (basics' location is nested)."""
    for item in section.resume:
        if section is BASICS and item.key in LOCATION_KEYS:
            yield ("location", item.key), item
        else:
            yield (item.key,), item


def _get(item: Any, parts: PathParts) -> Any:
    for part in parts:
        item = item.get(part) if isinstance(item, Mapping) else None
    return item


class _Comparison:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.problems: list[tuple[PathParts, str]] = []
        self.changes = TranslationChanges()

    def entry(self, section: Section, row: Any, current: Any, given: Any, parts: PathParts) -> None:
        if not isinstance(given, Mapping):
            self.problems.append((parts, "must be an object, as in the CV"))
            return
        texts: dict[str, Any] = {}
        for where, item in _fields(section):
            mine, theirs = _get(current, where), _get(given, where)
            if item.column not in section.translatable:
                if mine != theirs:
                    self.problems.append(((*parts, *where), f"differs from the CV ({mine!r})"))
                continue
            if theirs is None:
                continue
            if item.kind == "list" and not (
                isinstance(theirs, list) and all(isinstance(v, str) for v in theirs)
            ):
                self.problems.append(((*parts, *where), "must be a list of texts"))
            elif item.kind == "text" and not isinstance(theirs, str):
                self.problems.append(((*parts, *where), "must be a text"))
            else:
                texts[item.column] = theirs
        if given.get("published", True) != current.get("published", True):
            self.problems.append(((*parts, "published"), "differs from the CV"))
        problems = check_translation(section, row, texts)
        for name, messages in problems.items():
            where = next((w for w, f in _fields(section) if f.column == name), (name,))
            self.problems.extend(((*parts, *where), message) for message in messages)
        kept = _kept(section, row, texts)
        if kept != translated_values(row, section, self.tag) and not problems:
            self.changes.changed[section.name] = self.changes.changed.get(section.name, 0) + 1
            self.changes.writes.append((section, row, texts))

    def entries(
        self, section: Section, rows: list[Any], current: Any, given: Any, parts: PathParts
    ) -> None:
        current = current or []
        given = [] if given is None else given
        if not isinstance(given, list) or len(given) != len(current):
            count = len(given) if isinstance(given, list) else "no list"
            self.problems.append((parts, f"has {count} entries, the CV {len(current)}"))
            return
        for index, (row, mine, theirs) in enumerate(zip(rows, current, given, strict=True)):
            self.entry(section, row, mine, theirs, (*parts, index))


async def import_translation(
    session: AsyncSession, document: Any, tag: str, *, actor: str, write: bool = True
) -> TranslationChanges:
    """Read ``document`` as the CV in locale ``tag`` and (with ``write``) set the translations
    it changes, in the caller's transaction; what changes.

    Raises :class:`ResumeValidationError` (nothing written) when its structure differs from
    the CV's or a text breaks a section's rules.
    """
    if not isinstance(document, Mapping):
        raise ResumeValidationError(finish_problems(document, [((), "must be an object")]))
    drafts = any(
        isinstance(item, Mapping) and item.get("published") is False
        for value in (*document.values(), (document.get("basics") or {}).get("profiles"))
        if isinstance(value, list)
        for item in value
    )
    content = await load_cv(session, include_drafts=drafts)
    current = render_resume(content, include_drafts=drafts)
    comparison = _Comparison(tag)
    basics = document.get("basics")
    if (content.basics is None) != (basics is None):
        comparison.problems.append((("basics",), "must be there exactly when the CV has one"))
    elif content.basics is not None:
        comparison.entry(BASICS, content.basics, current["basics"], basics, ("basics",))
        comparison.entries(
            SECTIONS["profiles"],
            [entry.row for entry in content.sections.get("profiles", [])],
            current["basics"].get("profiles"),
            _get(basics, ("profiles",)),
            ("basics", "profiles"),
        )
    for section in sections_in_document():
        rows = [entry.row for entry in content.sections.get(section.name, [])]
        comparison.entries(
            section, rows, current.get(section.name), document.get(section.name), (section.name,)
        )
    if comparison.problems:
        raise ResumeValidationError(finish_problems(document, comparison.problems))
    if write:
        for section, row, texts in comparison.changes.writes:
            set_translation(section, row, tag, texts, actor=actor)
        await session.flush()
    return comparison.changes
