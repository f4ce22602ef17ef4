"""The methods each public API path answers, as its ``Allow`` header lists them (DESIGN §4).

Every path reads (``GET``, ``HEAD``, ``OPTIONS``); ``/api/v1/resume`` also takes ``PUT`` with a
``write-resume`` token (:mod:`cms.public.sync`). A write without a token is still a ``405`` from
the read path, which imports this module (no FastAPI here). The OpenAPI document declares the
same methods: ``tests/public/test_methods.py`` holds the two to each other.
"""

from __future__ import annotations

from cms.content.queries import API_V1_PREFIX
from cms.public.cors import API_METHODS

__all__ = ["allowed_methods", "refusal"]

_WRITES: dict[str, tuple[str, ...]] = {f"{API_V1_PREFIX}/resume": ("PUT",)}


def allowed_methods(path: str) -> str:
    """The ``Allow`` header of ``path`` (a versioned path, without any stage prefix)."""
    return ", ".join((*API_METHODS, *_WRITES.get(path, ())))


def refusal(path: str, method: str) -> str:
    """The message of the ``405`` answering ``method`` at ``path`` without a token."""
    if method in _WRITES.get(path, ()):
        return (
            f"Method Not Allowed without a token: {method} {path} needs one "
            "(Authorization: Bearer <token> or X-API-Key)"
        )
    return "Method Not Allowed: the public API is read-only"
