"""The Atlas of Surveillance CSV (EFF's download) read as our records, with documented mappings.

One Atlas row says that a US law-enforcement agency uses a technology. It becomes one
deployment, found again on every later import by its AOSNUMBER (kept as `external_ref`
"aos:<AOSNUMBER>"):

- AOSNUMBER: `external_ref` "aos:<AOSNUMBER>", how a later import finds the record.
- Technology: the capability, by TECHNOLOGY_CAPABILITIES below; a technology with no
  capability of ours, or one the table does not know, refuses the row.
- Agency: the operator organisation; its kind from "Type of LEA" by LEA_KINDS (an unknown
  type is "other", and the report says so).
- State: the region, as the state's full name (pycountry US-XX); the country is US.
- City (or County when there is no city): the city. Summary: the summary.
- Vendor: a vendor with the role supplier ("; " separates several; "Unknown", "N/A" and
  the like are no vendor).
- Link N, Link N Snapshot, Link N Source, Link N Type, Link N Date (N = 1..3): a source with
  url, archived_url, publisher, source_type (by LINK_TYPES; others are "other", reported)
  and published_on (ISO, M/D/YYYY or "March 5, 2019"; anything else refuses the row).
- Other Links: one more source for each web address in the cell.
- NEWAOSNUMBER (ORI9), Type of Juris, TECH ABV: not used.

The title is "<Technology> — <Agency>". The Atlas gives a link no headline, so a source's
title is its publisher (Link N Source) or, failing that, the site's host name.

Set only when the record is created, so moderators' later corrections stand: status
`operational` (an Atlas row documents a technology in use by the agency, as of its sources'
dates), oversight `unknown`, verification `corroborated` when the sources come from two or
more different sites, else `unverified`, and the place precision.
On a later import the Atlas's own fields (title, summary, place) are brought up to date and
links it names are added; nothing is removed, so sources staff added stay.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pycountry

from app.services.drafts import OperatorDraft, SourceDraft, VendorDraft
from app.services.import_records import (
    ImportRow,
    IncomingRecord,
    RowRefusal,
    date_value,
    shown,
    text_value,
    url_value,
)

LINKS = 3
ATLAS_COLUMNS: tuple[str, ...] = (
    "AOSNUMBER", "NEWAOSNUMBER (ORI9)", "City", "County", "State", "Agency", "Type of LEA",
    "Summary", "Type of Juris", "Technology", "TECH ABV", "Vendor",
    *(f"Link {n}{part}" for n in range(1, LINKS + 1)
      for part in ("", " Snapshot", " Source", " Type", " Date")),
    "Other Links",
)
ATLAS_REQUIRED: tuple[str, ...] = (
    "AOSNUMBER", "City", "County", "State", "Agency", "Type of LEA", "Summary", "Technology",
    "Vendor", "Link 1",
)
EXTERNAL_PREFIX = "aos:"
# Vendor cells that say the vendor is not known: no vendor of that name is created.
NO_VENDOR = frozenset({"unknown", "n/a", "na", "none", "-", "?"})

# Atlas "Technology" -> our capability key. None: nothing of ours fits, so the row is refused
# with that reason rather than filed under a wrong capability.
TECHNOLOGY_CAPABILITIES: dict[str, str | None] = {
    "Automated License Plate Readers": "alpr",
    "Body-worn Cameras": "body_worn_camera",
    "Camera Registry": "cctv",  # registered private cameras police may ask footage from
    "Cell-site Simulator": "imsi_catcher",
    "Drones": "aerial_surveillance",
    "Face Recognition": "face_recognition",
    "Gunshot Detection": "acoustic_detection",
    "Predictive Policing": "predictive_policing",
    "Real-Time Crime Center": "command_centre",
    "Social Media Monitoring": "social_media_monitoring",
    "Video Analytics": "video_analytics",
    # Closest fit: a fusion centre pools intelligence and feeds as a command centre does.
    "Fusion Center": "command_centre",
    # Approximations: residents' and businesses' cameras whose footage police can request.
    "Community Networks": "cctv",
    "Ring/Neighbors Partnership": "cctv",
    # Data-broker search platforms: none of our capabilities describes them.
    "Third-party Investigative Platforms": None,
}

# Atlas "Type of LEA" -> organisation kind; any type naming police or a sheriff is police.
LEA_KINDS: dict[str, str] = {
    "police": "police",
    "sheriff": "police",
    "state police": "police",
    "highway patrol": "police",
    "marshal": "police",
    "constable": "police",
    "district attorney": "other",
    "prosecutor": "other",
    "fusion center": "other",
    "federal": "national_government",
    "federal agency": "national_government",
    "state agency": "other",
    "municipality": "municipality",
    "city": "municipality",
    "county": "municipality",
    "transit": "transport",
    "transportation": "transport",
    "airport": "transport",
    "port": "transport",
    "military": "military",
    "national guard": "military",
    "border": "border_agency",
}

# Atlas "Link N Type" -> our source type; anything else is "other", and the report says so.
LINK_TYPES: dict[str, str] = {
    "news": "news",
    "news article": "news",
    "news story": "news",
    "government": "government",
    "government document": "government",
    "government website": "government",
    "press release": "government",  # the Atlas's press releases are the agencies' own
    "public records": "foi_response",
    "public records request": "foi_response",
    "foia": "foi_response",
    "foi": "foi_response",
    "procurement": "procurement",
    "contract": "procurement",
    "vendor": "vendor",
    "vendor website": "vendor",
    "court": "court",
    "court record": "court",
    "court document": "court",
    "report": "ngo_report",
    "ngo report": "ngo_report",
    "academic": "academic",
    "research": "academic",
}

_MONTHS = {name.lower(): i for i, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"), start=1)}
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_US_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")
_WORDY_DATE = re.compile(r"^([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2})?")
_URL = re.compile(r"https?://[^\s,;|<>\"']+")


def _normal(value: str) -> str:
    """Case, punctuation and plural endings ignored: "Body-Worn Camera" = "Body-worn Cameras"."""
    words = re.sub(r"[^0-9a-z]+", " ", value.casefold()).split()
    return " ".join(word.removesuffix("s") if len(word) > 3 else word for word in words)


_TECHNOLOGIES = {_normal(name): (name, key) for name, key in TECHNOLOGY_CAPABILITIES.items()}
_US_STATES = {
    str(s.code).removeprefix("US-"): str(s.name)
    for s in pycountry.subdivisions
    if s.country_code == "US"
}
_US_STATE_NAMES = {name.casefold(): name for name in _US_STATES.values()}


def capability_for(technology: str) -> tuple[str, str | None] | None:
    """(the Atlas's name, our key or None when nothing fits), or None for an unknown name."""
    return _TECHNOLOGIES.get(_normal(technology))


def organisation_kind(lea_type: str) -> str | None:
    key = " ".join(lea_type.casefold().split())
    if not key:
        return "other"
    if key in LEA_KINDS:
        return LEA_KINDS[key]
    if re.search(r"\b(police|sheriff|marshal|constable|patrol)", key):
        return "police"
    return None


def state_name(value: str) -> str | None:
    text = value.strip()
    return _US_STATES.get(text.upper()) or _US_STATE_NAMES.get(text.casefold())


def atlas_date(value: str, name: str, problems: list[str]) -> str | None:
    """A partial date from the ways the Atlas writes one (ISO, M/D/YYYY, "March 5, 2019")."""
    text = value.strip()
    if not text:
        return None
    candidate = text
    if match := _TIMESTAMP.match(text):
        candidate = match[1]
    elif match := _US_DATE.match(text):
        candidate = f"{match[3]}-{int(match[1]):02d}-{int(match[2]):02d}"
    elif match := _US_MONTH.match(text):
        candidate = f"{match[2]}-{int(match[1]):02d}"
    elif (match := _WORDY_DATE.match(text)) and match[1].lower() in _MONTHS:
        month = _MONTHS[match[1].lower()]
        candidate = f"{match[3]}-{month:02d}" + (f"-{int(match[2]):02d}" if match[2] else "")
    found = date_value(candidate, name, [])
    if found is None:
        problems.append(f"malformed date {shown(text)} in {name}")
        return None
    return found


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def _link_sources(
    cells: dict[str, str], problems: list[str], notes: list[str]
) -> list[SourceDraft]:
    drafts: list[SourceDraft] = []
    for n in range(1, LINKS + 1):
        prefix = f"Link {n}"
        url = url_value(cells.get(prefix, ""), prefix, problems)
        archived = url_value(cells.get(f"{prefix} Snapshot", ""), f"{prefix} Snapshot", problems)
        if not url and not archived:
            continue
        publisher = text_value(cells.get(f"{prefix} Source", ""), f"{prefix} Source", 200,
                               problems)
        raw_type = " ".join(cells.get(f"{prefix} Type", "").split())
        source_type = LINK_TYPES.get(raw_type.casefold(), "other")
        if raw_type and raw_type.casefold() not in LINK_TYPES:
            notes.append(f"{prefix} Type {shown(raw_type)} counted as other")
        drafts.append(SourceDraft(
            title=(publisher or _host(url or archived or ""))[:500],
            url=url,
            archived_url=archived,
            publisher=publisher,
            source_type=source_type,
            published_on=atlas_date(cells.get(f"{prefix} Date", ""), f"{prefix} Date", problems),
        ))
    for url in _URL.findall(cells.get("Other Links", "")):
        url = url.rstrip(".)")
        if len(url) <= 2000:
            drafts.append(SourceDraft(title=_host(url), url=url, source_type="other"))
    unique = {d.url or d.archived_url: d for d in reversed(drafts)}  # the first of each address
    return [d for d in drafts if unique[d.url or d.archived_url] is d]


def parse_atlas_row(row: ImportRow) -> IncomingRecord | RowRefusal:
    cells = row.cells
    problems: list[str] = []
    notes: list[str] = []
    number = cells.get("AOSNUMBER", "").strip()
    agency = text_value(cells.get("Agency", ""), "Agency", 200, problems) or ""
    technology = " ".join(cells.get("Technology", "").split())
    label = f"{technology or '(no technology)'} — {agency or '(no agency)'}"
    if not number:
        problems.append("missing AOSNUMBER")
    elif len(number) > 90:
        problems.append("AOSNUMBER longer than 90 characters")
    if not agency:
        problems.append("missing agency")
    capability: str | None = None
    mapped = capability_for(technology)
    if not technology:
        problems.append("missing technology")
    elif mapped is None:
        problems.append(f"unknown technology {shown(technology)} (no matching capability)")
    elif mapped[1] is None:
        problems.append(f"technology {shown(technology)}: no matching capability")
    else:
        technology, capability = mapped[0], mapped[1]
        label = f"{technology} — {agency or '(no agency)'}"
    region: str | None = None
    if raw_state := cells.get("State", "").strip():
        region = state_name(raw_state)
        if region is None:
            problems.append(f"unknown US state {shown(raw_state)}")
    city = text_value(cells.get("City", ""), "City", 200, problems) or text_value(
        cells.get("County", ""), "County", 200, problems
    )
    kind = organisation_kind(cells.get("Type of LEA", ""))
    if kind is None:
        notes.append(f"Type of LEA {shown(cells.get('Type of LEA', ''))} counted as other")
    sources = _link_sources(cells, problems, notes)
    vendors = [
        VendorDraft(name=name, role="supplier")
        for value in cells.get("Vendor", "").split(";")
        if (name := text_value(value, "Vendor", 200, problems))
        and name.casefold() not in NO_VENDOR
    ]
    if not sources and not problems:
        problems.append("missing source: the row has no link")
    if problems:
        return RowRefusal(row.number, label, "; ".join(dict.fromkeys(problems)))
    assert capability is not None
    hosts = {_host(s.url) for s in sources if s.url}
    return IncomingRecord(
        row=row.number,
        label=label,
        fields={
            "title": label[:300],
            "summary": cells.get("Summary", "").strip().replace("\r\n", "\n"),
            "country": "US",
            "region": region,
            "city": city,
        },
        new_fields={
            "geo_precision": "city" if city else "region" if region else "country",
            "status": "operational",
            "oversight_status": "unknown",
            "verification": "corroborated" if len(hosts) >= 2 else "unverified",
        },
        external_ref=EXTERNAL_PREFIX + number,
        vendors=vendors,
        operators=[OperatorDraft(name=agency, kind=kind or "other")],
        capabilities=[capability],
        sources=sources,
        links="add",
        source_titles_must_match=False,
        notes=notes,
    )
