"""What a public response is: where it is served, what it is made of and how it renders.

Declared by the section records (their lists, :mod:`cms.content.publish`) and by
:mod:`cms.content.wholecv` (the responses made of the whole CV); rendered and stored by
:mod:`cms.content.publish`; the API's routes are generated from the same declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from cms.content.models import CONTENT_TABLES
from cms.content.queries import Rules

if TYPE_CHECKING:
    from cms.content.record import Section

__all__ = ["ALL_TABLES", "HTML_TYPE", "JSON_TYPE", "Published", "Render"]

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
ALL_TABLES = frozenset(table.name for table in CONTENT_TABLES)
"""Every content table: what a response made of the whole CV reads."""

Render = Callable[[AsyncSession, bool], Awaitable[Any]]
"""Renders the content from a session, with drafts if the flag is set; ``None``: a 404."""


@dataclass(frozen=True)
class Published:
    """One public response: where it is served, what it is made of, and how it renders."""

    path: str
    """Under ``/api/v1``, or a page at the site root (``/cv``)."""
    name: str
    """Its operation id and route name."""
    summary: str
    """What it answers, for the API's reference."""
    produce: Render
    model: Any = None
    """The response schema (``None``: an HTML page)."""
    tables: frozenset[str] = ALL_TABLES
    """The content tables it reads: a write to one of them renders it again."""
    rules: Rules = Rules()
    """What requests may ask of it (filters, detail)."""
    exclude_unset: bool = False
    """Absent properties stay absent (JSON Resume), rather than ``null``."""
    missing: str = "Not Found"
    """The 404 message when there is nothing to show yet."""
    tag: str = ""
    section: Section | None = None
    """The section whose list it is, if it is one."""
    localized: bool = True
    """Its content differs per locale (else rendered once and stored for every locale)."""

    @property
    def media_type(self) -> str:
        """``application/json``, or HTML for a page."""
        return JSON_TYPE if self.model is not None else HTML_TYPE

    @property
    def adapter(self) -> TypeAdapter[Any]:
        """The response schema, validating and serialising as FastAPI does."""
        return _adapter(self.model)


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)
