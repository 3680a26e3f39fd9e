"""The FastAPI app factory. Routes are thin: parse, open a unit of work, call a service.

Access rules (token on every mutation, origin and content-type checks, CORS for the dashboard
only) live in `atp.api.security` and wrap the whole app, not single routes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from atp import __version__
from atp.api.docs import install_offline_docs
from atp.api.metrics import install_metrics
from atp.api.routers import (
    audit,
    control,
    dashboard,
    health,
    market,
    messages,
    orders,
    presets,
    signals,
    symbol_detail,
    system,
    trading,
    watchlist,
)
from atp.api.security import TOKEN_NOT_SET, MutationGuard, document_bearer_auth
from atp.api.site import DashboardSite
from atp.api.snapshots import InvalidateOnMutation, SnapshotCache
from atp.runtime.context import AppContext
from atp.settings import Settings

log = logging.getLogger(__name__)


def create_app(context: AppContext | None = None) -> FastAPI:
    """Build the app. A context passed in is owned by the caller; one created here is closed here."""
    owned = context is None
    ctx = context if context is not None else AppContext()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not ctx.settings.api_token.get_secret_value():
            log.warning(
                "[API] %s: reads work, POST routes answer 503; to enable them put "
                "ATP_API_TOKEN=<16+ random characters> in secrets/runtime.env and restart",
                TOKEN_NOT_SET,
            )
        try:
            yield
        finally:
            if owned:
                ctx.close()

    app = FastAPI(
        title="atp", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.context = ctx
    app.state.snapshots = SnapshotCache()
    app.include_router(health.router)
    app.include_router(control.router)
    app.include_router(market.router)
    for area in (system, watchlist, presets, trading, signals, orders, messages, audit, dashboard):
        app.include_router(area.router)
    app.include_router(symbol_detail.router)  # symbol page: markers, why, throttle; fills
    install_offline_docs(app)
    install_metrics(app)  # request latency + GET /metrics (atp.api.metrics)
    # The dashboard's static export answers what no route matches, routes added later included
    # (the router's fallback rather than a mount at /, which would shadow them): atp.api.site
    app.router.default = DashboardSite(ctx.settings.effective_dashboard_dir)
    _install_access_rules(app, ctx.settings)
    return app


def _install_access_rules(app: FastAPI, settings: Settings) -> None:
    origins = settings.dashboard_origin_list
    app.add_middleware(InvalidateOnMutation, cache=app.state.snapshots)
    app.add_middleware(
        MutationGuard, token=settings.api_token.get_secret_value(), allowed_origins=origins
    )
    if origins:  # added last = outermost: refusals from the guard carry CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    document_bearer_auth(app)
