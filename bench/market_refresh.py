"""Benchmark: one market-updater pass for N symbols x 3 timeframes against the fake exchange.

The fake exchange (a real HTTP server on loopback) adds `--latency-ms` to every request and
enforces the documented public limit (100 requests/s per method). The updater writes to a
fresh SQLite database (or `--db-url`). Two passes are timed: the initial backfill (300 candles
per timeframe) and an incremental refresh. The rate-limit floor is the busiest method's
request count divided by its limit: no client that respects the limit can be faster.
Per pass: `fetch_s` ends when the last fetch finished, `write_s` is the rest (the writes that
did not overlap the fetching), `writer_busy_s` the writer thread's time on symbol writes.

Prints JSON. `--quick` is the reduced size CI runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import Event, Process, Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))  # the fake exchange lives in the test package

from sqlalchemy import delete  # noqa: E402
from tests.fakes.fake_exchange import FakeExchange  # noqa: E402
from tests.fakes.fake_exchange_public import symbols_for  # noqa: E402

from atp.adapters.cryptocom.market_data import CryptoComMarketData  # noqa: E402
from atp.db.revision import upgrade_to_head  # noqa: E402
from atp.db.session import make_engine, make_session_factory  # noqa: E402
from atp.market.models import MarketCandle, MarketDataStatus, MarketPrice  # noqa: E402
from atp.market.updater import MarketUpdater  # noqa: E402
from atp.settings import Settings  # noqa: E402
from atp.watchlist.models import WatchlistItem  # noqa: E402

PUBLIC_RATE = 100.0
LEGACY = {"symbols": 33, "wall_s": 121.4, "note": "sequential, 3 s sleep per symbol (2026-01-08)"}


def _floor(requests: Counter[str]) -> float:
    return max(requests.values(), default=0) / PUBLIC_RATE


def _serve_fake(symbols: list[str], latency_s: float, urls: Queue[str], stop: Event) -> None:
    """Child process: the exchange is remote in production, so it must not share our CPU/GIL."""
    with FakeExchange(symbols=symbols, latency_s=latency_s) as fake:
        now = int(time.time() * 1000)
        for symbol in symbols:  # warm the fake's candle cache: we time the client, not the fake
            for timeframe in ("5m", "1h", "1D"):
                fake.market.candles(symbol, timeframe, 0, now, 300)
        urls.put(fake.base_url)
        stop.wait()


class _RemoteFake:
    def __init__(self, symbols: list[str], latency_s: float) -> None:
        self._urls: Queue[str] = Queue()
        self._stop = Event()
        self._process = Process(
            target=_serve_fake, args=(symbols, latency_s, self._urls, self._stop), daemon=True
        )

    def __enter__(self) -> str:
        self._process.start()
        return self._urls.get(timeout=60)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=10)


async def _timed_pass(updater: MarketUpdater, source: CryptoComMarketData) -> dict[str, object]:
    before = Counter(source.stats.requests)
    limited_before = source.stats.rate_limited
    started = time.perf_counter()
    report = await updater.run_pass()
    wall = time.perf_counter() - started
    requests = Counter(source.stats.requests) - before
    total = sum(requests.values())
    floor = _floor(requests)
    return {
        "wall_s": round(wall, 3),
        "fetch_s": round(report.fetch_s, 3),
        "write_s": round(report.duration_s - report.fetch_s, 3),
        "writer_busy_s": round(report.write_busy_s, 3),
        "requests": total,
        "requests_by_method": dict(requests),
        "requests_per_s": round(total / wall, 1),
        "rate_limit_floor_s": round(floor, 3),
        "ratio_to_floor": round(wall / floor, 3) if floor else None,
        "http_429": source.stats.rate_limited - limited_before,
        "symbols_ok": report.ok,
        "candles_written": report.candles_written,
    }


async def run(symbols: int, latency_ms: float, db_url: str) -> dict[str, object]:
    names = symbols_for(symbols)
    engine = make_engine(db_url)
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:  # a scratch database: start from an empty market state
        for model in (MarketCandle, MarketPrice, MarketDataStatus, WatchlistItem):
            session.execute(delete(model).where(model.symbol.in_(names)))
        session.add_all(WatchlistItem(symbol=name, exchange="CRYPTO_COM") for name in names)
    with _RemoteFake(names, latency_ms / 1000) as base_url:
        settings = Settings(_env_file=None, database_url=db_url, cryptocom_base_url=base_url)  # type: ignore[call-arg]
        source = CryptoComMarketData.from_settings(settings)
        updater = MarketUpdater(source, sessions, settings)
        backfill = await _timed_pass(updater, source)
        incremental = await _timed_pass(updater, source)
        await source.aclose()
    engine.dispose()
    return {
        "benchmark": "market_refresh",
        "symbols": symbols,
        "timeframes": settings.market_timeframe_list,
        "latency_ms": latency_ms,
        "public_rate_limit_per_s": PUBLIC_RATE,
        "database": db_url.split(":", 1)[0],
        "backfill": backfill,
        "incremental": incremental,
        "legacy": LEGACY,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced size for CI (10 symbols)")
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--db-url",
        default="",
        help="a scratch database (the benchmark's own symbols are deleted first); default: temp SQLite",
    )
    args = parser.parse_args()
    symbols = 10 if args.quick else args.symbols
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db_url or f"sqlite:///{tmp}/bench.sqlite3"
        result = asyncio.run(run(symbols, args.latency_ms, db_url))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
