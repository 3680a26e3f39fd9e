"""Plain-text answers of the bot's read commands: service results in, text out (pure).

Plain text on purpose (no parse mode): symbols, reasons and error texts are shown as they are,
with nothing to escape and no entity that Telegram could refuse. Long answers are cut to fit
Telegram's 4096 characters by `fit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from atp.alerts.text import fit_telegram_limit
from atp.audit.types import AuditResult
from atp.monitor.causes import GlobalCause
from atp.monitor.explain import explanation_lines, number_text
from atp.ops.health import SystemHealth
from atp.ops.message_pages import MessageRow
from atp.ops.order_pages import BalancesSnapshot
from atp.orders.views import OpenOrdersView, PositionsView, plain
from atp.signals.views import SignalStateRow

MARK = {"PASS": "✅", "WARN": "⚠️", "FAIL": "❌"}


def fit(text: str) -> str:
    return fit_telegram_limit(text, is_html=False)[0]


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.0f} s"


def status_text(
    health: SystemHealth,
    monitor: dict[str, Any],
    causes: Sequence[GlobalCause],
    switches: dict[str, str],
) -> str:
    """`/status`: the health verdicts, the monitor's heartbeat, global causes and switches."""
    lines = [f"{MARK.get(health.status, '')} System: {health.status}"]
    lines += [f"{MARK.get(c.status, '')} {c.name}: {c.message}" for c in health.components]
    lines.append(
        f"monitor: {monitor['state']} (heartbeat {_age(monitor['heartbeat_age_s'])} ago, "
        f"last cycle {_age(monitor['last_cycle_age_s'])} ago, standbys {len(monitor['standbys'])})"
    )
    lines.append(
        f"kill switch: {switches.get('KILL_SWITCH', '?')}, live trading: "
        f"{switches.get('LIVE_TRADING', '?')}, monitor paused: {switches.get('MONITOR_PAUSED', '?')}"
    )
    lines.append(f"global blockers: {len(causes) or 'none'}")
    lines += [f"  [GLOBAL_BLOCKER] {c.code}: {c.message}" for c in causes]
    return fit("\n".join(lines))


def why_text(result: dict[str, Any]) -> str:
    """`/why SYMBOL`: exactly the lines of `atp why`."""
    return fit("\n".join(explanation_lines(result)))


def analyze_text(result: dict[str, Any]) -> str:
    """`/analyze SYMBOL`: the indicators, every condition and the verdict of a dry evaluation."""
    lines = [
        f"{result['symbol']} ({result['strategy_key'] or '-'}) price {result['price'] or '-'}",
        f"side: {result['side']} ({result['decision_reason'] or '-'})",
    ]
    indicators = result.get("indicators") or {}
    if indicators:
        lines.append(
            "indicators: " + ", ".join(f"{k}={number_text(v)}" for k, v in indicators.items())
        )
    for cond in result.get("conditions") or []:
        mark = "✅" if cond["passed"] else "❌"
        lines.append(
            f"{mark} {cond['side']} {cond['name']}: {number_text(cond['actual'])} vs "
            f"{number_text(cond['threshold'])}"
        )
    alert, trade = result["alert"], result["trade"]
    lines.append("alert: would send" if alert["would_send"] else f"alert: none ({alert['reason']})")
    lines.append(
        "trade: would create an order"
        if trade["would_create_intent"]
        else f"trade: none ({trade['reason']})"
    )
    lines.append("(dry run: nothing sent or stored; /why for every gate)")
    return fit("\n".join(lines))


def signals_text(rows: Sequence[SignalStateRow]) -> str:
    """`/signals`: the latest decision per symbol with the conditions that failed."""
    if not rows:
        return "No decisions yet: the monitor has not evaluated any symbol."
    lines = ["Latest decisions (newest watchlist rows first):"]
    for row in rows:
        s = row.state
        failing = [
            f"{c.get('side', '')} {c['name']}".strip()
            for c in s.conditions or []
            if c.get("passed") is False
        ]
        block = s.alert_block_reason or s.trade_block_reason
        lines.append(
            f"{s.symbol}: {s.signal_side} {s.decision_reason or ''} @ {_price(s.last_price)}"
            f" ({_when(s.evaluated_at_utc)})".replace("  ", " ")
        )
        if failing:
            lines.append(f"  failing: {', '.join(failing)}")
        if block:
            lines.append(f"  blocked: {block}")
    return fit("\n".join(lines))


def orders_text(view: OpenOrdersView) -> str:
    """`/orders`: working exchange orders (entries and SL/TP legs) and intents in flight."""
    if not view.orders and not view.intents:
        return "No open orders and no order in flight."
    lines = [f"Open orders: {len(view.orders)}"]
    for o in view.orders:
        price = o.trigger_price if o.trigger_price is not None else o.limit_price
        lines.append(
            f"  {o.symbol} {o.side} {o.role or 'foreign'} {o.order_type} qty {plain(o.quantity)}"
            f" @ {_price(price)} ({o.status})"
        )
    lines.append(f"Intents in flight: {len(view.intents)}")
    lines += [
        f"  #{i.id} {i.symbol} {i.side} {i.status} SL {_price(i.sl_price)} TP {_price(i.tp_price)}"
        for i in view.intents
    ]
    return fit("\n".join(lines))


def portfolio_text(view: PositionsView) -> str:
    """`/portfolio`: open positions with P&L and protection status."""
    if not view.positions:
        return "No open position."
    lines = [
        f"Positions: {len(view.positions)}, unrealised {plain(view.unrealised_total)} USD, "
        f"realised {plain(view.realised_total)} USD"
    ]
    for p in view.positions:
        shield = {"covered": "🛡", "naked": "‼️ NAKED", "flattening": "⏬"}.get(
            p.protection_status, p.protection_status
        )
        pnl = "no price" if p.unrealised_pnl is None else f"{plain(p.unrealised_pnl)} USD"
        lines.append(
            f"{p.symbol}: qty {plain(p.quantity)} @ {_price(p.avg_entry_price)}, mark "
            f"{_price(p.mark)}, P&L {pnl} {shield} SL {', '.join(map(_price, p.stop_prices)) or '-'}"
        )
    if view.naked:
        lines.append(f"‼️ NO confirmed stop-loss: {', '.join(view.naked)} (see atp positions)")
    return fit("\n".join(lines))


def balance_text(balances: BalancesSnapshot, positions: PositionsView) -> str:
    """`/balance`: the account balances (paper) and the positions' P&L."""
    lines = [f"Balances ({balances.source}):"]
    if not balances.available:
        lines.append(f"  {balances.detail}")
    lines += [
        f"  {b.currency}: total {plain(b.total)}, free {plain(b.free)}, reserved {plain(b.reserved)}"
        for b in balances.balances
    ]
    lines.append(
        f"Open positions: {len(positions.positions)}, unrealised {plain(positions.unrealised_total)}"
        f" USD, naked {len(positions.naked)}"
    )
    return fit("\n".join(lines))


def audit_text(result: AuditResult) -> str:
    """`/audit`: global PASS/FAIL, each check and the top causes (dry, nothing stored)."""
    lines = [f"{MARK.get(result.global_status, '')} Audit: {result.global_status}"]
    lines += [f"{MARK.get(c.status, '')} {c.name}: {c.summary}" for c in result.checks]
    if result.root_causes:
        lines.append("Top causes:")
        lines += [
            f"  {c.code} ({c.kind}, {c.count} symbol(s)): {c.fix or '-'}"
            for c in result.root_causes[:5]
        ]
    return fit("\n".join(lines))


def blocked_text(rows: Sequence[MessageRow]) -> str:
    """Monitoring: the alerts gating refused most recently, with their reasons."""
    if not rows:
        return "No blocked alerts."
    lines = ["Recently blocked alerts:"]
    lines += [
        f"  {_when(m.created_at)} {m.symbol or '-'} {m.side or ''} {m.reason_code or '-'}"
        + (f": {m.reason_message}" if m.reason_message else "")
        for m in rows
    ]
    return "\n".join(lines)


def monitoring_text(health: SystemHealth, blocked: Sequence[MessageRow]) -> str:
    lines = [f"{MARK.get(health.status, '')} System: {health.status}"]
    lines += [f"{MARK.get(c.status, '')} {c.name}: {c.message}" for c in health.components]
    return fit("\n".join([*lines, "", blocked_text(blocked)]))


def help_text(commands: Sequence[tuple[str, str]]) -> str:
    lines = ["Commands:"] + [f"/{name} - {description}" for name, description in commands]
    return "\n".join(lines)


def _price(value: Decimal | None) -> str:
    return "-" if value is None else plain(value)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%m-%d %H:%M} UTC"
