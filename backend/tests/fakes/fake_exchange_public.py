"""Public market-data methods of the fake exchange, with data generated in code.

Prices follow a deterministic function of (seed, symbol, time), so any candle of any timeframe
can be produced on demand and answers are identical across runs. Tests may pin exact candles
(`set_candles`) or ticker fields (`set_ticker`), or make a symbol young (`listed_at_ms`).

Validation follows spec §7.3 / F-8..F-10: `1d` and other unknown timeframes -> 40003,
`count=0` -> 40004, count over 300 capped, non-integer count/timestamps -> 40003,
unknown instrument -> 209, missing instrument_name -> 40004.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.fakes.fake_exchange import PUBLIC_LIMIT, FakeApiError, FakeRequest

if TYPE_CHECKING:
    from tests.fakes.fake_exchange import FakeExchange

DEFAULT_SYMBOLS = ("BTC_USDT", "ETH_USDT", "SOL_USDT", "DOGE_USDT", "ADA_USDT")
MINUTE_MS = 60_000
DAY_MS = 86_400_000
_STEP_MS = {
    "1m": MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "2h": 120 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "6h": 360 * MINUTE_MS,
    "12h": 720 * MINUTE_MS,
    "1D": DAY_MS,
    "7D": 7 * DAY_MS,
    "14D": 14 * DAY_MS,
    "1M": 0,
}
_ALIASES = {
    "M1": "1m",
    "M5": "5m",
    "M15": "15m",
    "M30": "30m",
    "H1": "1h",
    "H2": "2h",
    "H4": "4h",
    "H12": "12h",
    "D1": "1D",
    "D7": "7D",
    "D14": "14D",
}
MAX_COUNT = 300
DEFAULT_COUNT = 25


def symbols_for(count: int) -> list[str]:
    """`count` distinct spot symbols (for benchmarks and large tests)."""
    return [f"C{i:03d}_USDT" for i in range(count)]


def _unit(*parts: object) -> float:
    """Deterministic uniform [0, 1) from the parts."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FakeMarket:
    def __init__(
        self, *, symbols: Iterable[str] | None, seed: int, clock_ms: Callable[[], int]
    ) -> None:
        self.seed = seed
        self.clock_ms = clock_ms
        self.symbols = list(symbols or DEFAULT_SYMBOLS)
        self.listed_at_ms: dict[str, int] = {}
        self.candle_overrides: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.ticker_overrides: dict[str, dict[str, Any]] = {}
        self.instrument_overrides: dict[str, dict[str, Any]] = {}  # e.g. pinned ticks
        self._closed: dict[tuple[str, str, int], dict[str, Any]] = {}  # closed candles never change
        self._lock = threading.Lock()

    # --- test controls --------------------------------------------------------------------

    def set_candles(self, symbol: str, timeframe: str, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self.candle_overrides[(symbol, timeframe)] = sorted(rows, key=lambda r: int(r["t"]))

    def set_ticker(self, symbol: str, **fields: Any) -> None:
        with self._lock:
            self.ticker_overrides[symbol] = fields

    # --- generated data -------------------------------------------------------------------

    def base_price(self, symbol: str) -> float:
        return 10 ** (_unit(self.seed, symbol, "base") * 6 - 1)  # 0.1 .. 100,000

    def price_at(self, symbol: str, ts_ms: int) -> float:
        base = self.base_price(symbol)
        phase = _unit(self.seed, symbol, "phase") * 2 * math.pi
        days = ts_ms / DAY_MS
        wave = 0.08 * math.sin(days / 7 * 2 * math.pi + phase) + 0.03 * math.sin(days * 2 * math.pi)
        wiggle = 0.004 * (_unit(self.seed, symbol, ts_ms // MINUTE_MS) - 0.5)
        return base * (1 + wave + wiggle)

    def decimals(self, symbol: str) -> int:
        return max(0, 6 - math.floor(math.log10(self.base_price(symbol))))

    def fmt(self, symbol: str, value: float) -> str:
        return f"{value:.{self.decimals(symbol)}f}"

    def instrument_row(self, symbol: str) -> dict[str, Any]:
        decimals = self.decimals(symbol)
        base, quote = symbol.split("_", 1)
        return {
            "symbol": symbol,
            "inst_type": "CCY_PAIR",
            "display_name": f"{base}/{quote}",
            "base_ccy": base,
            "quote_ccy": quote,
            "quote_decimals": decimals,
            "quantity_decimals": 4,
            "price_tick_size": str(Decimal(1).scaleb(-decimals)),
            "qty_tick_size": "0.0001",
            "max_leverage": "50",
            "tradable": True,
            "expiry_timestamp_ms": 0,
            "beta_product": False,
            "margin_buy_enabled": True,
            "margin_sell_enabled": False,
            **self.instrument_overrides.get(symbol, {}),
        }

    def ticker_row(self, symbol: str) -> dict[str, Any]:
        now = self.clock_ms()
        last = self.price_at(symbol, now)
        spread = last * 0.0005
        row = {
            "i": symbol,
            "a": self.fmt(symbol, last),
            "b": self.fmt(symbol, last - spread),
            "k": self.fmt(symbol, last + spread),
            "h": self.fmt(symbol, last * 1.03),
            "l": self.fmt(symbol, last * 0.97),
            "v": "12345.6789",
            "vv": f"{12345.6789 * last:.2f}",
            "c": "0.0123",
            "t": now,
        }
        row.update(self.ticker_overrides.get(symbol, {}))
        return row

    def candle_row(
        self, symbol: str, timeframe: str, open_ms: int, close_ms: int
    ) -> dict[str, Any]:
        now = self.clock_ms()
        open_price = self.price_at(symbol, open_ms)
        close_price = self.price_at(symbol, min(close_ms - 1, now))
        spread = 0.002 * _unit(self.seed, symbol, timeframe, open_ms)
        high = max(open_price, close_price) * (1 + spread)
        low = min(open_price, close_price) * (1 - spread)
        volume = 100 + 900 * _unit(self.seed, symbol, "v", timeframe, open_ms)
        return {
            "o": self.fmt(symbol, open_price),
            "h": self.fmt(symbol, high),
            "l": self.fmt(symbol, low),
            "c": self.fmt(symbol, close_price),
            "v": f"{volume:.4f}",
            "t": open_ms,
        }

    def candles(
        self, symbol: str, timeframe: str, start: int, end: int, count: int
    ) -> list[dict[str, Any]]:
        """Newest `count` candles with start <= t <= min(end, now), oldest first."""
        end = min(end, self.clock_ms())
        with self._lock:
            pinned = self.candle_overrides.get((symbol, timeframe))
        if pinned is not None:
            return [r for r in pinned if start <= int(r["t"]) <= end][-count:]
        listed = self.listed_at_ms.get(symbol, 0)
        rows: list[dict[str, Any]] = []
        open_ms = _floor(end, timeframe)
        now = self.clock_ms()
        while len(rows) < count and open_ms >= max(start, listed):
            close_ms = _next_open(open_ms, timeframe)
            key = (symbol, timeframe, open_ms)
            row = self._closed.get(key)
            if row is None:
                row = self.candle_row(symbol, timeframe, open_ms, close_ms)
                if close_ms <= now:
                    self._closed[key] = row
            rows.append(row)
            open_ms = _previous_open(open_ms, timeframe)
        rows.reverse()
        return rows


def _floor(ts_ms: int, timeframe: str) -> int:
    if timeframe == "1M":
        moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
        return int(datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp() * 1000)
    return ts_ms - ts_ms % _STEP_MS[timeframe]


def _next_open(open_ms: int, timeframe: str) -> int:
    if timeframe == "1M":
        return _floor(open_ms + 32 * DAY_MS, "1M")
    return open_ms + _STEP_MS[timeframe]


def _previous_open(open_ms: int, timeframe: str) -> int:
    if timeframe == "1M":
        return _floor(open_ms - DAY_MS, "1M")
    return open_ms - _STEP_MS[timeframe]


def _int_param(query: dict[str, str], name: str) -> int | None:
    if name not in query:
        return None
    value = query[name]
    if not value.lstrip("-").isdigit():
        raise FakeApiError(40003, 400)
    return int(value)


def install_public_methods(exchange: FakeExchange) -> None:
    market = exchange.market

    def known(symbol: str | None) -> str:
        if not symbol:
            raise FakeApiError(40004, 400)
        if symbol not in market.symbols:
            raise FakeApiError(209, 400)
        return symbol

    def get_instruments(request: FakeRequest) -> dict[str, Any]:
        return {"data": [market.instrument_row(s) for s in market.symbols]}

    def get_tickers(request: FakeRequest) -> dict[str, Any]:
        name = request.query.get("instrument_name")
        symbols = [known(name)] if name else market.symbols
        rows = [market.ticker_row(s) for s in symbols]
        if exchange.codes_as_strings:
            rows = [{**row, "t": str(row["t"])} for row in rows]
        return {"data": rows}

    def get_candlestick(request: FakeRequest) -> dict[str, Any]:
        symbol = known(request.query.get("instrument_name"))
        raw_tf = request.query.get("timeframe", "1m")
        timeframe = _ALIASES.get(raw_tf, raw_tf)
        if timeframe not in _STEP_MS:
            raise FakeApiError(40003, 400)
        count = _int_param(request.query, "count")
        if count is not None and count <= 0:
            raise FakeApiError(40004, 400)
        count = min(MAX_COUNT, count or DEFAULT_COUNT)
        end = _int_param(request.query, "end_ts") or market.clock_ms()
        start = _int_param(request.query, "start_ts")
        if start is None:  # documented default is one day; `count` widens it (legacy evidence)
            step = _STEP_MS[timeframe] or 31 * DAY_MS
            start = end - max(DAY_MS, count * step)
        rows = market.candles(symbol, timeframe, start, end, count)
        if exchange.codes_as_strings:
            rows = [{**row, "t": str(row["t"])} for row in rows]
        return {"interval": raw_tf, "instrument_name": symbol, "data": rows}

    exchange.register("public/get-instruments", "GET", get_instruments, PUBLIC_LIMIT)
    exchange.register("public/get-tickers", "GET", get_tickers, PUBLIC_LIMIT)
    exchange.register("public/get-candlestick", "GET", get_candlestick, PUBLIC_LIMIT)
