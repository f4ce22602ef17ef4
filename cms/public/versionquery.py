"""``?version=N`` on ``/api/v1/resume``: the CV as published at an earlier content version.

Only for a read-drafts token (answered by the full app, :mod:`cms.public.oldversions`); without
one the path does not exist (``404``), from the read path and the app alike. Standard library
only: the read path imports it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from cms.content.queries import API_V1_PREFIX

__all__ = ["RESUME_PATH", "VERSION_PARAM", "asks_version", "requested_version"]

RESUME_PATH = f"{API_V1_PREFIX}/resume"
VERSION_PARAM = "version"


def asks_version(path: str, query: str) -> bool:
    """Whether ``path?query`` asks for the resume at a version."""
    if path != RESUME_PATH or not query:
        return False
    return any(name == VERSION_PARAM for name, _ in parse_qsl(query, keep_blank_values=True))


def requested_version(query: str) -> int | None:
    """The version asked for: one non-negative integer and no other parameter, else ``None``."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != VERSION_PARAM:
        return None
    text = pairs[0][1]
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)
