"""Absolute links for what leaves the site: API responses, exports, feeds, citations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from app.config import Settings
from app.services.export_formats import RecordUrl
from app.web.templating import deployment_path, path_for, with_query


def public_origin(request: Request, settings: Settings) -> str:
    """The configured public origin, or the one this request came to."""
    return settings.base_url.rstrip("/") or f"{request.url.scheme}://{request.url.netloc}"


def absolute_for(
    request: Request,
    settings: Settings,
    name: str,
    query: Iterable[tuple[str, str]] = (),
    /,
    **params: Any,
) -> str:
    return public_origin(request, settings) + with_query(path_for(request, name, **params), query)


def record_url(request: Request, settings: Settings) -> RecordUrl:
    """id, slug -> the record's canonical page, as the record page itself links it.

    The routes are resolved once (an export asks for 100,000 links); each link is then built
    as deployment_path() builds it: `{id}-{slug}`, or the id alone for a slug with a "/".
    """
    origin = public_origin(request, settings)
    by_id = deployment_path(request, 1, None)  # /deployments/1
    if not by_id.endswith("/1") or deployment_path(request, 1, "slug") != by_id + "-slug":
        # The routes no longer have this shape: resolve each link (slower, still right).
        return lambda deployment_id, slug: origin + deployment_path(request, deployment_id, slug)
    head = origin + by_id[:-1]

    def url(deployment_id: int, slug: str) -> str:
        if slug and "/" not in slug:
            return f"{head}{deployment_id}-{slug}"
        return f"{head}{deployment_id}"

    return url


def stable_record_url(request: Request, settings: Settings) -> RecordUrl:
    """id -> the id-only address, which no renaming can change (a feed entry's permanent id)."""
    origin = public_origin(request, settings)
    return lambda deployment_id, _slug: (
        origin + path_for(request, "deployment_by_id", deployment_id=deployment_id)
    )
