"""Several values in one CSV cell, as the exports write them and the imports read them back.

Values are joined with "; "; a value's own ";" is written "\\;" and its own backslash "\\\\",
so split_values() gives back exactly the values join_values() joined.
"""

from __future__ import annotations

from collections.abc import Sequence

MULTI_SEPARATOR = "; "


def _escape(value: str) -> str:
    if ";" not in value and "\\" not in value:
        return value
    return value.replace("\\", "\\\\").replace(";", "\\;")


def join_values(values: Sequence[str]) -> str:
    joined = MULTI_SEPARATOR.join(values)
    # Most cells need no escaping: no backslash, and no ";" but the separators'.
    if "\\" in joined or joined.count(";") >= len(values) > 0:
        return MULTI_SEPARATOR.join(_escape(v) for v in values)
    return joined


def split_values(cell: str) -> list[str]:
    """The values join_values() joined; an empty cell is no value."""
    if cell == "":
        return []
    values: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(cell):
        char = cell[i]
        if char == "\\" and i + 1 < len(cell):
            current.append(cell[i + 1])
            i += 2
            continue
        if char == ";":
            values.append("".join(current))
            current = []
            i += 2 if cell[i + 1 : i + 2] == " " else 1
            continue
        current.append(char)
        i += 1
    values.append("".join(current))
    return values
