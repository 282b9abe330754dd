"""Deployment fields as staff type them into a form, checked and turned into typed drafts.

The publish form, the staff edit forms and the merge of a submission all go through these
parsers, so a value is accepted or refused by the same rules wherever it comes from.

Form data is a list of (name, value) pairs. Repeated rows are numbered: `vendor-0-name`,
`vendor-0-role`, `operator-0-name`, `operator-0-kind`, `source-0-title`, `source-0-url`, ...;
capabilities are repeated `capabilities` values. Errors are keyed by the same names, so a
template puts each message next to its field.

`proposal_form(proposed)` turns a Submission's `proposed` JSON (the shape is documented in
app/services/proposals.py, which writes it) into that form data, so the publish form starts
from what the submitter typed and a merge checks their values by the same rules. It reads
defensively: any key may be missing or null, vendors and operators may be names or
{"name", "role"/"kind"} objects, and a source given only by its address gets the address as
its title until a moderator writes a better one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry

from app import vocab

FormItems = Iterable[tuple[str, str]]

# Scalar Deployment columns staff may set, with their maximum lengths for text.
TEXT_FIELDS: dict[str, int] = {
    "title": 300,
    "region": 200,
    "city": 200,
    "site": 300,
    "programme": 200,
    "scale_note": 300,
    "financing": 200,
    "funder": 200,
}
DATE_FIELDS = ("announced_on", "started_on", "ended_on")
COUNT_FIELDS = ("camera_count", "site_count")
VOCAB_FIELDS: dict[str, tuple[vocab.Term, ...]] = {
    "status": vocab.LIFECYCLE_STATUSES,
    "oversight_status": vocab.OVERSIGHT_STATUSES,
    "verification": vocab.VERIFICATIONS,
    "geo_precision": vocab.GEO_PRECISIONS,
}
DEPLOYMENT_FIELDS: tuple[str, ...] = (
    "title", "summary", "country", "region", "city", "site", "latitude", "longitude",
    "geo_precision", "programme", "status", "announced_on", "started_on", "ended_on",
    "camera_count", "site_count", "scale_note", "financing", "funder", "contract_value",
    "currency", "oversight_status", "verification", "last_verified_on",
)
SOURCE_FIELDS: tuple[str, ...] = (
    "title", "url", "publisher", "published_on", "archived_url", "source_type", "excerpt",
    "accessed_on", "claim",
)
EVENT_FIELDS: tuple[str, ...] = ("date", "kind", "body", "outcome", "description")
# How many numbered rows a form may carry; more are ignored rather than trusted.
MAX_ROWS = 30
BLANK_ROWS = 2

_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ROW = re.compile(r"^(vendor|operator|source)-(\d{1,2})-([a-z_]+)$")


@dataclass
class VendorDraft:
    name: str
    role: str = "supplier"


@dataclass
class OperatorDraft:
    name: str
    kind: str = "other"


@dataclass
class SourceDraft:
    title: str
    url: str | None = None
    publisher: str | None = None
    published_on: str | None = None
    archived_url: str | None = None
    source_type: str = "news"
    excerpt: str | None = None
    accessed_on: date | None = None
    claim: str | None = None

    def source_fields(self) -> dict[str, Any]:
        """The Source columns (the claim belongs to the link, not the source)."""
        return {name: getattr(self, name) for name in SOURCE_FIELDS if name != "claim"}


@dataclass
class DeploymentDraft:
    fields: dict[str, Any]
    vendors: list[VendorDraft] = field(default_factory=list)
    operators: list[OperatorDraft] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    sources: list[SourceDraft] = field(default_factory=list)


@dataclass
class EventDraft:
    fields: dict[str, Any]
    source_ids: list[int] = field(default_factory=list)
    oversight_status: str | None = None  # the record's current status, moved by this event


class _Form:
    """Form items by name, with the helpers every parser here needs."""

    def __init__(self, items: FormItems) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in items:
            self.values.setdefault(name, []).append(value.replace("\x00", ""))

    def text(self, name: str) -> str:
        found = self.values.get(name)
        return found[0].strip() if found else ""

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.values.get(name, []) if v.strip()]

    def rows(self, prefix: str, *, choice: str) -> list[tuple[int, dict[str, str]]]:
        """Numbered rows (`prefix-N-field`) in number order. A row with nothing typed in it is
        blank and dropped, whatever its `choice` select (role, kind, type) says."""
        rows: dict[int, dict[str, str]] = {}
        for name, values in self.values.items():
            match = _ROW.match(name)
            if match and match.group(1) == prefix and int(match.group(2)) < MAX_ROWS:
                rows.setdefault(int(match.group(2)), {})[match.group(3)] = values[0].strip()
        return [
            (i, rows[i]) for i in sorted(rows) if any(v for k, v in rows[i].items() if k != choice)
        ]


def _optional_text(value: str, name: str, limit: int, errors: dict[str, str]) -> str | None:
    if len(value) > limit:
        errors[name] = f"Keep this under {limit} characters (it has {len(value)})."
    return value[:limit] or None


def _vocab(value: str, name: str, terms: tuple[vocab.Term, ...], default: str,
           errors: dict[str, str]) -> str:
    if not value:
        return default
    if value in vocab.keys(terms):
        return value
    errors[name] = "Pick one of: " + ", ".join(t.label for t in terms) + "."
    return default


def partial_date(value: str, name: str, errors: dict[str, str]) -> str | None:
    """"2019", "2019-03" or "2019-03-05" (a real day), or an error."""
    if not value:
        return None
    if _PARTIAL_DATE.match(value):
        parts = [int(p) for p in value.split("-")]
        try:
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
            return value
        except ValueError:
            pass
    errors[name] = "Write a date as YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2019-03."
    return None


def full_date(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Write a date as YYYY-MM-DD."
        return None


def _count(value: str, name: str, errors: dict[str, str]) -> int | None:
    cleaned = value.replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        return None
    if cleaned.isdigit() and cleaned.isascii() and int(cleaned) < 10**9:
        return int(cleaned)
    errors[name] = "Enter a whole number, e.g. 120."
    return None


def _coordinate(value: str, name: str, limit: float, errors: dict[str, str]) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not -limit <= number <= limit:  # also refuses NaN and infinities
        errors[name] = f"Enter a number from -{limit:g} to {limit:g}."
        return None
    return number


def country_code(value: str) -> str | None:
    """An ISO alpha-2 code from a code or a name as people write it ("Serbia", "srb")."""
    if not value:
        return None
    try:
        country = pycountry.countries.lookup(value.strip())
    except LookupError:
        return None
    return str(country.alpha_2)


def http_url(value: str, name: str, errors: dict[str, str]) -> str | None:
    if not value:
        return None
    if not value.lower().startswith(("http://", "https://")) or len(value) > 2000:
        errors[name] = "Enter a web address starting with http:// or https://."
        return None
    if any(ch.isspace() for ch in value):
        errors[name] = "A web address has no spaces."
        return None
    return value


def _money(form: _Form, errors: dict[str, str]) -> tuple[Decimal | None, str | None]:
    raw = form.text("contract_value").replace(",", "").replace(" ", "")
    value: Decimal | None = None
    if raw:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value < 0 or value >= Decimal(10) ** 16:
            errors["contract_value"] = "Enter an amount, e.g. 1500000 or 1500000.50."
            value = None
        else:
            value = value.quantize(Decimal("0.01"))
    currency = form.text("currency").upper() or None
    if currency and pycountry.currencies.get(alpha_3=currency) is None:
        errors["currency"] = "Enter a three-letter currency code, e.g. EUR or USD."
        currency = None
    return value, currency


def _scalars(form: _Form, errors: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        fields[name] = _optional_text(form.text(name), name, limit, errors)
    if not fields["title"]:
        errors["title"] = "Give the record a title."
    fields["summary"] = form.text("summary").replace("\r\n", "\n")
    raw_country = form.text("country")
    fields["country"] = country_code(raw_country)
    if fields["country"] is None:
        errors["country"] = (
            "Enter the country as a two-letter code or its name, e.g. RS or Serbia."
            if raw_country else "Enter the country."
        )
    fields["latitude"] = _coordinate(form.text("latitude"), "latitude", 90, errors)
    fields["longitude"] = _coordinate(form.text("longitude"), "longitude", 180, errors)
    if (fields["latitude"] is None) != (fields["longitude"] is None) and not (
        {"latitude", "longitude"} & errors.keys()
    ):
        errors["longitude"] = "Give both latitude and longitude, or neither."
    default_precision = next(
        (name for name in ("site", "city", "region") if fields[name]), "country"
    )
    defaults = {"status": "unknown", "oversight_status": "unknown",
                "verification": "unverified", "geo_precision": default_precision}
    for name, terms in VOCAB_FIELDS.items():
        fields[name] = _vocab(form.text(name), name, terms, defaults[name], errors)
    for name in DATE_FIELDS:
        fields[name] = partial_date(form.text(name), name, errors)
    for name in COUNT_FIELDS:
        fields[name] = _count(form.text(name), name, errors)
    fields["contract_value"], fields["currency"] = _money(form, errors)
    fields["last_verified_on"] = full_date(
        form.text("last_verified_on"), "last_verified_on", errors
    )
    return fields


def _vendors(form: _Form, errors: dict[str, str]) -> list[VendorDraft]:
    drafts: list[VendorDraft] = []
    for index, row in form.rows("vendor", choice="role"):
        prefix = f"vendor-{index}"
        name = _optional_text(row.get("name", ""), f"{prefix}-name", 200, errors)
        role = _vocab(row.get("role", ""), f"{prefix}-role", vocab.VENDOR_ROLES, "supplier", errors)
        if name:
            drafts.append(VendorDraft(name=name, role=role))
    return drafts


def _operators(form: _Form, errors: dict[str, str]) -> list[OperatorDraft]:
    drafts: list[OperatorDraft] = []
    for index, row in form.rows("operator", choice="kind"):
        prefix = f"operator-{index}"
        name = _optional_text(row.get("name", ""), f"{prefix}-name", 200, errors)
        kind = _vocab(row.get("kind", ""), f"{prefix}-kind", vocab.ORGANISATION_KINDS, "other",
                      errors)
        if name:
            drafts.append(OperatorDraft(name=name, kind=kind))
    return drafts


def _capabilities(form: _Form, errors: dict[str, str]) -> list[str]:
    known = vocab.keys(vocab.CAPABILITIES)
    chosen = list(dict.fromkeys(form.all("capabilities")))
    unknown = [key for key in chosen if key not in known]
    if unknown:
        errors["capabilities"] = "Unknown capability: " + ", ".join(k[:40] for k in unknown[:3])
    order = [t.key for t in vocab.CAPABILITIES]
    return sorted((k for k in chosen if k in known), key=order.index)


def parse_source(row: Mapping[str, str], prefix: str, errors: dict[str, str]) -> SourceDraft:
    """One source; `prefix` names its fields in errors ("source-0" gives "source-0-url")."""
    title = _optional_text(row.get("title", ""), f"{prefix}-title", 500, errors)
    if not title:
        errors[f"{prefix}-title"] = "Give the source a title (a headline or document name)."
    return SourceDraft(
        title=title or "",
        url=http_url(row.get("url", ""), f"{prefix}-url", errors),
        publisher=_optional_text(row.get("publisher", ""), f"{prefix}-publisher", 200, errors),
        published_on=partial_date(row.get("published_on", ""), f"{prefix}-published_on", errors),
        archived_url=http_url(row.get("archived_url", ""), f"{prefix}-archived_url", errors),
        source_type=_vocab(row.get("source_type", ""), f"{prefix}-source_type",
                           vocab.SOURCE_TYPES, "news", errors),
        excerpt=_optional_text(row.get("excerpt", ""), f"{prefix}-excerpt", 400, errors),
        accessed_on=full_date(row.get("accessed_on", ""), f"{prefix}-accessed_on", errors),
        claim=_optional_text(row.get("claim", ""), f"{prefix}-claim", 400, errors),
    )


def parse_deployment_form(
    items: FormItems, *, with_sources: bool
) -> tuple[DeploymentDraft, dict[str, str]]:
    """The deployment form; with_sources=True (publishing) also reads and requires sources."""
    form = _Form(items)
    errors: dict[str, str] = {}
    draft = DeploymentDraft(
        fields=_scalars(form, errors),
        vendors=_vendors(form, errors),
        operators=_operators(form, errors),
        capabilities=_capabilities(form, errors),
    )
    if with_sources:
        draft.sources = [
            parse_source(row, f"source-{index}", errors)
            for index, row in form.rows("source", choice="source_type")
        ]
        if not draft.sources:
            errors["sources"] = (
                "A published record needs at least one source: add the article, document or "
                "photo it rests on."
            )
    return draft, errors


def parse_source_form(items: FormItems) -> tuple[SourceDraft, dict[str, str]]:
    """A single source form; its fields carry plain names (title, url, ...)."""
    form = _Form(items)
    errors: dict[str, str] = {}
    row = {name: form.text(name) for name in SOURCE_FIELDS}
    draft = parse_source(row, "source", errors)
    return draft, {key.removeprefix("source-"): message for key, message in errors.items()}


def parse_event_form(items: FormItems) -> tuple[EventDraft, dict[str, str]]:
    form = _Form(items)
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "date": partial_date(form.text("date"), "date", errors),
        "kind": _vocab(form.text("kind"), "kind", vocab.OVERSIGHT_EVENT_KINDS, "other", errors),
        "body": _optional_text(form.text("body"), "body", 200, errors),
        "outcome": _optional_text(form.text("outcome"), "outcome", 300, errors),
        "description": form.text("description").replace("\r\n", "\n"),
    }
    source_ids = [int(v) for v in form.all("source_ids") if v.isdigit() and len(v) < 18]
    if not fields["description"] and not fields["body"] and not fields["outcome"]:
        errors["description"] = "Say what happened: a description, who acted, or the outcome."
    status = form.text("oversight_status")
    if status:
        status = _vocab(status, "oversight_status", vocab.OVERSIGHT_STATUSES, "", errors)
    return EventDraft(fields=fields, source_ids=source_ids, oversight_status=status or None), errors


# --- from a submission ----------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, str | int | float | Decimal):
        return str(value)
    return ""


def _named_rows(value: Any, keys: tuple[str, ...]) -> list[dict[str, str]]:
    """A list of strings or of objects, as the public form may have stored it."""
    rows: list[dict[str, str]] = []
    if not isinstance(value, list):
        return rows
    for item in value[:MAX_ROWS]:
        if isinstance(item, str):
            rows.append({keys[0]: item})
        elif isinstance(item, dict):
            rows.append({key: _as_text(item.get(key)) for key in keys})
    return rows


def proposal_form(proposed: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A submission's proposed fields as form items, for prefilling and for merging."""
    items: list[tuple[str, str]] = []
    for name in DEPLOYMENT_FIELDS:
        text = _as_text(proposed.get(name))
        if text:
            items.append((name, text))
    for prefix, key, keys in (
        ("vendor", "vendors", ("name", "role")),
        ("operator", "operators", ("name", "kind")),
        ("source", "sources", SOURCE_FIELDS),
    ):
        for index, row in enumerate(_named_rows(proposed.get(key), keys)):
            if prefix == "source" and not row.get("title"):
                row["title"] = row.get("url", "")  # the form lets a bare address stand alone
            items.extend(
                (f"{prefix}-{index}-{name}", value) for name, value in row.items() if value
            )
    capabilities = proposed.get("capabilities")
    if isinstance(capabilities, list):
        items.extend(("capabilities", _as_text(key)) for key in capabilities if _as_text(key))
    return items


def proposal_note(proposed: Mapping[str, Any]) -> str:
    return _as_text(proposed.get("note"))


def proposed_sources(proposed: Mapping[str, Any]) -> tuple[list[SourceDraft], dict[str, str]]:
    errors: dict[str, str] = {}
    rows = _named_rows(proposed.get("sources"), SOURCE_FIELDS)
    for row in rows:
        row["title"] = row.get("title") or row.get("url", "")
    drafts = [
        parse_source(row, f"source-{i}", errors)
        for i, row in enumerate(rows)
        if any(row.values())
    ]
    return drafts, errors


def proposed_keys(proposed: Mapping[str, Any]) -> set[str]:
    """Which deployment fields and link lists the submitter actually filled in."""
    keys = {name for name in DEPLOYMENT_FIELDS if _as_text(proposed.get(name))}
    keys |= {name for name in ("vendors", "operators", "capabilities", "sources")
             if proposed.get(name)}
    return keys
