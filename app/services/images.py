"""Evidence images: checked by content, re-encoded from pixels only, stored under random names.

Nothing of the uploaded file survives but its pixels: no EXIF (GPS, camera, serial numbers),
no XMP, IPTC, ICC profile, comment or embedded thumbnail. The format is read from the bytes,
never from the file name; byte and pixel limits and Pillow's decompression-bomb checks run
before any pixel is decoded.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps
from sqlmodel import Session, col, select

from app.models import Deployment, EvidenceImage

# Pillow's format name -> (stored extension, content type).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {ext: content_type for ext, content_type in FORMATS.values()}
EVIDENCE_FOLDER = "evidence"
# Pillow's plugins log every EXIF tag they read at DEBUG: camera, serial number, GPS. Keep
# that out of any log, whatever level the operator sets.
logging.getLogger("PIL").setLevel(logging.INFO)


class ImageRejected(ValueError):
    """An upload we will not store; the message is meant for the person who sent it."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A re-encoded image in memory, not yet written anywhere."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]


def strip_image_metadata(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Check an upload and re-encode it from its pixels alone; ImageRejected says why not."""
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; both mean the same to us.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            fmt, size = _sniff(data, max_pixels=max_pixels)
            pixels = _decode(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_too_big(max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(
            "This file is not a readable JPEG, PNG or WebP image (it may be damaged)."
        ) from None
    if pixels.width * pixels.height > max_pixels or size[0] * size[1] > max_pixels:
        raise ImageRejected(_too_big(max_pixels))
    return _encode(pixels, fmt)


def _too_big(max_pixels: int) -> str:
    return f"The image has more than {max_pixels:,} pixels."


def _sniff(data: bytes, *, max_pixels: int) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
        fmt = str(probe.format)
        size = probe.size
        if size[0] * size[1] > max_pixels:
            raise Image.DecompressionBombError("over our own limit")
        probe.verify()  # structure and checksums, without decoding pixels
    return fmt, size


def _decode(data: bytes) -> Image.Image:
    """The first frame's pixels, turned upright, in a mode every format can save."""
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
        image.seek(0)
        image.load()
        try:
            upright = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, KeyError, TypeError):
            upright = image  # unreadable orientation: keep the pixels as they are
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info
        )
        return upright.convert("RGBA" if has_alpha else "RGB")


def _encode(pixels: Image.Image, fmt: str) -> CleanImage:
    # A new image built from raw pixel bytes carries no info dict, so nothing can be copied
    # across by accident; no exif=, icc_profile= or comment= is passed when saving.
    if fmt == "JPEG" and pixels.mode == "RGBA":
        pixels = pixels.convert("RGB")
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=False)
    else:
        clean.save(out, "WEBP", quality=88, method=4)
    return CleanImage(data=out.getvalue(), format=fmt, width=clean.width, height=clean.height)


def evidence_dir(data_dir: Path) -> Path:
    return data_dir / EVIDENCE_FOLDER


def evidence_file(*, data_dir: Path, image: EvidenceImage) -> Path:
    """Where an image's bytes live; the name is ours, checked to be a plain file name."""
    name = Path(image.file_name).name
    if name != image.file_name:
        raise ValueError("not a plain file name")
    return evidence_dir(data_dir) / name


def write_evidence_file(*, data_dir: Path, image: CleanImage, stamp: datetime) -> str:
    """Write atomically under a random name; the file's times say only `stamp` (the hour)."""
    folder = evidence_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(24)}.{image.extension}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(image.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o640)
        when = stamp.timestamp()
        os.utime(tmp, (when, when))
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def store_evidence_image(
    *,
    data_dir: Path,
    image: CleanImage,
    stamp: datetime,
    caption: str | None = None,
) -> EvidenceImage:
    """Write a cleaned image to the evidence folder; the row is returned unsaved."""
    name = write_evidence_file(data_dir=data_dir, image=image, stamp=stamp)
    return EvidenceImage(
        file_name=name,
        content_type=image.content_type,
        sha256=hashlib.sha256(image.data).hexdigest(),
        size=len(image.data),
        width=image.width,
        height=image.height,
        caption=caption,
        created_at=stamp,
    )


def public_evidence_image(*, session: Session, file_name: str) -> EvidenceImage | None:
    """The image with this name if it belongs to a published deployment, else None.

    Images of submissions still under review are for staff only: staff routes use
    `submission_images` and `submission_image_named`."""
    if "\x00" in file_name:  # PostgreSQL refuses NUL in text; no file name holds one
        return None
    return session.exec(
        select(EvidenceImage)
        .join(Deployment, col(Deployment.id) == EvidenceImage.deployment_id)
        .where(EvidenceImage.file_name == file_name, Deployment.state == "published")
    ).first()


def submission_images(*, session: Session, submission_id: int) -> list[EvidenceImage]:
    """A submission's images, in the order they were sent (staff only)."""
    return list(
        session.exec(
            select(EvidenceImage)
            .where(EvidenceImage.submission_id == submission_id)
            .order_by(col(EvidenceImage.id))
        ).all()
    )


def submission_image_named(
    *, session: Session, submission_id: int, file_name: str
) -> EvidenceImage | None:
    """One image of a submission by its file name, or None (staff only)."""
    if "\x00" in file_name:  # PostgreSQL refuses NUL in text; no file name holds one
        return None
    return session.exec(
        select(EvidenceImage).where(
            EvidenceImage.submission_id == submission_id, EvidenceImage.file_name == file_name
        )
    ).first()
