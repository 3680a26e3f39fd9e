"""Per-symbol fetch status and stale/fresh transitions, written to `market_data_status`.

The data-health view reads these rows: `status` (OK / ERROR / STALE), the last error reason,
consecutive failures, and `stale_since`. Transitions are logged once, not every pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from atp.market.freshness import Freshness, load_freshness

if TYPE_CHECKING:
    from atp.market.plan import PassPlan
    from atp.market.updater import SymbolOutcome

log = logging.getLogger("atp.market")

STATUS_OK = "OK"
STATUS_ERROR = "ERROR"
STATUS_STALE = "STALE"


def status_rows(
    plan: PassPlan, outcomes: Sequence[SymbolOutcome], *, attempted_at: datetime
) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        prev = plan.statuses.get(outcome.symbol)
        row: dict[str, Any] = {
            "symbol": outcome.symbol,
            "last_attempt_at": attempted_at,
            "stale_since": prev.stale_since if prev else None,
            "stale_detail": prev.stale_detail if prev else None,
            "updated_at": attempted_at,
        }
        failures = prev.consecutive_failures if prev else 0
        if outcome.error is None:
            if failures:
                log.info(
                    "symbol=%s fetch recovered after %d failed pass(es)", outcome.symbol, failures
                )
            row.update(
                status=STATUS_OK,
                last_success_at=outcome.fetched_at,
                last_error=None,
                consecutive_failures=0,
            )
        else:
            error = outcome.error[:1000]
            if prev is None or prev.last_error != error:
                log.warning("[MARKET_DATA_ERROR] symbol=%s reason=%s", outcome.symbol, error)
            row.update(
                status=STATUS_ERROR,
                last_success_at=prev.last_success_at if prev else None,
                last_error=error,
                consecutive_failures=failures + 1,
            )
        rows[outcome.symbol] = row
    return rows


def apply_freshness(
    session: Session, plan: PassPlan, rows: dict[str, dict[str, Any]], *, now: datetime
) -> list[str]:
    """Evaluate every tracked symbol x timeframe after the writes; log and record transitions.

    Returns the symbols that are stale for at least one timeframe.
    """
    worst: dict[str, Freshness] = {}
    for timeframe in plan.timeframes:
        for symbol, verdict in load_freshness(session, plan.symbols, timeframe, now).items():
            if not verdict.fresh and symbol not in worst:
                worst[symbol] = verdict
    for symbol, row in rows.items():
        stale = worst.get(symbol)
        if stale is not None:
            _mark_stale(row, stale, now)
        elif row["stale_since"] is not None:
            stale_for = (now - row["stale_since"]).total_seconds()
            log.info(
                "[MARKET_DATA_FRESH] symbol=%s stale_for_s=%.0f data is fresh again",
                symbol,
                stale_for,
            )
            row.update(stale_since=None, stale_detail=None)
    return sorted(worst)


def _mark_stale(row: dict[str, Any], verdict: Freshness, now: datetime) -> None:
    if row["stale_since"] is None:
        log.warning("[MARKET_DATA_STALE] %s", verdict.log_fields())
        row["stale_since"] = now
    row["stale_detail"] = verdict.log_fields()[:255]
    if row["status"] == STATUS_OK:
        row["status"] = STATUS_STALE
