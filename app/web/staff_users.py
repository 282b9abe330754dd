"""Administration of staff accounts (/staff/users) and the audit log (/staff/audit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from starlette.responses import RedirectResponse, Response

from app.models import User
from app.security import verify_csrf
from app.services import accounts, audit
from app.web.deps import AdminDep, Htmx, HtmxDep, SessionDep
from app.web.templating import path_for, render, with_query

router = APIRouter(include_in_schema=False)
post_router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
AUDIT_PAGE_SIZE = 50

NOTICES = {
    "added": "The account is added. Tell its owner the password by a channel you trust; "
             "they should change it on their account page.",
    "enabled": "The account is enabled.",
    "disabled": "The account is disabled and signed out everywhere.",
    "role": "The role is changed.",
    "reset": "The password is replaced, two-factor sign-in is off, and the account is signed "
             "out everywhere.",
}


def _users_page(
    request: Request, session: SessionDep, admin: User, htmx: Htmx, *,
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    row_errors: dict[int, str] | None = None, notice: str = "", status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "users": accounts.list_users(session=session),
        "admin": admin,
        "roles": accounts.ROLES,
        "form": form or {"email": "", "display_name": "", "role": "moderator"},
        "errors": errors or {},
        "row_errors": row_errors or {},
        "notice": NOTICES.get(notice),
    }
    return render(
        request, "staff/users.html", context, htmx=htmx, status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _done(request: Request, notice: str, user_id: int | None = None) -> Response:
    target = with_query(path_for(request, "staff_users"), {"done": notice})
    anchor = f"#user-{user_id}" if user_id is not None else ""
    return RedirectResponse(target + anchor, status_code=303)


def _user(session: SessionDep, user_id: int) -> User:
    user = accounts.get_user(session=session, user_id=user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="There is no account with this number.")
    return user


@router.get("/staff/users", name="staff_users")
def users(
    request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep,
    done: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _users_page(request, session, admin, htmx, notice=done)


@post_router.post("/staff/users", name="add_user")
def add_user(
    request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep,
    email: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "moderator",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = accounts.create_user(
            session=session, email=email, display_name=display_name, password=password,
            role=role, actor=admin,
        )
    except accounts.AccountError as exc:
        form = {"email": email, "display_name": display_name, "role": role}
        return _users_page(
            request, session, admin, htmx, form=form, errors=exc.errors, status=422
        )
    return _done(request, "added", user.id)


def _row_change(
    request: Request, session: SessionDep, admin: User, htmx: Htmx, user: User,
    notice: str, change: Callable[[], None],
) -> Response:
    try:
        change()
    except accounts.AccountError as exc:
        assert user.id is not None
        row_errors = {user.id: " ".join(exc.errors.values())}
        return _users_page(request, session, admin, htmx, row_errors=row_errors, status=422)
    return _done(request, notice, user.id)


@post_router.post("/staff/users/{user_id}/active", name="set_user_active")
def set_active(
    request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep, user_id: int,
    active: Annotated[bool, Form()] = False,
) -> Response:
    user = _user(session, user_id)
    return _row_change(
        request, session, admin, htmx, user, "enabled" if active else "disabled",
        lambda: accounts.set_active(session=session, actor=admin, user=user, active=active),
    )


@post_router.post("/staff/users/{user_id}/role", name="set_user_role")
def set_role(
    request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep, user_id: int,
    role: Annotated[str, Form()] = "",
) -> Response:
    user = _user(session, user_id)
    return _row_change(
        request, session, admin, htmx, user, "role",
        lambda: accounts.set_role(session=session, actor=admin, user=user, role=role),
    )


@post_router.post("/staff/users/{user_id}/reset", name="reset_user")
def reset_user(
    request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep, user_id: int,
    password: Annotated[str, Form()] = "",
) -> Response:
    user = _user(session, user_id)
    return _row_change(
        request, session, admin, htmx, user, "reset",
        lambda: accounts.reset_credentials(
            session=session, actor=admin, user=user, password=password
        ),
    )


@router.get("/staff/audit", name="staff_audit")
def audit_log(
    request: Request, session: SessionDep, admin: AdminDep, htmx: HtmxDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    result = audit.list_entries(session=session, page=page, per_page=AUDIT_PAGE_SIZE)
    return render(
        request, "staff/audit.html", {"result": result}, htmx=htmx, fragment="audit_log"
    )


router.include_router(post_router)
