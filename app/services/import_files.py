"""Reading a CSV file for import: encoding, layout detection, limits, one clear error.

Two layouts are recognised by their header row:
- **native**: the CSV our own export writes (app/services/export_formats.py). Only `id`,
  `title`, `country` and `sources` are required; a column left out of the file is left alone
  on the records it updates. Unknown columns are an error, so a misspelt one cannot be
  ignored without anyone noticing.
- **atlas**: the Atlas of Surveillance download (app/services/atlas.py lists its columns).
  Columns it does not know are ignored, since the Atlas may add some.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2
(a record whose quoted cells span several lines is still one row). Empty rows are skipped.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from app.services.atlas import ATLAS_COLUMNS, ATLAS_REQUIRED
from app.services.export_formats import HEADER as NATIVE_COLUMNS
from app.services.import_records import ImportRow

Format = Literal["native", "atlas"]
FORMATS: tuple[str, ...] = ("native", "atlas", "auto")

MAX_BYTES = 32 * 1024 * 1024  # the whole Atlas download is under 10 MB
MAX_ROWS = 50_000
MAX_CELL_CHARS = 100_000  # under the csv module's own field limit (131,072)
NATIVE_REQUIRED: tuple[str, ...] = ("id", "title", "country", "sources")


class ImportFileError(Exception):
    """A file that cannot be imported at all; the message is one sentence for the person."""


@dataclass(frozen=True, slots=True)
class ImportFile:
    format: Format
    columns: tuple[str, ...]
    rows: tuple[ImportRow, ...]
    ignored_columns: tuple[str, ...] = ()


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(data) // (1024 * 1024)} MB; the limit is "
            f"{MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files."
        )
    if b"\x00" in data:
        raise ImportFileError("This is not a CSV file: it holds binary data.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (invalid byte at position {exc.start}). "
            "Save it as “CSV UTF-8” and try again."
        ) from None


def read_import(data: bytes | str, *, format: str = "auto") -> ImportFile:
    """The rows of a native or Atlas CSV file; ImportFileError when it cannot be used."""
    if format not in FORMATS:
        raise ImportFileError(f"Unknown format {format!r}: use native, atlas or auto.")
    text = decode(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise ImportFileError("The file is empty: it has no header row.")
    header = tuple(name.strip() for name in first)
    chosen = _layout(header, format)
    _check_header(header, chosen)
    known = set(NATIVE_COLUMNS if chosen == "native" else ATLAS_COLUMNS)
    rows: list[ImportRow] = []
    for number, cells in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS:,} rows; split it into smaller files."
            )
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            raise ImportFileError(
                f"Row {number} has {len(cells)} cells but the header has {len(header)} columns."
            )
        for name, cell in zip(header, cells, strict=False):
            if len(cell) > MAX_CELL_CHARS:
                raise ImportFileError(
                    f"Row {number}, column {name!r}: a cell of {len(cell):,} characters; "
                    f"the limit is {MAX_CELL_CHARS:,}."
                )
        padded = [*cells, *[""] * (len(header) - len(cells))]  # spreadsheets drop empty ends
        rows.append(ImportRow(number, {name: padded[i] for i, name in enumerate(header) if name}))
    ignored = tuple(name for name in header if name and name not in known)
    return ImportFile(format=chosen, columns=header, rows=tuple(rows), ignored_columns=ignored)


def _records(text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(
                f"The file is not valid CSV near line {reader.line_num}: {exc}."
            ) from None


def _layout(header: Sequence[str], format: str) -> Format:
    names = set(header)
    if format == "native" or format == "atlas":
        return format  # type: ignore[return-value]
    if "AOSNUMBER" in names:
        return "atlas"
    if {"id", "title"} <= names:
        return "native"
    shown = ", ".join(repr(name) for name in header[:4]) or "nothing"
    raise ImportFileError(
        f"This is not a file we can import: its header starts with {shown}. Use the CSV "
        "from our own export (id, title, country, …) or the Atlas of Surveillance download "
        "(AOSNUMBER, City, State, …)."
    )


def _check_header(header: Sequence[str], layout: Format) -> None:
    seen = set(header)
    duplicates = [name for name, count in Counter(header).items() if count > 1 and name]
    if duplicates:
        raise ImportFileError(
            "The header names a column more than once: "
            + ", ".join(repr(name) for name in duplicates)
            + "."
        )
    if "" in seen and layout == "native":
        raise ImportFileError("The header has a column without a name.")
    required = NATIVE_REQUIRED if layout == "native" else ATLAS_REQUIRED
    missing = [name for name in required if name not in seen]
    label = "our export's layout" if layout == "native" else "the Atlas of Surveillance layout"
    if missing:
        raise ImportFileError(
            f"The file is missing columns of {label}: " + ", ".join(missing) + "."
        )
    if layout == "native":
        unknown = [name for name in header if name not in NATIVE_COLUMNS]
        if unknown:
            raise ImportFileError(
                "Unknown columns for our export's layout: "
                + ", ".join(repr(n) for n in unknown)
                + ". Rename or remove them."
            )
