"""Fill in an HTML form as a browser would, from the page the app rendered."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag


def form_fields(html: str, selector: str) -> tuple[str, list[tuple[str, str]]]:
    """(action, the (name, value) pairs a browser would send) for the form at `selector`,
    without any submit button's value."""
    form = BeautifulSoup(html, "html.parser").select_one(selector)
    assert isinstance(form, Tag), f"no form matches {selector!r}"
    items: list[tuple[str, str]] = []
    for field in form.select("input, select, textarea"):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        kind = str(field.get("type", "text")).lower()
        if field.name == "input" and kind in ("submit", "button", "image", "reset", "file"):
            continue
        if kind in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            items.append((str(name), str(chosen.get("value", chosen.text)) if chosen else ""))
        elif field.name == "textarea":
            items.append((str(name), field.text))
        else:
            items.append((str(name), str(field.get("value", "on" if kind == "checkbox" else ""))))
    return str(form.get("action", "")), items


def replaced(items: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """The items with some single-valued fields set (field names with "-" written as "__")."""
    names = {name.replace("__", "-"): value for name, value in values.items()}
    kept = [(name, value) for name, value in items if name not in names]
    return kept + list(names.items())


def as_data(items: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form items as the test client's `data` (repeated names become lists)."""
    data: dict[str, list[str]] = {}
    for name, value in items:
        data.setdefault(name, []).append(value)
    return data
