"""Security headers on every response, and CSRF protection for every state-changing request.

The headers come from pure ASGI middleware rather than BaseHTTPMiddleware, so streamed
responses (exports, feeds) pass through untouched and the headers are added in one place,
before the body starts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.datastructures import FormData, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No 'unsafe-inline' anywhere: templates carry no inline script, no style="" and no on*=
# handlers, and htmx is configured (base.html) not to inject a <style> tag of its own.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def apply_security_headers(headers: MutableHeaders) -> None:
    """Set the headers a handler has not set itself (a page may tighten its own policy)."""
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value


def policy_allowing_images_from(origin: str) -> str:
    """The policy with img-src widened by one origin, nothing else changed.

    Only the map page uses it, for the tile server an operator configured (SAFECITY_MAP_TILES);
    every other page, and the map page without tiles, keeps CONTENT_SECURITY_POLICY.
    """
    if not re.fullmatch(r"https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?", origin):
        raise ValueError(f"not an origin a policy can name: {origin!r}")
    return "; ".join(
        f"{directive} {origin}" if directive.startswith("img-src ") else directive
        for directive in CONTENT_SECURITY_POLICY.split("; ")
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                apply_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --- CSRF ---------------------------------------------------------------------------------
#
# Every state-changing route declares `dependencies=[Depends(verify_csrf)]` (or its router
# does). Forms render `{{ csrf_field() }}` from templates/_forms.html (or the hidden input
# `csrf_token` with `{{ csrf_token() }}` by hand); htmx requests send the same value in the
# X-CSRF-Token header, which app/static/js/csrf.js copies from <meta name="csrf-token">.
#
# A signed-in staff member's token is an HMAC of their session token, so it is worthless in
# any other session and dies with the session. An anonymous visitor's token is stateless: an
# HMAC over a random nonce and the issue time, valid for ANONYMOUS_TOKEN_LIFETIME, with no
# cookie and nothing stored, so a submitter leaves no trace. Because anyone can fetch such a
# token, browsers' Sec-Fetch-Site and Origin headers are checked as well: a cross-site POST is
# refused even when it carries one.

SESSION_COOKIE = "scw_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS_TOKEN_LIFETIME = timedelta(hours=12)
CSRF_FAILED = (
    "This form expired or did not come from this site — go back, reload the page "
    "and send it again."
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def keyed_hash(secret: str, purpose: str, *parts: str) -> str:
    """HMAC-SHA256 of the parts under the secret; `purpose` keeps each use's hashes apart."""
    message = "\x1f".join((purpose, *parts)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def app_secret(request: Request) -> str:
    """The application's secret key, read once per app (it may live in a file)."""
    state = request.app.state
    secret: str | None = getattr(state, "secret_key", None)
    if secret is None:
        secret = state.settings.resolved_secret_key()
        state.secret_key = secret
    return secret


def _session_csrf(secret: str, session_token: str) -> str:
    return "s." + keyed_hash(secret, "csrf-session", session_token)


def _anonymous_csrf(secret: str, issued: int, nonce: str) -> str:
    return f"a.{issued}.{nonce}." + keyed_hash(secret, "csrf-anonymous", str(issued), nonce)


def csrf_token(request: Request) -> str:
    """The token a form on this page must send back (one per request, however often asked)."""
    cached: str | None = getattr(request.state, "csrf_token", None)
    if cached is not None:
        return cached
    secret = app_secret(request)
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        token = _session_csrf(secret, session_token)
    else:
        token = _anonymous_csrf(secret, int(time.time()), secrets.token_urlsafe(12))
    request.state.csrf_token = token
    return token


def csrf_token_valid(
    token: str, *, secret: str, session_token: str | None, now: float | None = None
) -> bool:
    """Whether `token` is one we issued for this session (or, without one, recently)."""
    if session_token:
        return hmac.compare_digest(token.encode(), _session_csrf(secret, session_token).encode())
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "a" or not parts[1].isdigit():
        return False
    issued, nonce = int(parts[1]), parts[2]
    expected = _anonymous_csrf(secret, issued, nonce)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return False
    age = (time.time() if now is None else now) - issued
    return -60 <= age <= ANONYMOUS_TOKEN_LIFETIME.total_seconds()


def _cross_site(request: Request) -> bool:
    """True when the browser says the request came from another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    # Our Referrer-Policy (no-referrer) makes browsers send "Origin: null" on our own POSTs.
    if origin is None or origin == "null":
        return False
    allowed = {request.headers.get("Host", "")}
    base_url = request.app.state.settings.base_url
    if base_url:
        allowed.add(urlsplit(base_url).netloc)
    return urlsplit(origin).netloc not in allowed


async def _submitted_token(request: Request) -> tuple[str | None, FormData | None]:
    """The token from the header or the form field, and the form if this had to parse it."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header, None
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith(FORM_TYPES):
        return None, None
    form = await request.form()  # Starlette keeps the parsed form for the handler
    value = form.get(CSRF_FIELD)
    return (value if isinstance(value, str) else None), form


async def verify_csrf(request: Request) -> AsyncIterator[None]:
    """FastAPI dependency: refuse a state-changing request without this site's token.

    Every state-changing route declares `dependencies=[Depends(verify_csrf)]` (or the router
    does). Safe methods pass untouched. A refusal is a 403 whose page says what to do.
    """
    if request.method in SAFE_METHODS:
        yield
        return
    token, form = await _submitted_token(request)
    try:
        valid = token is not None and csrf_token_valid(
            token, secret=app_secret(request), session_token=request.cookies.get(SESSION_COOKIE)
        )
        if not valid or _cross_site(request):
            raise HTTPException(status_code=403, detail=CSRF_FAILED)
        yield
    finally:
        # Uploads parsed here are closed here, whether or not the handler read them too.
        if form is not None:
            await form.close()
