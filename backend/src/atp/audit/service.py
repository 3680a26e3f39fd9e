"""`run_audit`: global checks + per-symbol causes + ranking, optionally stored in `audit_runs`.

Called by `atp audit`, the cron script and `GET /api/health/audit` (dry, not stored). Reads in a
handful of batch queries (no query per symbol), so the summary stays well under a second for a
500-symbol watchlist. Dry mode never calls the exchange; live mode adds one balance read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from atp.audit import checks
from atp.audit.records import load_items, load_records
from atp.audit.report import rank_root_causes, to_markdown
from atp.audit.symbols import audit_symbol
from atp.audit.types import DRY, LIVE, AuditCannotRun, AuditResult
from atp.core.errors import clean_error_text
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.causes import global_causes
from atp.monitor.cycle import telegram_gate_state
from atp.monitor.service import monitor_status
from atp.ops.models import AuditRun
from atp.settings import Settings
from atp.watchlist.fields import normalise_symbol

if TYPE_CHECKING:
    from atp.audit.exchange import ProbeBroker
    from atp.db.revision import RevisionStatus

MAX_SINCE_HOURS = 24 * 366
NOTES = [
    "NO_SIGNAL evidence is the last recorded evaluation's conditions (the state row keeps only "
    "the latest cycle; earlier near-misses are not recorded).",
    "A trade cause is the gate that refused the order of the newest alert in the window; "
    "without an alert in the window it is the alert's cause (no alert, no order).",
]


def parse_symbols(raw: str | Sequence[str] | None) -> list[str] | None:
    """`ETH_USDT,btc_usd` -> ['BTC_USD', 'ETH_USDT'] (InvalidValueError for a malformed one)."""
    if raw is None:
        return None
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    symbols = sorted({normalise_symbol(p) for p in parts if p.strip()})
    return symbols or None


def require_head(status: RevisionStatus) -> None:
    """AuditCannotRun unless `status` (atp.db.revision.revision_status) is at head."""
    if not status.at_head:
        current = status.current or "none (empty database)"
        raise AuditCannotRun(
            f"the database schema is not at head (current {current}, head {status.head}); "
            "nothing recorded can be read yet: run `atp migrate`"
        )


def run_audit(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    since_hours: float = 168,
    symbols: Sequence[str] | None = None,
    mode: str = DRY,
    source: str = "cli",
    now: datetime | None = None,
    store: bool = True,
    probe_broker: ProbeBroker | None = None,
) -> AuditResult:
    """The audit; AuditCannotRun when the database cannot be read (a missing table included)."""
    if not 0 < since_hours <= MAX_SINCE_HOURS:
        raise ValueError(f"--since-hours must be > 0 and <= {MAX_SINCE_HOURS}")
    if mode not in (DRY, LIVE):
        raise ValueError("--mode must be dry or live")
    if mode == LIVE and probe_broker is None:  # wired by the entry point (atp.runtime.broker)
        raise ValueError("--mode live needs the exchange probe")
    now = now or utcnow()
    try:
        result = _collect(sessions, settings, now, since_hours, symbols, mode, source)
        if mode == LIVE and probe_broker is not None:
            from atp.audit.exchange import exchange_check_live

            live = exchange_check_live(settings, probe_broker)
            result.checks = [live if c.name == live.name else c for c in result.checks]
        result.root_causes = rank_root_causes(result)
        if store:
            result.run_id = store_run(sessions, result, started_at=now)
    except SQLAlchemyError as exc:
        detail = clean_error_text(str(getattr(exc, "orig", exc)))
        raise AuditCannotRun(f"cannot read the database ({detail}); run `atp migrate`?") from None
    return result


def _collect(
    sessions: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    since_hours: float,
    symbols: Sequence[str] | None,
    mode: str,
    source: str,
) -> AuditResult:
    since = now - timedelta(hours=since_hours)
    with sessions() as session:
        status = monitor_status(session, settings, now)
        telegram_open = telegram_gate_state(settings, session).open
        causes = global_causes(status, telegram_open=telegram_open)
        items = load_items(session, symbols)
        wanted = list(symbols) if symbols is not None else [i.symbol for i in items]
        by_symbol = {i.symbol: i for i in items}
        records = load_records(session, wanted, since)
        audited = [audit_symbol(s, by_symbol.get(s), records[s], causes, since) for s in wanted]
        result_checks = [
            checks.monitor_check(status, telegram_open),
            checks.telegram_check(session, settings, since),
            checks.market_check(session, settings, items, now),
            checks.exchange_check_dry(session, settings),
            checks.trading_check(session, settings),
            checks.outbox_check(session, now),
        ]
        session.rollback()  # read only
    notes = list(NOTES)
    if not wanted:
        notes.insert(0, "the watchlist is empty: no symbol to audit (`atp watchlist add ...`)")
    return AuditResult(
        generated_at=now,
        since=since,
        since_hours=since_hours,
        mode=mode,
        source=source,
        checks=result_checks,
        global_causes=[c.to_dict() for c in causes],
        symbols=audited,
        root_causes=[],
        notes=notes,
    )


def store_run(sessions: sessionmaker[Session], result: AuditResult, *, started_at: datetime) -> int:
    """One `audit_runs` row. The table has no columns for the window, mode or exit code: they are
    in `summary` (the full JSON), which is also what the trend reads."""
    with unit_of_work(sessions) as session:
        row = AuditRun(
            started_at=started_at,
            finished_at=utcnow(),
            global_status=result.global_status,
            source=result.source[:16],
            summary={**result.to_dict(), "exit_code": result.exit_code},
            report_markdown=to_markdown(result),
        )
        session.add(row)
        session.flush()
        return row.id
