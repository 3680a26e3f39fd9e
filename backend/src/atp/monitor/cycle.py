"""One monitor cycle, designed for speed (500 symbols well under a second):

1. read phase (one session): alert-enabled, not deleted watchlist rows; presets resolved in
   batch; candles and freshness per timeframe from the leader's candle cache (only rows changed
   since the last cycle are read, see candle_cache.py); tickers, throttle memory and the
   previous state rows (one query each); trading switches; Telegram status.
2. config check: a symbol whose configuration hash changed gets its throttle baseline reset
   (its own small transaction, recorded in config_changes with source=system). The reset is
   conditional on what was read; if the row changed meanwhile the symbol is skipped this cycle.
3. evaluate + alert gates for every symbol in memory (one symbol's exception is that symbol's
   ERROR row, never the cycle's end).
4. effects: for each symbol that emits, trade gates, then throttle update + outbox row + order
   intent + its state row in ONE transaction per symbol (a failing symbol rolls back alone).
5. records: blocked ledger rows (on change only), ONE upsert of the other state rows, and the
   expiry of order intents left PENDING too long.

Fencing: with a `fence` (the leader's role and epoch, atp.ops.leases) every writing transaction
checks it first; a deposed leader's cycle ends with FencedOut before it writes anything.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.gating import telegram_status
from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.activity import OrderActivity, load_activity
from atp.monitor.candle_cache import CandleCache
from atp.monitor.decide import (
    CycleContext,
    SymbolDecision,
    TelegramGateState,
    decide_symbol,
    evaluate_fresh,
    gate_trade,
)
from atp.monitor.effects import emit
from atp.monitor.inputs import SymbolInput, load_inputs, load_watchlist
from atp.monitor.records import write_records
from atp.monitor.switches import TradingSwitches, load_switches
from atp.monitor.throttle_state import (
    ThrottleChangedError,
    apply_config_hash,
    stale_rows,
    symbol_config_hash,
)
from atp.ops.leases import Fence, FencedOut
from atp.orders.checks import live_trading_required
from atp.orders.intents import expire_pending
from atp.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    started_at: datetime
    symbols: int = 0
    emitted: int = 0
    intents: int = 0
    stale: int = 0
    errors: int = 0
    blocked_ledger_rows: int = 0
    resets: int = 0
    skipped: int = 0  # throttle rows changed by another writer: decided again next cycle
    expired_intents: int = 0
    last_error: str | None = None
    duration_ms: int = 0
    switches: TradingSwitches | None = None
    telegram: TelegramGateState | None = None
    reasons: Counter[str] = field(default_factory=Counter)
    phase_ms: dict[str, float] = field(default_factory=dict)  # read/reset/evaluate/effects/write
    candle_cache: dict[str, int] = field(default_factory=dict)  # CacheStats of this cycle
    decisions: list[SymbolDecision] = field(default_factory=list)

    def summary(self) -> str:
        top = ",".join(f"{k}={v}" for k, v in self.reasons.most_common(5))
        return (
            f"symbols={self.symbols} emitted={self.emitted} intents={self.intents} "
            f"stale={self.stale} errors={self.errors} resets={self.resets} "
            f"skipped={self.skipped} expired_intents={self.expired_intents} "
            f"duration_ms={self.duration_ms} reasons={top or '-'}"
        )


def telegram_gate_state(settings: Settings, session: Session) -> TelegramGateState:
    status = telegram_status(settings, session)
    kind = status.notifier_kind
    open_ = kind in ("telegram", "console")
    # Console alerts reach nobody: an order behind them is acceptable only in paper mode.
    refuses = kind if open_ and kind != "telegram" and settings.trading_mode != "paper" else None
    return TelegramGateState(open_, tuple(str(r) for r in status.reasons), kind, refuses)


@contextmanager
def fenced_unit(sessions: sessionmaker[Session], fence: Fence | None) -> Iterator[Session]:
    """A unit of work whose first statement checks (and holds) the leader's fence."""
    with unit_of_work(sessions) as session:
        if fence is not None:
            fence.check(session)
        yield session


def run_cycle(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime | None = None,
    cache: CandleCache | None = None,
    fence: Fence | None = None,
) -> CycleReport:
    """One cycle. `cache` (the worker's, kept across cycles) makes later reads incremental.

    `fence`: the leader's epoch, checked in every writing transaction (FencedOut ends the cycle).
    """
    started = time.perf_counter()
    now = now or utcnow()
    report = CycleReport(started_at=now)
    clock = _PhaseClock(report)
    cache = cache if cache is not None else CandleCache()
    try:
        with sessions() as session:
            rows = load_watchlist(session)
            inputs = load_inputs(
                session,
                rows,
                now=now,
                candle_limit=settings.monitor_candle_limit,
                cache=cache,
                ticker_max_age_s=settings.monitor_ticker_max_age_seconds,
            )
            switches = load_switches(session)
            telegram = telegram_gate_state(settings, session)
    except Exception:
        cache.clear()  # a half-applied read must not be trusted next cycle
        raise
    report.symbols, report.switches, report.telegram = len(inputs), switches, telegram
    report.candle_cache = cache.stats.as_dict()
    clock.lap("read")
    hashes = _reset_changed(sessions, inputs, now, report, fence)
    inputs = [inp for inp in inputs if inp.item.symbol in hashes]
    clock.lap("reset")
    ctx = CycleContext(now=now, switches=switches, telegram=telegram)
    evaluated = evaluate_fresh(inputs)
    decisions = [decide_symbol(inp, ctx, ev) for inp, ev in zip(inputs, evaluated, strict=True)]
    clock.lap("evaluate")
    written = _apply_effects(sessions, settings, inputs, decisions, hashes, report, fence)
    clock.lap("effects")
    rest = [d for d in decisions if id(d) not in written]
    with fenced_unit(sessions, fence) as session:
        previous = {inp.item.symbol: inp.previous for inp in inputs}
        report.blocked_ledger_rows = write_records(session, rest, previous)
        report.expired_intents = expire_pending(session, now, settings.order_intent_ttl_seconds)
    clock.lap("write")
    _tally(report, decisions)
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    log.info("[MONITOR_CYCLE] %s", report.summary())
    return report


class _PhaseClock:
    def __init__(self, report: CycleReport) -> None:
        self.report = report
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phase_ms[name] = round((now - self.last) * 1000, 2)
        self.last = now


def _reset_changed(
    sessions: sessionmaker[Session],
    inputs: list[SymbolInput],
    now: datetime,
    report: CycleReport,
    fence: Fence | None,
) -> dict[str, str]:
    """symbol -> config hash, for the symbols this cycle decides (skipped ones are left out)."""
    hashes: dict[str, str] = {}
    for inp in inputs:
        current = _reset_if_changed(sessions, inp, now, report, fence)
        if current is not None:
            hashes[inp.item.symbol] = current
    return hashes


def _reset_if_changed(
    sessions: sessionmaker[Session],
    inp: SymbolInput,
    now: datetime,
    report: CycleReport,
    fence: Fence | None,
) -> str | None:
    """The symbol's config hash; resets its throttle rows first if the hash changed.

    None: the rows changed since they were read (another writer): skip the symbol this cycle.
    """
    current = symbol_config_hash(inp.item.config, inp.preset_version)
    changed = stale_rows(inp.throttle_rows, current)
    if not changed:
        return current
    try:
        with fenced_unit(sessions, fence) as session:
            updated = apply_config_hash(session, changed, current, now)
    except FencedOut:
        raise
    except ThrottleChangedError as exc:
        report.skipped += 1
        log.warning("[THROTTLE_RESET] symbol=%s skipped this cycle: %s", inp.item.symbol, exc)
        return None
    except Exception:
        log.exception("[MONITOR] config reset failed symbol=%s", inp.item.symbol)
        return current
    by_id = {m.id: m for m in updated}
    inp.throttle_rows = [by_id.get(m.id, m) for m in inp.throttle_rows]
    inp.select_memory()
    resets = [m for m in updated if m.reset_at == now]
    if resets:
        report.resets += len(resets)
        log.warning(
            "[THROTTLE_RESET] symbol=%s rows=%d reason=CONFIG_CHANGED", inp.item.symbol, len(resets)
        )
    return current


def _apply_effects(
    sessions: sessionmaker[Session],
    settings: Settings,
    inputs: list[SymbolInput],
    decisions: list[SymbolDecision],
    hashes: dict[str, str],
    report: CycleReport,
    fence: Fence | None,
) -> set[int]:
    """Write each emitting symbol's effects atomically; one symbol's failure rolls back alone.

    Returns the ids of the decisions whose effects (and state row) were committed.

    PostgreSQL: one transaction with a SAVEPOINT per symbol (one durable commit per cycle, not
    per alert). SQLite: one transaction per symbol - pysqlite's implicit transaction handling
    makes an outermost SAVEPOINT commit on release, so savepoints would not batch anything.
    """
    emitting = [(inp, d) for inp, d in zip(inputs, decisions, strict=True) if d.emits]
    if not emitting:
        return set()
    assert report.switches is not None and report.telegram is not None
    with sessions() as session:  # order activity is read only when some symbol emits
        activity = load_activity(session, emitting[0][1].evaluated_at)
        batched = session.get_bind().dialect.name == "postgresql"
    gates = _TradeInputs(
        report.switches, activity, report.telegram, live_trading_required(settings)
    )
    written = _write_effects(sessions, settings, emitting, hashes, gates, fence, batched=batched)
    for decision in written:
        report.emitted += 1
        report.intents += int(decision.creates_intent)
        log.info(
            "[ALERT_ENQUEUED] symbol=%s side=%s price=%s trade=%s correlation_id=%s",
            decision.symbol,
            decision.side,
            decision.price,
            decision.trade_outcome()[1] or "INTENT_CREATED",
            decision.correlation_id,
        )
    return {id(d) for d in written}


_Emitting = list[tuple[SymbolInput, SymbolDecision]]


@dataclass(frozen=True)
class _TradeInputs:
    switches: TradingSwitches
    activity: OrderActivity
    telegram: TelegramGateState
    live_trading_required: bool


def _write_effects(
    sessions: sessionmaker[Session],
    settings: Settings,
    emitting: _Emitting,
    hashes: dict[str, str],
    gates: _TradeInputs,
    fence: Fence | None,
    *,
    batched: bool,
) -> list[SymbolDecision]:
    """The decisions whose effects were committed (returned only after the commit)."""
    done: list[SymbolDecision] = []
    with fenced_unit(sessions, fence) if batched else nullcontext() as shared:
        for inp, decision in emitting:
            gate_trade(
                decision,
                inp,
                gates.switches,
                gates.activity,
                gates.telegram,
                live_trading_required=gates.live_trading_required,
            )
            try:
                with _symbol_scope(sessions, shared, fence) as session:
                    emit(
                        session,
                        decision,
                        inp,
                        settings=settings,
                        config_hash=hashes[decision.symbol],
                    )
                    # Its state row in the same transaction: a queued alert always says so.
                    write_records(session, [decision], {decision.symbol: inp.previous})
            except FencedOut:
                raise
            except Exception as exc:
                _effects_failed(decision, exc)
                continue
            done.append(decision)
            if decision.creates_intent:
                gates.activity.record_new_order(decision.symbol, decision.evaluated_at)
    return done


@contextmanager
def _symbol_scope(
    sessions: sessionmaker[Session], shared: Session | None, fence: Fence | None
) -> Iterator[Session]:
    """A SAVEPOINT inside the cycle's shared (fenced) transaction, or a fenced one of its own."""
    if shared is None:
        with fenced_unit(sessions, fence) as session:
            yield session
        return
    with shared.begin_nested():
        yield shared


def _effects_failed(decision: SymbolDecision, exc: Exception) -> None:
    log.exception("[MONITOR] effects failed symbol=%s; rolled back", decision.symbol)
    decision.error = f"EFFECTS_FAILED:{exc.__class__.__name__}"[:255]


def _tally(report: CycleReport, decisions: list[SymbolDecision]) -> None:
    for decision in decisions:
        _, reason, _ = decision.alert_outcome()
        if decision.error is not None:
            report.errors += 1
            report.last_error = f"{decision.symbol}: {decision.error}"
        if reason is not None:
            report.reasons[reason.split(":", 1)[0]] += 1
        if reason == "MARKET_DATA_STALE":
            report.stale += 1
    report.decisions = decisions
