"""Which variants an image has, where each one lives, and its public URL (no Pillow, no ORM).

An uploaded image is stored as WebP variants: ``full`` (the image, its longer edge at most
:data:`FULL_EDGE` pixels) and each of :data:`VARIANT_WIDTHS` narrower than ``full`` (never
upscaled). Which ones exist follows from the full width alone (:func:`variant_widths`).

URLs: ``/media/<id>/<variant>.webp`` under ``PUBLIC_BASE_URL`` (relative to the site root
when it is unset), or, with ``MEDIA_STORAGE=s3`` and ``MEDIA_PUBLIC_BASE_URL``, the object's
key (``MEDIA_S3_PREFIX<id>/<variant>.webp``) under that CDN base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FULL",
    "FULL_EDGE",
    "MEDIA_PATH",
    "MEDIA_PREFIX",
    "VARIANT_NAMES",
    "VARIANT_WIDTHS",
    "MediaUrls",
    "is_media_path",
    "media_id_in_url",
    "object_key",
    "variant_widths",
]

FULL = "full"
"""The variant holding the whole image (its longer edge capped at :data:`FULL_EDGE`)."""
FULL_EDGE = 2560  # pixels, the longer edge of the full variant
VARIANT_WIDTHS = (320, 640, 1280)
"""Widths of the narrower variants, made only when narrower than the full variant."""
VARIANT_NAMES = (FULL, *(str(width) for width in reversed(VARIANT_WIDTHS)))
"""Every variant name, largest first."""

MEDIA_PREFIX = "/media"
MEDIA_PATH = re.compile(r"/media/(?P<id>[0-9a-f]{32})/(?P<variant>full|1280|640|320)\.webp")
"""A variant's path on the public read path."""
_ID_IN_URL = re.compile(r"(?:^|/)(?P<id>[0-9a-f]{32})/full\.webp(?:[?#].*)?$")


def variant_widths(width: int) -> list[tuple[str, int]]:
    """The variants of an image whose full variant is ``width`` wide, narrowest first."""
    narrower = [(str(w), w) for w in VARIANT_WIDTHS if w < width]
    return [*narrower, (FULL, width)]


def object_key(prefix: str, media_id: str, variant: str) -> str:
    """Where a variant lives in the bucket (and under ``MEDIA_PUBLIC_BASE_URL``)."""
    return f"{prefix}{media_id}/{variant}.webp"


def is_media_path(value: object) -> bool:
    """Whether ``value`` is a variant's path on this site, as URLs are without PUBLIC_BASE_URL."""
    return isinstance(value, str) and MEDIA_PATH.fullmatch(value) is not None


def media_id_in_url(url: str | None) -> str | None:
    """The media id a URL of a full variant names (an exported or backed-up image), if any."""
    if not url:
        return None
    found = _ID_IN_URL.search(url)
    return found.group("id") if found else None


@dataclass(frozen=True, slots=True)
class MediaUrls:
    """How the public documents name a variant, from the settings."""

    public_base_url: str = ""
    """``PUBLIC_BASE_URL`` without its trailing slash; empty: URLs relative to the site root."""
    cdn_base_url: str = ""
    """``MEDIA_PUBLIC_BASE_URL`` when the bytes are in S3; empty: served by this app."""
    s3_prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> MediaUrls:
        """The URLs ``settings`` (full or read path's) give."""
        cdn = settings.media_public_base_url if settings.media_storage == "s3" else None
        return cls(
            public_base_url=(settings.public_base_url or "").rstrip("/"),
            cdn_base_url=(cdn or "").rstrip("/"),
            s3_prefix=settings.media_s3_prefix,
        )

    def url(self, media_id: str, variant: str) -> str:
        """The public URL of one variant."""
        if self.cdn_base_url:
            return f"{self.cdn_base_url}/{object_key(self.s3_prefix, media_id, variant)}"
        return f"{self.public_base_url}{MEDIA_PREFIX}/{media_id}/{variant}.webp"
