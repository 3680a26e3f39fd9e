"""The dashboard's typed API client is generated from a committed copy of the OpenAPI document
(frontend/src/lib/api/openapi.json). A route or schema change without regenerating it would
leave the dashboard compiling against an API that no longer exists."""

from __future__ import annotations

import json
from pathlib import Path

from atp.api.app import create_app
from atp.runtime.context import AppContext
from atp.settings import Settings

COMMITTED = (
    Path(__file__).resolve().parents[3] / "frontend" / "src" / "lib" / "api" / "openapi.json"
)


def test_committed_openapi_document_matches_the_app() -> None:
    current = create_app(AppContext(settings=Settings(_env_file=None))).openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    changed = _differing(current["paths"], committed["paths"]) + _differing(
        current["components"]["schemas"], committed.get("components", {}).get("schemas", {})
    )
    assert committed == current, (
        "frontend/src/lib/api/openapi.json is out of date with the API "
        f"(differs in: {', '.join(changed) or 'the top level'}): run `make frontend-api` "
        "and commit openapi.json and schema.d.ts"
    )


def _differing(current: dict[str, object], committed: dict[str, object]) -> list[str]:
    return sorted(k for k in set(current) | set(committed) if current.get(k) != committed.get(k))
