"""An Atom 1.0 feed (RFC 4287) of a search's most recently created or updated records.

Built with ElementTree, so every text and attribute is escaped; characters XML 1.0 cannot hold
at all (most control characters) are dropped first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from app.search_index import country_name
from app.services.export_formats import ATTRIBUTION, LICENCE_URL, RecordUrl
from app.services.exports import ExportRecord
from app.services.search import excerpt

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedInfo:
    title: str
    feed_url: str  # this feed, with its query: the feed's id and rel="self"
    search_url: str  # the search page it follows: rel="alternate"
    generated_at: datetime


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def atom_feed(
    records: Iterable[ExportRecord], info: FeedInfo, *, record_url: RecordUrl, entry_id: RecordUrl
) -> bytes:
    """The feed document; `entry_id` gives each entry's permanent id (its id-only URL)."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _add(feed, "id", info.feed_url)
    _add(feed, "title", info.title)
    _add(feed, "subtitle", "New and updated records in the Safe City Watch database.")
    _add(feed, "link", rel="self", type="application/atom+xml", href=info.feed_url)
    _add(feed, "link", rel="alternate", type="text/html", href=info.search_url)
    _add(feed, "rights", f"Data: CC BY 4.0 ({LICENCE_URL})")
    _add(feed, "generator", "Safe City Watch")
    author = _add(feed, "author")
    _add(author, "name", ATTRIBUTION)
    updated = _add(feed, "updated")
    latest: datetime | None = None
    for record in records:
        fields = record.fields
        changed: datetime = fields["updated_at"]
        latest = changed if latest is None or changed > latest else latest
        entry = _add(feed, "entry")
        _add(entry, "id", entry_id(record.id, fields["slug"]))
        _add(entry, "title", fields["title"])
        _add(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=record_url(record.id, fields["slug"]),
        )
        _add(entry, "published", _stamp(fields["created_at"]))
        _add(entry, "updated", _stamp(changed))
        _add(entry, "summary", _summary(record))
        for key in record.capabilities:
            _add(entry, "category", term=key, label=key.replace("_", " "))
    updated.text = _stamp(latest or info.generated_at)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _summary(record: ExportRecord) -> str:
    fields = record.fields
    place = ", ".join(p for p in (fields["city"], country_name(fields["country"])) if p)
    parts = [place, f"status: {fields['status'].replace('_', ' ')}"]
    if record.vendors:
        parts.append("vendors: " + ", ".join(dict.fromkeys(v.name for v in record.vendors)))
    head = "; ".join(parts) + "."
    body = excerpt(fields["summary"] or "", 400)
    return f"{head} {body}".strip()
