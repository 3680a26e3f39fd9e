"""The dashboard: its static export (`frontend/out`) served at `/` by the API itself.

One process and one origin for API and pages: no CORS, no second server, and the token check
(atp.api.security) sees the dashboard's own origin. The export is looked up on every request,
so building it (`make frontend-build`) while the API runs is enough; until then `/` explains
how to build it instead of answering 404.

Installed as the router's fallback: every API route (/api, /docs, /metrics, /health), even one
added later, matches first. An unknown path under /api stays a JSON 404, never HTML.
"""

from __future__ import annotations

import html
from pathlib import Path

from starlette.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

API_PREFIXES = ("/api/", "/docs/", "/redoc/", "/metrics/", "/health/")

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>atp: dashboard not built</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The dashboard is not built yet</h1>
<p>The API is running: see <a href="/docs">/docs</a> and <a href="/api/health">/api/health</a>.</p>
<p>Build the dashboard once with <code>make frontend-build</code> in the repository
(<code>make run</code> does it for you), then reload this page.
It is looked for in <code>{directory}</code> (setting <code>DASHBOARD_DIR</code>).</p>
</body></html>
"""


class DashboardSite:
    """ASGI app for the dashboard's files: clean URLs (`/watchlist` -> `watchlist/index.html`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # check_dir=False: the export may appear after the API started.
        self._files = StaticFiles(directory=directory, html=True, check_dir=False)

    def built(self) -> bool:
        return (self.directory / "index.html").is_file()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "/")
        if scope["type"] == "http" and f"{path.rstrip('/')}/".startswith(API_PREFIXES):
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
        elif not self.built():
            page = NOT_BUILT_PAGE.format(directory=html.escape(str(self.directory)))
            status = 200 if path == "/" else 404
            await HTMLResponse(page, status_code=status)(scope, receive, send)
        else:
            await self._files(scope, receive, send)
