"""Publishing what is pending, and never losing it when a target is down.

The outbox is one row per target (:class:`cms.staticpub.models.StaticCopy`): the content
version its copy holds and each object's ETag there. Every newer content version is pending;
publishing one means copying the newest version's objects whose ETag differs (all of them with
``full``), deleting the ones gone, and recording the new version, so versions written while a
target was down are caught up in one go. A lease in the row lets one publisher at a time work
on a target; it publishes again if a write committed meanwhile.

Callers: :func:`watch_commits` (after each committed write, never inside its transaction), the
serve tick (:func:`publish_lifespan`), the Lambda schedule (:func:`cms.main.on_schedule`) and
``cms publish [--full]``. A failure is logged and recorded in the row, never raised to a writer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import await_only
from sqlmodel import col

from cms.core.config import Settings
from cms.core.db import engine_settings, on_content_commit
from cms.core.dburl import CONTENT_VERSION_SQL
from cms.core.models import utcnow
from cms.media.s3 import S3Objects
from cms.staticpub.documents import Document, documents_at
from cms.staticpub.folder import FolderTarget
from cms.staticpub.models import StaticCopy
from cms.staticpub.s3 import S3Target

__all__ = [
    "Outcome",
    "publish_lifespan",
    "publish_pending",
    "targets_of",
    "static_copy_state",
    "watch_commits",
]

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
"""How long a publisher holds a target; a crashed one frees it after this."""


class Target(Protocol):
    """Where a static copy goes (:class:`FolderTarget`, :class:`S3Target`)."""

    name: str

    def needed(self, documents: dict[str, Document], manifest: dict[str, str]) -> set[str]: ...

    def publish(
        self,
        version: int,
        documents: dict[str, Document],
        needed: set[str],
        manifest: dict[str, str],
    ) -> tuple[int, int]: ...


@dataclass
class Outcome:
    """What one publish did to one target."""

    target: str
    ok: bool
    version: int = 0
    written: int = 0
    deleted: int = 0
    skipped: bool = False
    """Another publisher held the target, or nothing was pending."""
    error: str | None = None


def targets_of(settings: Settings) -> list[Target]:
    """The targets ``settings`` configure (none: static publishing is off)."""
    targets: list[Target] = []
    if settings.publish_dir:
        targets.append(FolderTarget(settings.publish_dir))
    if settings.publish_s3_bucket:
        targets.append(_s3_targets.setdefault(_s3_key(settings), S3Target.from_settings(settings)))
    return targets


# One S3 target (and its boto3 clients) per bucket configuration, made once per process.
_s3_targets: dict[tuple[Any, ...], S3Target] = {}


def _s3_key(settings: Settings) -> tuple[Any, ...]:
    return (
        settings.publish_s3_bucket,
        settings.publish_s3_prefix,
        settings.publish_s3_endpoint_url,
        settings.publish_cloudfront_distribution_id,
    )


async def _content_version(session: AsyncSession) -> int:
    return int(await session.scalar(text(CONTENT_VERSION_SQL)) or 0)


async def _acquire(engine: AsyncEngine, name: str) -> StaticCopy | None:
    """The target's row with its lease taken, or ``None``: another publisher holds it."""
    now = utcnow()
    table = StaticCopy.__table__  # type: ignore[attr-defined]
    take = (
        update(table)
        .where(
            table.c.target == name,
            or_(table.c.locked_until.is_(None), table.c.locked_until < now),
        )
        .values(locked_until=now + LEASE, attempted_at=now)
    )
    async with engine.connect() as connection:
        for _ in range(2):
            async with connection.begin():
                if (await connection.execute(take)).rowcount == 1:
                    row = await connection.execute(select(table).where(table.c.target == name))
                    return StaticCopy.model_validate(row.one()._mapping)
                held = await connection.scalar(select(table.c.target).where(table.c.target == name))
            if held is not None:
                return None
            with suppress(IntegrityError):  # the first publish to this target (or a race)
                async with connection.begin():
                    await connection.execute(insert(table).values(target=name, version=0))
    return None


async def _record(engine: AsyncEngine, name: str, *, release: bool, **values: Any) -> None:
    """Write ``values`` to the target's row; ``release``: and free its lease."""
    if release:
        values["locked_until"] = None
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(StaticCopy).where(col(StaticCopy.target) == name).values(**values)
        )


async def _load_bodies(
    session: AsyncSession, settings: Settings, documents: dict[str, Document], keys: set[str]
) -> None:
    """The bytes of the image variants among ``keys`` (documents come with theirs)."""
    wanted = [documents[key] for key in keys if documents[key].body is None]
    if not wanted:
        return
    if settings.media_storage == "s3":
        bucket = S3Objects.from_settings(settings)
        for document in wanted:
            assert document.media is not None
            document.body = await asyncio.to_thread(bucket.get, *document.media)
        return
    sql = text("SELECT data FROM media_variants WHERE media_id = :id AND name = :name")
    for document in wanted:
        assert document.media is not None
        media_id, name = document.media
        document.body = await session.scalar(sql, {"id": media_id, "name": name})


async def _publish_target(
    engine: AsyncEngine, settings: Settings, target: Target, full: bool
) -> Outcome:
    held = await _acquire(engine, target.name)
    if held is None:
        return Outcome(target.name, ok=True, skipped=True)
    outcome = Outcome(target.name, ok=True, version=held.version, skipped=True)
    manifest: dict[str, str] = json.loads(held.manifest or "{}")
    published = held.version
    try:
        async with AsyncSession(engine) as session, session.begin():
            version = await _content_version(session)
        # Until no write committed meanwhile: each round publishes the newest version.
        while version != published or full:
            async with AsyncSession(engine) as session, session.begin():
                documents = await documents_at(session, version, settings)
                if not documents:  # never wipe a copy for a set that is not stored (yet)
                    raise LookupError(f"no public responses stored for content version {version}")
                needed = set(documents) if full else target.needed(documents, manifest)
                await _load_bodies(session, settings, documents, needed)
            written, deleted = await asyncio.to_thread(
                target.publish, version, documents, needed, manifest
            )
            manifest = {key: document.etag for key, document in documents.items()}
            published, full = version, False
            outcome.version, outcome.skipped = version, False
            outcome.written += written
            outcome.deleted += deleted
            async with AsyncSession(engine) as session, session.begin():
                version = await _content_version(session)
            await _record(
                engine,
                target.name,
                release=version == published,
                version=published,
                manifest=json.dumps(manifest, sort_keys=True),
                published_at=utcnow(),
                error=None,
            )
        if outcome.skipped:
            await _record(engine, target.name, release=True)
    except Exception as exc:  # a target down, a full disk: pending, retried later
        reason = f"{type(exc).__name__}: {exc}"[:300]
        logger.warning("static copy %s not published: %s", target.name, reason)
        outcome.ok, outcome.error = False, reason
        await _record(engine, target.name, release=True, error=reason)
    return outcome


async def publish_pending(
    engine: AsyncEngine, settings: Settings | None = None, *, full: bool = False
) -> list[Outcome]:
    """Publish the newest content version to every target that is behind (``full``: every
    object, to every target); what happened per target. Never raises for a target's failure.
    """
    settings = settings or engine_settings(engine)
    return [
        await _publish_target(engine, settings, target, full) for target in targets_of(settings)
    ]


async def static_copy_state(
    session: AsyncSession, settings: Settings
) -> tuple[int | None, str | None]:
    """How many content versions the furthest-behind static copy misses, and why its last
    attempt failed if it did (``None, None``: static publishing is off)."""
    names = [target.name for target in targets_of(settings)]
    if not names:
        return None, None
    version = await _content_version(session)
    rows = {
        row.target: row
        for row in await session.scalars(
            select(StaticCopy).where(col(StaticCopy.target).in_(names))
        )
    }
    behind = {name: version - (rows[name].version if name in rows else 0) for name in names}
    furthest = max(names, key=lambda name: behind[name])
    error = rows[furthest].error if furthest in rows else None
    return max(behind[furthest], 0), error


_watched: weakref.WeakSet[Any] = weakref.WeakSet()


def _settings_of(engine: AsyncEngine, fallback: Settings | None) -> Settings | None:
    """The engine's settings (what its writes follow), or ``fallback`` for an engine made
    elsewhere."""
    try:
        return engine_settings(engine)
    except LookupError:
        return fallback


def watch_commits(engine: AsyncEngine, settings: Settings | None = None) -> None:
    """Publish after each committed write on ``engine`` (once per engine; nothing when its
    settings, or ``settings`` for an engine made elsewhere, name no target).

    The listener runs after the commit, inside the writer's ``await session.commit()``: the
    save returns once the copy is published or the attempt failed, which is recorded and left
    pending. Commits outside a write session (a release's set) are caught up by the callers
    of :func:`publish_pending`.
    """
    sync_engine = engine.sync_engine
    watched = _settings_of(engine, settings)
    if sync_engine in _watched or watched is None or not targets_of(watched):
        return
    _watched.add(sync_engine)

    def after_commit() -> None:
        try:
            await_only(publish_pending(engine, watched))
        except MissingGreenlet:
            return  # not from a session's commit: the next caller publishes it
        except Exception:  # never the writer's failure: the row keeps it pending
            logger.exception("static publishing after a commit failed")

    on_content_commit(engine, after_commit)


@asynccontextmanager
async def publish_lifespan(
    engine: AsyncEngine, settings: Settings | None = None
) -> AsyncIterator[None]:
    """Under a long-running server: publish what is pending now, then every
    ``PUBLISH_RETRY_SECONDS`` while the app runs (the engine's settings, or ``settings`` for an
    engine made elsewhere)."""
    found = _settings_of(engine, settings)
    if found is None or not targets_of(found) or found.publish_retry_seconds <= 0:
        yield
        return

    settings, interval = found, found.publish_retry_seconds

    async def tick() -> None:
        while True:
            try:
                await publish_pending(engine, settings)
            except Exception:  # the database asleep: the next tick tries again
                logger.exception("static publishing tick failed")
            await asyncio.sleep(interval)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
