"""Scenarios for the audit tests: each one produces real recorded decisions (monitor cycles on
seeded data) that leave exactly one first cause, plus the `atp why` view to compare with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.db.base import utcnow
from atp.monitor.cycle import run_cycle
from atp.monitor.gates import first_block
from atp.monitor.service import evaluate_signal
from atp.monitor.switches import set_paused
from atp.ops.config_trail import ChangeSource
from atp.ops.models import TradingSetting
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.integration.monitor_support import cycle_at, seed_world, write_leader_beat

SYMBOL = "BTC_USDT"
TRADING = {"trade_enabled": True, "trade_amount_usd": 50}


@dataclass
class World:
    sessions: sessionmaker[Session]
    settings: Settings
    now: datetime  # when the audit and `why` look


def set_switch(sessions: sessionmaker[Session], key: str, value: str) -> None:
    with sessions.begin() as s:
        s.merge(TradingSetting(key=key, value=value, updated_at=utcnow(), updated_by="test"))


def _one_cycle(world: World, fields: dict[str, Any], *, running: bool = True) -> World:
    seed_world(world.sessions, {SYMBOL: fields}, now=world.now)
    if running:
        write_leader_beat(world.sessions, at=world.now)
    cycle_at(world.sessions, world.settings, world.now)
    return world


def market_stale(w: World) -> World:
    seed_world(w.sessions, {SYMBOL: {"preset": "test:buy"}}, now=w.now - timedelta(hours=4))
    write_leader_beat(w.sessions, at=w.now)
    run_cycle(w.sessions, w.settings, now=w.now)  # tickers stay 4 h old
    return w


def telegram_token_missing(w: World) -> World:
    w.settings = w.settings.model_copy(
        update={"environment": "production", "telegram_chat_id": "-1001234567"}
    )
    return _one_cycle(w, {"preset": "test:buy"})


def buy_alerts_disabled(w: World) -> World:
    return _one_cycle(w, {"preset": "test:buy", "buy_alert_enabled": False})


def deliver_queued(sessions: sessionmaker[Session], at: datetime) -> None:
    """What a running sender does: the queued alert is SENT (so it is not "queued too long"
    when a scenario moves the audit's clock on)."""
    with sessions.begin() as s:
        for row in s.scalars(select(TelegramMessage).where(TelegramMessage.status == "PENDING")):
            row.status, row.sent_at, row.created_at = "SENT", at, at


def throttled_time(w: World) -> World:
    _one_cycle(w, {"preset": "test:buy"})
    deliver_queued(w.sessions, w.now)
    w.now += timedelta(seconds=60)
    write_leader_beat(w.sessions, at=w.now)
    cycle_at(w.sessions, w.settings, w.now)
    return w


def throttled_price(w: World) -> World:
    _one_cycle(w, {"preset": "test:buy"})
    deliver_queued(w.sessions, w.now)
    w.now += timedelta(minutes=11)  # the 10 min cooldown elapsed; the price has not moved 1 %
    write_leader_beat(w.sessions, at=w.now)
    cycle_at(w.sessions, w.settings, w.now)
    return w


def no_signal(w: World) -> World:
    return _one_cycle(w, {"preset": "test:none"})


def kill_switch(w: World) -> World:
    set_switch(w.sessions, "KILL_SWITCH", "true")
    return _one_cycle(w, {"preset": "test:buy", **TRADING})


def trade_disabled(w: World) -> World:
    return _one_cycle(w, {"preset": "test:buy", "trade_enabled": False})


def amount_missing(w: World) -> World:
    return _one_cycle(w, {"preset": "test:buy", "trade_enabled": True})


def order_limit(w: World) -> World:
    set_switch(w.sessions, "MAX_ORDERS_PER_SYMBOL_PER_DAY", "0")
    return _one_cycle(w, {"preset": "test:buy", **TRADING})


def monitor_stopped(w: World) -> World:
    return _one_cycle(w, {"preset": "test:buy"}, running=False)


def monitor_paused(w: World) -> World:
    _one_cycle(w, {"preset": "test:buy"})
    with w.sessions.begin() as s:
        set_paused(s, paused=True, source=ChangeSource.CLI, actor="test")
    return w


def alerts_failing(w: World) -> World:
    _one_cycle(w, {"preset": "test:buy"})
    with w.sessions.begin() as s:
        s.add(failed_message(w.now, "Forbidden: bot was kicked from the group chat"))
    from atp.monitor.worker import MonitorWorker

    context = AppContext(settings=w.settings.model_copy(update={"monitor_instance_id": "audit"}))
    worker = MonitorWorker(context)
    try:
        worker.tick()  # stores ALERTS_FAILING and a live heartbeat, as production does
    finally:
        worker.elector.release()
        context.close()
    w.now = utcnow()
    return w


def failed_message(at: datetime, error: str) -> TelegramMessage:
    return TelegramMessage(
        idempotency_key="audit-test:failed",
        kind="ALERT",
        symbol=SYMBOL,
        side="BUY",
        status="FAILED",
        reason_code="TELEGRAM_FORBIDDEN",
        reason_message=error,
        last_error=error,
        text="BUY BTC_USDT",
        attempts=1,
        created_at=at,
        updated_at=at,
    )


# name -> (setup, verdict kind, expected cause, failing global check or None)
SCENARIOS: dict[str, tuple[Callable[[World], World], str, str, str | None]] = {
    "market_stale": (market_stale, "alert", "MARKET_DATA_STALE", "market_data"),
    "telegram_token_missing": (
        telegram_token_missing,
        "alert",
        "TELEGRAM_DISABLED:token_missing",
        "telegram",
    ),
    "buy_alerts_disabled": (buy_alerts_disabled, "alert", "SIDE_DISABLED", None),
    "throttled_time": (throttled_time, "alert", "THROTTLED_TIME_GATE", None),
    "throttled_price": (throttled_price, "alert", "THROTTLED_PRICE_GATE", None),
    "no_signal": (no_signal, "alert", "NO_SIGNAL:BUY(rsi_below);SELL(rsi_above)", None),
    "kill_switch": (kill_switch, "trade", "KILL_SWITCH", "trading"),
    "trade_disabled": (trade_disabled, "trade", "TRADE_DISABLED", None),
    "amount_missing": (amount_missing, "trade", "INVALID_TRADE_AMOUNT", None),
    "order_limit": (order_limit, "trade", "MAX_ORDERS_PER_SYMBOL_PER_DAY", None),
    "monitor_stopped": (monitor_stopped, "alert", "MONITOR_NOT_RUNNING", "monitor"),
    "monitor_paused": (monitor_paused, "alert", "MONITOR_PAUSED", "monitor"),
    "alerts_failing": (alerts_failing, "alert", "ALERTS_FAILING", "outbox"),
}


def why_cause(world: World, kind: str) -> str | None:
    """What `atp why` names: the alert reason, or the first blocked trade gate (global first)."""
    with world.sessions() as s:
        why = evaluate_signal(s, world.settings, SYMBOL, now=world.now)
    if kind == "alert":
        reason: str | None = why["alert"]["reason"]
        return reason
    first_global = next((c for c in why["global_causes"] if c["blocks"]), None)
    if first_global is not None:
        return str(first_global["code"])
    gates = why["trade_gates"]
    from atp.monitor.gates import GateResult

    block = first_block(
        [GateResult(g["gate"], g["passed"], g["reason"], g["detail"]) for g in gates]
    )
    return None if block is None else block.reason
