"""Shared pieces of the read-route tests (orders, messages, dashboard): the real app over the
test database through httpx's ASGI transport, a statement counter, and small row seeders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from atp.alerts.models import TelegramMessage
from atp.api.app import create_app
from atp.market.models import MarketPrice
from atp.runtime.context import AppContext
from atp.settings import Settings

API_TOKEN = "read-routes-test-token-0123456789"
D = Decimal


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    ctx = AppContext(settings=settings.model_copy(update={"api_token": SecretStr(API_TOKEN)}))
    yield ctx
    ctx.close()


@pytest.fixture
async def client(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(context)
    transport = httpx.ASGITransport(app=app)
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=auth) as c:
        c.app_state = app.state  # type: ignore[attr-defined]  # tests reach the snapshots
        yield c


class StatementCounter:
    """Counts the SQL statements an engine executes while active (`before_cursor_execute`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def add_price(session: Session, symbol: str, last: str, *, at: datetime) -> None:
    session.add(
        MarketPrice(symbol=symbol, last=D(last), exchange_ts=at, fetched_at=at, source="test")
    )


def add_message(
    session: Session,
    key: str,
    *,
    at: datetime,
    status: str = "SENT",
    symbol: str | None = "BTC_USDT",
    kind: str = "ALERT",
    reason: str | None = None,
    **fields: Any,
) -> TelegramMessage:
    row = TelegramMessage(
        idempotency_key=f"msg:{key}",
        kind=kind,
        symbol=symbol,
        side="BUY",
        status=status,
        reason_code=reason,
        text=f"<b>{key}</b>",
        created_at=at,
        updated_at=at,
        sent_at=at + timedelta(seconds=1) if status == "SENT" else None,
        **fields,
    )
    session.add(row)
    session.flush()
    return row
