"""The dashboard's static export served by the API at / (atp.api.site): pages with clean URLs,
a build hint before it is built, and API paths that never fall through to HTML."""

from __future__ import annotations

from pathlib import Path

import httpx

from atp.api.app import create_app
from atp.runtime.context import AppContext
from atp.settings import Settings


def _client(directory: Path) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, dashboard_dir=directory)
    app = create_app(AppContext(settings=settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_not_built_root_explains_how_to_build(tmp_path: Path) -> None:
    async with _client(tmp_path / "missing") as client:
        root = await client.get("/")
        other = await client.get("/watchlist/")
        health = await client.get("/api/health")
    assert root.status_code == 200 and "make frontend-build" in root.text
    assert "DASHBOARD_DIR" in root.text
    assert other.status_code == 404 and "make frontend-build" in other.text
    assert health.json()["status"] == "ok"


async def test_built_export_is_served_with_clean_urls(tmp_path: Path) -> None:
    (tmp_path / "watchlist").mkdir()
    (tmp_path / "index.html").write_text("<p>overview</p>")
    (tmp_path / "watchlist" / "index.html").write_text("<p>watchlist</p>")
    (tmp_path / "404.html").write_text("<p>no such page</p>")
    async with _client(tmp_path) as client:
        root = await client.get("/")
        page = await client.get("/watchlist/")
        bare = await client.get("/watchlist", follow_redirects=True)
        missing = await client.get("/nope")
    assert root.status_code == 200 and "overview" in root.text
    assert page.status_code == 200 and "watchlist" in page.text
    assert bare.status_code == 200 and "watchlist" in bare.text
    assert missing.status_code == 404 and "no such page" in missing.text


async def test_unknown_api_paths_stay_json_404(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>overview</p>")
    async with _client(tmp_path) as client:
        for path in ("/api/nope", "/api", "/metrics/x", "/docs/nope"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json() == {"detail": "Not Found"}, path
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200


def test_dashboard_dir_defaults_to_the_checkouts_export() -> None:
    assert Settings(_env_file=None).effective_dashboard_dir.parts[-2:] == ("frontend", "out")
    assert Settings(_env_file=None, dashboard_dir="").dashboard_dir is None
