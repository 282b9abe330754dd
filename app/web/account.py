"""A staff member's own account: password, two-factor sign-in (TOTP with a QR code drawn on
our server) and recovery codes, which are shown once and then only their hashes are kept."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from app.models import User
from app.security import verify_csrf
from app.services import accounts, totp
from app.web.deps import Htmx, HtmxDep, SessionDep, StaffDep
from app.web.templating import path_for, render, with_query

router = APIRouter(include_in_schema=False)
post_router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
NO_STORE = {"Cache-Control": "no-store"}
Password = Annotated[str, Form()]  # length rules live in the service, with their messages

# What the account page says after a change (the redirect carries only the key).
NOTICES = {
    "password": "Your password is changed.",
    "two-factor-off": "Two-factor sign-in is off. You can set it up again at any time.",
}


def _account_page(
    request: Request, session: SessionDep, user: User, htmx: Htmx, *,
    errors: dict[str, str] | None = None, notice: str | None = None, status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "errors": errors or {},
        "notice": NOTICES.get(notice or ""),
        "codes_left": accounts.recovery_codes_left(session=session, user=user),
    }
    return render(
        request, "auth/account.html", context, htmx=htmx, status_code=status, headers=NO_STORE
    )


def _codes_page(request: Request, codes: list[str], htmx: Htmx, *, new: bool) -> Response:
    # Shown in the POST's own answer rather than after a redirect: the codes exist only here.
    context = {"codes": codes, "new": new}
    return render(request, "auth/recovery_codes.html", context, htmx=htmx, headers=NO_STORE)


@router.get("/account", name="account")
def account(
    request: Request, session: SessionDep, user: StaffDep, htmx: HtmxDep,
    done: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _account_page(request, session, user, htmx, notice=done)


@post_router.post("/account/password", name="change_password")
def change_password(
    request: Request, session: SessionDep, user: StaffDep, htmx: HtmxDep,
    current_password: Password = "", new_password: Password = "", repeat_password: Password = "",
) -> Response:
    try:
        accounts.change_password(
            session=session, user=user, current=current_password, new=new_password,
            repeat=repeat_password,
        )
    except accounts.AccountError as exc:
        return _account_page(request, session, user, htmx, errors=exc.errors, status=422)
    target = with_query(path_for(request, "account"), {"done": "password"})
    return RedirectResponse(target, status_code=303)


def _setup_page(
    request: Request, user: User, htmx: Htmx, secret: str, *,
    errors: dict[str, str] | None = None, status: int = 200,
) -> Response:
    uri = totp.provisioning_uri(secret, account=user.email)
    context = {
        "secret": secret,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "qr_code": totp.qr_code_data_uri(uri),
        "errors": errors or {},
    }
    return render(
        request, "auth/two_factor_setup.html", context, htmx=htmx, status_code=status,
        headers=NO_STORE,
    )


@router.get("/account/two-factor", name="two_factor_setup")
def two_factor_setup(request: Request, user: StaffDep, htmx: HtmxDep) -> Response:
    if user.totp_secret:
        return RedirectResponse(path_for(request, "account"), status_code=303)
    # A fresh secret on every visit; it is kept only once a code from the app confirms it.
    return _setup_page(request, user, htmx, totp.generate_secret())


@post_router.post("/account/two-factor")
def two_factor_confirm(
    request: Request, session: SessionDep, user: StaffDep, htmx: HtmxDep,
    secret: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    if user.totp_secret:
        return RedirectResponse(path_for(request, "account"), status_code=303)
    try:
        codes = accounts.enable_totp(
            session=session, user=user, secret=secret, code=code, at=time.time()
        )
    except accounts.AccountError as exc:
        try:
            totp.decode_secret(secret)
        except ValueError:
            secret = totp.generate_secret()  # a mangled form: start with a new secret
        return _setup_page(request, user, htmx, secret, errors=exc.errors, status=422)
    return _codes_page(request, codes, htmx, new=False)


@post_router.post("/account/two-factor/off", name="two_factor_off")
def two_factor_off(
    request: Request, session: SessionDep, user: StaffDep, htmx: HtmxDep,
    off_password: Password = "",
) -> Response:
    try:
        accounts.disable_totp(session=session, user=user, password=off_password)
    except accounts.AccountError as exc:
        errors = {"off_password": exc.errors["password"]}
        return _account_page(request, session, user, htmx, errors=errors, status=422)
    target = with_query(path_for(request, "account"), {"done": "two-factor-off"})
    return RedirectResponse(target, status_code=303)


@post_router.post("/account/recovery-codes", name="new_recovery_codes")
def new_recovery_codes(
    request: Request, session: SessionDep, user: StaffDep, htmx: HtmxDep,
    codes_password: Password = "",
) -> Response:
    try:
        codes = accounts.regenerate_recovery_codes(
            session=session, user=user, password=codes_password
        )
    except accounts.AccountError as exc:
        errors = {"codes_password": exc.errors["password"]}
        return _account_page(request, session, user, htmx, errors=errors, status=422)
    return _codes_page(request, codes, htmx, new=True)


router.include_router(post_router)
