"""The bulk candle path stores exactly what the ORM column types would (SQLite + PostgreSQL).

SQLite compares datetimes as text, so the bulk path's hand-formatted times must be
byte-identical to `UTCDateTime`'s, or range queries and upserts would silently disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.core.timeframes import Timeframe
from atp.market import repo
from atp.market.models import MarketCandle
from atp.market.ports import Candle

OPEN_TIMES_MS = [0, 1_772_452_800_000, 1_772_452_800_123, 4_102_444_799_999]


def candles() -> list[Candle]:
    price = Decimal("123.456789012345678")
    return [Candle(ms, price, price, price, price, Decimal("0.5")) for ms in OPEN_TIMES_MS]


def test_bulk_and_orm_store_identical_values(sessions: sessionmaker[Session]) -> None:
    fetched_at = datetime(2026, 3, 2, 12, 0, 30, 250_000, tzinfo=UTC)
    tf = Timeframe("5m")
    with sessions.begin() as s:
        repo.upsert_candles(s, [("BULK_USDT", tf, candles(), fetched_at)], source="t")
        rows = repo.candle_rows("ORM_USDT", tf, candles(), fetched_at=fetched_at, source="t")
        repo.upsert_candle_rows(s, rows)
    with sessions() as s:
        raw = s.connection().exec_driver_sql(
            "SELECT symbol, CAST(open_time AS TEXT), CAST(fetched_at AS TEXT), "
            "CAST(close AS TEXT) FROM market_candles ORDER BY symbol, open_time"
        )
        by_symbol: dict[str, list[tuple[str, str, str]]] = {}
        for symbol, opened, fetched, close in raw:
            by_symbol.setdefault(symbol, []).append((opened, fetched, close))
        stored = s.scalars(select(MarketCandle).where(MarketCandle.symbol == "BULK_USDT")).all()
    assert by_symbol["BULK_USDT"] == by_symbol["ORM_USDT"] and len(by_symbol["ORM_USDT"]) == 4
    assert [c.open_time for c in sorted(stored, key=lambda c: c.open_time)] == [
        datetime.fromtimestamp(ms / 1000, tz=UTC) for ms in OPEN_TIMES_MS
    ]
    assert all(c.fetched_at == fetched_at for c in stored)
