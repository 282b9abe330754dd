"""What a public submission proposes, checked field by field.

The input is the form's text as typed (names as in the form: `title`, `source_1_url`, ...);
the output is a typed proposal whose `to_json()` is what `Submission.proposed` stores, or
errors keyed by the input they belong to, each a sentence for the person who typed it.

`Submission.proposed` holds, for kind `new_deployment`:
    {"title", "summary", "country", "region", "city", "site", "programme", "status",
     "announced_on", "started_on", "camera_count", "scale_note",
     "vendors": [name, ...], "operators": [name, ...], "capabilities": [key, ...],
     "sources": [{"url", "title", "publisher", "published_on", "source_type"}, ...]}
and for `correction` and `new_source`: {"note", "sources": [...]}. Absent values are null.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pycountry

from app import vocab

KINDS = ("new_deployment", "correction", "new_source")
SOURCE_SLOTS = 3
IMAGE_SLOTS = 3
MAX_LIST_ITEMS = 12
MAX_CAMERA_COUNT = 10_000_000

# name -> (longest accepted text, multi-line)
TEXT_LIMITS: dict[str, tuple[int, bool]] = {
    "title": (300, False),
    "summary": (5000, True),
    "region": (200, False),
    "city": (200, False),
    "site": (300, False),
    "programme": (200, False),
    "scale_note": (300, False),
    "vendors": (2000, True),
    "operators": (2000, True),
    "note": (5000, True),
    "contact": (500, True),
}
SOURCE_LIMITS: dict[str, int] = {"url": 2000, "title": 500, "publisher": 200}
CAPTION_LIMIT = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
STATUS_KEYS = vocab.keys(vocab.LIFECYCLE_STATUSES)
CAPABILITY_KEYS = vocab.keys(vocab.CAPABILITIES)
SOURCE_TYPE_KEYS = vocab.keys(vocab.SOURCE_TYPES)


@dataclass(frozen=True, slots=True)
class ProposedSource:
    url: str | None
    title: str | None
    publisher: str | None
    published_on: str | None
    source_type: str


@dataclass(frozen=True, slots=True)
class ProposedDeployment:
    title: str
    summary: str
    country: str
    region: str | None
    city: str | None
    site: str | None
    programme: str | None
    status: str
    announced_on: str | None
    started_on: str | None
    camera_count: int | None
    scale_note: str | None
    vendors: tuple[str, ...]
    operators: tuple[str, ...]
    capabilities: tuple[str, ...]
    sources: tuple[ProposedSource, ...]

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True, slots=True)
class ProposedChange:
    """A correction to a published record, or a new source for it."""

    note: str | None
    sources: tuple[ProposedSource, ...]

    def to_json(self) -> dict[str, Any]:
        return _json(self)


Proposal = ProposedDeployment | ProposedChange


@dataclass(frozen=True, slots=True)
class CheckedSubmission:
    """Everything a valid form gave, split into what may one day be public and what may not."""

    kind: str
    proposal: Proposal
    contact: str | None  # kept apart from the submission, erased at decision time
    captions: tuple[str | None, ...]  # one per image slot


def _json(proposal: Proposal) -> dict[str, Any]:
    data = asdict(proposal)
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = list(value)
    return data


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Trimmed, without control characters; single-line text has its whitespace folded."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if multiline:
        return "\n".join(line.rstrip() for line in value.strip().split("\n"))
    return " ".join(value.split())


def validate_submission(
    *,
    kind: str,
    fields: Mapping[str, str],
    capabilities: Sequence[str] = (),
    image_count: int = 0,
) -> tuple[CheckedSubmission | None, dict[str, str]]:
    """The checked submission, or None and the errors (input name -> message)."""
    errors: dict[str, str] = {}
    if kind not in KINDS:
        return None, {"kind": "Choose whether this is a correction or a new source."}
    text = _texts(fields, errors)
    sources = _sources(fields, errors)
    if not sources and not image_count and not _any_source_error(errors):
        errors["sources"] = (
            "Give at least one source — a web address or a description of a document — "
            "or attach a photo."
        )
    captions = tuple(_caption(fields, slot, errors) for slot in range(1, IMAGE_SLOTS + 1))
    proposal: Proposal | None
    if kind == "new_deployment":
        proposal = _deployment(text, fields, capabilities, sources, errors)
    else:
        if kind == "correction" and not text["note"]:
            errors["note"] = "Say what is wrong or missing in this record."
        proposal = ProposedChange(note=text["note"] or None, sources=tuple(sources))
    if errors or proposal is None:
        return None, errors
    checked = CheckedSubmission(kind, proposal, text["contact"] or None, captions)
    return checked, {}


def _texts(fields: Mapping[str, str], errors: dict[str, str]) -> dict[str, str]:
    text: dict[str, str] = {}
    for name, (limit, multiline) in TEXT_LIMITS.items():
        value = clean_text(fields.get(name, ""), multiline=multiline)
        if len(value) > limit:
            errors[name] = f"Use at most {limit:,} characters (this has {len(value):,})."
        text[name] = value
    return text


def _any_source_error(errors: Mapping[str, str]) -> bool:
    return any(name.startswith("source_") for name in errors)


def _sources(fields: Mapping[str, str], errors: dict[str, str]) -> list[ProposedSource]:
    sources: list[ProposedSource] = []
    for slot in range(1, SOURCE_SLOTS + 1):
        prefix = f"source_{slot}_"
        values = {
            key: clean_text(fields.get(prefix + key, ""))
            for key in ("url", "title", "publisher", "published_on", "source_type")
        }
        for key, limit in SOURCE_LIMITS.items():
            if len(values[key]) > limit:
                errors[prefix + key] = f"Use at most {limit:,} characters."
        url, title = values["url"], values["title"]
        if url and prefix + "url" not in errors and not is_web_address(url):
            errors[prefix + "url"] = (
                "Enter a full web address starting with http:// or https://, "
                "or describe the document in the next box instead."
            )
        published_on = values["published_on"]
        if published_on and not is_partial_date(published_on):
            errors[prefix + "published_on"] = _DATE_MESSAGE
        source_type = values["source_type"] or "other"
        if source_type not in SOURCE_TYPE_KEYS:
            errors[prefix + "source_type"] = "Choose a kind of source from the list."
        if not url and not title:
            if values["publisher"] or published_on:
                errors[prefix + "title"] = "Give the web address or describe the document."
            continue
        sources.append(
            ProposedSource(
                url=url or None,
                title=title or None,
                publisher=values["publisher"] or None,
                published_on=published_on or None,
                source_type=source_type,
            )
        )
    return sources


def _caption(fields: Mapping[str, str], slot: int, errors: dict[str, str]) -> str | None:
    name = f"image_{slot}_caption"
    caption = clean_text(fields.get(name, ""))
    if len(caption) > CAPTION_LIMIT:
        errors[name] = f"Use at most {CAPTION_LIMIT} characters."
    return caption or None


def _deployment(
    text: Mapping[str, str],
    fields: Mapping[str, str],
    capabilities: Sequence[str],
    sources: list[ProposedSource],
    errors: dict[str, str],
) -> ProposedDeployment | None:
    if not text["title"]:
        errors["title"] = "Give the deployment a short title, e.g. “Face recognition cameras, Nis”."
    if not text["summary"]:
        errors["summary"] = "Say in a few sentences what you saw or read."
    country = clean_text(fields.get("country", "")).upper()
    if not country:
        errors["country"] = "Choose the country."
    elif pycountry.countries.get(alpha_2=country) is None or len(country) != 2:
        errors["country"] = "Choose a country from the list."
    status = clean_text(fields.get("status", "")) or "unknown"
    if status not in STATUS_KEYS:
        errors["status"] = "Choose a status from the list."
    dates: dict[str, str | None] = {}
    for name in ("announced_on", "started_on"):
        value = clean_text(fields.get(name, ""))
        if value and not is_partial_date(value):
            errors[name] = _DATE_MESSAGE
        dates[name] = value or None
    camera_count = _count(clean_text(fields.get("camera_count", "")), errors)
    unknown = sorted({c for c in capabilities if c not in CAPABILITY_KEYS})
    if unknown:
        errors["capabilities"] = "Choose capabilities from the list."
    vendors = _lines(text["vendors"], "vendors", errors)
    operators = _lines(text["operators"], "operators", errors)
    if errors:
        return None
    return ProposedDeployment(
        title=text["title"],
        summary=text["summary"],
        country=country,
        region=text["region"] or None,
        city=text["city"] or None,
        site=text["site"] or None,
        programme=text["programme"] or None,
        status=status,
        announced_on=dates["announced_on"],
        started_on=dates["started_on"],
        camera_count=camera_count,
        scale_note=text["scale_note"] or None,
        vendors=vendors,
        operators=operators,
        capabilities=tuple(k.key for k in vocab.CAPABILITIES if k.key in set(capabilities)),
        sources=tuple(sources),
    )


_DATE_MESSAGE = "Enter a year (2019), a month (2019-03) or a day (2019-03-05)."


def is_partial_date(value: str) -> bool:
    match = _PARTIAL_DATE.match(value)
    if not match:
        return False
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    if not 1900 <= year <= 2100:
        return False
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return False
    return True


def is_web_address(value: str) -> bool:
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in parts.netloc.split(":")[0]


def _count(value: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    digits = value.replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[0-9]{1,9}", digits) or int(digits) > MAX_CAMERA_COUNT:
        errors["camera_count"] = "Enter a whole number, e.g. 120, or leave it empty."
        return None
    return int(digits)


def _lines(value: str, name: str, errors: dict[str, str]) -> tuple[str, ...]:
    items = [" ".join(line.split()) for line in re.split(r"[\n;]", value)]
    items = list(dict.fromkeys(item for item in items if item))
    if len(items) > MAX_LIST_ITEMS:
        errors[name] = f"List at most {MAX_LIST_ITEMS}, one per line."
    elif any(len(item) > 200 for item in items):
        errors[name] = "Each name may have at most 200 characters."
    return tuple(items)
