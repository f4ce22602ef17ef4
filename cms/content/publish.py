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

**Locales.** Each response is stored once per locale of ``LOCALES``, rendered while reading in
that locale (:func:`cms.content.localized.reading_in`); one publishing pass reads each list of
the CV once for all of them, and a response that does not differ per locale is rendered once.

**Following the code.** Each set records the :func:`fingerprint` of what rendered it (this
package's code, the CV templates, pydantic's version, the public base URL, ``LOCALES``). A
write whose fingerprint differs renders every response; :func:`publish_release` (run by
``cms db upgrade``, ``cms dev``, ``cms serve`` at start and the tests) stores a complete set for
the running code as a new version, without any content edit, so a release never serves an
older release's shapes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, delete, func, insert, literal, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_session
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlmodel import col

from cms.content import read
from cms.content.basics import BASICS
from cms.content.cv import CV_TEMPLATES_DIR
from cms.content.localized import reading_in
from cms.content.models import Technology
from cms.content.queries import API_V1_PREFIX
from cms.content.record import Section
from cms.content.response import ALL_TABLES, Published
from cms.content.sections import SECTIONS
from cms.content.wholecv import WHOLE_CV
from cms.core.db import engine_settings, notify_content_commit
from cms.core.etags import make_etag
from cms.core.locales import DEFAULT_LOCALES
from cms.core.models import ContentVersion, StoredResponse, utcnow

__all__ = [
    "PUBLISHED",
    "Rendered",
    "code_digest",
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
_SHIPPED_DIGEST = Path(__file__).with_name("rendering.digest")
""":func:`code_digest` of the sources, written by ``scripts/build_lambda.py``: the Lambda zip
ships bytecode only, and must fingerprint its rendering as the sources it came from do."""


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
            yield from sorted(
                p
                for p in place.rglob("*")
                if p.is_file() and p.suffix != ".pyc" and p != _SHIPPED_DIGEST
            )


@cache
def code_digest(pydantic: str | None = None) -> bytes:
    """The rendering code and templates, hashed once: they do not change under a process.

    ``pydantic``: the version of the package it will run with (default: this one's, or the
    digest shipped beside the bytecode).
    """
    if pydantic is None and _SHIPPED_DIGEST.is_file():
        return bytes.fromhex(_SHIPPED_DIGEST.read_text(encoding="ascii").strip())
    digest = hashlib.sha256()
    root = Path(__file__).parents[2]
    for path in _input_files():
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"pydantic {pydantic or package_version('pydantic')}".encode())
    return digest.digest()


def fingerprint(public_base_url: str | None, locales: Sequence[str] = DEFAULT_LOCALES) -> str:
    """What renders the responses, as one hash: a different value renders differently.

    The locales count: adding one, or changing the default, renders every response again.
    """
    settings = (public_base_url or "") + "\0" + ",".join(locales)
    return hashlib.sha256(code_digest() + settings.encode()).hexdigest()


def _locales_of(session: AsyncSession) -> tuple[str, ...]:
    return tuple(engine_settings(session.get_bind()).locales)


def _fingerprint_of(session: AsyncSession) -> str:
    settings = engine_settings(session.get_bind())
    return fingerprint(settings.public_base_url, settings.locales)


Key = tuple[str, str]
"""A stored response's path and locale."""


async def _store(
    session: AsyncSession, responses: Sequence[tuple[Published, str]], version: int
) -> set[Key]:
    """Render and insert ``responses`` (each in its locale) under ``version``."""
    default = _locales_of(session)[0]
    rendered_at = utcnow()
    rows: list[dict[str, Any]] = []
    same: dict[str, Rendered] = {}  # responses that do not differ per locale, rendered once
    for tag in dict.fromkeys(tag for _, tag in responses):
        with reading_in(tag, default=tag == default):
            for published, _ in (item for item in responses if item[1] == tag):
                if published.localized:
                    result = await render(session, published)
                elif published.path in same:
                    result = same[published.path]
                else:
                    result = same[published.path] = await render(session, published)
                rows.append(
                    {
                        "path": published.path,
                        "locale": tag,
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
    return {(row["path"], row["locale"]) for row in rows}


async def _keys_at(session: AsyncSession, version: int) -> set[Key]:
    statement = select(col(StoredResponse.path), col(StoredResponse.locale)).where(
        col(StoredResponse.version) == version
    )
    return {(path, locale) for path, locale in (await session.execute(statement)).all()}


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
    kept = await _keys_at(session, previous) if carry and previous is not None else set()
    fresh = [
        (published, tag)
        for tag in _locales_of(session)
        for published in PUBLISHED
        if published.tables & changed or (published.path, tag) not in kept
    ]
    rendered = await _store(session, fresh, version)
    carried = kept - rendered
    if carried:  # copied by the database: the bodies never travel through Python
        table: Any = StoredResponse.__table__  # type: ignore[attr-defined]
        others = [column for column in table.c if column.name != "version"]
        copies = select(*others, literal(version, Integer).label("version")).where(
            table.c.version == previous,
            tuple_(table.c.path, table.c.locale).in_(sorted(carried)),
        )
        names = [column.name for column in others] + ["version"]
        await session.execute(insert(table).from_select(names, copies))
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
        with read.reads_remembered(session):
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
    present = await _keys_at(session, version)
    wanted = {(p.path, tag) for tag in _locales_of(session) for p in PUBLISHED}
    if stored_by == code and present >= wanted:
        return False
    if present:  # served already: the new set is a new version, which every reader loads
        await session.execute(
            update(ContentVersion)
            .where(col(ContentVersion.id) == 1)
            .values(version=version + 1, updated_at=func.now())
        )
    with read.reads_remembered(session):
        await _store_version(session, ALL_TABLES, code, everything=True)
    return True


async def ensure_published(engine: AsyncEngine) -> bool:
    """:func:`publish_release` in a transaction of its own; this process's readers hear of it."""
    async with AsyncSession(engine) as session, session.begin():
        published = await publish_release(session)
    if published:
        notify_content_commit(engine.sync_engine)
    return published
