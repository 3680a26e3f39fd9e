"""The per-cycle records: every `watchlist_signal_state` row in ONE upsert, plus blocked ledger rows.

Blocked ledger rule (avoids the legacy 156k-row ledger): a BLOCKED row in `telegram_messages` is
written only when the (symbol, side, reason) changes. The last reason recorded per side lives in
`watchlist_signal_state.ledger_reasons`; the state row always carries the current reason, every
cycle. A sent alert clears its side's memory, so the next block after a sent alert is recorded
again. Stale market data is recorded under side `NONE`; NO_SIGNAL is never a ledger row (there
was no alert to block) - it is on the state row with the failing conditions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from atp.alerts.outbox import MessageKind, record_blocked
from atp.alerts.text import escape
from atp.monitor.decide import INTENT_CREATED, QUEUED, SymbolDecision
from atp.monitor.gates import AlertGate
from atp.monitor.inputs import PreviousState
from atp.signals.models import WatchlistSignalState

STALE_SIDE = "NONE"


def _ledger_side(decision: SymbolDecision) -> tuple[str, str, str] | None:
    """(side key, reason, detail) if this decision is a blocked alert worth a ledger row."""
    block = decision.alert_block
    if decision.error is not None or block is None or block.reason is None:
        return None
    if block.gate == AlertGate.MARKET_DATA_STALE:
        return STALE_SIDE, block.reason, block.detail
    if block.gate == AlertGate.NO_SIGNAL or decision.side not in ("BUY", "SELL"):
        return None
    return decision.side, block.reason, block.detail


def next_ledger_reasons(
    decision: SymbolDecision, previous: PreviousState | None
) -> tuple[dict[str, str], tuple[str, str, str] | None]:
    """(new ledger memory, the blocked row to write or None)."""
    memory = dict(previous.ledger_reasons) if previous else {}
    if decision.emits and decision.error is None:
        memory.pop(decision.side, None)
    fresh_block = (
        decision.alert_block is None or decision.alert_block.gate != AlertGate.MARKET_DATA_STALE
    )
    if fresh_block and decision.error is None:
        memory.pop(STALE_SIDE, None)  # data is fresh again: the next stale episode is recorded
    blocked = _ledger_side(decision)
    if blocked is None:
        return memory, None
    side, reason, _detail = blocked
    if memory.get(side) == reason:
        return memory, None
    memory[side] = reason
    return memory, blocked


def write_blocked_row(
    session: Session, decision: SymbolDecision, side: str, reason: str, detail: str
) -> None:
    label = f"{side} {decision.symbol}" if side != STALE_SIDE else decision.symbol
    text = f"🚫 {escape(label)} not sent: {escape(reason)}\n{escape(detail)}"
    record_blocked(
        session,
        idempotency_key=f"blocked:{decision.symbol}:{side}:{decision.correlation_id}",
        kind=MessageKind.ALERT,
        symbol=decision.symbol,
        side=None if side == STALE_SIDE else side,
        text=text,
        reason_code=reason,
        correlation_id=decision.correlation_id,
        context={
            "strategy_key": decision.strategy_key,
            "price": None if decision.price is None else format(decision.price, "f"),
            "detail": detail,
        },
    )


def state_row(
    decision: SymbolDecision, previous: PreviousState | None, ledger: dict[str, str]
) -> dict[str, Any]:
    alert_status, alert_reason, alert_detail = decision.alert_outcome()
    trade_status, trade_reason, trade_detail = decision.trade_outcome()
    now = decision.evaluated_at
    last_alert = previous.last_alert_at_utc if previous else None
    last_trade = previous.last_trade_at_utc if previous else None
    return {
        "symbol": decision.symbol,
        "strategy_key": decision.strategy_key,
        "signal_side": decision.side,
        "last_price": decision.price,
        "evaluated_at_utc": now,
        "conditions": decision.conditions,
        "indicators": decision.indicators,
        "decision_reason": decision.decision_reason,
        "alert_status": alert_status,
        "alert_block_reason": alert_reason,
        "alert_block_detail": alert_detail,
        "last_alert_at_utc": now if alert_status == QUEUED else last_alert,
        "trade_status": trade_status,
        "trade_block_reason": trade_reason,
        "trade_block_detail": trade_detail,
        "last_trade_at_utc": now if trade_status == INTENT_CREATED else last_trade,
        "correlation_id": decision.correlation_id,
        "ledger_reasons": ledger,
        "updated_at": now,
    }


def write_records(
    session: Session,
    decisions: Sequence[SymbolDecision],
    previous: dict[str, PreviousState | None],
) -> int:
    """Blocked ledger rows (only on change) and ONE upsert for all state rows. Flush only.

    Returns the number of blocked ledger rows written.
    """
    rows: list[dict[str, Any]] = []
    blocked_rows = 0
    for decision in decisions:
        prev = previous.get(decision.symbol)
        ledger, blocked = next_ledger_reasons(decision, prev)
        if blocked is not None:
            write_blocked_row(session, decision, *blocked)
            blocked_rows += 1
        rows.append(state_row(decision, prev, ledger))
    upsert_state_rows(session, rows)
    return blocked_rows


def upsert_state_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """All state rows in ONE `INSERT ... ON CONFLICT (symbol) DO UPDATE`, run as executemany.

    The statement has the same shape every cycle, so SQLAlchemy compiles it once and caches it;
    a multi-VALUES statement built per cycle was compiled again every time (~150-250 ms for
    500 rows). On PostgreSQL "insertmanyvalues" sends the rows as one multi-row INSERT (the page
    size is raised so it stays one statement); on SQLite it is one `executemany` call.
    """
    if not rows:
        return
    # The Table, not the ORM class: an ORM-enabled insert would take the per-row bulk path.
    table = cast(Table, WatchlistSignalState.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = insert.on_conflict_do_update(
        index_elements=["symbol"],
        set_={name: insert.excluded[name] for name in rows[0] if name != "symbol"},
    ).returning(table.c.symbol)
    stmt = stmt.execution_options(insertmanyvalues_page_size=max(1000, len(rows)))
    session.execute(stmt, rows).close()
