"""One symbol in detail: chart markers, the throttle, the `why` answer, and the fill ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from atp.api.schemas.common import DecimalStr
from atp.api.schemas.signals import ConditionOut

# --- markers ---------------------------------------------------------------------------------


class MarkerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str = Field(description="signal (a BLOCKED BUY/SELL) / alert / order")
    side: str | None = Field(description="BUY / SELL; null: a ledger row without side")
    status: str = Field(description="ledger status (SENT, BLOCKED, ...) or order status")
    price: DecimalStr | None
    reason: str | None = Field(description="block reason, or the order's reject reason")
    label: str = Field(description='short text for the chart, e.g. "BUY sent"')
    ref_id: int = Field(description="telegram_messages.id (signal, alert) or exchange order id")


class MarkersOut(BaseModel):
    symbol: str
    since: datetime
    until: datetime
    truncated: bool = Field(description="more markers of one kind than the limit: newest kept")
    markers: list[MarkerOut] = Field(description="oldest first (not a paged list)")


# --- throttle --------------------------------------------------------------------------------


class SideThrottleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    side: str
    last_sent_at: datetime | None = Field(description="null: no alert sent yet")
    last_sent_price: DecimalStr | None
    cooldown_ends_at: datetime | None
    reset_at: datetime | None = Field(description="a configuration change cleared the baseline")
    reset_reason: str | None
    allowed_now: bool | None = Field(description="at the current price; null without a price")
    reason: str | None = Field(description="THROTTLED_TIME_GATE / THROTTLED_PRICE_GATE")
    detail: str


class ThrottleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    symbol: str
    strategy_key: str
    cooldown_minutes: DecimalStr
    min_price_change_pct: DecimalStr
    price: DecimalStr | None
    sides: list[SideThrottleOut]


# --- why (the dry-run evaluation) ------------------------------------------------------------


class GateOut(BaseModel):
    gate: str
    passed: bool | None = Field(description="null: not evaluated (an earlier gate decided)")
    reason: str | None
    detail: str


class WhyCauseOut(BaseModel):
    code: str
    message: str
    blocks: str | None = Field(description="alert / trade / null (named only)")
    since: str | None


class FreshnessOut(BaseModel):
    fresh: bool
    age_s: float | None
    limit_s: float | None
    reason: str | None
    timeframe: str | None


class AlertVerdictOut(BaseModel):
    would_send: bool
    reason: str | None


class TradeVerdictOut(BaseModel):
    would_create_intent: bool
    reason: str | None


class WhyOut(BaseModel):
    """`atp why SYMBOL`: every condition and gate of an evaluation made now (nothing stored)."""

    model_config = ConfigDict(extra="ignore")

    symbol: str
    dry_run: bool
    evaluated_at: datetime
    strategy_key: str | None
    preset_version: int | None
    alert_enabled: bool
    side: str | None = Field(description="BUY / SELL / NONE")
    price: str | None = Field(description="decimal as text")
    decision_reason: str | None
    error: str | None
    conditions: list[ConditionOut]
    indicators: dict[str, Any]
    sl_price: str | None
    tp_price: str | None
    freshness: FreshnessOut | None
    config_changed_since_last_alert: bool
    global_causes: list[WhyCauseOut] = Field(description="platform-wide causes, first wins")
    alert_gates: list[GateOut]
    trade_gates: list[GateOut]
    alert: AlertVerdictOut
    trade: TradeVerdictOut


# --- fills -----------------------------------------------------------------------------------


class FillOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="fills row id (the cursor)")
    trade_id: str
    exchange_order_id: str
    role: str | None = Field(description="ENTRY / STOP_LOSS / TAKE_PROFIT / FLATTEN")
    intent_id: int | None
    symbol: str
    side: str
    quantity: DecimalStr
    price: DecimalStr
    fee: DecimalStr
    fee_currency: str
    realised_pnl: DecimalStr = Field(description="net of the fee when it could be valued")
    closed_position: bool = Field(description="this fill closed the round trip")
    traded_at: datetime
