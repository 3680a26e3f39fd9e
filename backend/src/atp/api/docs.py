"""`/docs` (Swagger UI) and `/redoc` that work offline.

FastAPI's defaults load their JavaScript and CSS from a CDN, so the docs are blank on a host
without internet access. The same assets ship inside the `fastapi-offline` wheel (a declared
dependency); they are served from the installed package at `/docs-assets`, nothing is copied
into this repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"
# Swagger UI would otherwise fetch a validation badge from validator.swagger.io.
_SWAGGER_PARAMETERS = {"validatorUrl": None, "persistAuthorization": False}


def docs_assets_dir() -> Path:
    return Path(str(files("fastapi_offline").joinpath("static")))


def install_offline_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets locally. The app must be built with
    `docs_url=None, redoc_url=None` so FastAPI's CDN pages are not registered."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    app.mount(ASSETS_URL, StaticFiles(directory=docs_assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=oauth2_redirect_url,
            swagger_ui_parameters=_SWAGGER_PARAMETERS,
        )

    @app.get(oauth2_redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API reference",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
