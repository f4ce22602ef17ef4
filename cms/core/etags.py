"""Entity tags: how a response's ``ETag`` is made and how ``If-None-Match`` is compared.

Standard library only: the writes that publish responses and the light read path that serves
them both use it.
"""

from __future__ import annotations

import hashlib

__all__ = ["if_none_match", "make_etag"]


def make_etag(body: bytes) -> str:
    """A strong entity tag for ``body``: 128 bits of its SHA-256, quoted."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` value matches ``etag`` (weak comparison, as RFC 9110 says)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    for candidate in header.split(","):
        if candidate.strip().removeprefix("W/") == opaque:
            return True
    return False
