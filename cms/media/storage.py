"""Where images' bytes live (``MEDIA_STORAGE``), and their lifecycle in a write's transaction.

``database`` (the default: SQLite and Neon need nothing else): the variants' bytes are rows of
``media_variants``, written in the transaction that first shows the image. ``s3``: the bytes are
objects in ``MEDIA_S3_BUCKET`` (:mod:`cms.media.s3`), uploaded before that transaction commits;
the rows (sizes, ETags) stay in the database either way.

Lifecycle (:func:`sync_media`, a write rule run before every commit that changed an entry with
an image): ``media.published`` is set exactly for the images a public entry shows, and images no
entry refers to any more are deleted in the same transaction; with S3 their objects are deleted
after the commit (:meth:`MediaStorage.remove`), a failure logged, never undoing the write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, delete, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cms.core.db import engine_settings
from cms.media.image import ProcessedImage
from cms.media.models import Media, MediaVariant
from cms.media.s3 import S3Objects
from cms.media.urls import VARIANT_NAMES

__all__ = [
    "DatabaseStorage",
    "MediaStorage",
    "S3Storage",
    "media_rows",
    "media_storage",
    "read_variant",
    "storage_for",
    "sync_media",
]

logger = logging.getLogger(__name__)

_MEDIA = Media.__table__  # type: ignore[attr-defined]
_VARIANTS = MediaVariant.__table__  # type: ignore[attr-defined]


def media_rows(image: ProcessedImage, *, with_data: bool) -> Media:
    """The ``media`` row of ``image`` with its variants, ready to be added to a session."""
    media = Media(
        id=image.id,
        width=image.width,
        height=image.height,
        placeholder=image.placeholder,
        original_name=image.original_name,
        original_bytes=image.original_bytes,
        stored_bytes=image.stored_bytes,
    )
    media.variants = [
        MediaVariant(
            media_id=image.id,
            name=variant.name,
            width=variant.width,
            height=variant.height,
            content_type=variant.content_type,
            etag=variant.etag,
            data=variant.data if with_data else None,
        )
        for variant in image.variants
    ]
    return media


class MediaStorage:
    """Where the variants' bytes go; the rows always go to the database."""

    name = "database"

    async def new_rows(self, images: Sequence[ProcessedImage]) -> list[Media]:
        """Rows for images not stored yet, their bytes stored where this storage keeps them."""
        return [media_rows(image, with_data=True) for image in images]

    async def read(self, session: AsyncSession, media_id: str, variant: str) -> bytes | None:
        """The bytes of one variant (drafts' images too), or ``None``."""
        statement = select(_VARIANTS.c.data).where(
            _VARIANTS.c.media_id == media_id, _VARIANTS.c.name == variant
        )
        data = await session.scalar(statement)
        return None if data is None else bytes(data)

    def remove(self, media_ids: Sequence[str]) -> None:
        """After a commit deleted these images' rows: delete bytes kept elsewhere, if any."""


class DatabaseStorage(MediaStorage):
    """``MEDIA_STORAGE=database``: the bytes are in ``media_variants.data``."""


class S3Storage(MediaStorage):
    """``MEDIA_STORAGE=s3``: the bytes are objects in a bucket."""

    name = "s3"

    def __init__(self, objects: S3Objects) -> None:
        self.objects = objects

    async def new_rows(self, images: Sequence[ProcessedImage]) -> list[Media]:
        """Upload the variants first: a committed row never names a missing object."""
        for image in images:
            for variant in image.variants:
                await asyncio.to_thread(
                    self.objects.put, image.id, variant.name, variant.data, variant.content_type
                )
        return [media_rows(image, with_data=False) for image in images]

    async def read(self, session: AsyncSession, media_id: str, variant: str) -> bytes | None:
        """The bytes of one variant from the bucket, or ``None`` if the image is unknown."""
        known = await session.scalar(
            select(_VARIANTS.c.name).where(
                _VARIANTS.c.media_id == media_id, _VARIANTS.c.name == variant
            )
        )
        if known is None:
            return None
        return await asyncio.to_thread(self.objects.get, media_id, variant)

    def remove(self, media_ids: Sequence[str]) -> None:
        """Delete the objects of every variant; a failure is logged, the write stands."""
        keys = [(media_id, name) for media_id in media_ids for name in VARIANT_NAMES]
        try:
            self.objects.delete(keys)
        except Exception as exc:  # the commit happened: report and carry on
            logger.warning(
                "could not delete %d image(s) from bucket %s (%s: %s); their objects stay: %s",
                len(media_ids),
                self.objects.bucket,
                type(exc).__name__,
                exc,
                ", ".join(media_ids),
            )


@lru_cache(maxsize=8)
def _storage(kind: str, bucket: str | None, prefix: str, endpoint: str | None) -> MediaStorage:
    if kind == "s3":
        return S3Storage(S3Objects(bucket or "", prefix=prefix, endpoint_url=endpoint))
    return DatabaseStorage()


def storage_for(settings: Any) -> MediaStorage:
    """The storage ``settings`` configure (one per configuration and process)."""
    return _storage(
        settings.media_storage,
        settings.media_s3_bucket,
        settings.media_s3_prefix,
        settings.media_s3_endpoint_url or None,
    )


def media_storage(bind: Any) -> MediaStorage:
    """The storage of the engine behind ``bind`` (a session's bind, a connection, an engine)."""
    return storage_for(engine_settings(bind))


async def read_variant(session: AsyncSession, media_id: str, variant: str) -> bytes | None:
    """One variant's bytes from wherever the session's engine keeps them."""
    storage = media_storage(session.get_bind())
    return await storage.read(session, media_id, variant)


def sync_media(
    session: Session, references: Sequence[tuple[Column[Any], Column[Any] | None]]
) -> list[str]:
    """The lifecycle rule: flag the images public entries show, delete those nothing shows.

    ``references`` are the columns naming an image, each with its entry's published flag
    (``None``: the entry is always public, as personal info is). Runs inside the write's
    transaction (synchronously, from the session's ``before_commit``); returns the ids deleted.
    """
    used = union(
        *(select(column.label("id")).where(column.is_not(None)) for column, _ in references)
    ).subquery()
    public = union(
        *(
            select(column.label("id")).where(
                column.is_not(None), *([] if flag is None else [flag.is_(True)])
            )
            for column, flag in references
        )
    ).subquery()
    shown = select(public.c.id)
    session.execute(
        update(_MEDIA)
        .where(_MEDIA.c.id.in_(shown), _MEDIA.c.published.is_(False))
        .values(published=True)
    )
    session.execute(
        update(_MEDIA)
        .where(_MEDIA.c.id.not_in(shown), _MEDIA.c.published.is_(True))
        .values(published=False)
    )
    unused = list(
        session.scalars(select(_MEDIA.c.id).where(_MEDIA.c.id.not_in(select(used.c.id)))).all()
    )
    if unused:
        # Variants first: SQLite does not enforce ON DELETE CASCADE.
        session.execute(delete(_VARIANTS).where(_VARIANTS.c.media_id.in_(unused)))
        session.execute(delete(_MEDIA).where(_MEDIA.c.id.in_(unused)))
    return unused
