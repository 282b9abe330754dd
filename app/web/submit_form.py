"""The public forms' fields: names, labels, hints and pickers, in one place.

Templates render every field from these specs with one macro (templates/submit/_parts.html),
so the full page, the 422 re-render and the htmx inline check of a single field are the same
markup. The names are the inputs' names and the keys of the service's field errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry

from app import vocab
from app.services.proposals import IMAGE_SLOTS, SOURCE_SLOTS, TEXT_LIMITS

HONEYPOT = "website_url"  # hidden by CSS; people leave it empty, form-filling bots do not
FORM_TOKEN = "form_rendered"  # noqa: S105 (a field name, not a secret)


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | url
    hint: str = ""
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    maxlength: int | None = None
    rows: int = 4
    inputmode: str | None = None
    placeholder: str = ""

    @property
    def hint_id(self) -> str | None:
        return f"{self.name}-hint" if self.hint else None


def _limit(name: str) -> int:
    return TEXT_LIMITS[name][0]


COUNTRIES: tuple[tuple[str, str], ...] = (
    ("", "Choose a country"),
    *sorted(((str(c.alpha_2), str(c.name)) for c in pycountry.countries), key=lambda p: p[1]),
)
STATUSES = (
    ("", "Not known"),
    *((t.key, t.label) for t in vocab.LIFECYCLE_STATUSES if t.key != "unknown"),
)
SOURCE_TYPES = tuple((t.key, t.label) for t in vocab.SOURCE_TYPES)
DATE_HINT = "A year (2019), a month (2019-03) or a day (2019-03-05)."

DEPLOYMENT_FIELDS: tuple[FormField, ...] = (
    FormField(
        "title",
        "Short title",
        hint="What and where, e.g. “Face recognition cameras in Niš”.",
        required=True,
        maxlength=_limit("title"),
    ),
    FormField("country", "Country", kind="select", required=True, options=COUNTRIES),
    FormField("region", "Region or province", maxlength=_limit("region")),
    FormField("city", "City or town", maxlength=_limit("city")),
    FormField(
        "site",
        "Site",
        hint="A street, square, building or border crossing, if it is known publicly.",
        maxlength=_limit("site"),
    ),
    FormField(
        "summary",
        "What did you see or read?",
        kind="textarea",
        hint="A few sentences: what the system does, who runs it, since when. Facts, not guesses.",
        required=True,
        maxlength=_limit("summary"),
        rows=6,
    ),
    FormField(
        "programme",
        "Programme",
        hint="The name it goes by, e.g. “Safe City”.",
        maxlength=_limit("programme"),
    ),
    FormField("status", "How far has it got?", kind="select", options=STATUSES),
    FormField("announced_on", "Announced", hint=DATE_HINT, maxlength=10, placeholder="YYYY-MM"),
    FormField("started_on", "In use since", hint=DATE_HINT, maxlength=10, placeholder="YYYY-MM"),
    FormField(
        "camera_count",
        "Number of cameras",
        hint="A whole number, if a source gives one.",
        maxlength=12,
        inputmode="numeric",
    ),
    FormField(
        "scale_note",
        "Scale in words",
        hint="E.g. “100+ cameras at 60+ sites”.",
        maxlength=_limit("scale_note"),
    ),
    FormField(
        "vendors",
        "Vendors",
        kind="textarea",
        hint="Companies that sold, built or financed it, one per line.",
        maxlength=_limit("vendors"),
        rows=3,
    ),
    FormField(
        "operators",
        "Operators",
        kind="textarea",
        hint="Who runs or bought it (police, ministry, city), one per line.",
        maxlength=_limit("operators"),
        rows=3,
    ),
)

NOTE_FIELD = FormField(
    "note",
    "What is wrong or missing?",
    kind="textarea",
    hint="Say which part of the record should change and how; the sources below back it up.",
    maxlength=_limit("note"),
    rows=6,
)
CONTACT_FIELD = FormField(
    "contact",
    "How could a moderator reach you? (optional)",
    kind="textarea",
    hint=(
        "Only if you want to be asked follow-up questions. Moderators alone see this, and it "
        "is erased as soon as they decide on your submission. Consider an address that is "
        "not linked to your name."
    ),
    maxlength=_limit("contact"),
    rows=2,
)


def source_fields(slot: int) -> tuple[FormField, ...]:
    p = f"source_{slot}_"
    return (
        FormField(p + "url", "Web address", kind="url", maxlength=2000,
                  placeholder="https://", inputmode="url"),
        FormField(p + "title", "Title, or a description of the document",
                  hint="For a document with no address: what it is and where it can be found.",
                  maxlength=500),
        FormField(p + "publisher", "Publisher", maxlength=200),
        FormField(p + "published_on", "Published", hint=DATE_HINT, maxlength=10,
                  placeholder="YYYY-MM-DD"),
        FormField(p + "source_type", "Kind of source", kind="select", options=SOURCE_TYPES),
    )


SOURCE_FIELDS: tuple[tuple[FormField, ...], ...] = tuple(
    source_fields(slot) for slot in range(1, SOURCE_SLOTS + 1)
)
IMAGE_CAPTIONS: tuple[FormField, ...] = tuple(
    FormField(f"image_{slot}_caption", "Caption", hint="What and where the photo shows.",
              maxlength=500)
    for slot in range(1, IMAGE_SLOTS + 1)
)
IMAGE_INPUTS: tuple[str, ...] = tuple(f"image_{slot}" for slot in range(1, IMAGE_SLOTS + 1))

FIELDS: dict[str, FormField] = {
    f.name: f
    for f in (
        *DEPLOYMENT_FIELDS,
        NOTE_FIELD,
        CONTACT_FIELD,
        *(f for group in SOURCE_FIELDS for f in group),
        *IMAGE_CAPTIONS,
    )
}
# Inputs the htmx inline check never sends: the photos (they are only read on submission).
NOT_CHECKED = ",".join(IMAGE_INPUTS)
