"""Request dependencies as Annotated aliases, so handlers never open sessions or read headers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from app.config import Settings
from app.models import User
from app.security import SESSION_COOKIE
from app.services.accounts import ROLES as STAFF_ROLES
from app.services.queue import waiting_count
from app.services.signin import signed_in_user


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@dataclass(frozen=True, slots=True)
class Htmx:
    """What htmx told us about a request; `partial` is the one question handlers ask."""

    request: bool
    history_restore: bool
    target: str | None

    @property
    def partial(self) -> bool:
        # A history restore needs the whole page, even though htmx sent it.
        return self.request and not self.history_restore


def htmx_details(request: Request) -> Htmx:
    headers = request.headers
    return Htmx(
        request=headers.get("HX-Request") == "true",
        history_restore=headers.get("HX-History-Restore-Request") == "true",
        target=headers.get("HX-Target") or None,
    )


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HtmxDep = Annotated[Htmx, Depends(htmx_details)]


# --- Staff ---------------------------------------------------------------------------------


def current_staff(request: Request, session: SessionDep) -> User | None:
    """The signed-in staff member, or None (no cookie, ended or expired session, disabled
    account, or a login still waiting for its second factor)."""
    token = request.cookies.get(SESSION_COOKIE)
    user = signed_in_user(session=session, token=token) if token else None
    request.state.staff = user  # for the staff navigation in base.html
    if user is not None:  # the waiting count beside the queue link in the staff navigation
        request.state.moderation_waiting = waiting_count(session=session)
    return user


CurrentStaff = Annotated[User | None, Depends(current_staff)]


def login_path(request: Request) -> str:
    """/login?next=<this page>, for sending someone to sign in and back."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{root}{request.app.url_path_for('login')}?{urlencode({'next': here})}"


def require_staff(request: Request, user: CurrentStaff) -> User:
    """A moderator or an admin. Anyone else is sent to sign in: a 303 to the login page (for
    htmx, HX-Redirect so the whole page goes there), or a 401 problem under /api/."""
    if user is not None and user.role in STAFF_ROLES:
        return user
    if request.url.path.startswith("/api/"):
        raise HTTPException(status_code=401, detail="Sign in to use this.")
    target = login_path(request)
    detail = "Sign in to see this page."
    if htmx_details(request).request:
        raise HTTPException(status_code=401, detail=detail, headers={"HX-Redirect": target})
    raise HTTPException(status_code=303, detail=detail, headers={"Location": target})


StaffDep = Annotated[User, Depends(require_staff)]


def require_admin(user: StaffDep) -> User:
    if user.role != "admin":
        raise HTTPException(
            status_code=403,
            detail="Only administrators may open this page. Ask one if you need something here.",
        )
    return user


AdminDep = Annotated[User, Depends(require_admin)]
