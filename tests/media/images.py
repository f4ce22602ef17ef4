"""Test images made in code: a phone photo with GPS, PNG/WebP, bombs, SVG, text (shared helpers)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

__all__ = [
    "GPS_LATITUDE",
    "bomb_png",
    "jpeg_photo",
    "png_image",
    "svg_with_script",
    "webp_image",
]

GPS_LATITUDE = (52.0, 31.0, 12.5)
"""Degrees, minutes, seconds of the position :func:`jpeg_photo` carries."""


def _pattern(size: tuple[int, int]) -> Image.Image:
    """A photo-like RGB picture: a gradient with colour (compresses like a photo, roughly)."""
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.effect_noise(size, 64).convert("L")
    return Image.merge("RGB", (red, green, blue))


def jpeg_photo(
    size: tuple[int, int] = (1600, 1200), *, orientation: int | None = None, gps: bool = True
) -> bytes:
    """A JPEG as a phone writes it: EXIF with make, model, GPS position and orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Pocket 12"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {
                ExifTags.GPS.GPSLatitudeRef: "N",
                ExifTags.GPS.GPSLatitude: GPS_LATITUDE,
                ExifTags.GPS.GPSLongitudeRef: "E",
                ExifTags.GPS.GPSLongitude: (13.0, 24.0, 1.0),
            }
        )
    buffer = io.BytesIO()
    with _pattern(size) as image:
        image.save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def png_image(size: tuple[int, int] = (800, 500), *, transparent: bool = False) -> bytes:
    """A PNG (with an alpha channel when ``transparent``)."""
    buffer = io.BytesIO()
    with _pattern(size) as image:
        if transparent:
            image.putalpha(Image.linear_gradient("L").resize(size))
        image.save(buffer, "PNG")
    return buffer.getvalue()


def webp_image(size: tuple[int, int] = (400, 300)) -> bytes:
    """A WebP picture."""
    buffer = io.BytesIO()
    with _pattern(size) as image:
        image.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (never decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def svg_with_script() -> bytes:
    """An SVG image carrying a script: what an upload must never let through."""
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
    )
