"""What the staff forms show: submitted values by name, and numbered rows with blanks to fill.

Forms re-render from exactly what was posted, so a refused value stays in its field with the
message beside it, and row numbers (vendor-3-name) match the error keys from app/services/
drafts.py. Without JavaScript, the spare blank rows are how staff add a vendor or a source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.services.drafts import BLANK_ROWS, MAX_ROWS

_ROW = re.compile(r"^(vendor|operator|source)-(\d{1,2})-([a-z_]+)$")
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "vendor": ("name", "role"),
    "operator": ("name", "kind"),
    "source": ("title", "url", "publisher", "published_on", "source_type", "archived_url",
               "excerpt", "accessed_on", "claim"),
}


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, name: str, value: str) -> bool:
        return value in self.lists.get(name, [])


def form_state(items: Iterable[tuple[str, str]], *, row_kinds: Sequence[str] = ()) -> FormState:
    state = FormState()
    numbered: dict[str, dict[int, dict[str, str]]] = {kind: {} for kind in row_kinds}
    for name, value in items:
        match = _ROW.match(name)
        if match and match.group(1) in numbered and int(match.group(2)) < MAX_ROWS:
            row = numbered[match.group(1)].setdefault(int(match.group(2)), {})
            row.setdefault(match.group(3), value)
            continue
        state.values.setdefault(name, value)
        state.lists.setdefault(name, []).append(value)
    for kind, rows in numbered.items():
        filled = [(i, rows[i]) for i in sorted(rows) if any(rows[i].values())]
        start = (filled[-1][0] + 1) if filled else 0
        end = min(start + BLANK_ROWS, MAX_ROWS)
        blanks: list[tuple[int, dict[str, str]]] = [(i, {}) for i in range(start, end)]
        state.rows[kind] = [*filled, *blanks]
    return state
