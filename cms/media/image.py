"""What an accepted image is once processed: its id, size, placeholder and WebP variants.

Light (no Pillow): backups and restores carry these too (:mod:`cms.content.transfer`), and
the back office's forms name the accepted formats and limits without loading Pillow, which
:mod:`cms.media.processing` imports.
"""

from __future__ import annotations

from dataclasses import dataclass

from cms.core.etags import make_etag

__all__ = ["ACCEPTED_FORMATS", "WEBP", "ImageRefused", "ProcessedImage", "Variant", "describe_size"]

WEBP = "image/webp"
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


class ImageRefused(ValueError):
    """An upload that is not accepted; the message tells the owner why."""


def describe_size(size: int) -> str:
    """``10485760`` → ``"10 MB"``: a byte count as the owner reads it (MiB, called MB)."""
    megabytes = size / 1024 / 1024
    if megabytes >= 1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


@dataclass(frozen=True, slots=True)
class Variant:
    """One stored size of an image."""

    name: str
    width: int
    height: int
    data: bytes
    content_type: str = WEBP

    @property
    def etag(self) -> str:
        """Its strong ETag (made as the public documents' ETags are)."""
        return make_etag(self.data)


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """An accepted image: its id, size, placeholder and variants (largest first)."""

    id: str
    """Content-addressed: the first 32 hex digits of the SHA-256 of the full variant."""
    width: int
    height: int
    placeholder: str
    """The average colour, ``#rrggbb``, to show while the image loads."""
    original_name: str
    original_bytes: int
    variants: tuple[Variant, ...]

    @property
    def stored_bytes(self) -> int:
        """The bytes of every variant together."""
        return sum(len(variant.data) for variant in self.variants)
