"""Global checks: monitor, Telegram, market data, exchange authentication, switches, outbox.

Each check reads what the running processes recorded (heartbeats, blockers, ledger, switches) and
the current settings; only the exchange check in live mode makes a network call (see
`atp.audit.exchange`). Every check carries its evidence and, when it fails, the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.alerts.gating import telegram_status
from atp.alerts.models import TelegramMessage
from atp.alerts.outbox import OPEN_STATUSES
from atp.audit.types import FAIL, PASS, WARN, Check
from atp.market.freshness import check_ticker, load_freshness
from atp.market.models import MarketPrice
from atp.monitor import sources
from atp.monitor.blockers import (
    BlockerCode,
    exchange_auth_problem,
    failing_alerts,
    undelivered_alerts,
)
from atp.monitor.causes import global_causes
from atp.monitor.fixes import fix_for
from atp.monitor.switches import load_switches
from atp.orders.checks import live_trading_required
from atp.settings import Settings
from atp.watchlist.models import WatchlistItem

_MONITOR_CODES = {
    BlockerCode.MONITOR_PAUSED,
    BlockerCode.MONITOR_NOT_RUNNING,
    BlockerCode.MONITOR_HEARTBEAT_STALE,
    BlockerCode.MONITOR_DISABLED,
    BlockerCode.MONITOR_CYCLES_FAILING,
}


def _check(name: str, status: str, summary: str, code: str | None = None, **evidence: Any) -> Check:
    return Check(name, status, summary, code, evidence, fix_for(code) if status == FAIL else None)


def monitor_check(status: dict[str, Any], telegram_open: bool) -> Check:
    """`status` is atp.monitor.service.monitor_status (the heartbeat rows, never memory)."""
    causes = [
        c for c in global_causes(status, telegram_open=telegram_open) if c.code in _MONITOR_CODES
    ]
    leader = status["leader"] or {}
    evidence: dict[str, Any] = {
        "state": status["state"],
        "paused": status["paused"],
        "leader": leader.get("instance_id"),
        "heartbeat_age_s": status["heartbeat_age_s"],
        "last_cycle_age_s": status["last_cycle_age_s"],
        "interval_s": status["interval_s"],
        "failed_cycles": leader.get("failed_cycles"),
        "standbys": status["standbys"],
    }
    if causes:
        first = causes[0]
        return _check("monitor", FAIL, first.message, first.code, **evidence)
    return _check(
        "monitor",
        PASS,
        f"running: leader {evidence['leader']} beat {status['heartbeat_age_s']} s ago",
        **evidence,
    )


def telegram_check(session: Session, settings: Settings, since: datetime) -> Check:
    status = telegram_status(settings, session)
    counts = _message_counts(session, since)
    last_sent = session.scalar(
        select(func.max(TelegramMessage.sent_at)).where(TelegramMessage.status == "SENT")
    )
    evidence: dict[str, Any] = {
        "notifier": status.notifier_kind,
        "reasons": [str(r) for r in status.reasons],
        "environment": status.environment,
        "messages_in_window": counts,
        "last_sent_at": None if last_sent is None else last_sent.isoformat(),
    }
    if status.enabled:
        return _check("telegram", PASS, status.describe(), **evidence)
    if status.notifier_kind == "console":
        return _check("telegram", WARN, status.describe(), **evidence)
    return _check(
        "telegram", FAIL, status.describe(), BlockerCode.TELEGRAM_NOT_CONFIGURED, **evidence
    )


def _message_counts(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(TelegramMessage.status, func.count())
        .where(TelegramMessage.created_at >= since)
        .group_by(TelegramMessage.status)
    )
    return {status: int(count) for status, count in rows}


def market_check(
    session: Session, settings: Settings, items: Sequence[WatchlistItem], now: datetime
) -> Check:
    """The monitor's own freshness rule: the preset's timeframe candles and the ticker."""
    watched = [i for i in items if i.alert_enabled and not i.is_deleted]
    if not watched:
        return _check("market_data", WARN, "no alert-enabled symbol to judge", symbols={})
    stale = market_verdicts(session, settings, watched, now)
    bad = {s: v for s, v in stale.items() if v["stale"]}
    evidence: dict[str, Any] = {"symbols_checked": len(watched), "stale": bad}
    if bad:
        names = ", ".join(sorted(bad)[:10])
        summary = f"stale market data for {len(bad)}/{len(watched)} symbols: {names}"
        code = (
            BlockerCode.MARKET_DATA_STALE_ALL if len(bad) == len(watched) else "MARKET_DATA_STALE"
        )
        return _check("market_data", FAIL, summary, code, **evidence)
    return _check("market_data", PASS, f"fresh for all {len(watched)} symbols", **evidence)


def market_verdicts(
    session: Session, settings: Settings, items: Sequence[WatchlistItem], now: datetime
) -> dict[str, dict[str, Any]]:
    """{symbol: {stale, candles: {...}, ticker: {...}}} with ages and limits."""
    resolved, _errors = sources.resolve_presets(session, list(items))
    by_tf: dict[str, list[str]] = {}
    for item in items:
        preset = resolved.get(item.symbol)
        if preset is not None:
            by_tf.setdefault(preset.params.timeframe, []).append(item.symbol)
    candles = {}
    for timeframe, symbols in by_tf.items():
        candles.update(load_freshness(session, symbols, timeframe, now))
    symbols = [i.symbol for i in items]
    prices = {
        p.symbol: p
        for p in session.scalars(select(MarketPrice).where(MarketPrice.symbol.in_(symbols)))
    }
    out: dict[str, dict[str, Any]] = {}
    for symbol in symbols:
        row = prices.get(symbol)
        ticker = check_ticker(
            symbol=symbol,
            last=None if row is None else row.last,
            fetched_at=None if row is None else row.fetched_at,
            exchange_ts=None if row is None else row.exchange_ts,
            now=now,
            limit_s=settings.monitor_ticker_max_age_seconds,
        )
        verdicts = [v for v in (candles.get(symbol), ticker) if v is not None]
        out[symbol] = {
            "stale": not verdicts or not all(v.fresh for v in verdicts),
            **{_kind(v): _freshness(v) for v in verdicts},
        }
    return out


def _kind(verdict: Any) -> str:
    return "ticker" if verdict.timeframe == "ticker" else "candles"


def _freshness(verdict: Any) -> dict[str, Any]:
    return {
        "fresh": verdict.fresh,
        "timeframe": verdict.timeframe,
        "age_s": None if verdict.age_s is None else round(verdict.age_s, 1),
        "limit_s": verdict.limit_s,
        "reason": verdict.reason,
    }


def exchange_check_dry(session: Session, settings: Settings) -> Check:
    """Dry mode never calls the exchange: it reads what the exchange sync worker last reported."""
    observed, problem = exchange_auth_problem(session)
    mode = settings.trading_mode
    if problem is not None:
        return _check(
            "exchange_auth",
            FAIL,
            problem,
            BlockerCode.EXCHANGE_AUTH_FAILING,
            trading_mode=mode,
            source="ExchangeSyncService heartbeat",
        )
    if observed:
        return _check(
            "exchange_auth",
            PASS,
            "the exchange sync worker reports authentication ok",
            trading_mode=mode,
            source="ExchangeSyncService heartbeat",
        )
    if mode == "paper":
        return _check(
            "exchange_auth",
            PASS,
            "paper trading: no exchange authentication needed",
            trading_mode=mode,
        )
    return _check(
        "exchange_auth",
        WARN,
        "not observed: no exchange sync heartbeat (run with --mode live to call the exchange)",
        trading_mode=mode,
    )


def trading_check(session: Session, settings: Settings) -> Check:
    switches = load_switches(session)
    evidence: dict[str, Any] = {
        "kill_switch": switches.kill_switch,
        "live_trading": switches.live_trading,
        "trading_mode": settings.trading_mode,
        "live_trading_required": live_trading_required(settings),
        "limits": {
            "MAX_USD_PER_ORDER": str(switches.max_usd_per_order),
            "MAX_OPEN_ORDERS_PER_COIN": switches.max_open_orders_per_coin,
            "MAX_OPEN_ORDERS_TOTAL": switches.max_open_orders_total,
            "MIN_SECONDS_BETWEEN_ORDERS": switches.min_seconds_between_orders,
            "MAX_ORDERS_PER_SYMBOL_PER_DAY": switches.max_orders_per_symbol_per_day,
        },
        "problems": list(switches.problems),
    }
    if switches.problems:
        summary = "; ".join(switches.problems)
        return _check("trading", FAIL, summary, BlockerCode.TRADING_SETTINGS_UNREADABLE, **evidence)
    if switches.kill_switch:
        summary = "KILL_SWITCH is ON: no new entry order is placed (alerts still go out)"
        return _check("trading", FAIL, summary, BlockerCode.KILL_SWITCH_ON, **evidence)
    if live_trading_required(settings) and not switches.live_trading:
        summary = "TRADING_MODE=live but LIVE_TRADING is off: no entry order is placed"
        return _check("trading", FAIL, summary, "LIVE_TRADING_OFF", **evidence)
    mode = "live" if live_trading_required(settings) else "paper"
    return _check("trading", PASS, f"kill switch off, {mode} trading allowed", **evidence)


def outbox_check(session: Session, now: datetime) -> Check:
    backlog, oldest = session.execute(
        select(func.count(), func.min(TelegramMessage.created_at)).where(
            TelegramMessage.status.in_([str(s) for s in OPEN_STATUSES])
        )
    ).one()
    evidence: dict[str, Any] = {
        "backlog": int(backlog or 0),
        "oldest_queued_age_s": None if oldest is None else round((now - oldest).total_seconds(), 1),
    }
    undelivered = undelivered_alerts(session, now)
    if undelivered is not None:
        return _check("outbox", FAIL, undelivered, BlockerCode.ALERTS_UNDELIVERED, **evidence)
    failing = failing_alerts(session, now)
    if failing is not None:
        return _check("outbox", FAIL, failing, BlockerCode.ALERTS_FAILING, **evidence)
    return _check("outbox", PASS, f"{evidence['backlog']} queued, no recent failures", **evidence)
