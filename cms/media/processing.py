"""Images in: recognised by their content, checked, oriented, stripped; WebP variants out.

An upload is accepted when Pillow recognises its bytes as JPEG, PNG or WebP (its name and
declared type are never read): SVG, GIF, text renamed ``.jpg`` and the rest are refused with a
sentence saying so. Limits come first: ``MEDIA_MAX_BYTES`` on the file, ``MEDIA_MAX_PIXELS`` on
the dimensions its header declares (a decompression bomb is refused before it is decoded), and
the lower ``MEDIA_MAX_WEBP_PIXELS`` for WebP, which Pillow decodes through three more buffers
the size of the image (about 18 bytes a pixel: 12 megapixels peak near 240 MB).

Memory stays under 300 MB for any accepted image (``bench/media.py`` measures it): the image is
decoded at the smallest scale that still covers the full variant (JPEG's DCT scaling,
:meth:`PIL.Image.Image.draft`: a 24-megapixel photo decodes at half size; PNG and WebP cannot
be decoded reduced), then converted and scaled to the full variant a strip of rows at a time,
so the decoded image is the only full-size buffer. The full variant is turned upright by its
EXIF orientation (:func:`PIL.ImageOps.exif_transpose`),
converted to sRGB when it carries an ICC profile, and encoded as WebP with no metadata at all:
no EXIF (a phone's GPS position), no XMP, no ICC profile. Narrower variants are scaled from the
next larger one. The id is content-addressed: the SHA-256 of the full variant's bytes.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from cms.media.image import (
    ACCEPTED_FORMATS,
    WEBP,
    ImageRefused,
    ProcessedImage,
    Variant,
    describe_size,
)
from cms.media.urls import FULL, FULL_EDGE, variant_widths

__all__ = [
    "ACCEPTED_FORMATS",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_WEBP_PIXELS",
    "WEBP",
    "ImageRefused",
    "ProcessedImage",
    "Variant",
    "describe_size",
    "process_image",
]

DEFAULT_MAX_PIXELS = 50_000_000  # a 50-megapixel PNG decodes to 200 MB (4 bytes a pixel)
DEFAULT_MAX_WEBP_PIXELS = 12_000_000  # Pillow decodes WebP through about 18 bytes a pixel
_QUALITY = 82
_METHOD = 2  # libwebp's effort, 0-6: 2 encodes 2-3x faster than 4 for a few percent more bytes
_RESAMPLE = Image.Resampling.LANCZOS
_SUPPORT = 3  # Lanczos reaches 3 output pixels either side: 3 × scale source rows
_STRIP_ROWS = 128  # full-variant rows scaled at a time: at most 1.3 MB of RGBA at 2560 wide
_WORKING_MODES = ("RGB", "RGBA", "L", "LA", "CMYK")
# Scaled premultiplied, as Pillow's own resize does, so transparent pixels lend no colour.
_PREMULTIPLIED = {"RGBA": "RGBa", "LA": "La"}
_ACCEPTED_WORDS = "a JPEG, PNG or WebP image"
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def process_image(
    data: bytes,
    *,
    name: str = "",
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_webp_pixels: int = DEFAULT_MAX_WEBP_PIXELS,
    size: int | None = None,
) -> ProcessedImage:
    """Check and process an upload; raises :class:`ImageRefused` with the reason.

    ``size`` is the file's whole size when ``data`` holds only its first ``max_bytes + 1``
    bytes (a reader that stops there still tells how big the file was).
    """
    if not data:
        raise ImageRefused("The file is empty: choose an image file.")
    if len(data) > max_bytes:
        raise ImageRefused(
            f"The file is {describe_size(max(size or 0, len(data)))}; images may be at most "
            f"{describe_size(max_bytes)}."
        )
    image = _open(data, max_pixels, max_webp_pixels)
    try:
        full = _full_variant(image)
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt pixel data
        raise ImageRefused(
            "The image could not be read: the file is damaged or incomplete."
        ) from exc
    finally:
        image.close()
    variants = [_encode(FULL, full)]
    current = full
    # Largest first, each from the one before: every step scales an image at most twice its
    # size, and only one decoded variant besides the full one is held at a time.
    for name_, width in reversed(variant_widths(full.width)[:-1]):
        height = max(1, round(full.height * width / full.width))
        smaller = current.resize((width, height), _RESAMPLE)
        if current is not full:
            current.close()
        variants.append(_encode(name_, smaller))
        current = smaller
    placeholder = _average_colour(current)
    if current is not full:
        current.close()
    width, height = full.size
    full.close()
    return ProcessedImage(
        id=hashlib.sha256(variants[0].data).hexdigest()[:32],
        width=width,
        height=height,
        placeholder=placeholder,
        original_name=name[:255],
        original_bytes=len(data),
        variants=tuple(variants),
    )


def _open(data: bytes, max_pixels: int, max_webp_pixels: int) -> Image.Image:
    """The image's header, read: accepted formats only, and within its format's pixel limit."""
    too_many = (
        f"The image has too many pixels: at most {max_pixels / 1_000_000:g} megapixels "
        "are accepted."
    )
    try:
        # Pillow's own bomb check warns first, then raises: both are a refusal here.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(too_many) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRefused(_not_accepted(data)) from None
    width, height = image.size
    webp = image.format == "WEBP"
    limit = min(max_pixels, max_webp_pixels) if webp else max_pixels
    if width * height > limit:
        image.close()
        other = (
            f" (as PNG or JPEG, up to {max_pixels / 1_000_000:g})"
            if webp and max_pixels > limit
            else ""
        )
        raise ImageRefused(
            f"The {'WebP ' if webp else ''}image is {width} × {height} pixels; at most "
            f"{limit / 1_000_000:g} megapixels are accepted{other}."
        )
    return image


def _not_accepted(data: bytes) -> str:
    """Why bytes that are not JPEG, PNG or WebP are refused, naming what they are if known."""
    head = data[:1024].lstrip().lower()
    if b"<svg" in head or head.startswith(b"<?xml"):
        return f"SVG images are not accepted (they can carry scripts): upload {_ACCEPTED_WORDS}."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as other:  # the header only: nothing is decoded
                kind = other.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind:
        return f"{kind} images are not accepted: upload {_ACCEPTED_WORDS}."
    return f"This file is not an image: upload {_ACCEPTED_WORDS}."


_STRICT_LOAD = threading.Lock()


@contextmanager
def _complete_files_only() -> Iterator[None]:
    """Refuse truncated files while decoding, whatever the process-wide setting says.

    Pillow reads ``ImageFile.LOAD_TRUNCATED_IMAGES`` at decode time, and a library may turn it
    on for the whole process (WeasyPrint does, on import): an upload must still be complete.
    """
    with _STRICT_LOAD:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _full_variant(image: Image.Image) -> Image.Image:
    """The full variant's pixels: scaled, upright, sRGB, in RGB or RGBA, without metadata."""
    raw_width, raw_height = image.size
    scale = min(1.0, FULL_EDGE / max(raw_width, raw_height))
    size = (max(1, round(raw_width * scale)), max(1, round(raw_height * scale)))
    if image.format == "JPEG" and scale < 1:
        image.draft(None, size)  # decode at 1/2, 1/4 or 1/8 scale while that still covers size
    with _complete_files_only():
        image.load()
    icc = image.info.get("icc_profile")
    scaled = _scaled(image, size)
    upright = ImageOps.exif_transpose(scaled)
    if upright is not scaled:
        scaled.close()
    result = _to_srgb(upright, icc)
    if result is not upright:
        upright.close()
    result.info = {}  # EXIF, XMP, ICC, comments: nothing of the source is kept
    return result


def _scaled(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` at ``size`` in a working mode, converted and scaled a strip of rows at a time.

    Whole, a conversion or a resize holds a second full-size image (Pillow premultiplies RGBA
    into a copy before resampling): 49 megapixels of RGBA peaked at 490 MB. Each strip is
    scaled across, then down over the source rows its filter reaches (``box`` keeps the
    coefficients of the whole image), always in that order and premultiplied once: the strips
    join without a seam, as one two-pass resize would. The source's ``info`` (EXIF) is kept.
    An image already at ``size`` (at most the full variant's) is only converted, whole.
    """
    if image.size == size:
        whole = image.copy() if image.mode in _WORKING_MODES else _rgb(image)
        whole.info = dict(image.info)
        return whole
    width, height = size
    source_width, source_height = image.size
    rows_per_row = source_height / height
    margin = math.ceil(_SUPPORT * max(1.0, rows_per_row)) + 1
    result: Image.Image | None = None
    for top in range(0, height, _STRIP_ROWS):
        bottom = min(height, top + _STRIP_ROWS)
        first, last = top * rows_per_row, bottom * rows_per_row
        crop_top = max(0, math.floor(first) - margin)
        crop_bottom = min(source_height, math.ceil(last) + margin)
        held = [image.crop((0, crop_top, source_width, crop_bottom))]
        if held[-1].mode not in _WORKING_MODES:
            held.append(_rgb(held[-1]))
        mode = held[-1].mode
        if mode in _PREMULTIPLIED:
            held.append(held[-1].convert(_PREMULTIPLIED[mode]))
        held.append(held[-1].resize((width, held[-1].height), _RESAMPLE))
        box = (0.0, first - crop_top, float(width), last - crop_top)
        held.append(held[-1].resize((width, bottom - top), _RESAMPLE, box=box))
        if mode in _PREMULTIPLIED:
            held.append(held[-1].convert(mode))
        if result is None:
            result = Image.new(mode, size)
        result.paste(held[-1], (0, top))
        for done in held:
            done.close()
    assert result is not None  # height >= 1: at least one strip
    result.info = dict(image.info)
    return result


def _rgb(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency (palette, 16-bit and 1-bit modes)."""
    transparent = "A" in image.getbands() or "transparency" in image.info
    if image.mode.startswith("I") or image.mode == "F":  # 16- or 32-bit grey
        image = image.point(lambda value: value / 256).convert("L")
    return image.convert("RGBA" if transparent else "RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """``image`` in sRGB: converted through its ICC profile when it has a readable one."""
    alpha = "A" in image.getbands()
    mode = "RGBA" if alpha else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable or mismatched profile: the pixels as they are
        else:
            if converted is not None:
                return converted
    return image if image.mode == mode else image.convert(mode)


def _encode(name: str, image: Image.Image) -> Variant:
    buffer = io.BytesIO()
    # No exif/icc_profile/xmp arguments: WebP output carries metadata only when given them.
    image.save(buffer, "WEBP", quality=_QUALITY, method=_METHOD)
    width, height = image.size
    return Variant(name, width, height, buffer.getvalue())


def _average_colour(image: Image.Image) -> str:
    """The average colour over white (transparent areas show the page behind them)."""
    if "A" in image.getbands():
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
        background.close()
    else:
        flat = image.convert("RGB")
    red, green, blue = flat.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    flat.close()
    return f"#{red:02x}{green:02x}{blue:02x}"
