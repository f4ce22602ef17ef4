"""The one rule for the CV's links, whoever writes them (admin, ``cms import``, resume sync).

A link is ``http``, ``https``, ``mailto`` or ``tel``, or the path of one of our own images
(``/media/<id>/<variant>.webp``). Any other scheme (``javascript:``, ``data:``, ``ftp:`` …) is
refused by every writer: a site built from the API would publish it as a link. A value without
a scheme (``missdirection.example.com``, as in the official sample) or a malformed web link is
harmless as text: the admin asks for a fix, an import keeps it with a warning.

The scheme is read the way browsers read an ``href`` (WHATWG URL standard): leading and trailing
controls and spaces are ignored, tabs and newlines anywhere are dropped, case does not matter, so
``" JaVa\\tScRiPt:…"`` is a ``javascript:`` link too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cms.media.urls import MEDIA_PATH

__all__ = ["LINK_SCHEMES", "RefusedLinkError", "check_link", "is_link"]

LINK_SCHEMES = ("https", "http", "mailto", "tel")
"""The schemes a link may have."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL_OR_SPACE = "".join(chr(code) for code in range(0x21))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f]")
_WEB_MESSAGE = "must be an absolute http(s) URL, e.g. https://example.com"
_EXAMPLE = {"mailto": "me@example.com", "tel": "+441234567890"}


class RefusedLinkError(ValueError):
    """A link with a scheme no writer accepts (``javascript:``, ``data:`` …)."""


def _scheme(value: str) -> str | None:
    """The scheme a browser would read from ``value`` as an ``href``, lower-cased."""
    found = _SCHEME.match(value.strip(_CONTROL_OR_SPACE).translate(_TAB_OR_NEWLINE))
    return found.group(1).lower() if found else None


def check_link(value: str) -> str:
    """``value`` if it is a link every writer accepts; ``""`` passes (it says "no link").

    Raises :class:`RefusedLinkError` for a scheme outside :data:`LINK_SCHEMES`, and
    :class:`ValueError` for a malformed link or one without a scheme.
    """
    if not value:
        return value
    scheme = _scheme(value)
    if scheme is None:
        if MEDIA_PATH.fullmatch(value):
            return value
        raise ValueError(_WEB_MESSAGE)
    if scheme not in LINK_SCHEMES:
        raise RefusedLinkError(
            f"Links with the {scheme}: scheme are not allowed: use https, http, mailto or tel"
        )
    if _WHITESPACE.search(value):
        raise ValueError(_WEB_MESSAGE)
    if scheme in ("mailto", "tel"):
        if not value.partition(":")[2]:
            raise ValueError(f"a {scheme}: link needs an address, e.g. {scheme}:{_EXAMPLE[scheme]}")
        return value
    if not urlsplit(value).netloc:
        raise ValueError(_WEB_MESSAGE)
    return value


def is_link(value: str) -> bool:
    """Whether ``value`` may be shown as a link (it passes :func:`check_link` and is not empty)."""
    try:
        return bool(check_link(value))
    except ValueError:
        return False
