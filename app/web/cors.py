"""Cross-origin reads of the open data: the API, exports and feeds, and nothing else.

`Access-Control-Allow-Origin: *` on GET and HEAD of those paths, and an answer to their CORS
preflight. No credentials are ever allowed, and the HTML pages (and everything staff use) send
no CORS headers at all.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPEN_PREFIXES = ("/api/v1/",)
OPEN_PATHS = frozenset(
    {
        "/api/v1",
        "/deployments.csv",
        "/deployments.json",
        "/deployments.geojson",
        "/deployments.atom",
    }
)
ALLOW_METHODS = "GET, HEAD, OPTIONS"
EXPOSE_HEADERS = "Content-Disposition, Link, X-Safecity-Query"


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class OpenDataCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = Headers(scope=scope)
        if method == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": ALLOW_METHODS,
                    "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Language",
                    "Access-Control-Max-Age": "86400",
                },
            )
            await preflight(scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = "*"
                response_headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)
