"""What Babel (CLDR) knows of a locale: its name, its dates, and the printable CV's headings.

Locale names are given in their own language (``de`` → ``Deutsch``); dates follow the
locale's CLDR patterns (``Jan 2024``, ``Jan. 2024``, ``janv. 2024``), never month names of our
own. The printable CV's fixed words (its headings, "Present") come from a gettext catalog per
language in ``templates/cv/locales/<language>.po``; a locale without one keeps English
headings, its dates still formatted for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.messages.pofile import read_po

__all__ = [
    "CATALOGS_DIR",
    "format_full_date",
    "format_month_year",
    "gettext_for",
    "locale_name",
    "locales_document",
]

CATALOGS_DIR: Final = Path(__file__).resolve().parents[2] / "templates" / "cv" / "locales"
logger = logging.getLogger(__name__)


@cache
def _babel(tag: str) -> Locale | None:
    """Babel's locale for a BCP 47 tag, or ``None`` when CLDR does not know it."""
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        language = tag.split("-")[0]
        found = None if language == tag else _babel(language)
    # Once per tag and process: CLDR may not know it, or the deployment zip was built without
    # it (scripts/build_lambda.py ships the --locales it is given, each with its parents).
    logger.warning(
        "No Babel locale data for %r (build the Lambda zip with --locales naming every tag of "
        "LOCALES); falling back to %s",
        tag,
        repr(str(found)) if found is not None else "English dates and the tag as its name",
    )
    return found


def locale_name(tag: str) -> str:
    """The locale's name in its own language (``de`` → ``Deutsch``); the tag if unknown."""
    found = _babel(tag)
    name = found.get_display_name(found) if found is not None else None
    return name or tag


def locales_document(tags: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``GET /api/v1/locales``: the default, and every locale with its name, default first."""
    return {
        "default": tags[0],
        "locales": [{"tag": tag, "name": locale_name(tag)} for tag in tags],
    }


def _parts(value: Any) -> tuple[int, int | None, int | None] | None:
    """A partial ISO date (``2024``, ``2024-01``, ``2024-01-15``) as numbers, or ``None``."""
    pieces = str(value or "").split("-")
    if not pieces[0].isdigit() or len(pieces[0]) != 4 or len(pieces) > 3:
        return None
    if not all(piece.isdigit() for piece in pieces[1:]):
        return None
    year = int(pieces[0])
    month = int(pieces[1]) if len(pieces) > 1 else None
    day = int(pieces[2]) if len(pieces) > 2 else None
    if month is not None and not 1 <= month <= 12:
        return None
    return year, month, day


def format_month_year(value: Any, tag: str) -> str:
    """``2024-01-15`` or ``2024-01`` as the locale writes a month (``Jan 2024``); a year as it
    is; anything else verbatim."""
    return _month_year(str(value or ""), tag)


def format_full_date(value: Any, tag: str) -> str:
    """``2023-06-14`` as the locale writes a day (``Jun 14, 2023``, ``14.06.2023``); a month
    or a year at its own precision."""
    return _full_date(str(value or ""), tag)


@lru_cache(maxsize=4096)  # Babel matches the skeleton on every call (~0.3 ms); CVs repeat dates
def _month_year(value: str, tag: str) -> str:
    parts = _parts(value)
    if parts is None or parts[1] is None:
        return str(value or "")
    locale = _babel(tag) or _babel("en")
    return format_skeleton("yMMM", dt.date(parts[0], parts[1], 1), locale=locale)


@lru_cache(maxsize=4096)
def _full_date(value: str, tag: str) -> str:
    parts = _parts(value)
    if parts is None or parts[2] is None:
        return format_month_year(value, tag)
    try:
        day = dt.date(parts[0], parts[1] or 1, parts[2])
    except ValueError:
        return str(value)
    return format_date(day, "medium", locale=_babel(tag) or _babel("en"))


@cache
def _catalog(name: str) -> dict[str, str]:
    path = CATALOGS_DIR / f"{name}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as file:
        catalog = read_po(file)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str)}


def gettext_for(tag: str) -> Callable[[str], str]:
    """The CV's ``gettext`` in locale ``tag`` (``de-AT``: ``de_AT.po``, then ``de.po``)."""
    found: dict[str, str] = {}
    language = tag.split("-")[0]
    for name in (language, tag.replace("-", "_")):  # the more specific catalog wins
        found |= _catalog(name)

    def gettext(message: str) -> str:
        return found.get(message) or message

    return gettext
