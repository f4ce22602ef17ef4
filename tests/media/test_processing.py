"""Processing an upload: recognised by content, limits, orientation, no metadata, variants."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, ImageChops, ImageStat

from cms.media.processing import ImageRefused, describe_size, process_image
from cms.media.urls import variant_widths
from tests.media.images import (
    bomb_png,
    jpeg_photo,
    png_image,
    svg_with_script,
    webp_image,
)

MAX_BYTES = 10 * 1024 * 1024


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_phone_photo_comes_out_without_its_gps_position_or_any_metadata() -> None:
    photo = jpeg_photo((1600, 1200))
    assert b"PhoneCo" in photo and _opened(photo).getexif().get_ifd(0x8825)  # it has GPS

    processed = process_image(photo, name="IMG_0001.jpg", max_bytes=MAX_BYTES)

    assert [v.name for v in processed.variants] == ["full", "1280", "640", "320"]
    for variant in processed.variants:
        # The WebP container's metadata chunks, and the camera's words, are all absent.
        for marker in (b"EXIF", b"XMP ", b"ICCP", b"PhoneCo", b"Pocket 12", b"GPS"):
            assert marker not in variant.data, (variant.name, marker)
        image = _opened(variant.data)
        assert image.format == "WEBP"
        assert dict(image.getexif()) == {}
        assert "icc_profile" not in image.info and "exif" not in image.info
        assert "xmp" not in image.info


def test_variants_are_webp_at_their_widths_and_the_full_one_is_capped() -> None:
    processed = process_image(jpeg_photo((3000, 2000)), max_bytes=MAX_BYTES)

    sizes = {v.name: (v.width, v.height) for v in processed.variants}
    assert sizes == {
        "full": (2560, 1707),
        "1280": (1280, 854),
        "640": (640, 427),
        "320": (320, 213),
    }
    for variant in processed.variants:
        assert _opened(variant.data).size == (variant.width, variant.height)
        assert variant.content_type == "image/webp"
        assert variant.etag == '"' + hashlib.sha256(variant.data).hexdigest()[:32] + '"'
    assert (processed.width, processed.height) == (2560, 1707)
    assert processed.stored_bytes == sum(len(v.data) for v in processed.variants)
    assert processed.original_bytes > 0


def test_a_small_image_is_never_upscaled() -> None:
    processed = process_image(webp_image((500, 300)), max_bytes=MAX_BYTES)

    assert [(v.name, v.width) for v in processed.variants] == [("full", 500), ("320", 320)]
    assert variant_widths(500) == [("320", 320), ("full", 500)]


def test_the_exif_orientation_is_applied_before_it_is_stripped() -> None:
    # Stored landscape, shown portrait: orientation 6 means "rotate 90° clockwise".
    processed = process_image(jpeg_photo((1200, 800), orientation=6), max_bytes=MAX_BYTES)

    assert (processed.width, processed.height) == (800, 1200)
    assert _opened(processed.variants[0].data).size == (800, 1200)


def test_the_id_is_content_addressed() -> None:
    photo = jpeg_photo((900, 600))
    first = process_image(photo, name="a.jpg", max_bytes=MAX_BYTES)
    again = process_image(photo, name="b.jpg", max_bytes=MAX_BYTES)
    other = process_image(jpeg_photo((900, 601)), max_bytes=MAX_BYTES)

    assert first.id == again.id == hashlib.sha256(first.variants[0].data).hexdigest()[:32]
    assert other.id != first.id


def test_a_png_renamed_jpg_is_taken_as_the_png_it_is() -> None:
    processed = process_image(png_image(transparent=True), name="photo.jpg", max_bytes=MAX_BYTES)

    full = _opened(processed.variants[0].data)
    assert full.mode == "RGBA"  # its transparency survived: it was read as PNG
    assert processed.original_name == "photo.jpg"
    assert processed.placeholder.startswith("#") and len(processed.placeholder) == 7


def test_the_placeholder_is_the_average_colour() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (200, 40, 10)).save(buffer, "PNG")

    assert process_image(buffer.getvalue(), max_bytes=MAX_BYTES).placeholder == "#c8280a"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty: choose an image file."),
        (b"Dear diary, today I renamed a text file to .jpg.", "This file is not an image"),
        (svg_with_script(), "SVG images are not accepted (they can carry scripts)"),
        (_gif(), "GIF images are not accepted"),
        (bomb_png(), "The image has too many pixels: at most 50 megapixels are accepted."),
        (bomb_png(10_000, 6_000), "The image is 10000 × 6000 pixels; at most 50 megapixels"),
        (jpeg_photo((800, 600))[:3000], "The image could not be read: the file is damaged"),
    ],
    ids=["empty", "text-renamed-jpg", "svg-with-script", "gif", "bomb", "too-many", "truncated"],
)
def test_what_is_refused_is_refused_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ImageRefused) as refused:
        process_image(data, name="upload.jpg", max_bytes=MAX_BYTES)
    assert str(refused.value).startswith(message)
    if data:
        assert (
            "JPEG, PNG or WebP" in str(refused.value)
            or "pixels" in str(refused.value)
            or ("damaged" in str(refused.value))
        )


def test_a_truncated_file_is_refused_even_where_pillow_was_told_to_accept_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as WeasyPrint sets it
    photo = jpeg_photo((800, 600))

    with pytest.raises(ImageRefused, match="the file is damaged or incomplete"):
        process_image(photo[: len(photo) // 2], max_bytes=MAX_BYTES)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    twenty_megabytes = b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024)

    with pytest.raises(ImageRefused, match=r"^The file is 20 MB; images may be at most 10 MB\.$"):
        process_image(twenty_megabytes, max_bytes=MAX_BYTES)


def test_the_pixel_limit_is_a_setting() -> None:
    with pytest.raises(ImageRefused, match="at most 0.1 megapixels"):
        process_image(png_image((400, 300)), max_bytes=MAX_BYTES, max_pixels=100_000)


def test_sizes_are_described_as_the_owner_reads_them() -> None:
    assert describe_size(10 * 1024 * 1024) == "10 MB"
    assert describe_size(1536 * 1024) == "1.5 MB"
    assert describe_size(2048) == "2 KB"


def _square_png(edge: int) -> bytes:
    """A large, small-file RGBA PNG (a gradient compresses to a few hundred KB)."""
    buffer = io.BytesIO()
    with Image.linear_gradient("L").resize((edge, edge)) as grey:
        image = Image.merge("RGBA", (grey, grey.transpose(Image.Transpose.ROTATE_90), grey, grey))
    image.save(buffer, "PNG", compress_level=1)
    image.close()
    return buffer.getvalue()


def test_a_7000_pixel_square_png_is_accepted_as_its_full_variant() -> None:
    """49 megapixels of RGBA: within the limit (bench/media.py measures its memory)."""
    data = _square_png(7000)
    processed = process_image(data, max_bytes=len(data))
    assert (processed.width, processed.height) == (2560, 2560)
    with _opened(processed.variants[0].data) as full:
        assert full.size == (2560, 2560)
        assert full.mode == "RGBA"


def test_webp_has_its_own_lower_pixel_limit_and_says_so() -> None:
    size = (400, 300)
    assert process_image(png_image(size), max_bytes=MAX_BYTES, max_webp_pixels=100_000)
    with pytest.raises(ImageRefused) as refused:
        process_image(webp_image(size), max_bytes=MAX_BYTES, max_webp_pixels=100_000)
    assert str(refused.value) == (
        "The WebP image is 400 × 300 pixels; at most 0.1 megapixels are accepted "
        "(as PNG or JPEG, up to 50)."
    )


def test_large_images_are_scaled_in_strips_without_seams() -> None:
    """Scaled a strip of rows at a time, the full variant still matches one whole resize."""
    source = Image.merge(
        "RGB",
        [Image.linear_gradient("L").resize((1200, 6000)).rotate(angle) for angle in (0, 90, 45)],
    )
    buffer = io.BytesIO()
    source.save(buffer, "PNG")
    processed = process_image(buffer.getvalue(), max_bytes=MAX_BYTES)
    with _opened(processed.variants[0].data) as ours:
        size = ours.size
        whole = source.resize(size, Image.Resampling.LANCZOS)
        reference = io.BytesIO()
        whole.save(reference, "WEBP", quality=82, method=2)
        with _opened(reference.getvalue()) as expected:
            diff = ImageChops.difference(ours.convert("RGB"), expected.convert("RGB")).convert("L")
    assert size == (512, 2560)
    worst_row = max(
        ImageStat.Stat(diff.crop((0, y, size[0], y + 1))).mean[0] for y in range(size[1])
    )
    assert worst_row < 1.0
