"""The dashboard's first paint in one call, from a fixed handful of queries.

The old dashboard state took 40-70 s because it was assembled per symbol (several queries and
exchange calls per row). Here the statement count does not depend on the watchlist size:
monitor status (heartbeats, pause switch, active blockers), the Telegram gate (operator switch),
the trading switches, the trading summary (fills, positions, intents x2), today's alerts by
status, and ONE query for every watchlist row joined with its signal state, its price and its
latest alert message. Every piece reuses the function the CLI (`atp status`) already calls.

Read-only: no flush, no commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import MessageKind
from atp.alerts.summary import display_zone
from atp.db.base import utcnow
from atp.market.models import MarketPrice
from atp.monitor.causes import ALERT, GlobalCause, global_causes
from atp.monitor.cycle import telegram_gate_state
from atp.monitor.fixes import fix_for
from atp.monitor.service import monitor_status
from atp.monitor.switches import load_switches
from atp.orders.views import TradingSummary, trading_summary
from atp.settings import Settings
from atp.signals.models import WatchlistSignalState
from atp.watchlist.models import WatchlistItem

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"


@dataclass(frozen=True)
class BlockerView:
    code: str
    message: str  # what is wrong, with its numbers
    blocks: str | None  # "alert" (no alert, no order), "trade" (no order), None (named only)
    since: str | None
    fix: str  # what to do about it


@dataclass(frozen=True)
class MonitorView:
    state: str
    running: bool
    paused: bool
    heartbeat_age_s: float | None
    last_cycle_age_s: float | None
    leader: str | None  # instance id of the freshest leader heartbeat
    leader_alive: bool


@dataclass(frozen=True)
class TelegramView:
    notifier: str  # telegram / console / blocked
    alerts_delivered: bool  # the alert gate is open (Telegram, or the console in a demo)
    reasons: list[str]


@dataclass(frozen=True)
class DashboardCounts:
    alerts_today: dict[str, int]  # ALERT messages created today, by status
    orders_today: dict[str, int]  # order intents created today, by status
    open_positions: int
    naked: list[str]
    naked_overdue: list[str]
    flattening: list[str]


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field x 500 rows
class WatchlistRow:
    symbol: str
    price: Decimal | None
    price_age_s: float | None
    signal_side: str | None  # BUY / SELL / NONE; None: never evaluated
    evaluated_at: datetime | None
    rsi: float | None
    ema10: float | None
    ma50: float | None
    ma200: float | None
    volume_ratio: float | None
    preset: str | None  # the row's own preset (None = the default preset)
    strategy_key: str | None  # the preset the monitor last evaluated with
    alert_enabled: bool
    buy_alert_enabled: bool
    sell_alert_enabled: bool
    trade_enabled: bool
    trade_amount_usd: Decimal | None
    sl_percentage: Decimal | None  # None: the preset's value applies
    tp_percentage: Decimal | None
    decision_alert_status: str | None  # the last evaluation's alert outcome
    decision_alert_reason: str | None
    last_alert_status: str | None  # the newest ALERT message in the ledger
    last_alert_reason: str | None
    last_alert_at: datetime | None


@dataclass(frozen=True)
class DashboardState:
    generated_at: datetime
    day_start: datetime  # start of "today" in DISPLAY_TIMEZONE, as UTC
    global_status: str  # PASS / WARN / FAIL
    status_reasons: list[str]
    blockers: list[BlockerView]
    monitor: MonitorView
    telegram: TelegramView
    kill_switch: bool
    live_trading: bool
    trading_mode: str
    counts: DashboardCounts
    watchlist: list[WatchlistRow]


def dashboard_state(
    session: Session, settings: Settings, now: datetime | None = None
) -> DashboardState:
    now = now or utcnow()
    monitor = monitor_status(session, settings, now)
    gate = telegram_gate_state(settings, session)
    causes = global_causes(monitor, telegram_open=gate.open)
    switches = load_switches(session)
    trading = trading_summary(session, now, display_zone(settings))
    status, reasons = overall_status(causes, trading)
    return DashboardState(
        generated_at=now,
        day_start=trading.day_start,
        global_status=status,
        status_reasons=reasons,
        blockers=[
            BlockerView(c.code, c.message, c.blocks, c.since, fix_for(c.code)) for c in causes
        ],
        monitor=_monitor_view(monitor),
        telegram=TelegramView(gate.notifier, gate.open, list(gate.reasons)),
        kill_switch=switches.kill_switch,
        live_trading=switches.live_trading,
        trading_mode=settings.trading_mode,
        counts=DashboardCounts(
            alerts_today=alerts_by_status(session, trading.day_start),
            orders_today=dict(sorted(trading.intents_today.items())),
            open_positions=trading.open_positions,
            naked=trading.naked,
            naked_overdue=trading.naked_overdue,
            flattening=trading.flattening,
        ),
        watchlist=watchlist_rows(session, now),
    )


def overall_status(causes: list[GlobalCause], trading: TradingSummary) -> tuple[str, list[str]]:
    """FAIL: alerts are stopped, or a position is naked past its grace. WARN: orders are stopped,
    something is named only (e.g. console delivery), or a position is naked / being flattened."""
    fail = [f"{c.code}: {c.message}" for c in causes if c.blocks == ALERT]
    fail += [f"NAKED_POSITION: {s} has no protection past its grace" for s in trading.naked_overdue]
    if fail:
        return FAIL, fail
    warn = [f"{c.code}: {c.message}" for c in causes]
    warn += [f"NAKED_POSITION: {s} waits for its protection" for s in trading.naked]
    warn += [f"FLATTENING: {s} is being closed" for s in trading.flattening]
    return (WARN, warn) if warn else (PASS, [])


def alerts_by_status(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(TelegramMessage.status, func.count())
        .where(TelegramMessage.kind == MessageKind.ALERT, TelegramMessage.created_at >= since)
        .group_by(TelegramMessage.status)
    ).all()
    return {str(status): int(n) for status, n in sorted(rows)}


def watchlist_rows(session: Session, now: datetime) -> list[WatchlistRow]:
    """Every live watchlist row with its state, price and newest alert: ONE statement.

    The newest alert is found per row by a correlated `LIMIT 1` on the (symbol, created_at)
    index, so the cost grows with the watchlist, never with the size of the message ledger.
    Only the shown columns are selected (plain rows, no ORM objects): 500 rows stay cheap."""
    last = aliased(TelegramMessage)
    inner = aliased(TelegramMessage)
    newest_alert_id = (
        select(inner.id)
        .where(inner.symbol == WatchlistItem.symbol, inner.kind == MessageKind.ALERT)
        .order_by(inner.created_at.desc(), inner.id.desc())
        .limit(1)
        .correlate(WatchlistItem)
        .scalar_subquery()
    )
    item, state, price = WatchlistItem, WatchlistSignalState, MarketPrice
    query = (
        select(
            *(getattr(item, name) for name in _ITEM_COLUMNS),
            state.signal_side,
            state.evaluated_at_utc,
            state.indicators,
            state.strategy_key,
            state.alert_status,
            state.alert_block_reason,
            price.last,
            price.exchange_ts,
            price.fetched_at,
            last.status.label("message_status"),
            last.reason_code.label("message_reason"),
            last.created_at.label("message_at"),
        )
        .outerjoin(state, state.symbol == item.symbol)
        .outerjoin(price, price.symbol == item.symbol)
        .outerjoin(last, last.id == newest_alert_id)
        .where(item.is_deleted.is_(False))
        .order_by(item.symbol, item.id)
    )
    return [_row(row, now) for row in session.execute(query)]


_ITEM_COLUMNS = (
    "symbol",
    "preset",
    "alert_enabled",
    "buy_alert_enabled",
    "sell_alert_enabled",
    "trade_enabled",
    "trade_amount_usd",
    "sl_percentage",
    "tp_percentage",
)


def _row(r: Any, now: datetime) -> WatchlistRow:
    # Unpacked by position (the select's order): attribute access by name costs more per row.
    (symbol, preset, alert, buy, sell, trade, amount, sl_pct, tp_pct) = r[:9]
    (side, evaluated_at, indicators, strategy_key, decision_status, decision_reason) = r[9:15]
    (last, exchange_ts, fetched_at, message_status, message_reason, message_at) = r[15:]
    indicators = indicators or {}
    mark = last if last is not None and last > 0 else None
    age = None
    if mark is not None:
        age = round((now - min(exchange_ts, fetched_at)).total_seconds(), 3)
    return WatchlistRow(
        symbol,
        mark,
        age,
        side,
        evaluated_at,
        _number(indicators.get("rsi")),
        _number(indicators.get("ema10")),
        _number(indicators.get("ma50")),
        _number(indicators.get("ma200")),
        _number(indicators.get("volume_ratio")),
        preset,
        strategy_key,
        alert,
        buy,
        sell,
        trade,
        amount,
        sl_pct,
        tp_pct,
        decision_status,
        decision_reason,
        message_status,
        message_reason,
        message_at,
    )


def _number(value: Any) -> float | None:
    """An indicator from the JSON state row; NaN / infinity / missing / text -> None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _monitor_view(status: dict[str, Any]) -> MonitorView:
    leader = status["leader"] or {}
    return MonitorView(
        state=status["state"],
        running=status["signal_monitor_running"],
        paused=status["paused"],
        heartbeat_age_s=status["heartbeat_age_s"],
        last_cycle_age_s=status["last_cycle_age_s"],
        leader=leader.get("instance_id"),
        leader_alive=bool(leader.get("alive", False)),
    )
