"""Errors as application/problem+json (RFC 9457) for the API, exports and feeds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from app.models.public import Problem, ValidationIssue

PROBLEM_JSON = "application/problem+json"
DETAILS: dict[int, str] = {
    404: "Nothing is at this address. See /api/docs for the addresses the API answers.",
    405: "This address answers GET (and HEAD) requests only.",
    500: "Something went wrong on our side; please try again in a moment.",
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    errors: Sequence[ValidationIssue] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    phrase = HTTPStatus(status).phrase
    body = Problem(
        title=phrase,
        status=status,
        detail=detail if detail and detail != phrase else DETAILS.get(status, phrase),
        instance=request.url.path,
        errors=list(errors) if errors is not None else None,
    )
    return ProblemResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=dict(headers or {})
    )


def search_problem(request: Request, errors: Mapping[str, str]) -> ProblemResponse:
    """422 for a search whose parameters could not all be used, one issue per parameter."""
    issues = [ValidationIssue(field=name, message=message) for name, message in errors.items()]
    detail = "This search could not be used as given: " + " ".join(
        f"{issue.field}: {issue.message}" for issue in issues
    )
    return problem(request, 422, detail, errors=issues)


def from_http_exception(request: Request, exc: HTTPException) -> ProblemResponse:
    return problem(request, exc.status_code, str(exc.detail), headers=exc.headers)


def _location(loc: Sequence[Any]) -> str:
    """The parameter's name ("status" for the first of several status values)."""
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in ("query", "path", "header"):
        return parts[1]
    return ".".join(parts)


def from_validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    issues = [
        ValidationIssue(field=_location(error.get("loc", ())), message=str(error.get("msg", "")))
        for error in exc.errors()
    ]
    detail = "Some parameters could not be read: " + "; ".join(
        f"{issue.field}: {issue.message}" for issue in issues
    )
    return problem(request, 422, detail, errors=issues)
