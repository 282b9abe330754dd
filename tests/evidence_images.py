"""Crafted test images that carry what an uploaded photo must lose: GPS EXIF, camera details,
XMP, a comment and an ICC profile, each with a marker string the tests search for."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, PngImagePlugin

MARKERS = (
    b"SpyCamMaker",
    b"SerialNo-4711",
    b"XMP-SECRET-MARKER",
    b"COMMENT-SECRET-MARKER",
    b"ICC-SECRET-MARKER",
    b"ns.adobe.com/xap",
)
# Containers for metadata, by format: none may appear in a stored image.
METADATA_BLOCKS = (b"Exif", b"EXIF", b"eXIf", b"XMP ", b"iCCP", b"ICCP", b"ICC_PROFILE", b"iTXt",
                   b"tEXt", b"zTXt", b"Photoshop 3.0")
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmp:CreatorTool="XMP-SECRET-MARKER"/></rdf:RDF></x:xmpmeta>'
)
ICC = b"ICC-SECRET-MARKER" * 8
BELGRADE_GPS = {1: "N", 2: (44.0, 49.0, 12.5), 3: "E", 4: (20.0, 27.0, 33.25)}


def revealing_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCamMaker"
    exif[ExifTags.Base.Model] = "Model 9"
    exif[ExifTags.Base.BodySerialNumber] = "SerialNo-4711"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update(BELGRADE_GPS)
    return exif


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """White, with its left half red, so the pixels can be checked after re-encoding."""
    image = Image.new(mode, size, "white")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def jpeg_with_metadata(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    picture(size).save(
        out,
        "JPEG",
        exif=revealing_exif(orientation),
        xmp=XMP,
        comment=b"COMMENT-SECRET-MARKER",
        icc_profile=ICC,
        quality=95,
    )
    return out.getvalue()


def png_with_metadata(size: tuple[int, int] = (64, 48)) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Comment", "COMMENT-SECRET-MARKER")
    info.add_text("Author", "SpyCamMaker")
    out = io.BytesIO()
    picture(size).save(out, "PNG", pnginfo=info, exif=revealing_exif(), icc_profile=ICC)
    return out.getvalue()


def webp_with_metadata(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "WEBP", exif=revealing_exif(), xmp=XMP, icc_profile=ICC)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height: a decompression bomb's header, cheap to make."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def assert_no_metadata(data: bytes) -> None:
    for marker in (*MARKERS, *METADATA_BLOCKS):
        assert marker not in data, marker
    with Image.open(io.BytesIO(data)) as image:
        assert len(image.getexif()) == 0
        leaked = {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment",
                  "Author"} & set(image.info)
        assert not leaked, leaked
