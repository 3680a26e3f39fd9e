"""Candle timeframes as the Crypto.com Exchange v1 spells them, and their durations.

Spelling matters: the exchange accepts `1D`, and answers 40003 to `1d` (the legacy updater's bug).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

MINUTE_S = 60
HOUR_S = 60 * MINUTE_S
DAY_S = 24 * HOUR_S


class Timeframe(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H2 = "2h"
    H4 = "4h"
    H12 = "12h"
    D1 = "1D"
    D7 = "7D"
    D14 = "14D"
    MONTH = "1M"


# Calendar months vary; 31 days is the longest, so limits derived from it are never too strict.
_DURATION_S: dict[Timeframe, int] = {
    Timeframe.M1: MINUTE_S,
    Timeframe.M5: 5 * MINUTE_S,
    Timeframe.M15: 15 * MINUTE_S,
    Timeframe.M30: 30 * MINUTE_S,
    Timeframe.H1: HOUR_S,
    Timeframe.H2: 2 * HOUR_S,
    Timeframe.H4: 4 * HOUR_S,
    Timeframe.H12: 12 * HOUR_S,
    Timeframe.D1: DAY_S,
    Timeframe.D7: 7 * DAY_S,
    Timeframe.D14: 14 * DAY_S,
    Timeframe.MONTH: 31 * DAY_S,
}

ALL_TIMEFRAMES: tuple[Timeframe, ...] = tuple(Timeframe)
DEFAULT_TIMEFRAMES: tuple[Timeframe, ...] = (Timeframe.M5, Timeframe.H1, Timeframe.D1)


class UnknownTimeframeError(ValueError):
    """A timeframe spelling the exchange does not accept (e.g. `1d`, `2m`, `8h`)."""


def parse_timeframe(text: str) -> Timeframe:
    """Exact, case-sensitive parse: `1D` is valid, `1d` is not (the exchange rejects it)."""
    try:
        return Timeframe(text.strip())
    except ValueError:
        valid = " ".join(tf.value for tf in ALL_TIMEFRAMES)
        raise UnknownTimeframeError(f"unknown timeframe {text!r}; valid: {valid}") from None


def duration_s(timeframe: Timeframe) -> int:
    """Nominal length of one candle in seconds (a month counts as 31 days)."""
    return _DURATION_S[timeframe]


def duration_ms(timeframe: Timeframe) -> int:
    return _DURATION_S[timeframe] * 1000


def close_ms(open_ms: int, timeframe: Timeframe) -> int:
    """Close time (ms) of the candle opened at `open_ms`: the next calendar month for `1M`."""
    if timeframe is Timeframe.MONTH:
        moment = datetime.fromtimestamp(open_ms / 1000, tz=UTC)
        year, month = divmod(moment.year * 12 + moment.month, 12)  # month is 0-based here
        return int(datetime(year, month + 1, 1, tzinfo=UTC).timestamp() * 1000)
    return open_ms + duration_ms(timeframe)


def floor_open_ms(ts_ms: int, timeframe: Timeframe) -> int:
    """Open time (ms) of the candle containing `ts_ms`: calendar month for `1M`, epoch grid else."""
    if timeframe is Timeframe.MONTH:
        moment = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
        start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
        return int(start.timestamp() * 1000)
    step = duration_ms(timeframe)
    return ts_ms - ts_ms % step
