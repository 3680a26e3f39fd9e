"""The REST API is not open: bearer token on every mutation, origin and content-type checks,
CORS only for the dashboard, and /docs served without a CDN. Real app, real database."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import SecretStr
from sqlalchemy import func, select
from starlette.routing import BaseRoute

from atp.api.app import create_app
from atp.monitor.switches import is_paused
from atp.ops.models import ConfigChange
from atp.runtime.context import AppContext
from atp.settings import Settings

# The checks live in the HTTP layer; one backend is enough (the control tests run both).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

TOKEN = "test-token-" + "x" * 24
FOREIGN = "http://evil.example"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _context(settings: Settings, **update: Any) -> AppContext:
    return AppContext(settings=settings.model_copy(update=update))


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    ctx = _context(settings, api_token=SecretStr(TOKEN))
    yield ctx
    ctx.close()


@pytest.fixture
def app(context: AppContext) -> FastAPI:
    return create_app(context)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8002") as c:
        yield c


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _state(context: AppContext) -> tuple[bool, int]:
    """Everything a control mutation could change: the pause switch and the config trail."""
    with context.sessions() as s:
        return is_paused(s), s.scalar(select(func.count()).select_from(ConfigChange)) or 0


def _api_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # newer FastAPI keeps an included router as one node
            context = getattr(route, "include_context", None)
            yield from _api_routes(inner.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, APIRoute):
            yield prefix, route


def _mutating_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for prefix, route in _api_routes(app.routes):
        found += [(m, prefix + route.path) for m in sorted(route.methods - SAFE_METHODS)]
    return found


async def test_missing_or_wrong_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    before = _state(context)
    for headers in ({}, _auth("wrong"), {"Authorization": f"Basic {TOKEN}"}, _auth("")):
        response = await client.post("/api/control/stop-signal-monitor", headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert _state(context) == before
    assert (await client.get("/api/health")).status_code == 200  # reads stay open
    assert (await client.get("/api/control/status")).status_code == 200
    ok = await client.post("/api/control/stop-signal-monitor", headers=_auth())
    assert ok.status_code == 200 and ok.json()["paused"] is True
    assert _state(context) == (True, before[1] + 1)


async def test_without_a_configured_token_mutations_are_refused(settings: Settings) -> None:
    ctx = _context(settings, api_token=SecretStr(""))
    try:
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            for headers in ({}, _auth(), _auth("")):
                response = await c.post("/api/control/stop-signal-monitor", headers=headers)
                assert response.status_code == 503
                assert "ATP_API_TOKEN is not set" in response.json()["detail"]
            assert (await c.get("/api/control/status")).status_code == 200
        assert _state(ctx) == (False, 0)
    finally:
        ctx.close()


async def test_every_mutating_route_is_guarded(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Walks the routes, plus one added after the app was built: the guard is keyed on the
    method, so a future route cannot forget it."""

    def future_route() -> dict[str, str]:
        return {"changed": "yes"}

    app.add_api_route("/api/future/thing", future_route, methods=["DELETE", "PUT", "PATCH"])
    routes = _mutating_routes(app)
    assert {("POST", "/api/control/stop-signal-monitor"), ("DELETE", "/api/future/thing")} <= set(
        routes
    ), routes
    for method, path in routes:
        no_token = await client.request(method, path)
        assert no_token.status_code == 401, (method, path, no_token.text)
        foreign = await client.request(method, path, headers={**_auth(), "Origin": FOREIGN})
        assert foreign.status_code == 403, (method, path, foreign.text)
    assert (await client.delete("/api/future/thing", headers=_auth())).status_code == 200


async def test_cross_site_form_post_changes_nothing(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    """The reproduced attack: a foreign page posts a text/plain "form" to pause the monitor."""
    before = _state(context)
    for path in ("/api/control/stop-signal-monitor", "/api/control/start-signal-monitor"):
        for headers in ({}, _auth()):
            response = await client.post(
                path,
                content=b'{"x": 1}',
                headers={**headers, "Origin": FOREIGN, "Content-Type": "text/plain"},
            )
            assert response.status_code == 403, response.text
            assert "access-control-allow-origin" not in response.headers
    assert _state(context) == before


async def test_a_body_must_be_json(client: httpx.AsyncClient, context: AppContext) -> None:
    before = _state(context)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = _auth() | ({"Content-Type": content_type} if content_type else {})
        response = await client.post(
            "/api/control/stop-signal-monitor", content=b'{"symbol": "BTC_USDT"}', headers=headers
        )
        assert response.status_code == 415, (content_type, response.text)
    assert _state(context) == before
    json_body = await client.post(
        "/api/control/evaluate-signal",
        json={"symbol": "BTC_USDT"},
        headers=_auth() | {"Content-Type": "application/json; charset=utf-8"},
    )
    assert json_body.status_code == 404  # reached the route: not on the watchlist


async def test_same_origin_page_may_post(client: httpx.AsyncClient, context: AppContext) -> None:
    """Swagger UI at /docs posts with the API's own origin; that is not cross-site."""
    own = {"Origin": "http://127.0.0.1:8002"}
    refused = await client.post("/api/control/stop-signal-monitor", headers=own)
    assert refused.status_code == 401  # same origin is no substitute for the token
    response = await client.post("/api/control/stop-signal-monitor", headers=_auth() | own)
    assert response.status_code == 200
    assert _state(context)[0] is True


async def test_cors_allows_only_the_dashboard_origin(settings: Settings) -> None:
    dashboard = "http://localhost:3000"
    ctx = _context(settings, api_token=SecretStr(TOKEN), dashboard_origin=dashboard)
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    try:
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            ok = await c.options(
                "/api/control/stop-signal-monitor", headers={**preflight, "Origin": dashboard}
            )
            assert ok.status_code == 200
            assert ok.headers["access-control-allow-origin"] == dashboard
            bad = await c.options(
                "/api/control/stop-signal-monitor", headers={**preflight, "Origin": FOREIGN}
            )
            assert bad.headers.get("access-control-allow-origin") is None
            read = await c.get("/api/control/status", headers={"Origin": FOREIGN})
            assert read.headers.get("access-control-allow-origin") is None
            post = await c.post(
                "/api/control/stop-signal-monitor", headers=_auth() | {"Origin": dashboard}
            )
            assert post.status_code == 200
            assert post.headers["access-control-allow-origin"] == dashboard
    finally:
        ctx.close()


async def test_no_dashboard_origin_means_no_cross_origin(client: httpx.AsyncClient) -> None:
    dashboard = {"Origin": "http://localhost:3000"}
    read = await client.get("/api/control/status", headers=dashboard)
    assert read.status_code == 200
    assert read.headers.get("access-control-allow-origin") is None
    post = await client.post("/api/control/stop-signal-monitor", headers=_auth() | dashboard)
    assert post.status_code == 403


async def test_the_token_never_leaks(context: AppContext, caplog: pytest.LogCaptureFixture) -> None:
    settings = context.settings
    assert settings.api_token.get_secret_value() == TOKEN
    caplog.set_level(logging.DEBUG)
    app = create_app(context)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            refused = await c.post("/api/control/stop-signal-monitor", headers=_auth("nope"))
            assert refused.status_code == 401
            bodies = [
                (await c.get("/api/control/status")).text,
                (await c.get("/openapi.json")).text,
                refused.text,
                str(refused.headers),
            ]
    for text in (repr(settings), str(settings), settings.model_dump_json(), caplog.text, *bodies):
        assert TOKEN not in text


async def _start_and_stop(settings: Settings, token: str) -> None:
    ctx = _context(settings, api_token=SecretStr(token))
    try:
        app = create_app(ctx)
        async with app.router.lifespan_context(app):
            pass
    finally:
        ctx.close()


async def test_startup_says_once_how_to_enable_mutations(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await _start_and_stop(settings, "")
    lines = [r.getMessage() for r in caplog.records if "ATP_API_TOKEN" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "mutations disabled" in lines[0] and "secrets/runtime.env" in lines[0]
    caplog.clear()
    await _start_and_stop(settings, TOKEN)
    assert not [r for r in caplog.records if "mutations disabled" in r.getMessage()]


_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_work_offline(client: httpx.AsyncClient, page: str) -> None:
    html = await client.get(page)
    assert html.status_code == 200
    urls = [a or b for a, b in _URL.findall(html.text)]
    assert urls, html.text
    assert "//" not in html.text.replace("http://www.w3.org", ""), "an absolute URL remains"
    for url in urls:
        assert url.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url


async def test_openapi_documents_the_bearer_token(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            protected = operation.get("security") == [{"bearer": []}]
            assert protected == (method.upper() not in SAFE_METHODS), (method, path)


async def test_stored_errors_are_answered_without_sql_or_credentials(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    """Rows written before errors were sanitised at the source still reach the API clean."""
    from atp.db.base import utcnow
    from atp.market.models import MarketDataStatus
    from atp.monitor.heartbeat import Beat, Heartbeat
    from tests.integration.market_support import add_watchlist

    raw = (
        "(psycopg2.OperationalError) connection to postgresql://atp:hunter2@db:5432/atp failed\n"
        "[SQL: UPDATE signal_throttle_state SET last_price=%(p)s]\n[parameters: {'p': '64123.5'}]"
    )
    now = utcnow()
    add_watchlist(context.sessions, ["BTC_USDT"])
    beat = Beat("leader", "running", 1, 1, 5, 1, last_error=raw, details={})
    with context.sessions.begin() as s:
        s.add(MarketDataStatus(symbol="BTC_USDT", status="ERROR", last_error=raw, updated_at=now))
        Heartbeat("legacy", log_every_s=300, interval_s=30).write(s, beat, now)
    market = (await client.get("/api/market/health")).json()["symbols"][0]["last_error"]
    leader = (await client.get("/api/control/status")).json()["leader"]["last_error"]
    for text in (market, leader):
        assert text.startswith("(psycopg2.OperationalError) connection to postgresql://atp:***@")
        assert "hunter2" not in text and "64123.5" not in text and "[SQL" not in text
