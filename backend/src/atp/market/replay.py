"""Offline market data behind the same `MarketData` port: synthetic generator or CSV files.

`atp market` with MARKET_SOURCE=replay fills the same tables as the exchange does, so the
whole system runs without network. Time comes from a `ReplayClock`:
`now = start + (wall - wall_anchor) * REPLAY_SPEED`. For the synthetic feed the start is the
wall clock, so at speed 1 replay time equals real time (separate processes agree on it).

CSV files are `{SYMBOL}-{timeframe}.csv` with header `ts_ms,open,high,low,close,volume`
(`1d` in a file name is read as `1D`). Only candles that have closed by replay time are
visible; the clock starts where every file has enough history for a backfill.
"""

from __future__ import annotations

import csv
import math
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from atp.core.timeframes import Timeframe, duration_ms, parse_timeframe
from atp.market.errors import MalformedDataError, MarketDataError
from atp.market.ports import Candle, InstrumentInfo, RowsWithErrors, Ticker
from atp.market.synthetic import SyntheticMarket

_DAY_MS = 86_400_000
_FILE_TIMEFRAME_ALIASES = {"1d": "1D", "7d": "7D", "14d": "14D"}
_CSV_HEADER = ["ts_ms", "open", "high", "low", "close", "volume"]


class ReplayClock:
    def __init__(
        self, start: datetime, *, speed: float = 1.0, wall: Callable[[], float] = time.time
    ) -> None:
        self.start = start
        self.speed = speed
        self._wall = wall
        self._anchor = wall()

    def now(self) -> datetime:
        elapsed = (self._wall() - self._anchor) * self.speed
        return datetime.fromtimestamp(self.start.timestamp() + elapsed, tz=UTC)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)


def price_decimals(price: float) -> int:
    """Decimal places that give about six significant digits (2..10)."""
    if price <= 0:
        return 8
    return max(2, min(10, 5 - math.floor(math.log10(price))))


def _dec(value: float, places: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def replay_instrument(symbol: str, reference_price: float) -> InstrumentInfo:
    places = price_decimals(reference_price)
    base, _, quote = symbol.partition("_")
    return InstrumentInfo(
        symbol=symbol,
        inst_type="CCY_PAIR",
        base_ccy=base,
        quote_ccy=quote or "USD",
        price_tick_size=Decimal(1).scaleb(-places),
        qty_tick_size=Decimal("0.0001"),
        quote_decimals=places,
        quantity_decimals=4,
        max_leverage=None,
        tradable=True,
        margin_buy_enabled=False,
        margin_sell_enabled=False,
    )


class _ReplayBase:
    source_name = "replay"

    def __init__(self, clock: ReplayClock) -> None:
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    async def aclose(self) -> None:
        return None

    def _candles_from_tuples(
        self, rows: Sequence[tuple[int, float, float, float, float, float]], places: int
    ) -> list[Candle]:
        return [
            Candle(
                t, _dec(o, places), _dec(h, places), _dec(lo, places), _dec(c, places), _dec(v, 4)
            )
            for t, o, h, lo, c, v in rows
        ]

    def _ticker(
        self, symbol: str, last: Candle, day: list[Candle], ts_ms: int, places: int
    ) -> Ticker:
        half_spread = last.close * Decimal("0.0002")
        tick = Decimal(1).scaleb(-places)
        return Ticker(
            symbol=symbol,
            last=last.close,
            bid=(last.close - half_spread).quantize(tick),
            ask=(last.close + half_spread).quantize(tick),
            high_24h=max(c.high for c in day),
            low_24h=min(c.low for c in day),
            volume_24h=sum((c.volume for c in day), Decimal(0)),
            volume_value_24h=None,
            change_24h=((last.close - day[0].open) / day[0].open).quantize(Decimal("0.000001")),
            exchange_ts_ms=ts_ms,
        )


class SyntheticReplaySource(_ReplayBase):
    """Any symbol, any timeframe, generated on demand from a seed."""

    def __init__(self, *, seed: int, clock: ReplayClock) -> None:
        super().__init__(clock)
        self.market = SyntheticMarket(seed)

    def _places(self, symbol: str) -> int:
        return price_decimals(self.market.base_price(symbol))

    async def fetch_instruments(self, symbols: Sequence[str]) -> RowsWithErrors[InstrumentInfo]:
        return RowsWithErrors(
            rows={s: replay_instrument(s, self.market.base_price(s)) for s in symbols}
        )

    async def fetch_tickers(self, symbols: Sequence[str]) -> RowsWithErrors[Ticker]:
        now_ms = self.clock.now_ms()
        out: RowsWithErrors[Ticker] = RowsWithErrors()
        for symbol in symbols:
            places = self._places(symbol)
            day = self._candles_from_tuples(
                self.market.candles(symbol, Timeframe.H1, count=24, now_ms=now_ms), places
            )
            out.rows[symbol] = self._ticker(symbol, day[-1], day, now_ms, places)
        return out

    async def fetch_candles(
        self, symbol: str, timeframe: Timeframe, *, count: int, start_ms: int | None = None
    ) -> list[Candle]:
        rows = self.market.candles(
            symbol, timeframe, count=count, now_ms=self.clock.now_ms(), start_ms=start_ms
        )
        return self._candles_from_tuples(rows, self._places(symbol))


@dataclass(frozen=True)
class _Series:
    open_ms: list[int]
    rows: list[Candle]


class CsvReplaySource(_ReplayBase):
    """Candles from `{SYMBOL}-{timeframe}.csv` files, revealed as replay time passes."""

    def __init__(
        self,
        series: dict[tuple[str, Timeframe], _Series],
        clock: ReplayClock,
        *,
        offset_ms: int = 0,
    ) -> None:
        super().__init__(clock)
        self.series = series
        self.offset_ms = offset_ms  # added to every time this source reports (see from_dir)

    @classmethod
    def from_dir(
        cls,
        directory: Path,
        *,
        speed: float,
        backfill: int,
        wall: Callable[[], float] = time.time,
        relabel_to_wall: bool = False,
    ) -> CsvReplaySource:
        """Replay `directory` from the first instant every file has `backfill` candles.

        `relabel_to_wall` moves the history by whole days so that replay time equals the wall
        clock (at speed 1): the monitor and the freshness rule judge data by wall time, and
        months-old candles would rightly be refused as stale. Whole days keep 5m / 1h / 1D
        candle boundaries where they were; the start moves forward by less than a day for that.
        """
        series = dict(_read_csv(path) for path in sorted(directory.glob("*.csv")))
        if not series:
            raise MarketDataError(
                "NO_DATA", f"no {{SYMBOL}}-{{timeframe}}.csv files in {directory}"
            )
        start_ms = max(
            s.open_ms[min(backfill, len(s.open_ms)) - 1] + duration_ms(tf)
            for (_, tf), s in series.items()
        )
        offset_ms = 0
        if relabel_to_wall:
            wall_ms = int(wall() * 1000)
            start_ms += (wall_ms - start_ms) % _DAY_MS
            offset_ms = wall_ms - start_ms
            end_ms = min(s.open_ms[-1] + duration_ms(tf) for (_, tf), s in series.items())
            if start_ms >= end_ms:
                raise MarketDataError(
                    "NO_DATA",
                    f"CSV files in {directory} end too soon: replaying in step with the wall "
                    "clock needs at least one day of candles in every file after the backfill",
                )
        clock = ReplayClock(datetime.fromtimestamp(start_ms / 1000, tz=UTC), speed=speed, wall=wall)
        return cls(series, clock, offset_ms=offset_ms)

    def now(self) -> datetime:
        return datetime.fromtimestamp((self.clock.now_ms() + self.offset_ms) / 1000, tz=UTC)

    def _relabel(self, candle: Candle) -> Candle:
        if not self.offset_ms:
            return candle
        return replace(candle, open_time_ms=candle.open_time_ms + self.offset_ms)

    def _visible(self, symbol: str, timeframe: Timeframe) -> list[Candle]:
        s = self.series.get((symbol, timeframe))
        if s is None:
            raise MarketDataError("NO_DATA", f"no CSV file for {symbol} {timeframe.value}")
        cutoff = self.clock.now_ms() - duration_ms(timeframe)  # only closed candles
        return s.rows[: bisect_right(s.open_ms, cutoff)]

    def _symbols(self) -> set[str]:
        return {symbol for symbol, _ in self.series}

    async def fetch_instruments(self, symbols: Sequence[str]) -> RowsWithErrors[InstrumentInfo]:
        out: RowsWithErrors[InstrumentInfo] = RowsWithErrors()
        for (symbol, _tf), s in self.series.items():
            if symbol not in out.rows:
                out.rows[symbol] = replay_instrument(symbol, float(s.rows[-1].close))
        return out

    async def fetch_tickers(self, symbols: Sequence[str]) -> RowsWithErrors[Ticker]:
        out: RowsWithErrors[Ticker] = RowsWithErrors()
        for symbol in sorted(self._symbols()):
            finest = min((tf for sym, tf in self.series if sym == symbol), key=duration_ms)
            visible = self._visible(symbol, finest)
            if not visible:
                out.errors[symbol] = "no candle has closed yet at replay time"
                continue
            last = visible[-1]
            day_start = last.open_time_ms + duration_ms(finest) - 86_400_000
            day = [c for c in visible[-1500:] if c.open_time_ms >= day_start] or [last]
            places = max(-last.close.as_tuple().exponent, 0)  # type: ignore[operator]
            # A ticker is a snapshot taken now (its last price: the newest closed candle's close),
            # so it carries replay time like the synthetic feed, not that candle's close time.
            now_ms = self.clock.now_ms() + self.offset_ms
            out.rows[symbol] = self._ticker(symbol, last, day, now_ms, int(places))
        return out

    async def fetch_candles(
        self, symbol: str, timeframe: Timeframe, *, count: int, start_ms: int | None = None
    ) -> list[Candle]:
        visible = [self._relabel(c) for c in self._visible(symbol, timeframe)[-count:]]
        return [c for c in visible if start_ms is None or c.open_time_ms >= start_ms]


def _read_csv(path: Path) -> tuple[tuple[str, Timeframe], _Series]:
    symbol, _, tf_text = path.stem.rpartition("-")
    try:
        timeframe = parse_timeframe(_FILE_TIMEFRAME_ALIASES.get(tf_text, tf_text))
    except ValueError as exc:
        raise MalformedDataError(f"{path.name}: {exc}") from None
    rows: list[Candle] = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        if next(reader, None) != _CSV_HEADER:
            raise MalformedDataError(f"{path.name}: header must be {','.join(_CSV_HEADER)}")
        for line_no, record in enumerate(reader, start=2):
            try:
                ts, o, h, lo, c, v = record
                rows.append(
                    Candle(int(ts), Decimal(o), Decimal(h), Decimal(lo), Decimal(c), Decimal(v))
                )
            except (ValueError, ArithmeticError):
                raise MalformedDataError(f"{path.name}:{line_no}: bad row {record!r}") from None
    rows.sort(key=lambda candle: candle.open_time_ms)
    if not rows:
        raise MalformedDataError(f"{path.name}: no rows")
    return (symbol.upper(), timeframe), _Series([r.open_time_ms for r in rows], rows)
