"""The public documents, rendered by the write that changes them (DESIGN §5).

Every ``GET`` route of :mod:`cms.public.routes` without path parameters, and the printable
``/cv`` of :mod:`cms.public.pages`, is a stored document:
its function and response model define the bytes (exactly what FastAPI would send). The
transaction that moves the content version (:mod:`cms.content.session`) calls
:func:`store_for_commit` before it commits: the documents whose tables it changed are
rendered inside the transaction, the others are carried over from the previous version, and
the whole set is stored under the new version. A failed render fails the write, so the old
version and its documents stay as they were. Rows of the version before the previous one are
deleted; the previous version stays for readers that have not seen the new one yet.

Filters (``?featured=``, ``?category=``) and details (``/experience/{id}``,
``/projects/{id-or-slug}``) are not stored: :mod:`cms.public.readpath` derives them from these
documents in memory.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_session
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel import col
from starlette.exceptions import HTTPException
from starlette.responses import Response

from cms.content.basics import BASICS, PROFILES
from cms.content.models import CONTENT_TABLES, Technology
from cms.content.record import Section
from cms.content.sections import SECTIONS
from cms.core.db import current_content_version
from cms.core.models import StoredDocument, utcnow
from cms.public.httpcache import API_CACHE_PREFIX, make_etag
from cms.public.pages import router as pages_router
from cms.public.routes import router

__all__ = [
    "STORED",
    "Document",
    "Rendered",
    "ensure_documents",
    "render",
    "store_for_commit",
    "store_missing",
]

JSON = "application/json"
_ALL_TABLES = frozenset(table.name for table in CONTENT_TABLES)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered document: a 200 with its JSON, or a 404 with its message."""

    status: int
    body: bytes
    etag: str
    media_type: str


@dataclass(frozen=True)
class Document:
    """One stored document: the route that defines it and the tables its content comes from."""

    route: APIRoute
    tables: frozenset[str]

    @property
    def path(self) -> str:
        """The path it is stored and served under."""
        return self.route.path

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        """The route's response model, as FastAPI validates and serialises it."""
        return TypeAdapter(self.route.response_model)

    @cached_property
    def query(self) -> Any:
        """The route's query model with no parameters set."""
        hints = typing.get_type_hints(self.route.endpoint, include_extras=True)
        return typing.get_args(hints["query"])[0]()


def _tables(section: Section) -> frozenset[str]:
    tables = [section.table.__table__]  # type: ignore[attr-defined]
    if section.tagged:
        tables += [Technology.__table__, section.links.table]  # type: ignore[attr-defined]
    if section is BASICS:
        tables.append(PROFILES.table.__table__)  # type: ignore[attr-defined]
    return frozenset(str(table.name) for table in tables)


def _catalogue() -> tuple[Document, ...]:
    by_path = {f"{API_CACHE_PREFIX}/{s.path}": s for s in SECTIONS.values() if s.path}
    documents = []
    for route in [*router.routes, *pages_router.routes]:
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()) and "{" not in route.path:
            section = by_path.get(route.path)
            tables = _ALL_TABLES if section is None else _tables(section)
            documents.append(Document(route, tables))
    return tuple(documents)


STORED: tuple[Document, ...] = _catalogue()
"""Every stored document (``/resume``, ``/technologies``, each section's list, personal info,
the printable ``/cv``)."""


async def render(session: AsyncSession, document: Document) -> Rendered:
    """Render ``document`` from what ``session`` sees (inside the writing transaction)."""
    route = document.route
    try:
        content = await route.endpoint(session=session, query=document.query, drafts=False)
    except HTTPException as exc:
        return Rendered(exc.status_code, str(exc.detail).encode(), "", "text/plain")
    if isinstance(content, Response):  # a page (/cv): its bytes as they are
        media_type = content.headers.get("content-type", JSON)
        return Rendered(200, bytes(content.body), make_etag(bytes(content.body)), media_type)
    adapter = document.adapter
    body = adapter.dump_json(
        adapter.validate_python(content, from_attributes=True),
        by_alias=True,
        exclude_unset=route.response_model_exclude_unset,
    )
    return Rendered(200, body, make_etag(body), JSON)


async def _store(session: AsyncSession, documents: Iterable[Document], version: int) -> list[str]:
    rendered_at = utcnow()
    rows: list[dict[str, Any]] = []
    for document in documents:
        result = await render(session, document)
        rows.append(
            {
                "path": document.path,
                "version": version,
                "status": result.status,
                "etag": result.etag,
                "body": result.body,
                "media_type": result.media_type,
                "rendered_at": rendered_at,
            }
        )
    if rows:
        await session.execute(insert(StoredDocument), rows)
    return [row["path"] for row in rows]


async def _paths_at(session: AsyncSession, version: int) -> set[str]:
    statement = select(col(StoredDocument.path)).where(col(StoredDocument.version) == version)
    return set((await session.scalars(statement)).all())


async def _store_version(session: AsyncSession, changed: frozenset[str]) -> None:
    """Store the documents of the version this transaction made (see the module docstring)."""
    version = await current_content_version(session)
    previous = await session.scalar(
        select(func.max(StoredDocument.version)).where(col(StoredDocument.version) < version)
    )
    kept = set() if previous is None else await _paths_at(session, previous)
    fresh = [d for d in STORED if d.tables & changed or d.path not in kept]
    rendered = await _store(session, fresh, version)
    carried = sorted(kept - set(rendered))
    if carried:
        rows = await session.scalars(
            select(StoredDocument).where(
                col(StoredDocument.version) == previous, col(StoredDocument.path).in_(carried)
            )
        )
        copies = [row.model_dump() | {"version": version} for row in rows]
        await session.execute(insert(StoredDocument), copies)
    if previous is not None:
        await session.execute(delete(StoredDocument).where(col(StoredDocument.version) < previous))


def store_for_commit(session: Session, changed: frozenset[str]) -> None:
    """The last write rule: store the documents of the new version in the same transaction.

    Called from the session's ``before_commit`` (inside SQLAlchemy's greenlet, hence
    ``await_only``) when the transaction changed the ``changed`` content tables.
    """
    proxy = async_session(session)
    if proxy is None:
        raise RuntimeError("content is written through AsyncSession (make_sessionmaker)")
    await_only(_store_version_in_transaction(proxy, changed))


async def _store_version_in_transaction(writer: AsyncSession, changed: frozenset[str]) -> None:
    # A session of its own on the writer's connection joins the writer's transaction and sees
    # its flushed rows, without the writer's loaded objects: a collection the writer loaded
    # keeps the order it had in memory, the documents must show the order that was written.
    connection = await writer.connection()
    async with AsyncSession(bind=connection) as session:
        await _store_version(session, changed)


async def store_missing(session: AsyncSession) -> int:
    """Store any document the current version lacks (after migrating); returns how many.

    Writes no content and leaves the version alone: a database migrated from before documents
    were rendered on write, or a fresh one, gets the full set.
    """
    version = await current_content_version(session)
    present = await _paths_at(session, version)
    return len(await _store(session, [d for d in STORED if d.path not in present], version))


async def ensure_documents(engine: AsyncEngine) -> int:
    """:func:`store_missing` in a transaction of its own on ``engine``."""
    from cms.content.session import make_sessionmaker

    async with make_sessionmaker(engine)() as session, session.begin():
        return await store_missing(session)
