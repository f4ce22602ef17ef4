"""Rows with uploaded images, written through the write path (shared by the media tests)."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from cms.content import write
from cms.media.image import ProcessedImage
from cms.media.processing import process_image
from tests.media.images import jpeg_photo, png_image

__all__ = ["add_with_image", "photo", "screenshot"]

T = TypeVar("T")


@cache
def photo() -> ProcessedImage:
    """A processed 1600 × 1200 phone photo (every variant)."""
    return process_image(jpeg_photo((1600, 1200)), name="me.jpg", max_bytes=10 << 20)


@cache
def screenshot() -> ProcessedImage:
    """A processed 500 × 300 PNG (the full variant and 320)."""
    return process_image(png_image((500, 300)), name="shot.png", max_bytes=10 << 20)


async def add_with_image(
    session: AsyncSession, row: T, image: ProcessedImage, alt: str = "A picture"
) -> T:
    """Insert ``row`` showing ``image`` (stored as the engine's storage keeps it) and commit."""
    session.add_all(await write.new_images(session, [image]))
    row_: Any = row
    row_.image_media_id = image.id
    row_.image_alt = alt
    session.add(row_)
    await session.commit()
    return row
