"""The application factory: routers, static files, error pages, security headers. Nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import search_index
from app.config import Settings, get_settings
from app.db import create_db_engine
from app.security import SecurityHeadersMiddleware
from app.web import auth, browse, catalog, history, moderation, overview, pages, staff_edit, submit
from app.web.api import router as api_router
from app.web.api_docs import router as api_docs_router
from app.web.cors import OpenDataCorsMiddleware
from app.web.errors import install_error_pages
from app.web.exports import router as exports_router
from app.web.housekeeping import purging
from app.web.staff_import import router as import_router

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_engine = engine is None
    db_engine = engine or create_db_engine(settings.resolved_database_url)
    search_index.install()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with purging(db_engine):
            yield
        if owns_engine:  # an engine handed in belongs to the caller
            db_engine.dispose()

    # No interactive docs by default: they would load scripts from another origin.
    app = FastAPI(
        title="Safe City Watch", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.engine = db_engine
    app.add_middleware(OpenDataCorsMiddleware)  # inside, so its answers get the headers too
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.trusted_proxies:
        # Outermost: everything inside sees the visitor's address and scheme. Uvicorn's own
        # middleware takes the rightmost address in X-Forwarded-For that is not a trusted
        # proxy, so a visitor cannot choose their own address by sending the header.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (pages.router, catalog.router, browse.router, overview.router, submit.router):
        app.include_router(router)
    app.include_router(auth.router)  # staff sign-in, accounts, user admin
    for router in (moderation.router, staff_edit.router, history.router):  # review, edits, history
        app.include_router(router)
    app.include_router(import_router)  # admins: CSV imports with a dry run
    for router in (api_router, api_docs_router, exports_router):  # open data: API, downloads
        app.include_router(router)
    install_error_pages(app)
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory app.main:app_factory`."""
    return create_app(get_settings())
