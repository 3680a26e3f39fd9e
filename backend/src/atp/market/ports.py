"""The market-data port: what the updater needs from any source (exchange or replay).

Values are exact: prices and quantities are `Decimal`, times are epoch milliseconds as the
exchange sends them. Adapters convert wire formats into these types and raise
`atp.market.errors.MarketDataError` subclasses for anything they cannot trust.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from atp.core.timeframes import Timeframe

T = TypeVar("T")


@dataclass(frozen=True)
class InstrumentInfo:
    symbol: str
    inst_type: str
    base_ccy: str
    quote_ccy: str
    price_tick_size: Decimal
    qty_tick_size: Decimal
    quote_decimals: int
    quantity_decimals: int
    max_leverage: Decimal | None
    tradable: bool
    margin_buy_enabled: bool
    margin_sell_enabled: bool


@dataclass(frozen=True)
class Ticker:
    """`public/get-tickers` row. `last` is field `a` (last trade), `ask` is `k`, `bid` is `b`."""

    symbol: str
    last: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    high_24h: Decimal | None
    low_24h: Decimal | None
    volume_24h: Decimal | None
    volume_value_24h: Decimal | None
    change_24h: Decimal | None
    exchange_ts_ms: int


@dataclass(frozen=True)
class Candle:
    open_time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True)
class RowsWithErrors(Generic[T]):
    """A bulk answer (instruments, tickers) where single rows may be unusable.

    `rows` maps symbol -> parsed row; `errors` maps symbol -> reason for rows that failed
    validation, so one bad row costs only its own symbol.
    """

    rows: dict[str, T] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class MarketData(Protocol):
    """A source of instruments, tickers and candles (Crypto.com client or replay feed)."""

    @property
    def source_name(self) -> str:
        """Short tag stored in the `source` column (`cryptocom`, `replay`)."""
        ...

    def now(self) -> datetime:
        """The source's clock: wall time for the exchange, the replay clock for replays."""
        ...

    async def fetch_instruments(self, symbols: Sequence[str]) -> RowsWithErrors[InstrumentInfo]:
        """Instrument metadata; `symbols` are the ones the caller needs (a source may return more)."""
        ...

    async def fetch_tickers(self, symbols: Sequence[str]) -> RowsWithErrors[Ticker]:
        """Latest tickers; `symbols` as for `fetch_instruments`."""
        ...

    async def fetch_candles(
        self, symbol: str, timeframe: Timeframe, *, count: int, start_ms: int | None = None
    ) -> list[Candle]:
        """Up to `count` newest candles, oldest first; only open times >= `start_ms` if given.

        Pages through the source's per-request limit as needed. Raises MarketDataError.
        """
        ...

    async def aclose(self) -> None: ...
