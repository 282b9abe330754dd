"""Jinja2 with named-block rendering, the URL helpers templates use, and the one render call.

Templates never build paths by hand: `url_for(name, **params)` gives a path for a named route,
`|with_query(items)` appends a urlencoded query, `deployment_url(id, slug)` the canonical link.
Every form that POSTs carries `{{ csrf_field() }}`; `csrf_token()` is the bare token (base.html
puts it in a meta tag, from which app/static/js/csrf.js adds it to htmx requests).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.responses import Response

from app import vocab
from app.search_index import country_name
from app.security import csrf_token
from app.services.accounts import ROLES as STAFF_ROLES
from app.web.deps import Htmx

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"
HTMX_VERSION = "2.0.11"
VARY = "HX-Request, HX-History-Restore-Request"

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

VOCABULARIES: dict[str, dict[str, vocab.Term]] = {
    "capability": vocab.by_key(vocab.CAPABILITIES),
    "status": vocab.by_key(vocab.LIFECYCLE_STATUSES),
    "oversight": vocab.by_key(vocab.OVERSIGHT_STATUSES),
    "verification": vocab.by_key(vocab.VERIFICATIONS),
    "geo_precision": vocab.by_key(vocab.GEO_PRECISIONS),
    "vendor_role": vocab.by_key(vocab.VENDOR_ROLES),
    "ownership": vocab.by_key(vocab.OWNERSHIPS),
    "organisation_kind": vocab.by_key(vocab.ORGANISATION_KINDS),
    "source_type": vocab.by_key(vocab.SOURCE_TYPES),
    "oversight_event_kind": vocab.by_key(vocab.OVERSIGHT_EVENT_KINDS),
    "state": vocab.by_key(vocab.RECORD_STATES),
}


def path_for(request: Request, name: str, /, **params: Any) -> str:
    """The path of a named route, under the root path the app is served from."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root + str(request.app.url_path_for(name, **params))


def deployment_path(request: Request, deployment_id: int, slug: str | None) -> str:
    """`/deployments/{id}-{slug}`, or `/deployments/{id}` for a slug that cannot be a segment."""
    if slug and "/" not in slug:
        return path_for(request, "deployment", deployment_id=deployment_id, slug=slug)
    return path_for(request, "deployment_by_id", deployment_id=deployment_id)


def with_query(url: str, items: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    query = urlencode(list(items.items()) if isinstance(items, Mapping) else list(items))
    return f"{url}?{query}" if query else url


def partial_date(value: str | None) -> str:
    """"2019" -> "2019", "2019-03" -> "March 2019", "2019-03-05" -> "5 March 2019"."""
    if not value:
        return ""
    parts = value.split("-")
    try:
        if len(parts) == 2:
            return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 3:
            return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return value


def money(value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return ""
    amount = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{currency} {amount}" if currency else amount


def http_url(value: str | None) -> bool:
    """Whether a stored link is safe to put in an href (never javascript: or data:)."""
    return bool(value) and str(value).lower().startswith(("http://", "https://"))


def term(value: str | None, vocabulary: str) -> vocab.Term:
    """The vocabulary term for a key; an unknown key still shows, as itself."""
    key = value or ""
    found = VOCABULARIES[vocabulary].get(key)
    return found if found is not None else vocab.Term(key, key, "")


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **params: Any) -> str:
    return path_for(context["request"], name, **params)


@jinja2.pass_context
def _csrf_token(context: Mapping[str, Any]) -> str:
    return csrf_token(context["request"])


@jinja2.pass_context
def _csrf_field(context: Mapping[str, Any]) -> Markup:
    """The hidden input every POST form carries (app/security.py verify_csrf checks it)."""
    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


@jinja2.pass_context
def _signed_in_staff(context: Mapping[str, Any]) -> Any:
    """The staff member a staff page was rendered for (set by deps.current_staff), else None.
    Public pages never look the session up, so they show no staff navigation."""
    return getattr(context["request"].state, "staff", None)


@jinja2.pass_context
def _moderation_waiting(context: Mapping[str, Any]) -> int | None:
    """Submissions waiting for a decision, counted when the staff member was looked up."""
    return getattr(context["request"].state, "moderation_waiting", None)


@jinja2.pass_context
def _deployment_url(context: Mapping[str, Any], deployment_id: int, slug: str | None) -> str:
    return deployment_path(context["request"], deployment_id, slug)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        url_for=_url_for,
        deployment_url=_deployment_url,
        csrf_token=_csrf_token,
        csrf_field=_csrf_field,
        signed_in_staff=_signed_in_staff,
        moderation_waiting=_moderation_waiting,
        staff_roles=STAFF_ROLES,
        term=term,
        country_name=country_name,
        vocab=vocab,
        htmx_version=HTMX_VERSION,
    )
    env.filters.update(
        with_query=with_query, partial_date=partial_date, money=money, http_url=http_url
    )
    return env


templates = Jinja2Blocks(env=_environment())


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    htmx: Htmx,
    fragment: str | Sequence[str] = "content",
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The whole page, or for an htmx partial request only its named block(s)."""
    context = {"htmx": htmx, "oob": False, **context}
    if htmx.partial:
        names = [fragment] if isinstance(fragment, str) else list(fragment)
        response = templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=headers, block_names=names
        )
    else:
        response = templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=headers
        )
    response.headers.add_vary_header(VARY)
    return response
