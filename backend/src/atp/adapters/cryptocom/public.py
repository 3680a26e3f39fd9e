"""Public market-data methods of Crypto.com Exchange v1 (spec §7), typed and validated."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from atp.adapters.cryptocom.envelope import FieldError
from atp.adapters.cryptocom.errors import ExchangeMalformedError
from atp.adapters.cryptocom.parsing import (
    candle_from_row,
    data_rows,
    instrument_from_row,
    parse_bulk,
    ticker_from_row,
)
from atp.adapters.cryptocom.transport import CryptoComTransport
from atp.core.timeframes import Timeframe, duration_ms
from atp.market.ports import Candle, InstrumentInfo, RowsWithErrors, Ticker

MAX_CANDLES_PER_REQUEST = 300
GET_INSTRUMENTS = "public/get-instruments"
GET_TICKERS = "public/get-tickers"
GET_CANDLESTICK = "public/get-candlestick"


def _wall_ms() -> int:
    return int(time.time() * 1000)


class CryptoComPublicClient:
    def __init__(
        self, transport: CryptoComTransport, *, clock_ms: Callable[[], int] = _wall_ms
    ) -> None:
        self.transport = transport
        self._clock_ms = clock_ms

    async def get_instruments(self) -> RowsWithErrors[InstrumentInfo]:
        result = await self.transport.get_public(GET_INSTRUMENTS)
        return parse_bulk(self._rows(GET_INSTRUMENTS, result), "symbol", instrument_from_row)

    async def get_tickers(self, instrument_name: str | None = None) -> RowsWithErrors[Ticker]:
        params = {"instrument_name": instrument_name} if instrument_name else None
        result = await self.transport.get_public(GET_TICKERS, params)
        return parse_bulk(self._rows(GET_TICKERS, result), "i", ticker_from_row)

    async def get_candlestick(
        self,
        instrument_name: str,
        timeframe: Timeframe,
        *,
        count: int = MAX_CANDLES_PER_REQUEST,
        start_ts: int | None = None,
        end_ts: int | None = None,
    ) -> list[Candle]:
        """One request: up to `count` (1..300) candles, sorted oldest first, validated.

        Any bad row fails the whole answer (ExchangeMalformedError): half a history is worse
        than none because it would look complete.
        """
        if not 1 <= count <= MAX_CANDLES_PER_REQUEST:
            raise ValueError(f"count must be 1..{MAX_CANDLES_PER_REQUEST}, got {count}")
        params: dict[str, str | int] = {
            "instrument_name": instrument_name,
            "timeframe": timeframe.value,
            "count": count,
        }
        if start_ts is not None:
            params["start_ts"] = start_ts
        if end_ts is not None:
            params["end_ts"] = end_ts
        result = await self.transport.get_public(GET_CANDLESTICK, params)
        rows = self._rows(GET_CANDLESTICK, result)
        try:
            candles = [candle_from_row(row) for row in rows]
        except FieldError as exc:
            raise _malformed(GET_CANDLESTICK, f"{instrument_name} {timeframe}: {exc}") from None
        candles.sort(key=lambda c: c.open_time_ms)  # row order is not confirmed (spec §15)
        return candles

    async def get_candle_history(
        self,
        instrument_name: str,
        timeframe: Timeframe,
        *,
        count: int,
        start_ms: int | None = None,
    ) -> list[Candle]:
        """The newest `count` candles (open time >= `start_ms` if given), paging backwards.

        Each page asks for an explicit [start_ts, end_ts] window sized for its count, so the
        documented one-day default window cannot truncate a page.
        """
        step = duration_ms(timeframe)
        collected: dict[int, Candle] = {}
        end_ts = self._clock_ms()
        while len(collected) < count:
            page = min(MAX_CANDLES_PER_REQUEST, count - len(collected))
            start_ts = end_ts - page * step
            if start_ms is not None:
                start_ts = max(start_ts, start_ms)
            rows = await self.get_candlestick(
                instrument_name, timeframe, count=page, start_ts=start_ts, end_ts=end_ts
            )
            fresh = [c for c in rows if c.open_time_ms not in collected]
            fresh = [c for c in fresh if start_ms is None or c.open_time_ms >= start_ms]
            collected.update((c.open_time_ms, c) for c in fresh)
            if not fresh or len(rows) < page:
                break
            oldest = rows[0].open_time_ms
            if start_ms is not None and oldest <= start_ms:
                break
            end_ts = oldest - 1
        candles = sorted(collected.values(), key=lambda c: c.open_time_ms)
        return candles[-count:]

    @staticmethod
    def _rows(method: str, result: Any) -> list[Any]:
        try:
            return data_rows(result)
        except FieldError as exc:
            raise _malformed(method, str(exc)) from None


def _malformed(method: str, detail: str) -> ExchangeMalformedError:
    return ExchangeMalformedError(method=method, reason="MALFORMED", detail=detail)
