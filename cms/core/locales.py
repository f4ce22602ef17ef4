"""The locales a CV is written in (``LOCALES``) and the ``?locale=`` of a request.

Not the CV's *languages* section (the languages the owner speaks): a locale is a language the
CV itself is written in, as a BCP 47 tag (``en``, ``de``, ``pt-BR``). The first of ``LOCALES``
is the default: its texts are the columns themselves, every other locale's are translations
(:mod:`cms.content.localized`). Standard library only: the read path parses the setting and
the query on a cold start.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "DEFAULT_LOCALES",
    "LOCALE_PARAM",
    "Locales",
    "canonical_tag",
    "parse_locales",
    "split_locale",
]

LOCALE_PARAM = "locale"
"""The query parameter every public ``GET`` takes."""

DEFAULT_LOCALES: tuple[str, ...] = ("en",)

# language[-script][-region][-variant…]: the tags people write for a CV (no extensions).
_TAG = re.compile(
    r"^(?P<language>[A-Za-z]{2,3}|[A-Za-z]{5,8})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|\d{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z\d]{5,8}|\d[A-Za-z\d]{3}))*)$"
)


def canonical_tag(raw: str) -> str:
    """``raw`` as a canonical BCP 47 tag (``pt_br`` → ``pt-BR``); :class:`ValueError` if none."""
    found = _TAG.match(raw.strip().replace("_", "-"))
    if found is None:
        raise ValueError(f"{raw!r} is not a BCP 47 language tag such as en, de or pt-BR")
    tag = found["language"].lower()
    if found["script"]:
        tag += "-" + found["script"].title()
    if found["region"]:
        tag += "-" + found["region"].upper()
    if found["variants"]:
        tag += found["variants"].lower()
    return tag


def parse_locales(raw: str | Iterable[str]) -> tuple[str, ...]:
    """``LOCALES`` as canonical tags, the default first: ``en,de`` or ``["en","de"]``."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError('must be tags separated by commas or a JSON list, e.g. ["en"]')
            items: list[str] = value
        else:
            items = text.split(",")
    else:
        items = list(raw)
    tags: list[str] = []
    for item in items:
        if not item.strip():
            continue
        tag = canonical_tag(item)
        if tag.lower() in (known.lower() for known in tags):
            raise ValueError(f"names {tag} twice")
        tags.append(tag)
    if not tags:
        raise ValueError("needs at least one locale, e.g. en")
    return tuple(tags)


def split_locale(query: str) -> tuple[str | None, str]:
    """The ``locale`` a query string asks for (the last one, as Starlette reads it), and the
    query without it. ``(None, query)`` when it names none."""
    if LOCALE_PARAM not in query:  # the common case, without parsing
        return None, query
    if query.startswith("locale=") and not any(c in query for c in "&;%+"):
        return query[7:], ""  # ?locale=de alone: as cheap as no query
    pairs = parse_qsl(query, keep_blank_values=True)
    asked = [value for name, value in pairs if name == LOCALE_PARAM]
    if not asked:
        return None, query
    rest = [(name, value) for name, value in pairs if name != LOCALE_PARAM]
    return asked[-1], urlencode(rest)


class Locales:
    """The configured locales: the default, and the lookup of a request's tag."""

    __slots__ = ("by_key", "default", "tags")

    def __init__(self, tags: Iterable[str]) -> None:
        self.tags = tuple(tags)
        self.default = self.tags[0]
        self.by_key = {tag.lower(): tag for tag in self.tags}
        self.by_key.update({tag.lower().replace("-", "_"): tag for tag in self.tags})

    def find(self, asked: str | None) -> str | None:
        """The locale ``asked`` names (case-insensitive; ``None``: the default), or ``None``."""
        if asked is None:
            return self.default
        return self.by_key.get(asked.strip().lower())

    def unknown_details(self, asked: str) -> list[dict[str, Any]]:
        """The ``details`` of that ``404``: where, and every locale there is."""
        return [
            {
                "loc": ["query", LOCALE_PARAM],
                "msg": self.unknown(asked),
                "type": "unknown_locale",
                "locales": list(self.tags),
            }
        ]

    def unknown(self, asked: str) -> str:
        """The message of a ``404`` for a locale this CV is not written in."""
        shown = asked if len(asked) <= 35 else asked[:35] + "…"
        return (
            f"Unknown locale {shown!r}: this CV is written in {', '.join(self.tags)} "
            f"(default {self.default})"
        )
