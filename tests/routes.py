"""Every route an app answers, as it serves them (included routers walked by FastAPI's own
iter_route_contexts), for tests that must cover them all: an authorization matrix, CSRF on
every state-changing route, routes that must not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RouteInfo:
    path: str
    name: str
    methods: frozenset[str]


def app_routes(app: Any) -> list[RouteInfo]:
    found = [
        RouteInfo(str(route.path), str(route.name), frozenset(route.methods))
        for route in iter_route_contexts(app.routes)
        if route.methods  # mounts (static files) have none
    ]
    assert len(found) > 20, "route discovery found almost nothing: has FastAPI changed?"
    return found
