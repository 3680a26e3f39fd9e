"""Request dependencies: the app context and a session in one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from atp.db.session import unit_of_work
from atp.runtime.context import AppContext


async def get_context(request: Request) -> AppContext:
    """Async on purpose: a sync dependency costs a thread-pool hop on every request."""
    return _context_of(request)


def _context_of(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_session(request: Request) -> Iterator[Session]:
    """Commit when the route returns normally, roll back on any error."""
    with unit_of_work(_context_of(request).sessions) as session:
        yield session
