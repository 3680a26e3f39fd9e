"""Response models for orders, positions, balances, Telegram messages and the dashboard.

Money and quantities are `Decimal` on the way in and plain decimal text on the wire
(`"2000"`, never `"2E+3"` or a float), so no digit is lost and the OpenAPI type is `string`.
Models read the service dataclasses directly (`from_attributes`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from atp.api.pagination import Page
from atp.orders.views import plain

Money = Annotated[
    Decimal,
    PlainSerializer(plain, return_type=str, when_used="json"),
    Field(description='decimal as text, e.g. "1234.5"'),
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- orders and positions --------------------------------------------------------------------


class OrderOut(_Out):
    id: int = Field(description="our row id (the history cursor)")
    exchange_order_id: str
    client_oid: str | None
    symbol: str
    side: str
    role: str | None = Field(description="ENTRY / STOP_LOSS / TAKE_PROFIT / FLATTEN; null: foreign")
    order_type: str
    status: str
    quantity: Money
    filled_quantity: Money | None
    limit_price: Money | None
    trigger_price: Money | None
    avg_price: Money | None
    list_id: str | None = Field(description="both legs of one OCO share it")
    intent_id: int | None
    intent_status: str | None
    reject_reason: str | None
    created_at: datetime


class IntentOut(_Out):
    id: int
    symbol: str
    side: str
    status: str
    amount_usd: Money | None
    filled_quantity: Money | None
    avg_fill_price: Money | None
    sl_price: Money | None = Field(description="the placed stop once confirmed, else planned")
    tp_price: Money | None
    protection_mode: str | None
    reason: str | None
    created_at: datetime
    updated_at: datetime


OrderPage = Page[OrderOut]


class OpenOrdersPage(Page[OrderOut]):
    intents: list[IntentOut] = Field(
        description="every order intent in flight or holding a position (not paged: bounded "
        "by the order limits)"
    )


class PositionOut(_Out):
    id: int = Field(description="positions row id (the cursor)")
    symbol: str
    quantity: Money = Field(description="signed: negative is short")
    avg_entry_price: Money
    mark: Money | None = Field(description="last price; null when there is no price yet")
    mark_age_s: float | None
    unrealised_pnl: Money | None = Field(description="(mark - average entry) x quantity")
    realised_pnl: Money = Field(description="this round trip, net of valued fees")
    fees_paid: Money
    protection_status: str = Field(description="covered / naked / flattening")
    stop_prices: list[Money]
    stop_quantity: Money
    opened_at: datetime | None


PositionPage = Page[PositionOut]


class ProtectionOut(_Out):
    id: int = Field(description="positions row id (the cursor)")
    symbol: str
    quantity: Money
    status: str = Field(description="covered / naked / flattening")
    naked_overdue: bool = Field(description="naked longer than a fill-to-protection round")
    stop_prices: list[Money]
    stop_quantity: Money
    take_profit_prices: list[Money]
    take_profit_quantity: Money
    opened_at: datetime | None


ProtectionPage = Page[ProtectionOut]


class BalanceOut(_Out):
    currency: str
    total: Money
    reserved: Money = Field(description="held back by open orders")
    free: Money
    updated_at: datetime | None = Field(description="null: the paper start balance, untouched")


class BalancesOut(_Out):
    source: str = Field(description="paper | live")
    available: bool
    detail: str | None = Field(description="why the balances are not available")
    balances: list[BalanceOut]


# --- Telegram messages -----------------------------------------------------------------------


class MessageOut(_Out):
    id: int
    kind: str
    symbol: str | None
    side: str | None
    status: str
    reason_code: str | None
    reason_message: str | None
    text: str
    correlation_id: str | None
    attempts: int
    channel: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


MessagePage = Page[MessageOut]


# --- dashboard -------------------------------------------------------------------------------


class BlockerOut(_Out):
    code: str
    message: str
    blocks: str | None = Field(description="alert (no alert, no order) / trade (no order) / null")
    since: str | None
    fix: str


class MonitorOut(_Out):
    state: str
    running: bool
    paused: bool
    heartbeat_age_s: float | None
    last_cycle_age_s: float | None
    leader: str | None = Field(description="instance id of the freshest leader heartbeat")
    leader_alive: bool


class TelegramOut(_Out):
    notifier: str = Field(description="telegram / console / blocked")
    alerts_delivered: bool
    reasons: list[str]


class CountsOut(_Out):
    alerts_today: dict[str, int] = Field(description="ALERT messages created today, by status")
    orders_today: dict[str, int] = Field(description="order intents created today, by status")
    open_positions: int
    naked: list[str]
    naked_overdue: list[str]
    flattening: list[str]


class WatchlistRowOut(_Out):
    symbol: str
    price: Money | None
    price_age_s: float | None
    signal_side: str | None = Field(description="BUY / SELL / NONE; null: never evaluated")
    evaluated_at: datetime | None
    rsi: float | None
    ema10: float | None
    ma50: float | None
    ma200: float | None
    volume_ratio: float | None
    preset: str | None
    strategy_key: str | None
    alert_enabled: bool
    buy_alert_enabled: bool
    sell_alert_enabled: bool
    trade_enabled: bool
    trade_amount_usd: Money | None
    sl_percentage: Money | None = Field(description="null: the preset's value applies")
    tp_percentage: Money | None
    decision_alert_status: str | None
    decision_alert_reason: str | None
    last_alert_status: str | None
    last_alert_reason: str | None
    last_alert_at: datetime | None


class DashboardOut(_Out):
    generated_at: datetime
    day_start: datetime
    global_status: str = Field(description="PASS / WARN / FAIL")
    status_reasons: list[str]
    blockers: list[BlockerOut]
    monitor: MonitorOut
    telegram: TelegramOut
    kill_switch: bool
    live_trading: bool
    trading_mode: str
    counts: CountsOut
    watchlist: list[WatchlistRowOut]
