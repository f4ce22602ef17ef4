"""An entry's image in the public documents: one shape for uploads and for URLs.

An uploaded image (``image_media_id``) is served as WebP variants (:mod:`cms.media`): the
public object gives the largest one's URL, its size, every variant for ``srcset`` and a
placeholder colour. An image given as a URL is served as given, with what is known of it
(``width``, ``height`` and ``placeholder`` are ``null``, ``srcset`` is empty). URLs follow the
settings of the engine that read the row (:class:`cms.media.urls.MediaUrls`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import object_session

from cms.content.record import Computed
from cms.core.db import engine_settings
from cms.media.urls import FULL, MediaUrls, variant_widths

__all__ = [
    "IMAGE",
    "IMAGE_ALT_HELP",
    "IMAGE_URL",
    "ImagePublic",
    "ImageSource",
    "image_url",
    "media_urls",
    "public_image",
]


IMAGE_ALT_HELP = (
    "What the image shows, for people who cannot see it; required with an uploaded image."
)
"""The back office's help under an image's description field."""


class ImageSource(BaseModel):
    """One size of an uploaded image (an entry of ``srcset``)."""

    url: str
    width: int


class ImagePublic(BaseModel):
    """An image: uploaded (sizes, every variant, a placeholder) or a URL given as is."""

    url: str = Field(
        description="The largest variant (WebP, its longer edge at most 2560 px), or the URL "
        "as given."
    )
    width: int | None = Field(description="Of `url`, in pixels; `null` for a URL image.")
    height: int | None = Field(description="Of `url`, in pixels; `null` for a URL image.")
    alt: str | None = Field(description="What the image shows (always set for an upload).")
    srcset: list[ImageSource] = Field(
        description="Every variant, narrowest first (`url` is the last); empty for a URL image."
    )
    placeholder: str | None = Field(
        description="The average colour, `#rrggbb`, to show while the image loads; `null` for "
        "a URL image."
    )


def media_urls(row: Any) -> MediaUrls:
    """How variants are named for ``row``: by the settings of the engine it was read with."""
    session = object_session(row)
    if session is None:
        raise LookupError(
            f"{type(row).__name__} is in no session: its image URLs follow its engine's settings"
        )
    return MediaUrls.from_settings(engine_settings(session.get_bind()))


def image_url(row: Any) -> str | None:
    """The URL of ``row``'s image: the largest variant of an upload, else the URL column."""
    if row.image_media_id:
        return media_urls(row).url(row.image_media_id, FULL)
    return getattr(row, row.image_url_field)  # type: ignore[no-any-return]


def public_image(row: Any) -> ImagePublic | None:
    """The public object of ``row``'s image (``image_media`` must be loaded for an upload)."""
    if row.image_media_id:
        media = row.image_media
        urls = media_urls(row)
        return ImagePublic(
            url=urls.url(media.id, FULL),
            width=media.width,
            height=media.height,
            alt=row.image_alt,
            srcset=[
                ImageSource(url=urls.url(media.id, name), width=width)
                for name, width in variant_widths(media.width)
            ],
            placeholder=media.placeholder,
        )
    url = getattr(row, row.image_url_field)
    if not url:
        return None
    return ImagePublic(
        url=url, width=None, height=None, alt=row.image_alt, srcset=[], placeholder=None
    )


IMAGE = Computed(ImagePublic | None, public_image, "The image, uploaded or given as a URL.")
IMAGE_URL = Computed(
    str | None,
    image_url,
    "The URL of the image (the largest variant of an upload).",
    deprecated="Read `image.url`.",
)
