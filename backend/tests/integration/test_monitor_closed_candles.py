"""Through `run_cycle` / `load_inputs`: closed candles only, a fresh ticker price, exact Decimals.

Both candle paths are covered: a full read (no cache) and the leader's cache after its first
cycle (only changed rows are read), which must decide on exactly the same candles.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from atp.alerts.models import TelegramMessage
from atp.market.models import MarketCandle, MarketPrice
from atp.monitor.candle_cache import CandleCache
from atp.monitor.cycle import run_cycle
from atp.monitor.decide import quantize_level
from atp.monitor.inputs import load_inputs, load_watchlist
from atp.ops.models import TradingSetting
from atp.orders.models import OrderIntent
from atp.settings import Settings
from atp.signals.models import WatchlistSignalState
from tests.integration.monitor_support import NOW, candle_rows, seed_world, set_ticker

HOUR = timedelta(hours=1)
CLOSE = datetime(2026, 5, 1, 13, 0, tzinfo=UTC)  # close of the 12:00 candle


def _state(sessions: sessionmaker[Session], symbol: str = "BTC_USDT") -> WatchlistSignalState:
    with sessions() as s:
        row = s.get(WatchlistSignalState, symbol)
        assert row is not None
        return row


def _refetch_all(sessions: sessionmaker[Session], at: datetime) -> None:
    """Every stored candle as fetched at `at` (the 12:00 candle: still forming if at < CLOSE)."""
    with sessions.begin() as s:
        s.execute(delete(MarketCandle))
        s.execute(insert(MarketCandle), candle_rows("BTC_USDT", fetched_at=at))


def _newest_decided_open(sessions: sessionmaker[Session], now: datetime, cache: CandleCache) -> int:
    with sessions() as s:
        inp = load_inputs(s, load_watchlist(s), now=now, candle_limit=100, cache=cache)[0]
    return int(inp.candles["1h"].open_time[-1])


@pytest.mark.parametrize("cached", [False, True], ids=["full-read", "cached"])
def test_a_candle_fetched_before_its_close_is_refused_with_evidence(
    sessions: sessionmaker[Session], settings: Settings, cached: bool
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    snapshot = CLOSE - timedelta(minutes=10)  # the 12:00 candle fetched 10 min before its close
    _refetch_all(sessions, snapshot)
    cache = CandleCache(refresh_cycles=None) if cached else None
    if cache is not None:  # the leader read everything before the stall; now only deltas
        run_cycle(sessions, settings, now=snapshot + timedelta(seconds=5), cache=cache)
    now = CLOSE + timedelta(minutes=2)  # updater stalled since; fetch age 12 min (< 16)
    with sessions.begin() as s:
        set_ticker(s, "BTC_USDT", "100", at=now - timedelta(seconds=5))
    report = run_cycle(sessions, settings, now=now, cache=cache)
    if cache is not None:
        assert report.candle_cache["loaded"] == 0  # decided from the cached window
    state = _state(sessions)
    assert (state.alert_status, state.alert_block_reason) == ("BLOCKED", "MARKET_DATA_STALE")
    detail = state.alert_block_detail or ""
    assert "FETCHED_BEFORE_CLOSE" in detail
    assert "open=2026-05-01T12:00:00+00:00" in detail
    assert f"fetched_at={snapshot.isoformat()}" in detail
    assert f"close={CLOSE.isoformat()}" in detail
    assert report.emitted == 0


def test_both_paths_drop_the_partial_candle_and_accept_it_once_fetched_after_close(
    sessions: sessionmaker[Session],
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    _refetch_all(sessions, CLOSE - timedelta(minutes=15))  # the 1h case
    cache = CandleCache(refresh_cycles=None)
    _newest_decided_open(sessions, CLOSE - timedelta(minutes=14), cache)  # prime the cache
    now = CLOSE + timedelta(seconds=40)
    eleven = int((CLOSE - 2 * HOUR).timestamp() * 1000)
    assert _newest_decided_open(sessions, now, cache) == eleven  # cached: 12:00 dropped
    assert _newest_decided_open(sessions, now, CandleCache()) == eleven  # full read: same
    # The updater catches up 5 s after the close: 12:00 is final and is decided on.
    with sessions.begin() as s:
        s.execute(
            update(MarketCandle)
            .where(MarketCandle.open_time == CLOSE - HOUR)
            .values(fetched_at=CLOSE + timedelta(seconds=5))
        )
    twelve = int((CLOSE - HOUR).timestamp() * 1000)
    later = CLOSE + timedelta(seconds=50)
    assert _newest_decided_open(sessions, later, cache) == twelve
    assert _newest_decided_open(sessions, later, CandleCache()) == twelve


@pytest.mark.parametrize(
    ("fetch_age_s", "exchange_age_s", "reason"),
    [(300, 1, "TICKER_TOO_OLD"), (1, 300, "TICKER_TOO_OLD"), (None, None, "NO_TICKER")],
    ids=["old-fetch", "old-exchange-time", "missing"],
)
def test_a_stale_or_missing_ticker_stops_the_alert(
    sessions: sessionmaker[Session],
    settings: Settings,
    fetch_age_s: float | None,
    exchange_age_s: float | None,
    reason: str,
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})  # fresh closed candles
    now = NOW + timedelta(seconds=30)
    with sessions.begin() as s:
        ticker = s.get(MarketPrice, "BTC_USDT")
        assert ticker is not None
        if fetch_age_s is None or exchange_age_s is None:
            s.delete(ticker)
        else:
            ticker.fetched_at = now - timedelta(seconds=fetch_age_s)
            ticker.exchange_ts = now - timedelta(seconds=exchange_age_s)
    report = run_cycle(sessions, settings, now=now)
    state = _state(sessions)
    assert (state.alert_status, state.alert_block_reason) == ("BLOCKED", "MARKET_DATA_STALE")
    detail = state.alert_block_detail or ""
    assert f"stale ({reason}): timeframe=ticker" in detail and "limit_s=90" in detail
    if reason == "TICKER_TOO_OLD":
        assert "age_s=300" in detail and "fetched_at=" in detail and "exchange_ts=" in detail
    assert report.emitted == 0 and state.last_price is None  # never the candle close instead


def test_a_fresh_ticker_is_the_price_and_its_limit_is_a_setting(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    seed_world(sessions, {"BTC_USDT": {"preset": "test:buy"}})
    with sessions.begin() as s:
        set_ticker(s, "BTC_USDT", "101.25", at=NOW - timedelta(seconds=60))
    strict = settings.model_copy(update={"monitor_ticker_max_age_seconds": 30.0})
    run_cycle(sessions, strict, now=NOW + timedelta(seconds=30))
    assert _state(sessions).alert_block_reason == "MARKET_DATA_STALE"
    report = run_cycle(sessions, settings, now=NOW + timedelta(seconds=30))
    state = _state(sessions)
    assert state.alert_status == "QUEUED" and report.emitted == 1
    assert state.last_price == Decimal("101.25")


def test_many_digit_prices_reach_the_outbox_and_the_intent_exactly(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    price = Decimal("0.000012345678901")
    seed_world(
        sessions,
        {"BTC_USDT": {"preset": "test:buy", "trade_enabled": True, "trade_amount_usd": 50}},
    )
    with sessions.begin() as s:
        set_ticker(s, "BTC_USDT", str(price))
        s.merge(TradingSetting(key="LIVE_TRADING", value="true", updated_at=NOW))
    report = run_cycle(sessions, settings, now=NOW + timedelta(seconds=10))
    assert report.intents == 1
    with sessions() as s:
        message = s.scalars(select(TelegramMessage)).one()
        intent = s.scalars(select(OrderIntent)).one()
    context = message.context or {}
    sl = quantize_level(price * (1 - Decimal("2") / 100))  # the test presets: SL 2 %, TP 3 %
    tp = quantize_level(price * (1 + Decimal("3") / 100))
    assert sl == Decimal("0.0000120987653230") and tp == Decimal("0.0000127160492680")
    assert Decimal(context["price"]) == price == intent.reference_price
    assert Decimal(context["sl_price"]) == sl == intent.sl_price
    assert Decimal(context["tp_price"]) == tp == intent.tp_price
    assert "0.000012345678901" in message.text
