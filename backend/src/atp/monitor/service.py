"""Monitor use-cases for the control API (and the Telegram bot): status, pause, dry-run evaluation.

Services flush and never commit; the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.errors import clean_error_text
from atp.db.base import utcnow
from atp.monitor.activity import load_activity
from atp.monitor.blockers import active_blockers
from atp.monitor.causes import ALERT, GlobalCause, global_causes
from atp.monitor.cycle import telegram_gate_state
from atp.monitor.decide import CycleContext, SymbolDecision, decide_symbol, gate_trade
from atp.monitor.gates import GateResult
from atp.monitor.heartbeat import SERVICE
from atp.monitor.inputs import SymbolInput, load_inputs, load_watchlist
from atp.monitor.switches import is_paused, load_switches, set_paused
from atp.monitor.throttle_state import resets_baseline, stale_rows, symbol_config_hash
from atp.ops.config_trail import ChangeSource
from atp.ops.models import ServiceHeartbeat
from atp.orders.checks import live_trading_required
from atp.settings import Settings
from atp.watchlist.fields import normalise_symbol

# A leader whose heartbeat is older than this many intervals (+ slack) is considered gone.
ALIVE_INTERVALS = 2
ALIVE_SLACK_S = 2.0


class UnknownSymbolError(LookupError):
    """The symbol is not on the watchlist (or was deleted)."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def monitor_status(
    session: Session, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """Is the monitor running? Read from the heartbeat rows (never from this process's memory)."""
    now = now or utcnow()
    beats = list(
        session.scalars(select(ServiceHeartbeat).where(ServiceHeartbeat.service == SERVICE))
    )
    leaders = [b for b in beats if b.role == "leader"]
    leader = max(leaders, key=lambda b: b.beat_at, default=None)
    interval = settings.monitor_interval_seconds
    paused = is_paused(session)
    alive_limit = ALIVE_INTERVALS * interval + ALIVE_SLACK_S
    body: dict[str, Any] = {
        "signal_monitor_running": False,
        "state": "not_running",
        "paused": paused,
        "interval_s": interval,
        "leader": None,
        "heartbeat_age_s": None,
        "last_cycle_age_s": None,
        "standbys": [
            b.instance_id
            for b in beats
            if b.role == "standby" and (now - b.beat_at).total_seconds() <= alive_limit
        ],
        "blockers": [
            {"code": b.code, "message": b.message, "since": _iso(b.since)}
            for b in active_blockers(session)
        ],
    }
    if leader is None:
        return body
    details = leader.details or {}
    heartbeat_age = (now - leader.beat_at).total_seconds()
    last_cycle_at = details.get("last_cycle_at")
    alive = heartbeat_age <= alive_limit
    state = str(details.get("state", "unknown")) if alive else "not_running"
    body.update(
        signal_monitor_running=alive and state == "running",
        state=state,
        heartbeat_age_s=round(heartbeat_age, 3),
        last_cycle_age_s=(
            None
            if last_cycle_at is None
            else round((now - datetime.fromisoformat(last_cycle_at)).total_seconds(), 3)
        ),
        leader={
            "instance_id": leader.instance_id,
            "hostname": leader.hostname,
            "pid": leader.pid,
            "started_at": _iso(leader.started_at),
            "beat_at": _iso(leader.beat_at),
            "cycle": leader.cycle,
            "symbols": leader.items,
            "last_cycle_ms": leader.last_cycle_ms,
            "errors": leader.errors,
            "failed_cycles": int(details.get("failed_cycles", 0)),
            "last_error": clean_error_text(leader.last_error),  # rows written before sanitising
            "alive": alive,
        },
    )
    return body


def pause_monitor(
    session: Session, settings: Settings, *, paused: bool, source: ChangeSource, actor: str | None
) -> dict[str, Any]:
    """Persist MONITOR_PAUSED (recorded in the config trail); the leader obeys it next tick."""
    changed = set_paused(session, paused=paused, source=source, actor=actor)
    return {
        "paused": paused,
        "changed": changed,
        "takes_effect_within_s": settings.monitor_interval_seconds,
    }


def evaluate_signal(
    session: Session, settings: Settings, symbol: str, now: datetime | None = None
) -> dict[str, Any]:
    """Evaluate one symbol now and explain it. Sends nothing and stores nothing (rolls back)."""
    normalised = normalise_symbol(symbol)  # InvalidValueError for a malformed symbol
    now = now or utcnow()
    rows = load_watchlist(session, [normalised])
    if not rows:
        raise UnknownSymbolError(f"{normalised} is not on the watchlist")
    try:
        inp = load_inputs(
            session,
            rows,
            now=now,
            candle_limit=settings.monitor_candle_limit,
            ticker_max_age_s=settings.monitor_ticker_max_age_seconds,
        )[0]
        config_changed = _simulate_config_reset(inp)
        switches = load_switches(session)
        telegram = telegram_gate_state(settings, session)
        ctx = CycleContext(now=now, switches=switches, telegram=telegram)
        decision = decide_symbol(inp, ctx)
        gate_trade(
            decision,
            inp,
            switches,
            load_activity(session, now),
            telegram,
            live_trading_required=live_trading_required(settings),
        )
        causes = global_causes(monitor_status(session, settings, now), telegram_open=telegram.open)
    finally:
        session.rollback()
    result = _explain(
        decision, inp, alert_enabled=rows[0].alert_enabled, config_changed=config_changed
    )
    return _put_causes_first(result, causes)


def _put_causes_first(result: dict[str, Any], causes: list[GlobalCause]) -> dict[str, Any]:
    """A global cause overrides the symbol's own verdict: it is named as the reason, first."""
    result["global_causes"] = [c.to_dict() for c in causes]
    first_alert = next((c for c in causes if c.blocks == ALERT), None)
    first_any = next((c for c in causes if c.blocks is not None), None)
    if first_alert is not None:
        result["alert"] = {"would_send": False, "reason": first_alert.code}
    if first_any is not None:
        result["trade"] = {"would_create_intent": False, "reason": first_any.code}
    return result


def _simulate_config_reset(inp: SymbolInput) -> bool:
    """Apply (in memory only) the reset the next cycle would make after a config change."""
    current = symbol_config_hash(inp.item.config, inp.preset_version)
    changed = [m for m in stale_rows(inp.throttle_rows, current) if resets_baseline(m)]
    if not changed:
        return False
    ids = {m.id for m in changed}
    inp.throttle_rows = [
        replace(m, last_sent_at=None, last_sent_price=None) if m.id in ids else m
        for m in inp.throttle_rows
    ]
    inp.select_memory()
    return True


def _explain(
    d: SymbolDecision, inp: SymbolInput, *, alert_enabled: bool, config_changed: bool
) -> dict[str, Any]:
    alert_gates = list(d.alert_gates)
    if not alert_enabled:  # the monitor does not evaluate such symbols at all
        alert_gates.insert(
            0, GateResult("ALERT_DISABLED", False, "ALERT_DISABLED", "alert_enabled is off")
        )
    alert_block = next((g for g in alert_gates if g.passed is False), None)
    would_send = d.error is None and d.side in ("BUY", "SELL") and alert_block is None
    trade_block = d.trade_block
    f = inp.freshness
    return {
        "symbol": d.symbol,
        "dry_run": True,
        "evaluated_at": d.evaluated_at.isoformat(),
        "strategy_key": d.strategy_key,
        "preset_version": inp.preset_version,
        "alert_enabled": alert_enabled,
        "side": d.side,
        "price": None if d.price is None else format(d.price, "f"),
        "decision_reason": d.decision_reason,
        "error": d.error,
        "conditions": d.conditions,
        "indicators": d.indicators,
        "sl_price": None if d.sl_price is None else format(d.sl_price, "f"),
        "tp_price": None if d.tp_price is None else format(d.tp_price, "f"),
        "freshness": None
        if f is None
        else {
            "fresh": f.fresh,
            "age_s": f.age_s,
            "limit_s": f.limit_s,
            "reason": f.reason,
            "timeframe": f.timeframe,
        },
        "config_changed_since_last_alert": config_changed,
        "alert_gates": [g.to_dict() for g in alert_gates],
        "trade_gates": [g.to_dict() for g in d.trade_gates],
        "alert": {
            "would_send": would_send,
            "reason": d.error or (None if alert_block is None else alert_block.reason),
        },
        "trade": {
            "would_create_intent": would_send and bool(d.trade_gates) and trade_block is None,
            "reason": (
                d.error
                or (alert_block.reason if alert_block else None)
                or (trade_block.reason if trade_block else None)
                or (None if d.trade_gates else "NO_SIGNAL")
            ),
        },
    }
