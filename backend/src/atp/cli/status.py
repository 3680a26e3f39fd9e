"""`atp status`: the operator's one-screen answer - is everything running, and if not, why."""

from __future__ import annotations

from typing import Any

import click

from atp.alerts.gating import telegram_status
from atp.alerts.summary import display_zone
from atp.cli.common import get_context
from atp.db.base import utcnow
from atp.market.health import data_health
from atp.monitor.causes import global_causes
from atp.monitor.cycle import telegram_gate_state
from atp.monitor.service import monitor_status
from atp.ops.trading_settings import list_settings
from atp.orders.views import TradingSummary, plain, trading_summary


@click.command("status")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when the monitor is down, a blocker is active or a position is naked for over a minute.",
)
def status(check: bool) -> None:
    """Monitor, global blockers, Telegram, market data and trading switches at a glance."""
    app = get_context()
    with app.sessions() as session:
        monitor = monitor_status(session, app.settings)
        telegram = telegram_status(app.settings, session)
        # The monitor's own state (not running, stale, paused) first, in the blocker vocabulary.
        causes = global_causes(
            monitor, telegram_open=telegram_gate_state(app.settings, session).open
        )
        monitor["blockers"] = [{"code": c.code, "message": c.message} for c in causes]
        timeframes = app.settings.market_timeframes.split(",")
        health = data_health(session, timeframes=timeframes, now=utcnow())
        switches = {s.key: s.value for s in list_settings(session)}
        trading = trading_summary(session, utcnow(), display_zone(app.settings))
    for line in _lines(monitor, telegram.notifier_kind, telegram.reason_code, health, switches):
        click.echo(line)
    for line in _trading_lines(trading):
        click.echo(line)
    problems = monitor["blockers"] or trading.naked_overdue
    if check and (not monitor["signal_monitor_running"] or problems):
        raise SystemExit(1)


def _lines(
    monitor: dict[str, Any],
    notifier: str,
    telegram_reason: str | None,
    health: list[Any],
    switches: dict[str, str],
) -> list[str]:
    leader = monitor["leader"] or {}
    lines = [
        f"monitor:  {monitor['state']} (running={monitor['signal_monitor_running']}, "
        f"leader={leader.get('instance_id', '-')}, heartbeat_age_s={monitor['heartbeat_age_s']}, "
        f"last_cycle_age_s={monitor['last_cycle_age_s']}, standbys={len(monitor['standbys'])})",
        f"telegram: {_delivery(notifier, telegram_reason)}",
    ]
    unhealthy = [h for h in health if not h.healthy]
    lines.append(
        f"market:   {len(health) - len(unhealthy)}/{len(health)} watchlist symbols healthy"
        + (f"; unhealthy: {', '.join(h.symbol for h in unhealthy[:10])}" if unhealthy else "")
    )
    lines.append(
        "trading:  "
        + " ".join(f"{k}={switches[k]}" for k in ("KILL_SWITCH", "LIVE_TRADING", "MONITOR_PAUSED"))
    )
    blockers = monitor["blockers"]
    lines.append(f"blockers: {len(blockers) or 'none'}")
    lines += [f"  [GLOBAL_BLOCKER] {b['code']}: {b['message']}" for b in blockers]
    return lines


def _trading_lines(summary: TradingSummary) -> list[str]:
    intents = " ".join(f"{k}={v}" for k, v in sorted(summary.active_intents.items()))
    lines = [
        f"orders:   positions={summary.open_positions} naked={len(summary.naked)} "
        f"flattening={len(summary.flattening)} realised_today={plain(summary.realised_today)} "
        f"(fees {plain(summary.fees_today)}) active_intents: {intents or 'none'}"
    ]
    # Loud on purpose: a naked position loses money without limit if the market turns.
    lines += [
        f"  !!! [NAKED POSITION] {symbol}: NO confirmed stop-loss; see `atp positions` and "
        'docs/runbook.md "Naked position"'
        for symbol in summary.naked
    ]
    lines += [f"  [FLATTENING] {symbol}: being closed at market" for symbol in summary.flattening]
    return lines


def _delivery(notifier: str, reason: str | None) -> str:
    if notifier == "console":  # the embedded default delivers to stdout; nothing is blocked
        return f"console (demo delivery; Telegram not configured: {reason})"
    return notifier + (f" ({reason})" if reason else "")


commands: list[click.Command] = [status]
