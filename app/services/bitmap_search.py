"""A search's total, facets and page of ids from the bitmaps of app/services/facet_index.py.

The answers are those of the SQL path (app/services/facets.py, search_filters.order_by_sort),
which stays as the reference implementation: tests/services/test_facet_index.py compares them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from app import vocab
from app.services.facet_index import COLUMNS, Bitmaps, union
from app.services.facets import FACET_LIMIT, FacetValue, facet_values
from app.services.query import ParsedQuery
from app.services.search_params import FACETS, SearchParams


def counts(
    session: Session,
    bitmaps: Bitmaps,
    params: SearchParams,
    parsed: ParsedQuery,
    vendor_ids: dict[str, int],
    *,
    with_facets: bool,
) -> tuple[int, int, dict[str, list[FacetValue]]]:
    """The search's total, its bitmap, and its facets (each without its own filter)."""
    bm = bitmaps
    base = bm.text(session, parsed).mask if parsed.terms else bm.published
    if params.year_from is not None:
        later = union(m for y, m in bm.ended_year.items() if y >= params.year_from)
        base &= bm.has_first_year & (bm.no_ended_year | later)
    if params.year_to is not None:
        base &= union(m for y, m in bm.first_year.items() if y <= params.year_to)
    filters: dict[str, int] = {}
    for name in COLUMNS:
        if getattr(params, name):
            filters[name] = union(bm.columns[name].get(v, 0) for v in getattr(params, name))
    if params.vendor and vendor_ids:
        filters["vendor"] = union(bm.vendors.get(v, 0) for v in vendor_ids.values())
    if params.capability:
        keys = set().union(*(vocab.capability_with_descendants(k) for k in params.capability))
        filters["capability"] = union(bm.capabilities.get(k, 0) for k in keys)

    def matching(without: str = "") -> int:
        mask = base
        for name, filter_mask in filters.items():
            if name != without:
                mask &= filter_mask
        return mask

    everything = matching()
    total = everything.bit_count()
    if not with_facets:
        return total, everything, {}
    facets: dict[str, list[FacetValue]] = {}
    for name in COLUMNS:
        mask = matching(name)
        found = {v: (mask & m).bit_count() for v, m in bm.columns[name].items()}
        facets[name] = facet_values(
            name, {v: n for v, n in found.items() if n}, getattr(params, name)
        )
    facets["vendor"] = _vendor_facet(bm, params, matching("vendor"))
    facets["capability"] = _capability_facet(bm, params, matching("capability"))
    return total, everything, {name: facets[name] for name in FACETS}


def _vendor_facet(bm: Bitmaps, params: SearchParams, mask: int) -> list[FacetValue]:
    found = [(bm.vendor_labels[vid], (mask & m).bit_count()) for vid, m in bm.vendors.items()]
    top = sorted(((label, n) for label, n in found if n), key=lambda item: (-item[1], item[0][1]))[
        :FACET_LIMIT
    ]
    values = [FacetValue(slug, name, n, slug in params.vendor) for (slug, name), n in top]
    shown = {v.value for v in values}
    values += [
        FacetValue(slug, name, 0, True)
        for slug, name in bm.vendor_labels.values()
        if slug in params.vendor and slug not in shown
    ]
    return values


def _capability_facet(bm: Bitmaps, params: SearchParams, mask: int) -> list[FacetValue]:
    direct = {k: (mask & m).bit_count() for k, m in bm.capabilities.items()}
    # A parent counts every deployment that has it or any of its children.
    for parent in {t.parent for t in vocab.CAPABILITIES if t.parent}:
        family = vocab.capability_with_descendants(parent)
        if any(direct.get(k) for k in family):
            direct[parent] = (mask & union(bm.capabilities.get(k, 0) for k in family)).bit_count()
    values: list[FacetValue] = []
    for term in vocab.CAPABILITIES:
        n = direct.get(term.key, 0)
        if n or term.key in params.capability:
            label = term.label if term.parent is None else f"– {term.label}"
            values.append(FacetValue(term.key, label, n, term.key in params.capability))
    return values


def page_ids(
    session: Session,
    bitmaps: Bitmaps,
    parsed: ParsedQuery,
    mask: int,
    sort: str,
    offset: int,
    limit: int,
) -> list[int]:
    """One page of a search's ids in its sort order (from search_filters.resolve_sort), as
    order_by_sort would list them."""
    if not mask:
        return []
    if sort == "newest":
        return _newest(mask, bitmaps.size, offset, limit)
    order: Iterable[int]
    if sort == "relevance":
        order = bitmaps.text(session, parsed, ranked=True).ranked or ()
    else:
        order = bitmaps.order(session, sort)
    buf = mask.to_bytes((bitmaps.size >> 3) + 1, "little")
    size = bitmaps.size
    found: list[int] = []
    skip = offset
    for i in order:
        # The ranked ids come from the full-text index, which holds unpublished records too:
        # one newer than every published record lies beyond the bitmap.
        if i < size and buf[i >> 3] >> (i & 7) & 1:
            if skip:
                skip -= 1
            else:
                found.append(i)
                if len(found) == limit:
                    break
    return found


def _newest(mask: int, size: int, offset: int, limit: int) -> list[int]:
    """Set bits from the highest down (id descending), skipping whole bytes by popcount."""
    buf = mask.to_bytes((size >> 3) + 1, "little")
    found: list[int] = []
    skip = offset
    for byte_index in range(len(buf) - 1, -1, -1):
        byte = buf[byte_index]
        if not byte:
            continue
        if skip and byte.bit_count() <= skip:
            skip -= byte.bit_count()
            continue
        for bit in range(7, -1, -1):
            if byte >> bit & 1:
                if skip:
                    skip -= 1
                else:
                    found.append(byte_index * 8 + bit)
                    if len(found) == limit:
                        return found
    return found
