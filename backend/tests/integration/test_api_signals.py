"""`GET /api/signals` (the monitor's state rows, written by a real cycle) and
`GET /api/market/candles` (candles with the preset's indicators), real app and database."""

from __future__ import annotations

from datetime import datetime

import httpx
import numpy as np
import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from atp.market.models import MarketCandle
from atp.monitor.cycle import run_cycle
from atp.settings import Settings
from atp.signals.presets import seed_presets as seed_builtin_presets
from atp.watchlist.models import WatchlistItem
from tests.integration.api_config_support import client, collect_pages, context
from tests.integration.monitor_support import NOW, add_symbol, candle_rows, seed_world
from tests.integration.monitor_support import seed_presets as seed_test_presets

__all__ = ["client", "context"]  # fixtures

WORLD = {
    "BTC_USDT": {"preset": "test:buy"},
    "ETH_USDT": {"preset": "test:sell"},
    "SOL_USDT": {"preset": "test:none"},
    "ADA_USDT": {"preset": "test:buy"},
}


@pytest.fixture
def evaluated(sessions: sessionmaker[Session], settings: Settings) -> None:
    seed_world(sessions, WORLD)
    run_cycle(sessions, settings, now=NOW)


async def test_signals_are_the_state_rows_with_conditions(
    client: httpx.AsyncClient, evaluated: None
) -> None:
    body = (await client.get("/api/signals")).json()
    rows = {r["symbol"]: r for r in body["items"]}
    assert set(rows) == set(WORLD) and body["next_cursor"] is None
    btc = rows["BTC_USDT"]
    assert btc["signal_side"] == "BUY" and btc["strategy_key"] == "test:buy"
    assert rows["ETH_USDT"]["signal_side"] == "SELL" and rows["SOL_USDT"]["signal_side"] == "NONE"
    assert btc["last_price"] == "100" and btc["on_watchlist"] is True
    rsi = [c for c in btc["conditions"] if c["side"] == "BUY" and c["name"].startswith("rsi")]
    assert rsi and rsi[0]["passed"] is True and rsi[0]["threshold"] == 99.0
    assert 0 < rsi[0]["actual"] < 100
    assert 0 < btc["indicators"]["rsi"] < 100
    assert datetime.fromisoformat(btc["evaluated_at_utc"]).tzinfo is not None


async def test_signal_filters(client: httpx.AsyncClient, evaluated: None) -> None:
    buys = (await client.get("/api/signals", params={"side": "BUY"})).json()["items"]
    assert sorted(r["symbol"] for r in buys) == ["ADA_USDT", "BTC_USDT"]
    one = (await client.get("/api/signals", params={"symbol": "eth_usdt"})).json()["items"]
    assert [r["symbol"] for r in one] == ["ETH_USDT"]
    statuses = {r["alert_status"] for r in (await client.get("/api/signals")).json()["items"]}
    status = sorted(s for s in statuses if s)[0]
    by_status = (await client.get("/api/signals", params={"alert_status": status})).json()
    assert by_status["items"] and all(r["alert_status"] == status for r in by_status["items"])
    assert (await client.get("/api/signals", params={"side": "UP"})).status_code == 422
    bad = await client.get("/api/signals", params={"symbol": "BTC"})
    assert bad.status_code == 422 and "invalid symbol" in bad.json()["detail"][0]["msg"]


async def test_signal_pages_are_stable(
    client: httpx.AsyncClient, evaluated: None, sessions: sessionmaker[Session]
) -> None:
    first = (await client.get("/api/signals", params={"limit": 3})).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    pages = await collect_pages(client, "/api/signals", limit=3)
    assert sorted(r["symbol"] for page in pages for r in page) == sorted(WORLD)
    # a removed symbol keeps its state row and says so
    with sessions.begin() as session:
        item = session.query(WatchlistItem).filter_by(symbol="ADA_USDT").one()
        item.is_deleted = True
    ada = (await client.get("/api/signals", params={"symbol": "ADA_USDT"})).json()["items"]
    assert ada[0]["on_watchlist"] is False


async def test_candles_carry_the_presets_indicators(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    rows = candle_rows("BTC_USDT", now=NOW, count=300)  # MA200 needs a long warm-up
    with sessions.begin() as session:
        seed_test_presets(session)
        add_symbol(session, "BTC_USDT", preset="test:buy")
        session.execute(insert(MarketCandle), rows)
    closes = np.array([float(r["close"]) for r in rows])

    body = (
        await client.get("/api/market/candles", params={"symbol": "btc_usdt", "limit": 50})
    ).json()
    assert body["timeframe"] == "1h" and body["preset_key"] == "test:buy"
    assert body["levels"]["rsi_buy_below"] == 99.0
    candles = body["candles"]
    assert len(candles) == 50
    times = [datetime.fromisoformat(c["open_time"]) for c in candles]
    assert times == sorted(times) and times[-1] == rows[-1]["open_time"]
    last, first = candles[-1], candles[0]
    assert last["close"] == pytest.approx(closes[-1])
    assert last["ma50"] == pytest.approx(closes[-50:].mean(), rel=1e-9)
    assert last["ma200"] == pytest.approx(closes[-200:].mean(), rel=1e-9)
    assert first["ma200"] == pytest.approx(closes[-249:-49].mean(), rel=1e-9)  # warmed up
    for name in ("rsi", "ema10", "volume_ratio", "atr"):
        assert last[name] is not None, name
    assert 0 < last["rsi"] < 100


async def test_candles_defaults_and_refusals(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        seed_builtin_presets(session)
        session.execute(insert(MarketCandle), candle_rows("XRP_USDT", now=NOW, count=30))
    body = (await client.get("/api/market/candles", params={"symbol": "XRP_USDT"})).json()
    assert body["preset_key"] == "swing:conservative"  # not on the watchlist: the default
    assert body["preset_version"] == 1
    assert body["timeframe"] == "1h"  # the default preset's
    assert len(body["candles"]) == 30
    assert body["candles"][-1]["ma50"] is None  # 30 candles: MA50 undefined, not made up
    other = (
        await client.get("/api/market/candles", params={"symbol": "XRP_USDT", "timeframe": "4h"})
    ).json()
    assert other["timeframe"] == "4h" and other["candles"] == []

    bad_tf = await client.get(
        "/api/market/candles", params={"symbol": "XRP_USDT", "timeframe": "1d"}
    )
    assert bad_tf.status_code == 422 and "unknown timeframe" in str(bad_tf.json()["detail"])
    bad_symbol = await client.get("/api/market/candles", params={"symbol": "XRP"})
    assert bad_symbol.status_code == 422
    too_many = await client.get("/api/market/candles", params={"symbol": "XRP_USDT", "limit": 5000})
    assert too_many.status_code == 422
