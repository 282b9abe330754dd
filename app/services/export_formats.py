"""CSV, JSON and GeoJSON writers for exported records, and the data dictionary describing them.

Each writer takes batches of records and yields bytes, one chunk per batch, so a response or an
archive member can be written while the query still streams. The CSV writer takes flat rows
(app/services/flat_rows.py); the JSON and GeoJSON writers take ExportRecord (exports.py).

CSV rules (also in the data dictionary, which is built from COLUMNS):
- UTF-8, a header row, CRLF line ends, one row per deployment.
- Several values in one cell are joined with "; "; a value's own ";" is written "\\;" and its
  own backslash "\\\\", so split_values() gives back exactly the values (cell_values.py).
- Formula injection: a text cell that starts with = + - @, a tab or a carriage return (after any
  apostrophes) gets one apostrophe in front. To read a cell back, remove one leading apostrophe
  when the cell is apostrophes followed by one of those characters (restore_cell()). Numeric
  columns hold plain numbers and are never prefixed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from app.search_index import country_name
from app.services.exports import ExportRecord
from app.services.flat_rows import FLAT_FIELDS

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
ATTRIBUTION = "Safe City Watch"
# Builds a record's public URL from its id and slug (the web layer or the CLI supplies it).
RecordUrl = Callable[[int, str], str]

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_FIRST = frozenset("=+-@\t\r'")  # a cell that starts otherwise needs no regex


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    description: str
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "Stable record number; never reused.", numeric=True),
    Column("slug", "Short name used in the record's address."),
    Column("url", "The record's public page (stable; cite this)."),
    Column("title", "Title of the record."),
    Column("summary", "Plain-text summary; paragraphs are separated by a blank line."),
    Column("country", "ISO 3166-1 alpha-2 code of the country."),
    Column("country_name", "English name of the country (from the code)."),
    Column("region", "Region, province or state."),
    Column("city", "City or municipality."),
    Column("site", "Site or place, free text."),
    Column("latitude", "Latitude in decimal degrees (WGS 84), when known.", numeric=True),
    Column("longitude", "Longitude in decimal degrees (WGS 84), when known.", numeric=True),
    Column("geo_precision", "How precise the place is: country|region|city|site|exact."),
    Column("programme", "Named programme, e.g. Safe City."),
    Column("status", "Lifecycle status key (see /about#lifecycle)."),
    Column("announced_on", "Partial date announced: YYYY, YYYY-MM or YYYY-MM-DD."),
    Column("started_on", "Partial date started: YYYY, YYYY-MM or YYYY-MM-DD."),
    Column("ended_on", "Partial date ended: YYYY, YYYY-MM or YYYY-MM-DD."),
    Column("camera_count", "Number of cameras, when known.", numeric=True),
    Column("site_count", "Number of sites, when known.", numeric=True),
    Column("scale_note", "Scale as the sources put it, e.g. '100+ cameras at 60+ sites'."),
    Column("financing", "How it was paid for, e.g. loan, grant, municipal budget."),
    Column("funder", "Who paid or lent the money."),
    Column("contract_value", "Contract value as an exact decimal number.", numeric=True),
    Column("currency", "ISO 4217 code of the contract value."),
    Column("vendors", "Vendors as 'Name (role)', several joined with '; '."),
    Column("operators", "Organisations that run it, by name, joined with '; '."),
    Column("capabilities", "Capability keys (see /about#capabilities), joined with '; '."),
    Column("oversight_status", "Current oversight status key (see /about#oversight)."),
    Column("verification", "unverified|corroborated|verified."),
    Column("last_verified_on", "Date of the last moderator check, YYYY-MM-DD."),
    Column("sources", "Source titles, in the record's order, joined with '; '."),
    Column("source_urls", "Source URLs in the same order as sources ('' for none)."),
    Column("state", "published, or archived (withdrawn, kept at its address)."),
    Column("archived_reason", "Why an archived record was withdrawn."),
    Column("is_demo", "true for demo records built from the seed articles."),
    Column("created_at", "When the record was created (ISO 8601, UTC)."),
    Column("updated_at", "When the record last changed (ISO 8601, UTC)."),
    Column(
        "external_ref",
        "The record's key in the dataset it was imported from, e.g. aos:AOS000123 for an "
        "Atlas of Surveillance row.",
    ),
)
HEADER: tuple[str, ...] = tuple(c.name for c in COLUMNS)
_NUMERIC = frozenset(c.name for c in COLUMNS if c.numeric)


# --- cells ------------------------------------------------------------------------------------


def neutralise(cell: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would run as a formula."""
    return "'" + cell if cell[:1] in _FIRST and _FORMULA.match(cell) else cell


def restore_cell(cell: str) -> str:
    """The inverse of neutralise(), for importers."""
    return cell[1:] if _NEUTRALISED.match(cell) else cell


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


@lru_cache(maxsize=1024)
def _country_name(code: str) -> str:
    return country_name(code)


def csv_field(cell: str) -> str:
    """One field as csv.writer writes it (QUOTE_MINIMAL, RFC 4180): quoted when it holds a
    comma, a quote (doubled) or a line break. Done with str methods, which scan in C, because
    the csv module steps through each character and was the slowest part of a large export;
    tests check both give the same text."""
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return '"' + cell + '"'
    return cell


def csv_line(cells: Iterable[str]) -> str:
    return ",".join(csv_field(cell) for cell in cells) + "\r\n"


# What csv_record unpacks from a flat row: HEADER's columns but the two it builds (url,
# country_name).
_FLAT_HEADER = itemgetter(
    *(FLAT_FIELDS.index(name) for name in HEADER if name not in ("url", "country_name"))
)


def csv_record(row: Sequence[Any], record_url: RecordUrl) -> str:
    """One flat row (flat_rows.iter_flat) as its CSV line: csv_line() of its cells in HEADER
    order, text cells neutralised, numbers as they are.

    Spelled out, with neutralise() and csv_field() inline rather than called per cell: this
    runs for every record of every export, and the calls were most of its cost."""
    (
        id_, slug, title, summary, country, region, city, site, latitude, longitude,
        geo_precision, programme, status, announced_on, started_on, ended_on, camera_count,
        site_count, scale_note, financing, funder, contract_value, currency, vendors, operators,
        capabilities, oversight_status, verification, last_verified_on, sources, source_urls,
        state, archived_reason, is_demo, created_at, updated_at, external_ref,
    ) = _FLAT_HEADER(row)
    (
        slug, url, title, summary, country, country_name, region, city, site, geo_precision,
        programme, status, announced_on, started_on, ended_on, scale_note, financing, funder,
        currency, vendors, operators, capabilities, oversight_status, verification,
        last_verified_on, sources, source_urls, state, archived_reason, is_demo, created_at,
        updated_at, external_ref,
    ) = [
        "" if t is None
        else csv_field("'" + t) if t[:1] in _FIRST and _FORMULA.match(t)
        else '"' + t.replace('"', '""') + '"' if '"' in t
        else '"' + t + '"' if "," in t or "\n" in t or "\r" in t
        else t
        for t in (
            slug, record_url(id_, slug), title, summary, country, _country_name(country), region,
            city, site, geo_precision, programme, status, announced_on, started_on, ended_on,
            scale_note, financing, funder, currency, vendors, operators, capabilities,
            oversight_status, verification, _text(last_verified_on), sources, source_urls,
            state, archived_reason, _text(is_demo), created_at, updated_at, external_ref,
        )
    ]
    # Numbers are written as str() writes them (a format field does), never prefixed, and hold
    # no comma, quote or line break.
    latitude = "" if latitude is None else latitude
    longitude = "" if longitude is None else longitude
    camera_count = "" if camera_count is None else camera_count
    site_count = "" if site_count is None else site_count
    contract_value = "" if contract_value is None else contract_value
    return (
        f"{id_},{slug},{url},{title},{summary},{country},{country_name},{region},{city},{site},"
        f"{latitude},{longitude},{geo_precision},{programme},{status},{announced_on},"
        f"{started_on},{ended_on},{camera_count},{site_count},{scale_note},{financing},"
        f"{funder},{contract_value},{currency},{vendors},{operators},{capabilities},"
        f"{oversight_status},{verification},{last_verified_on},{sources},{source_urls},{state},"
        f"{archived_reason},{is_demo},{created_at},{updated_at},{external_ref}\r\n"
    )  # fmt: skip


def csv_chunks(
    batches: Iterable[Sequence[Sequence[Any]]], record_url: RecordUrl, *, bom: bool = False
) -> Iterator[bytes]:
    """The CSV of batches of flat rows (flat_rows.iter_flat), one chunk per batch."""
    yield (("\ufeff" if bom else "") + csv_line(HEADER)).encode("utf-8")
    for batch in batches:
        yield "".join([csv_record(row, record_url) for row in batch]).encode("utf-8")


# --- JSON and GeoJSON -------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # exact, as the API gives it
    return value


def record_dict(record: ExportRecord, record_url: RecordUrl) -> dict[str, Any]:
    """One record as JSON: the CSV's fields, with the links as lists of objects."""
    fields = {name: _json_value(value) for name, value in record.fields.items()}
    out: dict[str, Any] = {
        "id": record.id,
        "url": record_url(record.id, fields["slug"]),
        "country_name": _country_name(fields["country"]),
    }
    for name in HEADER:
        if name in fields:
            out[name] = fields[name]
        elif name == "vendors":
            out[name] = [asdict(v) for v in record.vendors]
        elif name == "operators":
            out[name] = [asdict(o) for o in record.operators]
        elif name == "capabilities":
            out[name] = list(record.capabilities)
        elif name == "sources":
            out[name] = [{k: _json_value(v) for k, v in asdict(s).items()} for s in record.sources]
            out["oversight_events"] = [asdict(e) for e in record.oversight_events]
    return out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def metadata(
    *, query: Mapping[str, Any], order: str, search_url: str, generated_at: datetime
) -> dict[str, Any]:
    """`order`: how the records are listed (a sort key, or "id" for the whole dataset); it can
    differ from the query's `sort` when words are too broad to rank (newest first)."""
    return {
        "query": dict(query),
        "order": order,
        "search_url": search_url,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "attribution": ATTRIBUTION,
    }


def json_chunks(
    batches: Iterable[list[ExportRecord]], record_url: RecordUrl, meta: Mapping[str, Any]
) -> Iterator[bytes]:
    """{...metadata, "deployments": [...], "count": n}; the count comes last, so it is exact."""
    yield (_dumps(dict(meta))[:-1] + ',"deployments":[\n').encode("utf-8")
    count = 0
    for batch in batches:
        if not batch:
            continue
        lead = ",\n" if count else ""
        count += len(batch)
        yield (lead + ",\n".join(_dumps(record_dict(r, record_url)) for r in batch)).encode()
    yield f'\n],"count":{count}}}\n'.encode()


def feature(record: ExportRecord, record_url: RecordUrl) -> dict[str, Any] | None:
    latitude, longitude = record.fields["latitude"], record.fields["longitude"]
    if latitude is None or longitude is None:
        return None
    return {
        "type": "Feature",
        "id": record.id,
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": record_dict(record, record_url),
    }


def geojson_chunks(
    batches: Iterable[list[ExportRecord]], record_url: RecordUrl, meta: Mapping[str, Any]
) -> Iterator[bytes]:
    """A FeatureCollection; records without coordinates are left out and counted in
    `metadata.without_coordinates`, which (with `metadata.count`) comes after the features."""
    yield b'{"type":"FeatureCollection","features":[\n'
    count = without = 0
    for batch in batches:
        features = []
        for record in batch:
            found = feature(record, record_url)
            if found is None:
                without += 1
            else:
                features.append(_dumps(found))
        if features:
            lead = ",\n" if count else ""
            count += len(features)
            yield (lead + ",\n".join(features)).encode("utf-8")
    tail = {**meta, "count": count, "without_coordinates": without}
    yield f'\n],"metadata":{_dumps(tail)}}}\n'.encode()


# --- data dictionary --------------------------------------------------------------------------


def data_dictionary() -> str:
    """DATA-DICTIONARY.md: every CSV column, the multi-value and formula rules, the JSON shapes."""
    lines = [
        "# Safe City Watch data dictionary",
        "",
        f"Licence: {LICENCE} ({LICENCE_URL}). Credit “{ATTRIBUTION}” and link to the record.",
        "",
        "## deployments.csv",
        "",
        "UTF-8 (add `?bom=1` to a download URL for a byte-order mark that Excel recognises), "
        "a header row, CRLF line ends, one row per deployment. Empty cell = not known.",
        "",
        "- **Several values in one cell** are joined with `; ` (semicolon, space). A value's own "
        "`;` is written `\\;` and its own backslash `\\\\`.",
        "- **Formula injection.** A text cell that begins with `=`, `+`, `-`, `@`, a tab or a "
        "carriage return (after any apostrophes) is written with one extra apostrophe `'` in "
        "front, so spreadsheets show it as text. To get the original, remove one leading `'` "
        "from a cell that is apostrophes followed by one of those characters. Numeric columns "
        "are never prefixed.",
        "- The search that produced a download is in its `X-Safecity-Query` response header.",
        "",
        "| column | meaning |",
        "|---|---|",
        *(f"| `{c.name}` | {c.description} |" for c in COLUMNS),
        "",
        "## deployments.json",
        "",
        "An object: `query` (the search parameters), `order` (how the records are listed: "
        "`relevance`, `newest`, `updated`, `title`, or `id` in this archive; words too broad "
        "to rank are listed `newest` first), `search_url`, `generated_at`, `licence`, "
        "`licence_url`, `attribution`, then `deployments` (a list of records with the CSV's "
        "fields, where `vendors` is a list of `{name, slug, role}`, `operators` of "
        "`{name, slug, kind, country}`, `capabilities` of keys, `sources` of `{title, url, "
        "publisher, published_on, archived_url, source_type, excerpt, accessed_on, claim}` and "
        "`oversight_events` of `{date, kind, body, outcome, description}`; `contract_value` is "
        "a decimal string), and last `count`.",
        "",
        "## deployments.geojson",
        "",
        "A GeoJSON FeatureCollection of the records that have coordinates: each Feature is a "
        "Point (`[longitude, latitude]`) whose `properties` are the JSON record. `metadata` "
        "(after the features) holds the JSON export's metadata, `count` (features) and "
        "`without_coordinates` (records left out because their place has no coordinates).",
        "",
    ]
    return "\n".join(lines)
