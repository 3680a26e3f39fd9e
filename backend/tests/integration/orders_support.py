"""Shared helpers for the order-flow tests: intents, switches, a runtime over a broker."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.throttle_state import client_oid_for
from atp.ops.models import TradingSetting
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.orders.ports import Broker
from atp.orders.runtime import OrderRuntime
from atp.settings import Settings


async def no_sleep(_: float) -> None:
    return None


def order_settings(settings: Settings, **overrides: Any) -> Settings:
    values = {
        "orders_confirm_polls": 3,
        "orders_confirm_delay_seconds": 0,
        "orders_lookup_grace_seconds": 30,
        **overrides,
    }
    return settings.model_copy(update=values)


def runtime(sessions: sessionmaker[Session], broker: Broker, settings: Settings) -> OrderRuntime:
    return OrderRuntime(sessions, broker, order_settings(settings), sleep=no_sleep)


def set_switch(sessions: sessionmaker[Session], key: str, value: str) -> None:
    with unit_of_work(sessions) as session:
        row = session.get(TradingSetting, key)
        if row is None:
            session.add(TradingSetting(key=key, value=value, updated_at=utcnow()))
        else:
            row.value = value


def make_intent(
    sessions: sessionmaker[Session],
    key: str = "k1",
    *,
    symbol: str = "ETH_USDT",
    amount: Decimal = Decimal("50"),
    reference: Decimal = Decimal("2000"),
    sl: Decimal | None = Decimal("1940"),
    tp: Decimal | None = Decimal("2090"),
    created_at: datetime | None = None,
    live: bool = True,
) -> int:
    if live:
        set_switch(sessions, "LIVE_TRADING", "true")
    with unit_of_work(sessions) as session:
        intent = OrderIntent(
            idempotency_key=f"intent:{key}",
            client_oid=client_oid_for(f"intent:{key}"),
            symbol=symbol,
            side="BUY",
            status="PENDING",
            amount_usd=amount,
            reference_price=reference,
            sl_price=sl,
            tp_price=tp,
            strategy_key="swing",
        )
        if created_at is not None:
            intent.created_at = created_at
        session.add(intent)
        session.flush()
        return intent.id


def intent_row(sessions: sessionmaker[Session], intent_id: int) -> OrderIntent:
    with sessions() as session:
        intent = session.get_one(OrderIntent, intent_id)
        session.expunge(intent)
        return intent


def orders_of(sessions: sessionmaker[Session], intent_id: int) -> dict[str, ExchangeOrder]:
    """The intent's mirror rows by role (the latest row per role)."""
    with sessions() as session:
        rows = session.scalars(
            select(ExchangeOrder)
            .where(ExchangeOrder.intent_id == intent_id)
            .order_by(ExchangeOrder.id)
        ).all()
        for row in rows:
            session.expunge(row)
    return {row.order_role or "": row for row in rows}


def critical_messages(sessions: sessionmaker[Session]) -> list[TelegramMessage]:
    with sessions() as session:
        rows = session.scalars(
            select(TelegramMessage).where(TelegramMessage.kind == "PROTECTION_FAILED")
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def run(coro: Awaitable[Any]) -> Any:
    import asyncio

    async def main() -> Any:
        return await coro

    return asyncio.run(main())
