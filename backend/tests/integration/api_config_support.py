"""Shared pieces of the configuration-route tests (watchlist, presets, settings, signals): the
real app over the test database through httpx's ASGI transport, and a snapshot of everything
a refused request must leave unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.api.app import create_app
from atp.market.models import Instrument
from atp.ops.models import ConfigChange, TradingSetting
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.watchlist.models import WatchlistItem

API_TOKEN = "config-routes-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def context(settings: Settings) -> Iterator[AppContext]:
    ctx = AppContext(settings=settings.model_copy(update={"api_token": SecretStr(API_TOKEN)}))
    yield ctx
    ctx.close()


@pytest.fixture
async def client(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """Authorised client; pass `headers={"Authorization": ""}` to send none."""
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=AUTH) as c:
        yield c


@pytest.fixture
async def anonymous(context: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(context))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def snapshot(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Every row a configuration mutation could touch, as plain values."""
    with sessions() as session:
        return {
            "watchlist": [_row(r) for r in session.scalars(select(WatchlistItem))],
            "presets": [_row(r) for r in session.scalars(select(StrategyPreset))],
            "settings": [_row(r) for r in session.scalars(select(TradingSetting))],
            "trail": [_row(r) for r in session.scalars(select(ConfigChange))],
        }


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


def trail(sessions: sessionmaker[Session], entity: str | None = None) -> list[ConfigChange]:
    with sessions() as session:
        stmt = select(ConfigChange).order_by(ConfigChange.id)
        if entity is not None:
            stmt = stmt.where(ConfigChange.entity == entity)
        return list(session.scalars(stmt))


def list_instruments(sessions: sessionmaker[Session], *symbols: str) -> None:
    with sessions.begin() as session:
        for symbol in symbols:
            base, quote = symbol.split("_")
            session.add(
                Instrument(
                    symbol=symbol,
                    inst_type="CCY_PAIR",
                    base_ccy=base,
                    quote_ccy=quote,
                    price_tick_size=Decimal("0.01"),
                    qty_tick_size=Decimal("0.0001"),
                    quote_decimals=2,
                    quantity_decimals=4,
                    tradable=True,
                    margin_buy_enabled=False,
                    margin_sell_enabled=False,
                    fetched_at=datetime(2030, 1, 1, tzinfo=UTC),
                )
            )


async def collect_pages(
    client: httpx.AsyncClient, path: str, *, limit: int, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of a list route, following `next_cursor`."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"
