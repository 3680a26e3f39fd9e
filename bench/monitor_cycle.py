"""Signal monitor benchmark (JSON on stdout): one full `run_cycle` for 30 and 500 symbols,
on SQLite and on PostgreSQL.

Each case gets a fresh, migrated database seeded in code (generated random-walk candles, never
real data): the built-in presets spread over the symbols (1h and 5m timeframes, 250 candles
each), plus 10 % of the symbols on an always-BUY preset with trading on, so the effects path
(throttle + outbox + order intent transactions) is part of the measurement.

- "cold": the first cycle of a new leader (empty candle cache: every window read in full); it
  also emits those alerts.
- "steady": the following cycles with the worker's warm `CandleCache`, the number a running
  monitor sees. Before each one a simulated updater pass (not timed) rewrites every symbol's
  still-open candle with a new close and `fetched_at` through the updater's own bulk upsert.
- "uncached": a few more cycles without a cache (every window read in full each cycle, as
  before the cache), for comparison.

Targets on the 2-core machine: 500 symbols <= 1 s, 30 symbols <= 100 ms.

    python bench/monitor_cycle.py [--quick] [--repeat N] [--pg-url postgresql://...]

`--quick` (CI): 30 and 120 symbols, 3 steady cycles. `--repeat N` runs each case N times on a
fresh database and reports medians. PostgreSQL runs in a throw-away database created next to
`--pg-url`'s; when it is unreachable the case reports `skipped` with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from atp.core.presets import BUILTIN_PRESETS, PresetParams
from atp.core.timeframes import Timeframe
from atp.db.revision import upgrade_to_head
from atp.db.session import make_engine, make_session_factory
from atp.market import repo
from atp.market.models import MarketCandle, MarketPrice
from atp.market.ports import Candle
from atp.monitor.candle_cache import CandleCache
from atp.monitor.cycle import CycleReport, run_cycle
from atp.ops.models import TradingSetting
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.signals.presets import seed_presets
from atp.watchlist.models import WatchlistItem

NOW = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)
CANDLES = 250
STEP = {"1h": timedelta(hours=1), "5m": timedelta(minutes=5)}
ALWAYS_BUY = {
    "timeframe": "1h",
    "rsi_buy_below": 99.9,
    "rsi_sell_above": 99.95,
    "check_ema10": False,
    "check_ma50": False,
    "check_ma200": False,
    "volume_min_ratio": 0,
    "cooldown_minutes": "60",
    "min_price_change_pct": "1",
    "sl_method": "percent",
    "sl_pct": "2",
    "tp_method": "percent",
    "tp_pct": "3",
}


def _candles(symbol: str, timeframe: str, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, CANDLES)))
    opens = np.concatenate([[close[0]], close[:-1]])
    step = STEP[timeframe]
    newest = (
        NOW.replace(minute=0, second=0, microsecond=0)
        if timeframe == "1h"
        else NOW.replace(minute=NOW.minute - NOW.minute % 5, second=0, microsecond=0)
    )
    return [
        {
            "symbol": symbol,
            "timeframe": timeframe,
            "open_time": newest - (CANDLES - 1 - i) * step,
            "open": Decimal(f"{opens[i]:.8f}"),
            "high": Decimal(f"{max(opens[i], close[i]) * 1.002:.8f}"),
            "low": Decimal(f"{min(opens[i], close[i]) * 0.998:.8f}"),
            "close": Decimal(f"{close[i]:.8f}"),
            "volume": Decimal(f"{rng.random() * 1000 + 1:.4f}"),
            # as a long-running updater leaves them: last rewritten in the pass after closing
            "fetched_at": min(NOW, newest - (CANDLES - 2 - i) * step + timedelta(seconds=5)),
            "source": "bench",
        }
        for i in range(CANDLES)
    ]


def seed(sessions: sessionmaker[Session], symbols: int) -> None:
    with sessions.begin() as s:
        seed_presets(s)
        s.add(
            StrategyPreset(
                key="bench:buy",
                strategy="bench",
                risk="buy",
                version=1,
                params=PresetParams.from_dict(ALWAYS_BUY).to_dict(),
            )
        )
        s.add(TradingSetting(key="LIVE_TRADING", value="true", updated_at=NOW))
        candles: list[dict[str, Any]] = []
        for i in range(symbols):
            symbol = f"C{i:04d}_USDT"
            preset = "bench:buy" if i % 10 == 0 else _preset(i)
            s.add(
                WatchlistItem(
                    symbol=symbol,
                    exchange="CRYPTO_COM",
                    alert_enabled=True,
                    preset=preset,
                    trade_enabled=i % 10 == 0,
                    trade_amount_usd=Decimal("50"),
                )
            )
            timeframe = "1h" if preset == "bench:buy" else BUILTIN_PRESETS[preset].timeframe
            candles += _candles(symbol, timeframe, seed=i)
            s.add(
                MarketPrice(
                    symbol=symbol,
                    last=candles[-1]["close"],
                    exchange_ts=NOW,
                    fetched_at=NOW,
                    source="bench",
                )
            )
        s.flush()
        for start in range(0, len(candles), 20_000):
            s.execute(insert(MarketCandle), candles[start : start + 20_000])


def updater_pass(sessions: sessionmaker[Session], symbols: int, now: datetime, step: int) -> None:
    """What the market updater does every pass: rewrite each still-open candle (new fetched_at)."""
    batches = []
    for i in range(symbols):
        timeframe = "1h" if i % 10 == 0 else BUILTIN_PRESETS[_preset(i)].timeframe
        opened = _newest_open(timeframe)
        price = Decimal(f"{100 + (i % 7) + step * 0.01:.8f}")
        candle = Candle(
            int(opened.timestamp() * 1000), price, price * 1, price * 1, price, Decimal("5")
        )
        batches.append((f"C{i:04d}_USDT", Timeframe(timeframe), [candle], now))
    with sessions.begin() as s:
        repo.upsert_candles(s, batches, source="bench")
        # and the tickers: the monitor prices decisions only with a fresh ticker
        s.execute(update(MarketPrice).values(fetched_at=now, exchange_ts=now))


def _preset(i: int) -> str:
    presets = list(BUILTIN_PRESETS)
    return presets[i % len(presets)]


def _newest_open(timeframe: str) -> datetime:
    if timeframe == "1h":
        return NOW.replace(minute=0, second=0, microsecond=0)
    return NOW.replace(minute=NOW.minute - NOW.minute % 5, second=0, microsecond=0)


def _cycles(
    sessions: sessionmaker[Session],
    settings: Settings,
    symbols: int,
    count: int,
    first: int,
    cache: CandleCache | None,
) -> list[CycleReport]:
    reports = []
    for k in range(first, first + count):
        now = NOW + timedelta(seconds=30 * k)
        updater_pass(sessions, symbols, now - timedelta(seconds=2), k)
        reports.append(run_cycle(sessions, settings, now=now, cache=cache))
    return reports


def measure(url: str, symbols: int, steady_cycles: int, tmp: Path) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        seed(sessions, symbols)
        settings = Settings(_env_file=None, database_url=url, data_dir=tmp, environment="bench")
        cache = CandleCache()
        cold = run_cycle(sessions, settings, now=NOW, cache=cache)
        steady = _cycles(sessions, settings, symbols, steady_cycles, 1, cache)
        uncached = _cycles(sessions, settings, symbols, 3, steady_cycles + 1, None)
        runs = [r.duration_ms for r in steady]
        return {
            "symbols": symbols,
            "cold_cycle_ms": cold.duration_ms,
            "cold_emitted": cold.emitted,
            "cold_intents": cold.intents,
            "cold_phase_ms": cold.phase_ms,
            "steady_median_ms": statistics.median(runs),
            "steady_min_ms": min(runs),
            "steady_max_ms": max(runs),
            "steady_phase_ms": steady[len(steady) // 2].phase_ms,
            "steady_candle_cache": steady[len(steady) // 2].candle_cache,
            "uncached_median_ms": statistics.median(r.duration_ms for r in uncached),
            "errors": cold.errors + sum(r.errors for r in steady + uncached),
        }
    finally:
        engine.dispose()


def summarise(symbols: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeated runs; the phase breakdowns of the median steady run."""
    if len(runs) == 1:
        summary = dict(runs[0])
    else:
        middle = sorted(runs, key=lambda r: r["steady_median_ms"])[len(runs) // 2]
        summary = dict(middle)
        for key in ("cold_cycle_ms", "steady_median_ms", "uncached_median_ms"):
            summary[key] = statistics.median(r[key] for r in runs)
        summary["steady_min_ms"] = min(r["steady_min_ms"] for r in runs)
        summary["steady_max_ms"] = max(r["steady_max_ms"] for r in runs)
        summary["runs"] = len(runs)
    target = 1000 if symbols >= 500 else 100 if symbols <= 30 else None
    summary["target_ms"] = target
    summary["steady_meets_target"] = (
        None if target is None else summary["steady_median_ms"] <= target
    )
    summary["cold_meets_target"] = None if target is None else summary["cold_cycle_ms"] <= target
    return summary


@contextmanager
def sqlite_db(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"


@contextmanager
def postgres_db(admin_url: str) -> Iterator[str]:
    base = make_url(admin_url)
    name = f"atp_bench_monitor_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 and 120 symbols, 3 steady cycles")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=1, help="fresh runs per case (medians)")
    args = parser.parse_args()
    sizes = (30, 120) if args.quick else (30, 500)
    steady = 3 if args.quick else 7
    results: dict[str, Any] = {
        "benchmark": "monitor_cycle",
        "python": platform.python_version(),
        "quick": args.quick,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "cases": [],
    }
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for backend in ("sqlite", "postgres"):
            for size in sizes:
                case: dict[str, Any] = {"backend": backend, "symbols": size}
                try:
                    runs = []
                    for _ in range(max(1, args.repeat)):
                        context = (
                            sqlite_db(tmp) if backend == "sqlite" else postgres_db(args.pg_url)
                        )
                        with context as url:
                            runs.append(measure(url, size, steady, tmp))
                    case.update(summarise(size, runs))
                except Exception as exc:  # unreachable PostgreSQL: say so, do not fake numbers
                    case["skipped"] = f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
                results["cases"].append(case)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
