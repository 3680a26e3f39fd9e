"""Signal engine benchmark (JSON on stdout).

1. Full indicator set + evaluation for 500 symbols x 300 candles (target <= 100 ms) through
   `evaluate_many()` - the one call per cycle the monitor makes - next to TA-Lib alone
   computing the same indicators on the same arrays in the same run, and to the per-symbol
   `evaluate()` loop (same decisions, checked: `identical_to_evaluate`).
2. Alert-frequency backtest over a 65,000-candle series (target <= 2 s).

Data is generated (seeded random walks). `--csv FILE` replays a real candle file for part 2
instead (ts_ms,open,high,low,close,volume). `--quick` shrinks both for CI.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from atp.core.candles import CandleArrays
from atp.core.presets import BUILTIN_PRESETS
from atp.core.strategy import EvaluationItem, evaluate, evaluate_many
from atp.signals.backtest import read_csv, run_backtest

HOUR_MS = 3_600_000


def generated(n: int, seed: int) -> CandleArrays:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(opens, close) * (1 + rng.random(n) * 0.004)
    low = np.minimum(opens, close) * (1 - rng.random(n) * 0.004)
    volume = rng.random(n) * 1000
    times = 1_767_225_600_000 + np.arange(n, dtype=np.int64) * HOUR_MS
    return CandleArrays(times, opens, high, low, close, volume)


def timed(func: Any, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        runs.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": round(statistics.median(runs), 2),
        "min_ms": round(min(runs), 2),
        "max_ms": round(max(runs), 2),
    }


def bench_evaluate(symbols: int, candles: int, repeats: int) -> dict[str, Any]:
    universe = [generated(candles, seed) for seed in range(symbols)]
    presets = list(BUILTIN_PRESETS.values())
    items: list[EvaluationItem] = [
        ({"1h": c, "5m": c}, presets[i % len(presets)], None, None) for i, c in enumerate(universe)
    ]

    def one_by_one() -> None:
        for item in items:
            evaluate(*item)

    batched = evaluate_many(items)
    sides = [d.side for d in batched]
    result: dict[str, Any] = {
        "symbols": symbols,
        "candles": candles,
        "presets": len(presets),
        "evaluate_many": timed(lambda: evaluate_many(items), repeats),
        "target_ms": 100,
        "evaluate_one_by_one": timed(one_by_one, max(3, repeats // 2)),
        "identical_to_evaluate": [repr(d) for d in batched]
        == [repr(evaluate(*item)) for item in items],
        "decisions": {side: sides.count(side) for side in ("BUY", "SELL", "NONE")},
    }
    try:
        import talib
    except ImportError:
        result["talib_indicators_only"] = None
        return result

    def talib_only() -> None:
        for c in universe:
            talib.RSI(c.close, 14)
            talib.EMA(c.close, 10)
            talib.SMA(c.close, 50)
            talib.SMA(c.close, 200)
            talib.ATR(c.high, c.low, c.close, 14)
            talib.MACD(c.close, 12, 26, 9)
            talib.SMA(c.volume, 20)

    result["talib_indicators_only"] = timed(talib_only, repeats)
    return result


def bench_backtest(candles: CandleArrays, repeats: int, source: str) -> dict[str, Any]:
    preset = BUILTIN_PRESETS["intraday:aggressive"]
    summary: dict[str, Any] = {}

    def replay() -> None:
        result = run_backtest(candles, preset, symbol="BENCH", preset_key="intraday:aggressive")
        summary.update(result.to_dict())

    timing = timed(replay, repeats)
    return {
        "candles": len(candles),
        "source": source,
        "preset": "intraday:aggressive",
        "replay": timing,
        "target_ms": 2000,
        "buy": {k: summary["buy"][k] for k in ("signals", "alerts")},
        "sell": {k: summary["sell"][k] for k in ("signals", "alerts")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes (CI)")
    parser.add_argument("--csv", type=Path, default=None, help="real candles for the backtest part")
    args = parser.parse_args()
    symbols, repeats, long_n = (50, 3, 6500) if args.quick else (500, 15, 65_000)
    warm = {"1h": generated(300, 0)}  # rule tables, smoothing powers: outside the timings
    evaluate_many([(warm, p, None, None) for p in BUILTIN_PRESETS.values()])
    if args.csv is not None:
        series, source = read_csv(args.csv), str(args.csv.name)
    else:
        series, source = generated(long_n, 99), "generated"
    report = {
        "benchmark": "signal_engine",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "quick": args.quick,
        "evaluate": bench_evaluate(symbols, 300, repeats),
        "backtest": bench_backtest(series, max(3, repeats // 2), source),
    }
    print(json.dumps(report, indent=2))  # the benchmark output


if __name__ == "__main__":
    main()
