"""How to cite a record: APA-style text, BibTeX and CSL-JSON, each with the URL and access date.

APA 7 for a database record whose author is also its publisher: "Author. (Date). Title
[Description]. Retrieved Month D, YYYY, from URL" (the publisher is left out when it is the
author; the retrieval date is given because the record changes over time).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from app.services.export_formats import ATTRIBUTION

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_BIBTEX_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_BIBTEX_PATTERN = re.compile("|".join(re.escape(k) for k in _BIBTEX_SPECIAL))


@dataclass(frozen=True, slots=True)
class CitedRecord:
    id: int
    title: str
    url: str  # the stable address
    updated_at: datetime
    accessed_on: date


@dataclass(frozen=True, slots=True)
class Citation:
    text: str
    bibtex: str
    csl_json: str


def _long_date(value: date) -> str:
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def citation_text(record: CitedRecord) -> str:
    issued = record.updated_at.date()
    return (
        f"{ATTRIBUTION}. ({issued.year}, {_MONTHS[issued.month - 1]} {issued.day}). "
        f"{_one_line(record.title)} [Database record]. "
        f"Retrieved {_long_date(record.accessed_on)}, from {record.url}"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _bibtex_text(text: str) -> str:
    return _BIBTEX_PATTERN.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], _one_line(text))


def _bibtex_url(url: str) -> str:
    # A URL field is read verbatim, but braces, backslashes and spaces would still end it.
    return quote(url, safe=":/?#[]@!$&'()*+,;=%-._~")


def bibtex(record: CitedRecord) -> str:
    issued = record.updated_at.date()
    url = _bibtex_url(record.url)
    fields = [
        ("author", f"{{{ATTRIBUTION}}}"),
        ("title", f"{{{_bibtex_text(record.title)}}}"),
        ("howpublished", f"\\url{{{url}}}"),
        ("year", str(issued.year)),
        ("month", _BIBTEX_MONTHS[issued.month - 1]),
        ("url", url),
        ("urldate", record.accessed_on.isoformat()),
        ("note", f"Database record {record.id}. Accessed {record.accessed_on.isoformat()}"),
    ]
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    return f"@misc{{safecitywatch-{record.id},\n{body}\n}}\n"


def _date_parts(value: date) -> dict[str, Any]:
    return {"date-parts": [[value.year, value.month, value.day]]}


def csl_item(record: CitedRecord) -> dict[str, Any]:
    return {
        "id": f"safecitywatch-{record.id}",
        "type": "dataset",
        "title": _one_line(record.title),
        "author": [{"literal": ATTRIBUTION}],
        "publisher": ATTRIBUTION,
        "medium": "Database record",
        "number": str(record.id),
        "issued": _date_parts(record.updated_at.date()),
        "accessed": _date_parts(record.accessed_on),
        "URL": record.url,
    }


def csl_json(record: CitedRecord) -> str:
    """A CSL-JSON list with the one item, as citation managers import it."""
    return json.dumps([csl_item(record)], ensure_ascii=False, indent=2) + "\n"


def cite(record: CitedRecord) -> Citation:
    return Citation(text=citation_text(record), bibtex=bibtex(record), csl_json=csl_json(record))
