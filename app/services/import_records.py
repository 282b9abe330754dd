"""What one import row asks for, whatever layout it came from; and reading our own CSV's rows.

A row becomes an `IncomingRecord` (the values it sets, the links it names, how to find the
record it describes) or a `RowRefusal` (every reason it cannot be used). The native layout is
the export's (app/services/export_formats.py), read back exactly: one leading apostrophe that
neutralised a formula is removed, several values in a cell are split as `split_values` does,
vendors are "Name (role)". Unknown vocabulary values are refused, never created.

Columns of the export that the import does not write: `url`, `country_name` (derived),
`slug` (derived from the title; used only to find a record when `id` is empty), `is_demo`,
`created_at` and `updated_at` (kept by the database).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import pycountry

from app import vocab
from app.services.cell_values import split_values
from app.services.drafts import (
    TEXT_FIELDS,
    OperatorDraft,
    SourceDraft,
    VendorDraft,
    country_code,
    http_url,
    partial_date,
)
from app.services.export_formats import restore_cell
from app.text import slugify

LINK_LISTS: tuple[str, ...] = ("vendors", "operators", "capabilities", "sources")
VOCAB_COLUMNS: dict[str, tuple[str, tuple[vocab.Term, ...], str]] = {
    # column: (what the refusal calls it, vocabulary, value for an empty cell)
    "status": ("status", vocab.LIFECYCLE_STATUSES, "unknown"),
    "oversight_status": ("oversight value", vocab.OVERSIGHT_STATUSES, "unknown"),
    "verification": ("verification value", vocab.VERIFICATIONS, "unverified"),
    "geo_precision": ("place precision", vocab.GEO_PRECISIONS, ""),
    "state": ("record state", vocab.RECORD_STATES, "published"),
}
_VENDOR = re.compile(r"^(?P<name>.*\S)\s+\((?P<role>[a-z_]+)\)$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ORDER = {term.key: i for i, term in enumerate(vocab.CAPABILITIES)}


@dataclass(frozen=True, slots=True)
class ImportRow:
    number: int  # the spreadsheet row: the header is row 1
    cells: dict[str, str]


@dataclass
class IncomingRecord:
    """One usable row: what the record should hold after the import."""

    row: int
    label: str  # how the report names it
    fields: dict[str, Any]  # columns compared with the record and written when they differ
    new_fields: dict[str, Any] = field(default_factory=dict)  # written only on creation
    deployment_id: int | None = None  # native `id`: a record of this database
    external_ref: str | None = None  # e.g. "aos:AOS000123"
    slug_key: tuple[str, str] | None = None  # (slug, country): native rows without an id
    vendors: list[VendorDraft] = field(default_factory=list)
    operators: list[OperatorDraft] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    sources: list[SourceDraft] = field(default_factory=list)
    present: frozenset[str] = frozenset(LINK_LISTS)  # the link lists the row gives
    # "replace": the row's links are the record's links (our own CSV); "add": links the row
    # names are added and none are taken away (the Atlas knows only its own).
    links: Literal["replace", "add"] = "replace"
    source_titles_must_match: bool = True  # our CSV names sources by title; the Atlas does not
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RowRefusal:
    row: int
    label: str
    reason: str


def shown(value: str, limit: int = 60) -> str:
    """A value quoted for a report line, shortened when long."""
    text = " ".join(value.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def text_value(value: str, name: str, limit: int, problems: list[str]) -> str | None:
    text = value.strip()
    if len(text) > limit:
        problems.append(f"{name} longer than {limit} characters")
    return text[:limit] or None


def date_value(value: str, name: str, problems: list[str]) -> str | None:
    errors: dict[str, str] = {}
    found = partial_date(value.strip(), name, errors)
    if errors:
        problems.append(
            f"malformed date {shown(value)} in {name} (use YYYY, YYYY-MM or YYYY-MM-DD)"
        )
    return found


def url_value(value: str, name: str, problems: list[str]) -> str | None:
    errors: dict[str, str] = {}
    found = http_url(value.strip(), name, errors)
    if errors:
        problems.append(f"{name} {shown(value)} is not a web address (http:// or https://)")
    return found


def sorted_capabilities(keys: list[str]) -> list[str]:
    return sorted(dict.fromkeys(keys), key=lambda key: (_ORDER.get(key, len(_ORDER)), key))


# --- the native layout -------------------------------------------------------------------------


def parse_native_row(row: ImportRow) -> IncomingRecord | RowRefusal:
    cells = {name: restore_cell(value) for name, value in row.cells.items()}
    problems: list[str] = []
    fields = _scalars(cells, problems)
    title = fields.get("title") or ""
    label = title or "(no title)"
    record = IncomingRecord(row=row.number, label=label, fields=fields)
    raw_id = cells.get("id", "").strip()
    if raw_id:
        if raw_id.isdigit() and raw_id.isascii() and 0 < int(raw_id) < 2**63:
            record.deployment_id = int(raw_id)
        else:
            problems.append(f"malformed id {shown(raw_id)}")
    if external := cells.get("external_ref", "").strip():
        if len(external) > 100:
            problems.append("external_ref longer than 100 characters")
        record.external_ref = external[:100]
    if record.deployment_id is None and fields.get("country"):
        slug = cells.get("slug", "").strip() or slugify(title, max_length=200)
        record.slug_key = (slug, fields["country"])
    record.present = frozenset(name for name in LINK_LISTS if name in cells)
    if "vendors" in cells:
        record.vendors = _vendors(cells["vendors"], problems)
    if "operators" in cells:
        record.operators = [
            OperatorDraft(name=name)
            for value in split_values(cells["operators"])
            if (name := text_value(value, "an operator's name", 200, problems))
        ]
    if "capabilities" in cells:
        record.capabilities = _capabilities(cells["capabilities"], problems)
    record.sources = _sources(cells, problems)
    if problems:
        return RowRefusal(row.number, label, "; ".join(dict.fromkeys(problems)))
    return record


def _scalars(cells: dict[str, str], problems: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    title = cells.get("title", "").strip()
    if not title:
        problems.append("missing title")
    elif len(title) > TEXT_FIELDS["title"]:
        problems.append(f"title longer than {TEXT_FIELDS['title']} characters")
    fields["title"] = title[: TEXT_FIELDS["title"]]
    raw_country = cells.get("country", "").strip()
    fields["country"] = country_code(raw_country) if raw_country else None
    if not raw_country:
        problems.append("missing country")
    elif fields["country"] is None:
        problems.append(f"unknown country code {shown(raw_country)}")
    if "summary" in cells:
        fields["summary"] = cells["summary"].replace("\r\n", "\n")
    for name, limit in TEXT_FIELDS.items():
        if name != "title" and name in cells:
            fields[name] = text_value(cells[name], name, limit, problems)
    for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if name in cells:
            fields[name] = _coordinate(cells[name], name, bound, problems)
    if ("latitude" in fields) != ("longitude" in fields) or (
        (fields.get("latitude") is None) != (fields.get("longitude") is None)
    ):
        problems.append("give both latitude and longitude, or neither")
    for name, (what, terms, default) in VOCAB_COLUMNS.items():
        if name in cells:
            fields[name] = _term(cells[name], what, terms, default, problems)
    if fields.get("geo_precision") == "":
        fields["geo_precision"] = next(
            (name for name in ("site", "city", "region") if fields.get(name)), "country"
        )
    for name in ("announced_on", "started_on", "ended_on"):
        if name in cells:
            fields[name] = date_value(cells[name], name, problems)
    for name in ("camera_count", "site_count"):
        if name in cells:
            fields[name] = _count(cells[name], name, problems)
    if "contract_value" in cells:
        fields["contract_value"] = _amount(cells["contract_value"], problems)
    if "currency" in cells:
        fields["currency"] = _currency(cells["currency"], problems)
    if "last_verified_on" in cells:
        fields["last_verified_on"] = _full_date(cells["last_verified_on"], problems)
    if "archived_reason" in cells:
        fields["archived_reason"] = " ".join(cells["archived_reason"].split()) or None
    if fields.get("state") == "archived" and not fields.get("archived_reason"):
        problems.append("an archived record needs its archived_reason")
    if fields.get("state") == "published" and "archived_reason" in fields:
        fields["archived_reason"] = None
    return fields


def _term(value: str, what: str, terms: tuple[vocab.Term, ...], default: str,
          problems: list[str]) -> str:
    key = value.strip()
    if not key:
        return default
    if key not in vocab.keys(terms):
        problems.append(f"unknown {what} {shown(key)}")
        return default
    return key


def _coordinate(value: str, name: str, bound: float, problems: list[str]) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not -bound <= number <= bound:  # also refuses NaN and infinities
        problems.append(f"{name} {shown(text)} is not a number from -{bound:g} to {bound:g}")
        return None
    return number


def _count(value: str, name: str, problems: list[str]) -> int | None:
    text = value.strip()
    # Thousands separators as the staff forms accept them: "1,200", "1 200".
    digits = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if digits.isdigit() and digits.isascii() and int(digits) < 10**9:
        return int(digits)
    problems.append(f"non-numeric count {shown(text)} in {name}")
    return None


def _amount(value: str, problems: list[str]) -> Decimal | None:
    text = value.strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 16:
        problems.append(f"malformed amount {shown(text)} in contract_value")
        return None
    return amount.quantize(Decimal("0.01"))


def _currency(value: str, problems: list[str]) -> str | None:
    code = value.strip().upper()
    if code and pycountry.currencies.get(alpha_3=code) is None:
        problems.append(f"unknown currency code {shown(value.strip())}")
        return None
    return code or None


def _full_date(value: str, problems: list[str]) -> date | None:
    text = value.strip()
    if not text:
        return None
    if _DAY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    problems.append(f"malformed date {shown(text)} in last_verified_on (use YYYY-MM-DD)")
    return None


def _vendors(cell: str, problems: list[str]) -> list[VendorDraft]:
    drafts: list[VendorDraft] = []
    roles = vocab.keys(vocab.VENDOR_ROLES)
    for value in split_values(cell):
        match = _VENDOR.match(value.strip())
        name, role = (match["name"], match["role"]) if match else (value.strip(), "supplier")
        if role not in roles:
            problems.append(f"unknown vendor role {shown(role)}")
            continue
        if checked := text_value(name, "a vendor's name", 200, problems):
            drafts.append(VendorDraft(name=checked, role=role))
    return drafts


def _capabilities(cell: str, problems: list[str]) -> list[str]:
    known = vocab.keys(vocab.CAPABILITIES)
    keys = [value.strip() for value in split_values(cell) if value.strip()]
    for key in keys:
        if key not in known:
            problems.append(f"unknown capability {shown(key)}")
    return sorted_capabilities([key for key in keys if key in known])


def _sources(cells: dict[str, str], problems: list[str]) -> list[SourceDraft]:
    if "sources" not in cells:
        return []
    titles = split_values(cells["sources"])
    if "source_urls" in cells:
        urls = split_values(cells["source_urls"])
        if not urls and len(titles) == 1:
            urls = [""]  # one source without an address is written as an empty cell
    else:
        urls = [""] * len(titles)
    if len(urls) != len(titles):
        problems.append(
            f"sources names {len(titles)} sources but source_urls has {len(urls)} addresses"
        )
        return []
    drafts: list[SourceDraft] = []
    for title, url in zip(titles, urls, strict=True):
        checked = text_value(title, "a source's title", 500, problems)
        if not checked:
            problems.append("a source without a title")
            continue
        # Our CSV does not say what kind of source it is: "other" until someone edits it.
        drafts.append(
            SourceDraft(title=checked, url=url_value(url, "source URL", problems),
                        source_type="other")
        )
    if not drafts and not problems:
        problems.append("missing source: a published record rests on at least one")
    return drafts
