"""Fast bulk read of candle history into numpy arrays (the monitor's hot path).

PostgreSQL: one query per timeframe for all symbols, streaming the newest `limit` rows per
symbol (index-ordered LATERAL scan, cast to float8 in SQL) through binary `COPY ... TO STDOUT`.
SQLite: one short primary-key range scan per symbol on the raw driver cursor (no statement
round trip to a server, so 500 tiny queries beat one windowed query by ~3x: no window sort and
no per-row SQLAlchemy/pandas objects). Other databases use one windowed SELECT. All return the
same arrays, each candle with its `fetched_at` as epoch milliseconds rounded down (so
`fetched_at >= close` - the candle holds final values - is decided exactly on whole ms).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from atp.core.candles import CandleArrays
from atp.core.timeframes import Timeframe, parse_timeframe

_COLUMNS = ["symbol", "open_time", "open", "high", "low", "close", "volume", "fetched_at"]
_INT_COLUMNS = {"symbol", "open_time", "fetched_at"}
_FLOAT_COLUMNS = ["open", "high", "low", "close", "volume"]

# Symbols travel as their position in the input array; rows come back newest first per
# symbol in PostgreSQL's binary COPY format (fixed-width rows: 8 non-null 8-byte fields), which
# numpy reads in place instead of parsing text. numpy restores the (symbol, time) order.
_PG_QUERY = """
COPY (
  SELECT s.ord, (date_part('epoch', c.open_time) * 1000)::int8,
         c.open::float8, c.high::float8, c.low::float8, c.close::float8, c.volume::float8,
         floor(date_part('epoch', c.fetched_at) * 1000)::int8
  FROM unnest(%(symbols)s::text[]) WITH ORDINALITY AS s(symbol, ord)
  CROSS JOIN LATERAL (
    SELECT m.open_time, m.open, m.high, m.low, m.close, m.volume, m.fetched_at
    FROM market_candles m
    WHERE m.symbol = s.symbol AND m.timeframe = %(timeframe)s
    ORDER BY m.open_time DESC
    LIMIT %(limit)s
  ) c
) TO STDOUT WITH (FORMAT binary)
"""
_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PG_HEADER_BYTES = 19  # signature (11) + flags (4) + header extension length (4)
_PG_ROW = np.dtype(
    [("fields", ">i2")]
    + [
        (f"len{i}", ">i4") if k == 0 else (name, ">i8" if name in _INT_COLUMNS else ">f8")
        for i, name in enumerate(_COLUMNS)
        for k in range(2)
    ]
)

_GENERIC_QUERY = """
SELECT symbol, CAST(strftime('%s', open_time) AS INTEGER) * 1000 AS open_time,
       CAST(open AS REAL), CAST(high AS REAL), CAST(low AS REAL), CAST(close AS REAL),
       CAST(volume AS REAL), {fetched_ms} AS fetched_at
FROM (
  SELECT symbol, open_time, open, high, low, close, volume, fetched_at,
         row_number() OVER (PARTITION BY symbol ORDER BY open_time DESC) AS rn
  FROM market_candles
  WHERE timeframe = :timeframe AND symbol IN ({placeholders})
) AS ranked
WHERE rn <= :limit
ORDER BY symbol, open_time
"""


def load_candles(
    session: Session, symbols: Iterable[str], timeframe: Timeframe | str, limit: int
) -> dict[str, CandleArrays]:
    """{symbol: CandleArrays} with the newest `limit` candles, oldest first.

    Symbols without candles map to an empty CandleArrays, so callers can tell "no data".
    """
    tf = timeframe if isinstance(timeframe, Timeframe) else parse_timeframe(timeframe)
    wanted = sorted(set(symbols))
    result = {symbol: CandleArrays.empty() for symbol in wanted}
    if not wanted or limit <= 0:
        return result
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        result.update(_read_sqlite(session, wanted, tf, limit))
        return result
    frame = (
        _read_postgres(session, wanted, tf, limit)
        if dialect == "postgresql"
        else _read_generic(session, wanted, tf, limit)
    )
    result.update(_split(frame))
    return result


def _read_postgres(session: Session, symbols: list[str], tf: Timeframe, limit: int) -> pd.DataFrame:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    buffer = io.BytesIO()
    cursor: Any = dbapi.cursor()
    try:
        # unnest() is estimated at 10 rows, so the planner picks a bitmap scan plus a sort per
        # symbol; a backward index scan with LIMIT reads far less. Scoped to this statement.
        cursor.execute("SELECT set_config('enable_bitmapscan', 'off', true)")
        query = cursor.mogrify(
            _PG_QUERY, {"symbols": symbols, "timeframe": tf.value, "limit": limit}
        )
        cursor.copy_expert(query.decode(), buffer)
    finally:
        cursor.execute("SELECT set_config('enable_bitmapscan', 'on', true)")
        cursor.close()
    rows = _decode_binary_copy(buffer.getvalue())
    order = np.lexsort((rows["open_time"], rows["symbol"]))
    names = np.asarray(symbols, dtype=object)
    frame = pd.DataFrame({name: rows[name][order].astype(np.float64) for name in _FLOAT_COLUMNS})
    frame.insert(0, "open_time", rows["open_time"][order].astype(np.int64))
    frame["fetched_at"] = rows["fetched_at"][order].astype(np.int64)
    frame.insert(0, "symbol", names[rows["symbol"][order] - 1])
    return frame


def _decode_binary_copy(raw: bytes) -> Any:
    if not raw.startswith(_PG_SIGNATURE):
        raise RuntimeError("unexpected COPY output (not PGCOPY binary)")
    count = (len(raw) - _PG_HEADER_BYTES - 2) // _PG_ROW.itemsize
    rows = np.frombuffer(raw, dtype=_PG_ROW, offset=_PG_HEADER_BYTES, count=count)
    if count and (
        np.any(rows["fields"] != len(_COLUMNS))
        or any(np.any(rows[f"len{i}"] != 8) for i in range(len(_COLUMNS)))
    ):
        raise RuntimeError("unexpected COPY row layout")
    return rows


# UTCDateTime text is 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds plus the first three digits
# of the fraction give milliseconds rounded down, without julianday()'s float error.
SQLITE_FETCHED_MS = (
    "(CAST(strftime('%s', fetched_at) AS INTEGER) * 1000"
    " + CAST(substr(fetched_at, 21, 3) AS INTEGER))"
)
_SQLITE_QUERY = f"""
SELECT CAST(strftime('%s', open_time) AS INTEGER) * 1000, CAST(open AS REAL), CAST(high AS REAL),
       CAST(low AS REAL), CAST(close AS REAL), CAST(volume AS REAL), {SQLITE_FETCHED_MS}
FROM market_candles
WHERE symbol = ? AND timeframe = ?
ORDER BY open_time DESC
LIMIT ?
"""


def _read_sqlite(
    session: Session, symbols: list[str], tf: Timeframe, limit: int
) -> dict[str, CandleArrays]:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor: Any = dbapi.cursor()
    out: dict[str, CandleArrays] = {}
    try:
        for symbol in symbols:
            rows = cursor.execute(_SQLITE_QUERY, (symbol, tf.value, limit)).fetchall()
            if rows:
                rows.reverse()  # newest first from the index scan; callers want oldest first
                out[symbol] = CandleArrays.from_rows(rows)
    finally:
        cursor.close()
    return out


def _read_generic(session: Session, symbols: list[str], tf: Timeframe, limit: int) -> pd.DataFrame:
    names = {f"s{i}": symbol for i, symbol in enumerate(symbols)}
    query = _GENERIC_QUERY.format(
        placeholders=", ".join(f":{key}" for key in names), fetched_ms=SQLITE_FETCHED_MS
    )
    rows = session.execute(text(query), {"timeframe": tf.value, "limit": limit, **names}).all()
    frame = pd.DataFrame.from_records([tuple(row) for row in rows], columns=_COLUMNS)
    if frame.empty:
        return frame
    frame["open_time"] = frame["open_time"].astype(np.int64)
    frame["fetched_at"] = frame["fetched_at"].astype(np.int64)
    for column in _FLOAT_COLUMNS:
        frame[column] = frame[column].astype(np.float64)
    return frame


def _split(frame: pd.DataFrame) -> dict[str, CandleArrays]:
    """Rows are sorted by (symbol, open_time); cut them at symbol changes."""
    if frame.empty:
        return {}
    symbols = frame["symbol"].to_numpy()
    columns = {name: frame[name].to_numpy() for name in _COLUMNS[1:]}
    cuts = np.flatnonzero(symbols[1:] != symbols[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(symbols)]))
    out: dict[str, CandleArrays] = {}
    for start, end in zip(starts, ends, strict=True):
        out[str(symbols[start])] = CandleArrays(
            open_time=np.ascontiguousarray(columns["open_time"][start:end], dtype=np.int64),
            open=np.ascontiguousarray(columns["open"][start:end]),
            high=np.ascontiguousarray(columns["high"][start:end]),
            low=np.ascontiguousarray(columns["low"][start:end]),
            close=np.ascontiguousarray(columns["close"][start:end]),
            volume=np.ascontiguousarray(columns["volume"][start:end]),
            fetched_at=np.ascontiguousarray(columns["fetched_at"][start:end], dtype=np.int64),
        )
    return out
