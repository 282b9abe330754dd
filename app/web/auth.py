"""Staff sign-in and sign-out: /login (password, then the second factor when it is on) and
/logout. Session cookies are HttpOnly, SameSite=Lax, Path=/, and Secure under https.

`router` also carries the account pages (app/web/account.py) and the user administration
(app/web/staff_users.py), so the app factory includes one router for all of staff access."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import NoMatchFound

from app.config import Settings
from app.models import User
from app.security import SESSION_COOKIE, app_secret, verify_csrf
from app.services import signin
from app.services.accounts import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from app.web import account, staff_users
from app.web.deps import CurrentStaff, Htmx, HtmxDep, SessionDep, SettingsDep
from app.web.templating import path_for, render, with_query

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
NextQuery = Annotated[str, Query(alias="next", max_length=2000)]
NextForm = Annotated[str, Form(alias="next")]


def safe_next(target: str) -> str:
    """`target` when it is a path on this site, else "" (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return ""
    return target


def landing_path(request: Request, target: str) -> str:
    """Where a completed login goes: the page asked for, else the moderation queue (when this
    app has one), else the account page."""
    if target := safe_next(target):
        return target
    try:
        return path_for(request, "moderation")
    except NoMatchFound:
        return path_for(request, "account")


def cookie_is_secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def set_session_cookie(
    response: Response, request: Request, settings: Settings, token: str, *, pending: bool
) -> None:
    lifetime = signin.SECOND_FACTOR_LIFETIME if pending else signin.SESSION_LIFETIME
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), path="/",
        secure=cookie_is_secure(request, settings), httponly=True, samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=cookie_is_secure(request, settings), httponly=True,
        samesite="lax",
    )


def _client_key(request: Request) -> str | None:
    # Only ever HMAC'd into a rate-limit bucket key (app/services/ratelimit.py); never stored.
    return request.client.host if request.client else None


def _page(
    request: Request, name: str, context: dict[str, Any], htmx: Htmx, status: int = 200
) -> Response:
    return render(request, name, context, htmx=htmx, status_code=status, headers=NO_STORE)


@router.get("/login", name="login")
def login_page(
    request: Request, htmx: HtmxDep, user: CurrentStaff, next_: NextQuery = ""
) -> Response:
    if user is not None:
        return RedirectResponse(landing_path(request, next_), status_code=303)
    context: dict[str, Any] = {"errors": {}, "message": None, "email": "", "next": safe_next(next_)}
    return _page(request, "auth/login.html", context, htmx)


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    htmx: HtmxDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_: NextForm = "",
) -> Response:
    next_ = safe_next(next_)
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 (a message, not a secret)
    message, status = None, 422
    if not errors:
        try:
            if len(password) > MAX_PASSWORD_LENGTH or len(email) > MAX_EMAIL_LENGTH:
                raise signin.LoginError(signin.WRONG_CREDENTIALS)
            user = signin.authenticate(
                session=session, secret=app_secret(request), email=email, password=password,
                client_key=_client_key(request),
            )
        except signin.LoginThrottled as exc:
            message, status = str(exc), 429
        except signin.LoginError as exc:
            message = str(exc)
        else:
            return _signed_in(request, session, settings, user, next_)
    context = {"errors": errors, "message": message, "email": email, "next": next_}
    return _page(request, "auth/login.html", context, htmx, status)


def _signed_in(
    request: Request, session: SessionDep, settings: Settings, user: User, next_: str
) -> Response:
    """After a right password: straight in, or on to the second factor when it is on."""
    if previous := request.cookies.get(SESSION_COOKIE):
        signin.end_session(session=session, token=previous)  # the cookie is about to be replaced
    if user.totp_secret:
        token = signin.start_session(session=session, user=user, second_factor_pending=True)
        target = path_for(request, "login_second_factor")
        response = RedirectResponse(
            with_query(target, {"next": next_}) if next_ else target, status_code=303
        )
        set_session_cookie(response, request, settings, token, pending=True)
        return response
    token = signin.start_session(session=session, user=user)
    response = RedirectResponse(landing_path(request, next_), status_code=303)
    set_session_cookie(response, request, settings, token, pending=False)
    return response


def _pending_user(request: Request, session: SessionDep) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    return signin.second_factor_user(session=session, token=token) if token else None


def _start_again(request: Request, next_: str) -> Response:
    target = path_for(request, "login")
    return RedirectResponse(with_query(target, {"next": next_}) if next_ else target, 303)


@router.get("/login/code", name="login_second_factor")
def second_factor_page(
    request: Request, session: SessionDep, htmx: HtmxDep, next_: NextQuery = ""
) -> Response:
    next_ = safe_next(next_)
    if _pending_user(request, session) is None:
        return _start_again(request, next_)
    context: dict[str, Any] = {"errors": {}, "message": None, "next": next_}
    return _page(request, "auth/second_factor.html", context, htmx)


@router.post("/login/code", dependencies=[Depends(verify_csrf)])
def second_factor_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    htmx: HtmxDep,
    code: Annotated[str, Form()] = "",
    next_: NextForm = "",
) -> Response:
    next_ = safe_next(next_)
    user = _pending_user(request, session)
    if user is None:
        return _start_again(request, next_)
    errors: dict[str, str] = {}
    message, status = None, 422
    if not code.strip():
        errors["code"] = "Enter the 6-digit code from your app, or one of your recovery codes."
    else:
        try:
            method = signin.verify_second_factor(
                session=session, secret=app_secret(request), user=user, code=code,
                client_key=_client_key(request),
            )
        except signin.LoginThrottled as exc:
            message, status = str(exc), 429
        except signin.LoginError as exc:
            errors["code"] = str(exc)
        else:
            # A new token for the full session, so the half-way one is worth nothing.
            signin.end_session(session=session, token=request.cookies[SESSION_COOKIE])
            token = signin.start_session(session=session, user=user, second_factor=method)
            response = RedirectResponse(landing_path(request, next_), status_code=303)
            set_session_cookie(response, request, settings, token, pending=False)
            return response
    context = {"errors": errors, "message": message, "next": next_}
    return _page(request, "auth/second_factor.html", context, htmx, status)


@router.post("/logout", name="logout", dependencies=[Depends(verify_csrf)])
def logout(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentStaff
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        signin.end_session(session=session, token=token, user=user)
    response = RedirectResponse(path_for(request, "home"), status_code=303)
    clear_session_cookie(response, request, settings)
    return response


router.include_router(account.router)
router.include_router(staff_users.router)
