"""Error pages: HTML in the site's layout with a way back to search; JSON under /api/."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from app.security import apply_security_headers
from app.web import problems
from app.web.deps import htmx_details
from app.web.templating import render

logger = logging.getLogger(__name__)

MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Sign in first", "This page is for signed-in staff."),
    403: ("Access refused", "Your account may not do this."),
    404: ("Page not found", "Nothing is at this address. It may be mistyped or never existed."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    422: ("Unreadable address", "Part of this address has a value we cannot read."),
    500: ("Something went wrong", "This is our fault, not yours. Please try again in a moment."),
}

# Plain markup for when even the error template cannot be rendered.
FALLBACK = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Server error · Safe City Watch</title>"
    "<h1>Something went wrong</h1><p>Please try again in a moment. <a href=/>Home</a></p></html>"
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    phrase = _phrase(status_code)
    title, message = MESSAGES.get(status_code, (phrase, ""))
    if detail and detail != phrase:
        message = detail
    htmx = htmx_details(request)
    # An htmx request shows the error in the main area, whatever element it meant to update.
    headers = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML"} if htmx.partial else None
    context = {"status_code": status_code, "title": title, "message": message}
    return render(
        request, "errors/error.html", context, htmx=htmx, status_code=status_code, headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return problems.from_http_exception(request, exc)
    response = error_page(request, exc.status_code, exc.detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        return problems.from_validation_error(request, exc)
    # A path that does not parse (a record number that is not a number) names nothing: 404.
    in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
    return error_page(request, 404 if in_path else 422)


async def _server_error(request: Request, exc: Exception) -> Response:
    # Starlette calls this outside every middleware, so the security headers are added here.
    try:
        response = problems.problem(request, 500) if _is_api(request) else error_page(request, 500)
    except Exception:
        logger.exception("The error page itself failed to render")
        response = HTMLResponse(FALLBACK, status_code=500)
    apply_security_headers(response.headers)
    return response


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _server_error)
