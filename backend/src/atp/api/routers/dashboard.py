"""Routes: `GET /api/dashboard`, everything the dashboard's first paint needs in one response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from atp.api.deps import get_context
from atp.api.schemas_orders import DashboardOut
from atp.api.snapshots import SnapshotCache
from atp.ops.dashboard import dashboard_state
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api", tags=["dashboard"])


@router.get("/dashboard", response_model=DashboardOut)
async def dashboard(
    request: Request, context: Annotated[AppContext, Depends(get_context)]
) -> Response:
    """Global status (PASS/WARN/FAIL with reasons), blockers with their fix, monitor, Telegram,
    switches, today's counts and every watchlist row with its signal state, price and last
    alert. A fixed number of queries whatever the watchlist size; served from a snapshot a few
    seconds old at most (`X-Snapshot-Age-S`; gzip and ETag/304 supported), dropped by any
    change made through the API (atp.api.snapshots)."""

    def build() -> bytes:
        with context.sessions() as session:
            state = dashboard_state(session, context.settings)
        return DashboardOut.model_validate(state).model_dump_json().encode()

    cache: SnapshotCache = request.app.state.snapshots
    # A hit is answered on the event loop (no thread-pool hop); only a rebuild, which reads the
    # database, runs in a thread.
    hit = cache.fresh("dashboard")
    snapshot, age = (
        hit if hit is not None else await run_in_threadpool(cache.get, "dashboard", build)
    )
    # no-cache (not no-store): a polling browser revalidates with If-None-Match and gets a
    # bodiless 304 while nothing changed.
    headers = {
        "Cache-Control": "no-cache",
        "ETag": snapshot.etag,
        "Vary": "Accept-Encoding",
        "X-Snapshot-Age-S": f"{age:.3f}",
    }
    if snapshot.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return Response(snapshot.gzipped, media_type="application/json", headers=headers)
    return Response(snapshot.body, media_type="application/json", headers=headers)
