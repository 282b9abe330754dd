"""Evidence images: accepted by content only, re-encoded with no metadata, bombs refused."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from evidence_images import (
    MARKERS,
    assert_no_metadata,
    jpeg_with_metadata,
    picture,
    png_header_only,
    png_with_metadata,
    webp_with_metadata,
)
from PIL import Image

from app.services.images import (
    ImageRejected,
    evidence_file,
    store_evidence_image,
    strip_image_metadata,
)

LIMITS = {"max_bytes": 2 * 1024 * 1024, "max_pixels": 4_000_000}


@pytest.mark.parametrize(
    ("make", "fmt", "content_type"),
    [
        (jpeg_with_metadata, "JPEG", "image/jpeg"),
        (png_with_metadata, "PNG", "image/png"),
        (webp_with_metadata, "WEBP", "image/webp"),
    ],
)
def test_every_metadata_block_is_removed(make, fmt: str, content_type: str) -> None:
    original = make()
    # The crafted file really carries what must go (GPS is binary, so its EXIF block is checked).
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)[1] == "N"
    present = [m for m in MARKERS if m in original]
    assert b"SpyCamMaker" in present and b"XMP-SECRET-MARKER" in present

    clean = strip_image_metadata(original, **LIMITS)

    assert (clean.format, clean.content_type) == (fmt, content_type)
    assert (clean.width, clean.height) == (64, 48)
    assert_no_metadata(clean.data)
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.format == fmt
        # The picture itself survives: left half red, right half white.
        rgb = image.convert("RGB")
        red, green, _blue = rgb.getpixel((8, 24))  # type: ignore[misc]
        assert red > 200 and green < 60
        assert min(rgb.getpixel((56, 24))) > 200  # type: ignore[arg-type]


def test_jpeg_comment_and_icc_profile_are_gone() -> None:
    original = jpeg_with_metadata()
    assert b"COMMENT-SECRET-MARKER" in original and b"ICC-SECRET-MARKER" in original

    clean = strip_image_metadata(original, **LIMITS)

    with Image.open(io.BytesIO(clean.data)) as image:
        assert "comment" not in image.info and "icc_profile" not in image.info


def test_orientation_is_applied_to_the_pixels_before_the_tag_goes() -> None:
    # Orientation 6: the camera was turned, so viewers rotate the 64x48 picture upright.
    clean = strip_image_metadata(jpeg_with_metadata((64, 48), orientation=6), **LIMITS)

    assert (clean.width, clean.height) == (48, 64)
    assert_no_metadata(clean.data)


def test_format_comes_from_the_content_not_the_name() -> None:
    # A PNG called photo.jpg is a PNG; the name is never looked at.
    clean = strip_image_metadata(png_with_metadata(), **LIMITS)
    assert (clean.format, clean.extension) == ("PNG", "png")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<html><script>alert(1)</script></html>", id="html-named-jpg"),
        pytest.param(b"\xff\xd8\xff\xe0 not really a jpeg", id="jpeg-magic-only"),
        pytest.param(jpeg_with_metadata()[:200], id="truncated-jpeg"),
        pytest.param(b"GIF89a" + b"\x00" * 40, id="gif"),
    ],
)
def test_non_images_and_other_formats_are_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected, match="not a readable JPEG, PNG or WebP"):
        strip_image_metadata(data, **LIMITS)


def test_a_gif_is_refused_even_when_it_is_a_real_image() -> None:
    out = io.BytesIO()
    picture().save(out, "GIF")
    with pytest.raises(ImageRejected):
        strip_image_metadata(out.getvalue(), **LIMITS)


def test_empty_and_oversized_files_are_refused() -> None:
    with pytest.raises(ImageRejected, match="empty"):
        strip_image_metadata(b"", **LIMITS)
    with pytest.raises(ImageRejected, match="larger than 1 MB"):
        strip_image_metadata(b"x" * (1024 * 1024 + 1), max_bytes=1024 * 1024, max_pixels=10)


def test_too_many_pixels_for_our_limit_is_refused() -> None:
    with pytest.raises(ImageRejected, match=r"more than [0-9,]+ pixels"):
        strip_image_metadata(png_with_metadata((64, 48)), max_bytes=10**6, max_pixels=64 * 47)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(10_000, 10_000, id="over-pillow-warning-limit"),  # DecompressionBombWarning
        pytest.param(40_000, 40_000, id="over-pillow-error-limit"),  # DecompressionBombError
    ],
)
def test_decompression_bombs_are_refused_before_decoding(width: int, height: int) -> None:
    bomb = png_header_only(width, height)
    assert len(bomb) < 200
    with pytest.raises(ImageRejected, match=r"more than [0-9,]+ pixels"):
        # Our own limit set above Pillow's, so Pillow's own checks are what refuse it.
        strip_image_metadata(bomb, max_bytes=10**6, max_pixels=10**10)
    with pytest.raises(ImageRejected, match=r"more than [0-9,]+ pixels"):
        strip_image_metadata(bomb, **LIMITS)


def test_stored_file_has_a_random_name_the_hour_as_its_time_and_clean_bytes(
    tmp_path: Path,
) -> None:
    clean = strip_image_metadata(jpeg_with_metadata(), **LIMITS)
    stamp = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)

    first = store_evidence_image(data_dir=tmp_path, image=clean, stamp=stamp, caption="A pole")
    second = store_evidence_image(data_dir=tmp_path, image=clean, stamp=stamp)

    assert first.file_name != second.file_name
    assert first.file_name.endswith(".jpg") and len(first.file_name) >= 30
    path = evidence_file(data_dir=tmp_path, image=first)
    data = path.read_bytes()
    assert data == clean.data
    assert_no_metadata(data)
    assert (first.size, first.width, first.height) == (len(data), 64, 48)
    assert first.content_type == "image/jpeg" and first.caption == "A pole"
    import hashlib

    assert first.sha256 == hashlib.sha256(data).hexdigest()
    assert os.stat(path).st_mtime == stamp.timestamp()
    # Nothing else is left in the folder: no temporary file, no original.
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [first.file_name, second.file_name]
    )
