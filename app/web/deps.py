"""Request dependencies as Annotated aliases, so handlers never open sessions or read headers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings


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
