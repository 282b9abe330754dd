"""Text folding shared by the search index and the query parser.

Both backends index and query the same pre-folded tokens, so SQLite (FTS5) and PostgreSQL
(tsvector, 'simple' config) see identical words and agree on what matches. Folding removes
diacritics ("Vučić" -> "vucic") and a few letters Unicode does not decompose ("đ" -> "d").
"""

from __future__ import annotations

import re
import unicodedata

_NON_DECOMPOSING = str.maketrans(
    {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}
)
_TOKEN = re.compile(r"[^\W_]+")
# Connector punctuation other than "_" counts as a word character for re, not for FTS5.
_CONNECTORS = str.maketrans(
    dict.fromkeys("\u203f\u2040\u2054\ufe33\ufe34\ufe4d\ufe4e\ufe4f\uff3f", " ")
)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.translate(_NON_DECOMPOSING).translate(_CONNECTORS)


def tokens(text: str) -> list[str]:
    """Words as the index sees them: folded, lower-case, split on anything not a letter or digit."""
    return _TOKEN.findall(fold(text))


def slugify(text: str, *, max_length: int = 80) -> str:
    slug = "-".join(tokens(text))[:max_length].strip("-")
    return slug or "record"
