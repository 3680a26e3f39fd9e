"""The FastAPI app factory. Routes are thin: parse, open a unit of work, call a service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from atp import __version__
from atp.api.routers import control, health, market
from atp.runtime.context import AppContext


def create_app(context: AppContext | None = None) -> FastAPI:
    """Build the app. A context passed in is owned by the caller; one created here is closed here."""
    owned = context is None
    ctx = context if context is not None else AppContext()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                ctx.close()

    app = FastAPI(title="atp", version=__version__, lifespan=lifespan)
    app.state.context = ctx
    app.include_router(health.router)
    app.include_router(control.router)
    app.include_router(market.router)
    return app
