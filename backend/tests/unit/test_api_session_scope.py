"""Every route's unit of work commits BEFORE its response is sent.

With FastAPI's default scope for `yield` dependencies the commit ran after the response: the
dashboard, which refetches right after each change, could read the old row (the snapshot was
rebuilt from it and served for seconds), and a failing commit would have followed a 200.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

import atp.api.routers
from atp.api.deps import get_session


def _session_dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        if dependency.call is get_session:
            yield dependency
        yield from _session_dependencies(dependency)


def _routes() -> Iterator[APIRoute]:
    """Every route of every router module (atp.api.routers.*), the ones added later too."""
    for module in pkgutil.iter_modules(atp.api.routers.__path__):
        router = getattr(importlib.import_module(f"atp.api.routers.{module.name}"), "router", None)
        yield from (r for r in getattr(router, "routes", []) if isinstance(r, APIRoute))


def test_every_session_ends_before_the_response_is_sent() -> None:
    routes = list(_routes())
    checked = {
        (route.path, dependency.scope)
        for route in routes
        for dependency in _session_dependencies(route.dependant)
    }
    assert ("/api/watchlist/{symbol}/flags", "function") in checked, checked
    assert {path for path, scope in checked if scope != "function"} == set()
