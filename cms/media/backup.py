"""Uploaded images inside a backup: ``meta.cmsMedia`` of the backup's JSON Resume document.

A backup is one JSON Resume document, and JSON Resume allows no top-level property of ours, but
any inside ``meta``: each image is an object with its size, placeholder and every WebP variant,
base64-encoded. Export never writes it; import and restore read it, check that each image's
bytes are what its id says (the id is their SHA-256) and store the images the database lacks.
Entries name their image by the URL of its full variant (``basics.image``), which restore turns
back into a reference (:func:`cms.content.write.replace_cv`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from cms.media.image import WEBP, ProcessedImage, Variant
from cms.media.urls import FULL, VARIANT_NAMES

__all__ = ["MEDIA_KEY", "media_document", "parse_media"]

MEDIA_KEY = "cmsMedia"
"""The key of the images in a backup's ``meta``."""

_ID_DIGITS = frozenset("0123456789abcdef")


def media_document(images: Sequence[ProcessedImage]) -> list[dict[str, Any]]:
    """The backup form of ``images`` (sorted by id: the same images give the same bytes)."""
    return [
        {
            "id": image.id,
            "width": image.width,
            "height": image.height,
            "placeholder": image.placeholder,
            "originalName": image.original_name,
            "originalBytes": image.original_bytes,
            "variants": [
                {
                    "name": variant.name,
                    "width": variant.width,
                    "height": variant.height,
                    "contentType": variant.content_type,
                    "data": base64.b64encode(variant.data).decode("ascii"),
                }
                for variant in image.variants
            ],
        }
        for image in sorted(images, key=lambda image: image.id)
    ]


def parse_media(
    value: Any, parts: tuple[str | int, ...], problem: Callable[[tuple[str | int, ...], str], None]
) -> list[ProcessedImage]:
    """The images of a backup's ``meta.cmsMedia``; each fault is reported to ``problem``."""
    if not isinstance(value, list):
        problem(parts, "must be a list of images (as `cms backup` writes it)")
        return []
    images = []
    for index, item in enumerate(value):
        image = _image(item, (*parts, index), problem)
        if image is not None:
            images.append(image)
    return images


def _positive(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def _image(
    item: Any, here: tuple[str | int, ...], problem: Callable[[tuple[str | int, ...], str], None]
) -> ProcessedImage | None:
    if not isinstance(item, dict):
        problem(here, "must be an image object")
        return None
    media_id = item.get("id")
    if not isinstance(media_id, str) or len(media_id) != 32 or not set(media_id) <= _ID_DIGITS:
        problem((*here, "id"), "must be 32 hexadecimal digits")
        return None
    width, height = _positive(item, "width"), _positive(item, "height")
    placeholder = item.get("placeholder")
    if not width or not height or not isinstance(placeholder, str) or len(placeholder) > 16:
        problem(here, "needs a width, a height and a placeholder colour")
        return None
    variants: list[Variant] = []
    raw = item.get("variants")
    for index, entry in enumerate(raw if isinstance(raw, list) else []):
        variant = _variant(entry, (*here, "variants", index), problem)
        if variant is not None:
            variants.append(variant)
    full = next((variant for variant in variants if variant.name == FULL), None)
    if full is None:
        problem((*here, "variants"), "needs the full variant")
        return None
    if hashlib.sha256(full.data).hexdigest()[:32] != media_id:
        problem((*here, "variants"), "the full variant's bytes do not match the image's id")
        return None
    name = item.get("originalName")
    return ProcessedImage(
        id=media_id,
        width=width,
        height=height,
        placeholder=placeholder,
        original_name=name[:255] if isinstance(name, str) else "",
        original_bytes=_positive(item, "originalBytes") or 0,
        variants=tuple(variants),
    )


def _variant(
    entry: Any, here: tuple[str | int, ...], problem: Callable[[tuple[str | int, ...], str], None]
) -> Variant | None:
    if not isinstance(entry, dict) or entry.get("name") not in VARIANT_NAMES:
        problem(here, f"must be a variant named one of {', '.join(VARIANT_NAMES)}")
        return None
    width, height = _positive(entry, "width"), _positive(entry, "height")
    try:
        data = base64.b64decode(str(entry.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not width or not height or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        problem(here, "needs a width, a height and WebP bytes in base64")
        return None
    return Variant(entry["name"], width, height, data, WEBP)
