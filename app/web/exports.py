"""Exports of any search (CSV, JSON, GeoJSON), its Atom feed, record citations, the data archive.

Exports stream: the generator opens its own Session (the request's closes when the handler
returns, before the body is sent) and writes one chunk per batch of records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.responses import FileResponse, Response, StreamingResponse

from app.config import Settings
from app.models import Deployment
from app.services import archive, export_formats, feeds
from app.services.catalog import get_deployment_detail
from app.services.citation import Citation, CitedRecord, cite
from app.services.exports import ExportRecord, export_order, iter_matching, unknown_filters
from app.services.flat_rows import FlatRow, iter_matching_flat
from app.services.prefetch import prefetch
from app.services.search import SearchParams, parse_params
from app.web.deps import SessionDep, SettingsDep
from app.web.links import absolute_for, record_url, stable_record_url
from app.web.problems import search_problem

router = APIRouter(include_in_schema=False)

CSV = "text/csv; charset=utf-8"
JSON = "application/json"
GEOJSON = "application/geo+json"
ATOM = "application/atom+xml; charset=utf-8"
BIBTEX = "application/x-bibtex; charset=utf-8"
CSL_JSON = "application/vnd.citationstyles.csl+json"
TEXT = "text/plain; charset=utf-8"
B = TypeVar("B")
# Reads a search's matches in batches (records, or flat rows for a CSV) in the export's session.
Read = Callable[[Session, SearchParams], Iterator[B]]
# Writes the batches, with the export's metadata, as chunks of the response body.
Write = Callable[[Iterator[B], dict[str, object]], Iterator[bytes]]


def _params(request: Request, session: Session) -> tuple[SearchParams, dict[str, str]]:
    # `page` is a property of the search page, not of the search: an export holds every match.
    params, errors = parse_params(
        (name, value) for name, value in request.query_params.multi_items() if name != "page"
    )
    errors |= unknown_filters(session=session, params=params)
    return params, errors


def _records(session: Session, params: SearchParams) -> Iterator[list[ExportRecord]]:
    # JSON and GeoJSON carry every detail of the sources and the oversight events.
    return iter_matching(session=session, params=params, full=True)


def _flat_rows(session: Session, params: SearchParams) -> Iterator[list[FlatRow]]:
    return iter_matching_flat(session=session, params=params)


def _batches(engine: Engine, params: SearchParams, read: Read[B]) -> Iterator[B]:
    with Session(engine) as session:
        yield from read(session, params)


def _stream(
    engine: Engine, params: SearchParams, read: Read[B], write: Write[B], meta: dict[str, object]
) -> Iterator[bytes]:
    if engine.dialect.name == "sqlite":
        # SQLite runs in this process: a reading thread would mostly contend with the writer
        # for the GIL (measured at 100k: 13-16% fewer rows/s with it).
        yield from write(_batches(engine, params, read), meta)
        return
    # PostgreSQL answers from another process: the next batch is read in a background thread
    # while this one is written.
    yield from write(prefetch(lambda: _batches(engine, params, read)), meta)


def _export(
    request: Request,
    session: Session,
    settings: SettingsDep,
    extension: str,
    media_type: str,
    read: Read[B],
    write: Write[B],
) -> Response:
    params, errors = _params(request, session)
    if errors:
        return search_problem(request, errors)
    items = params.query_items(page=1)
    search_url = absolute_for(request, settings, "deployments", items)
    now = datetime.now(UTC)
    meta = export_formats.metadata(
        query=_query(params),
        order=export_order(session=session, params=params),
        search_url=search_url,
        generated_at=now,
    )
    body = _stream(request.app.state.engine, params, read, write, meta)
    filename = f"safecity-deployments-{now.date().isoformat()}.{extension}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Safecity-Query": urlencode(items),
        "Link": f'<{search_url}>; rel="alternate"; type="text/html"',
    }
    return StreamingResponse(body, media_type=media_type, headers=headers)


def _query(params: SearchParams) -> dict[str, object]:
    query: dict[str, object] = {}
    for name, value in params.query_items(page=1):
        if name in ("q", "sort"):
            query[name] = value
        elif name in ("year_from", "year_to"):
            query[name] = int(value)
        else:
            query.setdefault(name, [])
            assert isinstance(query[name], list)
            query[name].append(value)  # type: ignore[attr-defined]
    return query


@router.get("/deployments.csv", name="deployments_csv")
def deployments_csv(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bom: Annotated[str, Query()] = "",
) -> Response:
    urls = record_url(request, settings)
    with_bom = bom.lower() in ("1", "true", "yes")
    return _export(
        request,
        session,
        settings,
        "csv",
        CSV,
        _flat_rows,
        lambda batches, _meta: export_formats.csv_chunks(batches, urls, bom=with_bom),
    )


@router.get("/deployments.json", name="deployments_json")
def deployments_json(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    urls = record_url(request, settings)
    return _export(
        request,
        session,
        settings,
        "json",
        JSON,
        _records,
        lambda batches, meta: export_formats.json_chunks(batches, urls, meta),
    )


@router.get("/deployments.geojson", name="deployments_geojson")
def deployments_geojson(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    urls = record_url(request, settings)
    return _export(
        request,
        session,
        settings,
        "geojson",
        GEOJSON,
        _records,
        lambda batches, meta: export_formats.geojson_chunks(batches, urls, meta),
    )


@router.get("/deployments.atom", name="deployments_atom")
def deployments_atom(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    params, errors = _params(request, session)
    if errors:
        return search_problem(request, errors)
    items = params.query_items(page=1, sort="")
    newest = replace(params, sort="updated")
    records = [
        record
        for batch in iter_matching(session=session, params=newest, limit=feeds.FEED_SIZE)
        for record in batch
    ]
    info = feeds.FeedInfo(
        title=_feed_title(params),
        feed_url=absolute_for(request, settings, "deployments_atom", items),
        search_url=absolute_for(request, settings, "deployments", items),
        generated_at=datetime.now(UTC),
    )
    body = feeds.atom_feed(
        records,
        info,
        record_url=record_url(request, settings),
        entry_id=stable_record_url(request, settings),
    )
    return Response(body, media_type=ATOM)


def _feed_title(params: SearchParams) -> str:
    parts = [f"“{params.q}”"] if params.q else []
    for name, values in (
        ("country", params.country),
        ("vendor", params.vendor),
        ("capability", params.capability),
        ("status", params.status),
        ("oversight", params.oversight),
        ("verification", params.verification),
    ):
        if values:
            parts.append(f"{name} {', '.join(values)}")
    if params.year_from is not None:
        parts.append(f"from {params.year_from}")
    if params.year_to is not None:
        parts.append(f"to {params.year_to}")
    what = "; ".join(parts) if parts else "all deployments"
    return f"Safe City Watch: {what}"


# --- citations --------------------------------------------------------------------------------


def record_citation(
    request: Request, settings: Settings, deployment: Deployment, *, accessed_on: date
) -> Citation:
    """The record page's citation box and the download routes share this."""
    assert deployment.id is not None
    updated = deployment.updated_at
    return cite(
        CitedRecord(
            id=deployment.id,
            title=deployment.title,
            url=record_url(request, settings)(deployment.id, deployment.slug),
            updated_at=updated if updated.tzinfo else updated.replace(tzinfo=UTC),
            accessed_on=accessed_on,
        )
    )


def _citation(
    request: Request, session: Session, settings: Settings, deployment_id: int
) -> Citation:
    detail = get_deployment_detail(session=session, deployment_id=deployment_id)
    if detail is None:
        raise HTTPException(404, "There is no public record with this number.")
    accessed_on = datetime.now(UTC).date()
    return record_citation(request, settings, detail.deployment, accessed_on=accessed_on)


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/deployments/{deployment_id:int}/cite.bib", name="deployment_cite_bibtex")
def cite_bibtex(
    request: Request, deployment_id: int, session: SessionDep, settings: SettingsDep
) -> Response:
    citation = _citation(request, session, settings, deployment_id)
    return _download(citation.bibtex, BIBTEX, f"safecitywatch-{deployment_id}.bib")


@router.get("/deployments/{deployment_id:int}/cite.json", name="deployment_cite_csl")
def cite_csl(
    request: Request, deployment_id: int, session: SessionDep, settings: SettingsDep
) -> Response:
    citation = _citation(request, session, settings, deployment_id)
    return _download(citation.csl_json, CSL_JSON, f"safecitywatch-{deployment_id}.json")


@router.get("/deployments/{deployment_id:int}/cite.txt", name="deployment_cite_text")
def cite_text(
    request: Request, deployment_id: int, session: SessionDep, settings: SettingsDep
) -> Response:
    citation = _citation(request, session, settings, deployment_id)
    return Response(citation.text + "\n", media_type=TEXT)


# --- the full dataset -------------------------------------------------------------------------


@router.get("/downloads/safecity-watch-data.zip", name="data_archive")
def data_archive(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """A current copy of the whole dataset, rebuilt on demand when the records changed."""
    path = archive.current_archive(
        session=session,
        folder=settings.data_dir / "downloads",
        record_url=record_url(request, settings),
        search_url=absolute_for(request, settings, "deployments"),
    )
    made = path.stem.removeprefix(archive.ARCHIVE_PREFIX + "-")[:8]
    day = f"{made[:4]}-{made[4:6]}-{made[6:8]}"
    return FileResponse(
        path, media_type="application/zip", filename=f"{archive.ARCHIVE_PREFIX}-{day}.zip"
    )
