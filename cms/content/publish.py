"""Publishing: every public response, rendered by the write that changes it (DESIGN §5).

:data:`PUBLISHED` lists them, from the declarations alone: each section record with a ``path``
gives its list (with the record's query rules), and :data:`cms.content.wholecv.WHOLE_CV` the
responses made of the whole CV (personal info, technologies, ``/resume``, the printable ``/cv``).
The API's routes are generated from the same list (:mod:`cms.public.routes`).

**On write.** The session's last rule (:mod:`cms.content.session`) calls
:func:`store_for_commit` inside the writing transaction: the responses whose tables changed are
rendered, the others carried over from the previous version, and the set is stored under the
new version. A failed render fails the write. The previous version's set stays for readers that
have not seen the new one yet; older ones are deleted.

**Following the code.** Each set records the :func:`fingerprint` of what rendered it (this
package's code, the CV templates, pydantic's version, the public base URL). A write whose
fingerprint differs renders every response; :func:`publish_release` (run by ``cms db upgrade``,
``cms dev``, ``cms serve`` at start and the tests) stores a complete set for the running code as
a new version, without any content edit, so a release never serves an older release's shapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_session
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel import col

from cms.content import read
from cms.content.basics import BASICS
from cms.content.cv import CV_TEMPLATES_DIR
from cms.content.models import Technology
from cms.content.queries import API_V1_PREFIX
from cms.content.record import Section
from cms.content.response import ALL_TABLES, Published
from cms.content.sections import SECTIONS
from cms.content.wholecv import WHOLE_CV
from cms.core.db import engine_settings, notify_content_commit
from cms.core.etags import make_etag
from cms.core.models import ContentVersion, StoredResponse, utcnow

__all__ = [
    "PUBLISHED",
    "Rendered",
    "fingerprint",
    "ensure_published",
    "publish_release",
    "render",
    "store_for_commit",
]

_RENDERING_INPUTS = (
    Path(__file__).parent,  # the records, the schemas, the codec, this module
    Path(__file__).parents[1] / "media" / "urls.py",  # image URLs
    CV_TEMPLATES_DIR,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered response: a 200 with its body, or a 404 with its message."""

    status: int
    body: bytes
    etag: str
    media_type: str


def _tables(section: Section) -> frozenset[str]:
    tables = [section.table.__table__]  # type: ignore[attr-defined]
    if section.tagged:
        tables += [Technology.__table__, section.links.table]  # type: ignore[attr-defined]
    return frozenset(str(table.name) for table in tables)


def _section_list(section: Section) -> Published:
    public: Any = section.public

    async def produce(session: AsyncSession, drafts: bool) -> list[Any]:
        rows = await read.list_entries(session, section, include_drafts=drafts)
        return [public.from_row(row) for row in rows]

    return Published(
        f"{API_V1_PREFIX}/{section.path}",
        f"list_{str(section.path).replace('-', '_')}",
        section.path_doc or f"Published {section.admin.plural or section.admin.label}.",
        produce,
        list[public],  # type: ignore[valid-type]
        _tables(section),
        section.rules,
        tag=section.path or "",
        section=section,
    )


def _catalogue() -> tuple[Published, ...]:
    lists = [
        _section_list(section)
        for section in SECTIONS.values()
        if section.path and section is not BASICS
    ]
    return (WHOLE_CV[0], *lists, *WHOLE_CV[1:])


PUBLISHED: tuple[Published, ...] = _catalogue()
"""Every public response the writes store (personal info, each section's list, technologies,
``/resume``, ``/cv``)."""


async def render(session: AsyncSession, published: Published, *, drafts: bool = False) -> Rendered:
    """Render ``published`` from what ``session`` sees (with drafts: a preview, never stored)."""
    content = await published.produce(session, drafts)
    if content is None:
        return Rendered(404, published.missing.encode(), "", "text/plain")
    if published.model is None:  # a page: its bytes as they are
        body = content if isinstance(content, bytes) else str(content).encode()
    else:
        adapter = published.adapter
        body = adapter.dump_json(
            adapter.validate_python(content, from_attributes=True),
            by_alias=True,
            exclude_unset=published.exclude_unset,
            context={"preview": drafts},  # previews say which entries are drafts
        )
    return Rendered(200, body, make_etag(body), published.media_type)


def _input_files() -> Iterable[Path]:
    for place in _RENDERING_INPUTS:
        if place.is_file():
            yield place
        else:
            yield from sorted(p for p in place.rglob("*") if p.is_file() and p.suffix != ".pyc")


@cache
def _code_digest() -> bytes:
    """The rendering code and templates, hashed once: they do not change under a process."""
    digest = hashlib.sha256()
    root = Path(__file__).parents[2]
    for path in _input_files():
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"pydantic {package_version('pydantic')}".encode())
    return digest.digest()


def fingerprint(public_base_url: str | None) -> str:
    """What renders the responses, as one hash: a different value renders differently."""
    return hashlib.sha256(_code_digest() + (public_base_url or "").encode()).hexdigest()


def _fingerprint_of(session: AsyncSession) -> str:
    return fingerprint(engine_settings(session.get_bind()).public_base_url)


async def _store(session: AsyncSession, responses: Iterable[Published], version: int) -> list[str]:
    rendered_at = utcnow()
    rows: list[dict[str, Any]] = []
    for published in responses:
        result = await render(session, published)
        rows.append(
            {
                "path": published.path,
                "version": version,
                "status": result.status,
                "etag": result.etag,
                "body": result.body,
                "media_type": result.media_type,
                "rules": published.rules.to_json(),
                "rendered_at": rendered_at,
            }
        )
    if rows:
        await session.execute(insert(StoredResponse), rows)
    return [row["path"] for row in rows]


async def _paths_at(session: AsyncSession, version: int) -> set[str]:
    statement = select(col(StoredResponse.path)).where(col(StoredResponse.version) == version)
    return set((await session.scalars(statement)).all())


async def _state(session: AsyncSession) -> tuple[int, str | None] | None:
    """The content version and the fingerprint of its set (``None``: no version row)."""
    statement = text("SELECT version, fingerprint FROM content_version WHERE id = 1")
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


async def _store_version(
    session: AsyncSession, changed: frozenset[str], code: str, *, everything: bool = False
) -> None:
    """Store the set of the current version: rendered where ``changed`` (or where the previous
    set was rendered by other code), else carried over."""
    version, stored_by = await _state(session) or (0, None)
    previous = await session.scalar(
        select(func.max(StoredResponse.version)).where(col(StoredResponse.version) < version)
    )
    carry = previous is not None and stored_by == code and not everything
    kept = await _paths_at(session, previous) if carry and previous is not None else set()
    fresh = [p for p in PUBLISHED if p.tables & changed or p.path not in kept]
    rendered = await _store(session, fresh, version)
    carried = sorted(kept - set(rendered))
    if carried:
        rows = await session.scalars(
            select(StoredResponse).where(
                col(StoredResponse.version) == previous, col(StoredResponse.path).in_(carried)
            )
        )
        copies = [row.model_dump() | {"version": version} for row in rows]
        await session.execute(insert(StoredResponse), copies)
    if previous is not None:
        await session.execute(delete(StoredResponse).where(col(StoredResponse.version) < previous))
    await session.execute(
        update(ContentVersion).where(col(ContentVersion.id) == 1).values(fingerprint=code)
    )


def store_for_commit(session: Session, changed: frozenset[str]) -> None:
    """The last write rule: store the new version's set in the same transaction.

    Called from the session's ``before_commit`` (inside SQLAlchemy's greenlet, hence
    ``await_only``) when the transaction changed the ``changed`` content tables.
    """
    proxy = async_session(session)
    if proxy is None:
        raise RuntimeError("content is written through AsyncSession (make_sessionmaker)")
    await_only(_store_in_transaction(proxy, changed))


async def _store_in_transaction(writer: AsyncSession, changed: frozenset[str]) -> None:
    # A session of its own on the writer's connection joins the writer's transaction and sees
    # its flushed rows, without the writer's loaded objects: a collection the writer loaded
    # keeps the order it had in memory, the responses must show the order that was written.
    connection = await writer.connection()
    async with AsyncSession(bind=connection) as session:
        await _store_version(session, changed, _fingerprint_of(session))


async def publish_release(session: AsyncSession) -> bool:
    """Store a complete set rendered by the running code, if the current one is not, in the
    caller's transaction; whether it did.

    A database with no set for its version gets one under that version (nothing was served
    from it); a set rendered by other code, or incomplete, is replaced by a new version, so
    every instance reloads it. No content changes.
    """
    state = await _state(session)
    if state is None:  # a database whose version row was deleted by hand
        await session.execute(insert(ContentVersion).values(id=1, version=0))
    version, stored_by = state or (0, None)
    code = _fingerprint_of(session)
    present = await _paths_at(session, version)
    if stored_by == code and present >= {p.path for p in PUBLISHED}:
        return False
    if present:  # served already: the new set is a new version, which every reader loads
        await session.execute(
            update(ContentVersion)
            .where(col(ContentVersion.id) == 1)
            .values(version=version + 1, updated_at=func.now())
        )
    await _store_version(session, ALL_TABLES, code, everything=True)
    return True


async def ensure_published(engine: AsyncEngine) -> bool:
    """:func:`publish_release` in a transaction of its own; this process's readers hear of it."""
    async with AsyncSession(engine) as session, session.begin():
        published = await publish_release(session)
    if published:
        notify_content_commit(engine.sync_engine)
    return published
