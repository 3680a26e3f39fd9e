"""Seed helpers for the health / config / metrics API tests: each writes the rows a real
component writes (heartbeats, outbox rows, positions, market status), at a chosen age."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.api.app import create_app
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.market.models import MarketDataStatus
from atp.monitor.blockers import EXCHANGE_SYNC_SERVICE
from atp.ops.models import ServiceHeartbeat, TradingSetting
from atp.orders.models import Position
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.integration.monitor_support import seed_world

API_TOKEN = "health-api-test-token-0123456789"
# A token of the shape Telegram issues (id:secret): gating accepts it, nothing is ever sent.
BOT_TOKEN = "123456789:AAHfakeTelegramBotTokenForHealthTests"


def health_settings(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_token": SecretStr(API_TOKEN),
        "market_timeframes": "1h",  # the seeded candles are 1h
        "monitor_instance_id": "health-test",
    }
    values.update(overrides)
    return settings.model_copy(update=values)


def production_telegram(settings: Settings, **overrides: Any) -> Settings:
    """Telegram fully configured (gating says `telegram`); the API never sends anything."""
    return health_settings(
        settings,
        environment="production",
        telegram_bot_token=BOT_TOKEN,
        telegram_chat_id="-100123456",
        **overrides,
    )


@asynccontextmanager
async def api_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    context = AppContext(settings=settings)
    transport = httpx.ASGITransport(app=create_app(context))
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            yield client, context
    finally:
        context.close()


def seed_market(sessions: sessionmaker[Session], symbols: list[str], *, age_h: float = 0) -> None:
    """Watchlist rows with 1h candles whose newest fetch is `age_h` hours old, status OK."""
    at = utcnow() - timedelta(hours=age_h)
    seed_world(sessions, {s: {"preset": "test:buy"} for s in symbols}, now=at)
    with unit_of_work(sessions) as session:
        for symbol in symbols:
            session.add(
                MarketDataStatus(
                    symbol=symbol,
                    status="OK",
                    last_attempt_at=at,
                    last_success_at=at,
                    consecutive_failures=0,
                    updated_at=at,
                )
            )


def sync_beat(
    sessions: sessionmaker[Session], *, age_s: float = 0, auth: str = "ok", error: str = ""
) -> None:
    """The order worker's heartbeat row, as `atp sync` writes it."""
    at = utcnow() - timedelta(seconds=age_s)
    details: dict[str, Any] = {"state": "leading", "broker": "paper", "exchange_auth": auth}
    if error:
        details["exchange_auth_error"] = error
    with unit_of_work(sessions) as session:
        session.add(
            ServiceHeartbeat(
                service=EXCHANGE_SYNC_SERVICE,
                instance_id="sync-test",
                role="leader",
                started_at=at,
                beat_at=at,
                cycle=7,
                last_cycle_ms=12,
                errors=int(auth != "ok"),
                last_error=error or None,
                details=details,
            )
        )


def add_message(
    sessions: sessionmaker[Session], key: str, status: str, *, age_s: float = 0
) -> None:
    at = utcnow() - timedelta(seconds=age_s)
    with unit_of_work(sessions) as session:
        row = TelegramMessage(
            idempotency_key=key,
            kind="ALERT",
            status=status,
            text="BTC_USDT BUY",
            reason_message="Forbidden: bot was blocked by the user" if status == "FAILED" else None,
        )
        row.created_at = row.updated_at = at
        session.add(row)


def add_position(
    sessions: sessionmaker[Session], symbol: str, status: str, *, age_s: float
) -> None:
    with unit_of_work(sessions) as session:
        session.add(
            Position(
                symbol=symbol,
                quantity=Decimal("0.01"),
                avg_entry_price=Decimal("60000"),
                fees_paid=Decimal("0"),
                realised_pnl=Decimal("0"),
                opened_at=utcnow() - timedelta(seconds=age_s),
                protection_status=status,
            )
        )


def set_switch(sessions: sessionmaker[Session], key: str, value: str) -> None:
    with unit_of_work(sessions) as session:
        session.merge(TradingSetting(key=key, value=value, updated_at=utcnow()))
