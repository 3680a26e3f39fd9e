"""One pass of the market updater: instruments, tickers and candles from a source into the DB.

Rules this module exists for:
- Requests run concurrently; the source's rate limiter (not sleeps) sets the pace.
- A symbol is all-or-nothing: if its ticker or any of its candle fetches fails or is malformed,
  NOTHING of that symbol's data is written; only `market_data_status` records the reason. So a
  failure can never make old data look fresh.
- One symbol's failure never blocks the others.
- Writing overlaps fetching: a symbol whose fetches all succeeded is committed at once by the
  pass's single writer thread (`writer.SymbolWriter`) while the others are still fetched.
- After the last symbol, one closing transaction on the same thread writes instruments, every
  status row and the heartbeat; freshness is evaluated there with the shared rule, and
  `[MARKET_DATA_STALE]` / `[MARKET_DATA_FRESH]` are logged once per state change (state kept in
  the database). If the pass fails before that, the symbols already committed stay (their data
  is complete and correctly stamped); status rows then lag one pass behind, never ahead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from atp.core.errors import short_error
from atp.core.timeframes import Timeframe
from atp.db.session import unit_of_work
from atp.market import repo
from atp.market.errors import MarketDataError
from atp.market.plan import PassPlan, candle_request, load_plan
from atp.market.ports import Candle, InstrumentInfo, MarketData, RowsWithErrors, Ticker
from atp.market.status import apply_freshness, status_rows
from atp.market.writer import SymbolWriter
from atp.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class SymbolOutcome:
    symbol: str
    ticker: Ticker | None = None
    candles: dict[Timeframe, list[Candle]] = field(default_factory=dict)
    error: str | None = None
    fetched_at: datetime | None = None
    ticker_fetched_at: datetime | None = None  # when the tickers were requested (not the candles)
    backfills: int = 0


@dataclass
class PassReport:
    cycle: int
    symbols: int
    ok: int
    errors: dict[str, str]
    stale: list[str]
    candles_written: int
    backfills: int
    pruned: int
    duration_s: float
    fetch_s: float = 0.0  # until the last fetch finished; the rest of duration_s is the tail
    write_busy_s: float = 0.0  # writer thread time spent on symbols (overlaps the fetching)

    def summary(self) -> str:
        return (
            f"market pass {self.cycle}: symbols={self.symbols} ok={self.ok} "
            f"errors={len(self.errors)} stale={len(self.stale)} candles={self.candles_written} "
            f"backfills={self.backfills} pruned={self.pruned} fetch_s={self.fetch_s:.2f} "
            f"duration_s={self.duration_s:.2f}"
        )


class MarketUpdater:
    def __init__(
        self, source: MarketData, sessions: sessionmaker[Session], settings: Settings
    ) -> None:
        self.source = source
        self.sessions = sessions
        self.settings = settings
        self.cycle = 0
        self.started_at = datetime.now(UTC)
        self.instance_id = settings.monitor_instance_id  # hostname:pid unless configured
        self._instruments_due_at = 0.0
        self._retention_due_at = 0.0
        self._tickers_requested_at: datetime | None = None

    async def run_pass(self) -> PassReport:
        """Fetch every tracked symbol, write each one that fully succeeded, record the rest."""
        self.cycle += 1
        started = time.monotonic()
        writer: SymbolWriter | None = None
        try:
            plan = await asyncio.to_thread(self._load_plan)
            keep = self._retention_keep_if_due()
            writer = SymbolWriter(
                self.sessions, source=self.source.source_name, stored=plan.states, prune_keep=keep
            )
            if keep is not None:
                writer.start_retention(skip=self._keys_pruned_on_write(plan, keep))
            instruments = await self._fetch_instruments(plan.symbols)
            known = set(instruments.rows) if instruments else plan.known_instruments
            tickers, ticker_error = await self._fetch_tickers(plan.symbols)
            outcomes, fetched = await self._fetch_and_write(
                plan, known, tickers, ticker_error, writer
            )
            finish = functools.partial(self._finish, plan, outcomes, instruments, writer, started)
            report = await writer.run(finish)
            report.fetch_s = fetched - started
        except Exception as exc:
            failed = functools.partial(self._write_failed_heartbeat, exc, started)
            # Through the writer when there is one: SQLite gets a single writer thread.
            await (writer.run(failed) if writer else asyncio.to_thread(failed))
            raise
        finally:
            if writer is not None:
                writer.close()
        level = logging.WARNING if report.errors else logging.INFO
        log.log(level, report.summary())
        return report

    async def _fetch_and_write(
        self,
        plan: PassPlan,
        known: set[str],
        tickers: RowsWithErrors[Ticker],
        ticker_error: str | None,
        writer: SymbolWriter,
    ) -> tuple[list[SymbolOutcome], float]:
        """All symbols concurrently; returns their outcomes and when the last fetch finished."""
        last_fetch = time.monotonic()

        async def fetch_then_write(symbol: str) -> SymbolOutcome:
            nonlocal last_fetch
            outcome = await self._fetch_symbol(symbol, plan, known, tickers, ticker_error)
            last_fetch = max(last_fetch, time.monotonic())
            if outcome.error is None:
                await writer.write(outcome)
            return outcome

        tasks = [asyncio.ensure_future(fetch_then_write(s)) for s in plan.symbols]
        try:
            outcomes = await asyncio.gather(*tasks)
        except BaseException:
            # An unexpected error fails the pass: stop the other symbols instead of orphaning them.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return list(outcomes), last_fetch

    # --- fetching -------------------------------------------------------------------------

    def _load_plan(self) -> PassPlan:
        with self.sessions() as session:
            return load_plan(
                session,
                extra_symbols=self.settings.market_extra_symbol_list,
                default_timeframes=self.settings.market_timeframe_list,
            )

    async def _fetch_instruments(self, symbols: list[str]) -> RowsWithErrors[InstrumentInfo] | None:
        if time.monotonic() < self._instruments_due_at:
            return None
        try:
            instruments = await self.source.fetch_instruments(symbols)
        except MarketDataError as exc:
            log.warning("instrument list not refreshed (kept the stored one): %s", exc)
            return None
        if not instruments.rows:
            log.warning("instrument list came back empty; kept the stored one")
            return None
        self._instruments_due_at = (
            time.monotonic() + self.settings.market_instruments_refresh_seconds
        )
        return instruments

    async def _fetch_tickers(self, symbols: list[str]) -> tuple[RowsWithErrors[Ticker], str | None]:
        # The ticker's own fetch time (taken before the request, so its age is never understated):
        # a ticker stamped with the later candle fetch time would look fresher than it is.
        self._tickers_requested_at = self.source.now()
        try:
            return await self.source.fetch_tickers(symbols), None
        except MarketDataError as exc:
            return RowsWithErrors(), str(exc)

    async def _fetch_symbol(
        self,
        symbol: str,
        plan: PassPlan,
        known: set[str],
        tickers: RowsWithErrors[Ticker],
        ticker_error: str | None,
    ) -> SymbolOutcome:
        outcome = SymbolOutcome(symbol)
        if known and symbol not in known:
            outcome.error = "INVALID_INSTRUMENT: not listed by the exchange"
        elif ticker_error is not None:
            outcome.error = f"ticker: {ticker_error}"
        elif symbol in tickers.errors:
            outcome.error = f"ticker: MALFORMED: {tickers.errors[symbol]}"
        elif symbol not in tickers.rows:
            outcome.error = "ticker: NOT_RETURNED"
        if outcome.error:
            return outcome
        outcome.ticker = tickers.rows[symbol]
        outcome.ticker_fetched_at = self._tickers_requested_at
        # Stamped with the time the candle requests were SENT: a response to a request sent
        # before a candle's close may hold the still-forming candle, so only a request sent at
        # or after the close proves the candle complete (the monitor's closed-candle rule).
        requested_at = self.source.now()
        now_ms = int(requested_at.timestamp() * 1000)
        results = await asyncio.gather(
            *(self._fetch_timeframe(symbol, tf, plan, now_ms) for tf in plan.timeframes),
            return_exceptions=True,
        )
        for tf, result in zip(plan.timeframes, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, MarketDataError):
                    raise result
                outcome.error = outcome.error or f"candles {tf.value}: {result}"
                continue
            candles, was_backfill = result
            outcome.candles[tf] = candles
            outcome.backfills += int(was_backfill)
        outcome.fetched_at = requested_at
        return outcome

    async def _fetch_timeframe(
        self, symbol: str, tf: Timeframe, plan: PassPlan, now_ms: int
    ) -> tuple[list[Candle], bool]:
        request = candle_request(
            plan.states.get((symbol, tf)),
            tf,
            now_ms=now_ms,
            backfill=self.settings.market_backfill_candles,
        )
        candles = await self.source.fetch_candles(
            symbol, tf, count=request.count, start_ms=request.start_ms
        )
        if not candles:
            raise MarketDataError("EMPTY", "no candles returned")
        return candles, request.is_backfill

    # --- writing --------------------------------------------------------------------------

    def _finish(
        self,
        plan: PassPlan,
        outcomes: list[SymbolOutcome],
        instruments: RowsWithErrors[InstrumentInfo] | None,
        writer: SymbolWriter,
        started: float,
    ) -> PassReport:
        """The closing transaction (writer thread): statuses, freshness, retention, heartbeat."""
        good = [o for o in outcomes if o.error is None]  # after the writes: WRITE_FAILED counts
        writer.retention_result()
        with unit_of_work(self.sessions) as session:
            if instruments is not None:
                repo.upsert_instruments(session, instruments.rows.values(), self.source.now())
            status = status_rows(plan, outcomes, attempted_at=self.source.now())
            stale = apply_freshness(session, plan, status, now=self.source.now())
            repo.upsert_statuses(session, list(status.values()))
            report = PassReport(
                cycle=self.cycle,
                symbols=len(outcomes),
                ok=len(good),
                errors={o.symbol: o.error for o in outcomes if o.error},
                stale=stale,
                candles_written=writer.candles_written,
                backfills=sum(o.backfills for o in outcomes),
                pruned=writer.pruned,
                duration_s=time.monotonic() - started,
                write_busy_s=writer.busy_s,
            )
            self._heartbeat(session, report)
        return report

    def _retention_keep_if_due(self) -> int | None:
        """How many candles per key to keep if retention is due this pass, else None."""
        if time.monotonic() < self._retention_due_at:
            return None
        self._retention_due_at = time.monotonic() + self.settings.market_retention_interval_seconds
        return max(
            self.settings.market_max_candles_per_timeframe, self.settings.market_backfill_candles
        )

    @staticmethod
    def _keys_pruned_on_write(plan: PassPlan, keep: int) -> set[tuple[str, str]]:
        """Keys the pass may write that hold at most `keep` rows now: the writer prunes them
        with their write if they grow past it; every other key is pruned at the pass start."""
        return {
            (symbol, tf.value)
            for symbol in plan.symbols
            for tf in plan.timeframes
            if (state := plan.states.get((symbol, tf))) is None or state.count <= keep
        }

    def _heartbeat(self, session: Session, report: PassReport) -> None:
        first_error = next(iter(report.errors.items()), None)
        repo.write_heartbeat(
            session,
            instance_id=self.instance_id,
            started_at=self.started_at,
            cycle=self.cycle,
            last_cycle_ms=int(report.duration_s * 1000),
            items=report.ok,
            errors=len(report.errors),
            last_error=f"{first_error[0]}: {first_error[1]}" if first_error else None,
            details={
                "source": self.source.source_name,
                "symbols": report.symbols,
                "stale": len(report.stale),
                "candles_written": report.candles_written,
                "backfills": report.backfills,
                "pruned": report.pruned,
            },
        )

    def _write_failed_heartbeat(self, exc: BaseException, started: float) -> None:
        try:
            with unit_of_work(self.sessions) as session:
                repo.write_heartbeat(
                    session,
                    instance_id=self.instance_id,
                    started_at=self.started_at,
                    cycle=self.cycle,
                    last_cycle_ms=int((time.monotonic() - started) * 1000),
                    items=0,
                    errors=1,
                    last_error=f"pass failed: {short_error(exc)}",
                    details={"source": self.source.source_name},
                )
        except Exception:  # the database itself may be what failed; the runner logs the cause
            log.debug("could not record the failed pass in the heartbeat", exc_info=True)
