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
    """Commit when the route returns normally, roll back on any error.

    Declare it as `Depends(get_session, scope="function")`: the commit then happens before the
    response is sent. With FastAPI's default scope for `yield` dependencies ("request") it runs
    after: a client could read its own change back before it is committed (the dashboard
    refetches right after each change), and a failing commit would follow a 200.
    """
    with unit_of_work(_context_of(request).sessions) as session:
        yield session
