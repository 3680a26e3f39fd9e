"""Per symbol: the first cause that blocked alerts and trades in the window, with its evidence.

Order (the order `atp why` uses, so both name the same code):
  alerts: a global cause that stops alerts -> not on the watchlist -> alert_enabled off ->
          no decision recorded in the window -> the last recorded decision's alert reason
          (MARKET_DATA_STALE, NO_SIGNAL:..., SIDE_DISABLED, THROTTLED_*, TELEGRAM_DISABLED:...)
          -> the last emitted alert ended FAILED / EXPIRED (ALERTS_FAILING).
  trades: a global cause that stops trades -> not on the watchlist -> if an alert went out in
          the window, the trade gate that refused its order (KILL_SWITCH, TRADE_DISABLED,
          INVALID_TRADE_AMOUNT, the limits, ...) -> otherwise the alert's cause (no alert, no order).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from atp.audit.records import SymbolRecords
from atp.audit.types import SymbolAudit, Verdict
from atp.monitor.causes import ALERT, GlobalCause
from atp.monitor.fixes import fix_for
from atp.watchlist.models import WatchlistItem

SENT, BLOCKED, NONE, ORDERED = "SENT", "BLOCKED", "NONE", "ORDERED"
UNDELIVERED = frozenset({"FAILED", "EXPIRED"})


def audit_symbol(
    symbol: str,
    item: WatchlistItem | None,
    records: SymbolRecords,
    causes: list[GlobalCause],
    since: datetime,
) -> SymbolAudit:
    alert = alert_verdict(symbol, item, records, causes, since)
    trade = trade_verdict(symbol, item, records, causes, since, alert)
    return SymbolAudit(
        symbol=symbol,
        config=_config(item),
        last_decision=_last_decision(records),
        alert=alert,
        trade=trade,
        window={
            "alerts": records.alerts,
            "blocked": records.blocked,
            "intents": records.intents,
            "last_intent": records.last_intent,
        },
    )


def _verdict(
    symbol: str, cause: str, source: str, status: str = BLOCKED, **evidence: Any
) -> Verdict:
    return Verdict(status, cause, evidence, fix_for(cause, symbol), source)


def _global(symbol: str, cause: GlobalCause) -> Verdict:
    return _verdict(symbol, cause.code, "global", message=cause.message, since=cause.since)


def _recorded(records: SymbolRecords, since: datetime) -> bool:
    state = records.state
    return state is not None and state.evaluated_at_utc >= since


def alert_verdict(
    symbol: str,
    item: WatchlistItem | None,
    records: SymbolRecords,
    causes: list[GlobalCause],
    since: datetime,
) -> Verdict:
    first = next((c for c in causes if c.blocks == ALERT), None)
    if first is not None:
        return _global(symbol, first)
    if item is None or item.is_deleted:
        return _verdict(symbol, "NOT_ON_WATCHLIST", "configuration", deleted=item is not None)
    if not item.alert_enabled:
        return _verdict(symbol, "ALERT_DISABLED", "configuration", alert_enabled=False)
    state = records.state
    if state is None or not _recorded(records, since):
        last = None if state is None else state.evaluated_at_utc.isoformat()
        return _verdict(symbol, "NOT_EVALUATED", "state", last_evaluated_at=last)
    if state.alert_block_reason:
        return _verdict(
            symbol,
            state.alert_block_reason,
            "state",
            **_block_evidence(records, state.alert_block_reason),
        )
    newest = records.last_alert
    if newest is not None and newest.status in UNDELIVERED:
        return _verdict(
            symbol,
            "ALERTS_FAILING",
            "message",
            message_id=newest.id,
            status=newest.status,
            at=newest.updated_at.isoformat(),
            error=newest.reason_message or newest.last_error or newest.reason_code,
        )
    status = SENT if records.alerts else NONE
    return Verdict(status, None, {"alerts_in_window": records.alerts}, None, "state")


def _block_evidence(records: SymbolRecords, reason: str) -> dict[str, Any]:
    state = records.state
    assert state is not None
    code = reason.split(":", 1)[0]
    evidence: dict[str, Any] = {
        "evaluated_at": state.evaluated_at_utc.isoformat(),
        "signal_side": state.signal_side,
        "price": None if state.last_price is None else format(state.last_price, "f"),
        "detail": state.alert_block_detail,
    }
    ledger = records.blocked.get(reason)
    if ledger is not None:
        evidence["ledger"] = ledger  # how long it has been blocked for this reason
    if code == "NO_SIGNAL":
        evidence["failing_conditions"] = failing_conditions(state.conditions or [])
    if code.startswith("THROTTLED"):
        evidence["last_sent"] = records.throttle
    return evidence


def failing_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each failing condition with its actual value, threshold and how far it was from passing."""
    out = []
    for cond in conditions:
        if cond.get("passed"):
            continue
        actual, threshold = cond.get("actual"), cond.get("threshold")
        gap = gap_pct = None
        if isinstance(actual, int | float) and isinstance(threshold, int | float):
            gap = round(abs(actual - threshold), 6)
            gap_pct = round(100 * gap / abs(threshold), 2) if threshold else None
        out.append(
            {
                "side": cond.get("side"),
                "name": cond.get("name"),
                "actual": actual,
                "threshold": threshold,
                "gap": gap,
                "gap_pct": gap_pct,
            }
        )
    return sorted(out, key=lambda c: (c["gap_pct"] is None, c["gap_pct"] or 0))


def trade_verdict(
    symbol: str,
    item: WatchlistItem | None,
    records: SymbolRecords,
    causes: list[GlobalCause],
    since: datetime,
    alert: Verdict,
) -> Verdict:
    first = next((c for c in causes if c.blocks is not None), None)
    if first is not None:
        return _global(symbol, first)
    if item is None or item.is_deleted:
        return _verdict(symbol, "NOT_ON_WATCHLIST", "configuration")
    emitted = _last_emission(records, since)
    if emitted is not None:
        reason, evidence = emitted
        if reason is None:
            return Verdict(ORDERED, None, evidence, None, "state")
        return _verdict(symbol, reason, "state", **evidence)
    if alert.cause is not None:  # no alert went out: no order either, for the same reason
        return Verdict(
            BLOCKED, alert.cause, {"because": "no alert was emitted"}, alert.fix, alert.source
        )
    return Verdict(NONE, None, {}, None, None)


def _last_emission(
    records: SymbolRecords, since: datetime
) -> tuple[str | None, dict[str, Any]] | None:
    """(trade block reason or None = intent created, evidence) of the newest alert in the window."""
    state = records.state
    if (
        state is not None
        and _recorded(records, since)
        and state.trade_status in ("BLOCKED", "INTENT_CREATED")
    ):
        evidence = {
            "alert_at": state.evaluated_at_utc.isoformat(),
            "detail": state.trade_block_detail,
            "intents_in_window": records.intents,
        }
        return state.trade_block_reason, evidence
    last = records.last_alert
    if last is None:
        return None
    context = last.context or {}
    evidence = {
        "alert_at": last.created_at.isoformat(),
        "message_id": last.id,
        "detail": _gate_detail(context, context.get("trade_block_reason")),
        "intents_in_window": records.intents,
    }
    return context.get("trade_block_reason"), evidence


def _gate_detail(context: dict[str, Any], reason: str | None) -> str | None:
    for gate in context.get("trade_gates") or []:
        if reason is not None and gate.get("reason") == reason:
            return str(gate.get("detail") or "")
    return None


def _config(item: WatchlistItem | None) -> dict[str, Any]:
    if item is None:
        return {"on_watchlist": False}
    amount = item.trade_amount_usd
    return {
        "on_watchlist": not item.is_deleted,
        "preset": item.preset,
        "alert_enabled": item.alert_enabled,
        "buy_alert_enabled": item.buy_alert_enabled,
        "sell_alert_enabled": item.sell_alert_enabled,
        "trade_enabled": item.trade_enabled,
        "trade_amount_usd": None if amount is None else format(amount, "f"),
    }


def _last_decision(records: SymbolRecords) -> dict[str, Any] | None:
    state = records.state
    if state is None:
        return None
    return {
        "evaluated_at": state.evaluated_at_utc.isoformat(),
        "signal_side": state.signal_side,
        "price": None if state.last_price is None else format(state.last_price, "f"),
        "alert_status": state.alert_status,
        "alert_block_reason": state.alert_block_reason,
        "trade_status": state.trade_status,
        "trade_block_reason": state.trade_block_reason,
        "correlation_id": state.correlation_id,
    }
