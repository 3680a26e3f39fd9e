"""Who may change state through the REST API, enforced once for every route by HTTP method.

Every request whose method is not GET/HEAD/OPTIONS passes, in order:
1. Origin: a browser sends `Origin` on cross-site requests; one that is neither the API's own
   origin nor a configured DASHBOARD_ORIGIN is refused (403). This stops cross-site "simple"
   requests (text/plain form posts) that need no CORS preflight.
2. Token: `Authorization: Bearer <ATP_API_TOKEN>`, compared in constant time. No configured
   token means mutations are disabled (503), never allowed; a missing or wrong one is 401.
3. Body: a request that carries a body must say `application/json` (415).

Keyed on the method rather than attached to each route, so a route added later cannot forget
it. Reads stay open (health, status, market health, /docs).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_NOT_SET = "mutations disabled: ATP_API_TOKEN is not set"  # noqa: S105 (a message)
BEARER_SCHEME = "bearer"  # name of the OpenAPI security scheme


class MutationGuard:
    """Pure ASGI middleware: refuses state-changing requests that fail the rules above."""

    def __init__(self, app: ASGIApp, *, token: str, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self._token = token.encode() if token else None
        self._origins = frozenset(o.lower() for o in allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            refusal = self.refusal(Headers(scope=scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, headers: Headers) -> JSONResponse | None:
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, headers.get("host", "")):
            return _refuse(403, "cross-origin request refused: origin not allowed")
        if self._token is None:
            return _refuse(
                503, f"{TOKEN_NOT_SET} (set it in secrets/runtime.env and restart; reads work)"
            )
        if not self._token_matches(headers.get("authorization", "")):
            return _refuse(
                401, "missing or invalid bearer token", {"WWW-Authenticate": 'Bearer realm="atp"'}
            )
        if _has_body(headers) and not _is_json(headers.get("content-type", "")):
            return _refuse(415, "a request body must be sent as application/json")
        return None

    def _origin_allowed(self, origin: str, host: str) -> bool:
        if origin.lower() in self._origins:
            return True
        # The API's own pages (Swagger UI at /docs) post with the API's origin: not cross-site.
        return bool(host) and urlsplit(origin).netloc.lower() == host.lower()

    def _token_matches(self, authorization: str) -> bool:
        assert self._token is not None
        scheme, _, supplied = authorization.partition(" ")
        candidate = supplied.strip().encode("latin-1", errors="replace")
        matches = hmac.compare_digest(candidate, self._token)  # constant time, always run
        return matches and scheme.lower() == "bearer"


def _refuse(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length", "").strip()
    return "transfer-encoding" in headers or (bool(length) and length != "0")


def _is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def document_bearer_auth(app: FastAPI) -> None:
    """Declare the token in the OpenAPI document for every mutating operation, so Swagger UI
    offers "Authorize" and clients see which routes need it (the guard enforces it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[BEARER_SCHEME] = {"type": "http", "scheme": "bearer"}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method.upper() not in SAFE_METHODS:
                    operation["security"] = [{BEARER_SCHEME: []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
