"""`atp backtest` on a generated CSV and on stored candles; plot is a real PNG."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from sqlalchemy.orm import Session, sessionmaker

from atp.cli import main
from atp.core.candles import CandleArrays
from atp.core.presets import BUILTIN_PRESETS
from atp.core.strategy import evaluate, required_candles
from atp.core.throttle import evaluate_throttle
from atp.market.models import MarketCandle
from atp.runtime.context import AppContext
from atp.runtime.seed import seed_all
from atp.settings import Settings
from atp.signals.backtest import read_csv, run_backtest

START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z
HOUR_MS = 3_600_000


def generated(n: int, seed: int = 3) -> CandleArrays:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(opens, close) * (1 + rng.random(n) * 0.004)
    low = np.minimum(opens, close) * (1 - rng.random(n) * 0.004)
    volume = rng.random(n) * 1000
    return CandleArrays(
        START_MS + np.arange(n, dtype=np.int64) * HOUR_MS, opens, high, low, close, volume
    )


def write_csv(path: Path, candles: CandleArrays) -> Path:
    lines = ["ts_ms,open,high,low,close,volume"]
    for i in range(len(candles)):
        values = [float(getattr(candles, f)[i]) for f in ("open", "high", "low", "close", "volume")]
        lines.append(",".join([str(int(candles.open_time[i])), *(repr(v) for v in values)]))
    path.write_text("\n".join(lines) + "\n")
    return path


def run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), obj=AppContext(settings=settings))
    return result.exit_code, result.output


def test_replay_counts_equal_a_brute_force_loop() -> None:
    candles = generated(700, seed=5)
    preset = BUILTIN_PRESETS["intraday:aggressive"]
    result = run_backtest(candles, preset, symbol="X_USDT", preset_key="intraday:aggressive")
    signals = {"BUY": 0, "SELL": 0}
    alerts = {"BUY": 0, "SELL": 0}
    last: dict[str, tuple[datetime, Decimal] | None] = {"BUY": None, "SELL": None}
    for i in range(len(candles)):
        window = CandleArrays(
            *(
                getattr(candles, f)[: i + 1]
                for f in ("open_time", "open", "high", "low", "close", "volume")
            )
        )
        decision = evaluate({"1h": window}, preset)
        if decision.side == "NONE":
            continue
        signals[decision.side] += 1
        now = datetime.fromtimestamp((int(candles.open_time[i]) + HOUR_MS) / 1000, tz=UTC)
        price = Decimal(repr(float(candles.close[i])))
        prev = last[decision.side]
        verdict = evaluate_throttle(
            now=now,
            price=price,
            last_sent_at=prev[0] if prev else None,
            last_sent_price=prev[1] if prev else None,
            cooldown_minutes=preset.cooldown_minutes,
            min_price_change_pct=preset.min_price_change_pct,
        )
        if verdict.allowed:
            alerts[decision.side] += 1
            last[decision.side] = (now, price)
    assert signals["BUY"] + signals["SELL"] > 5
    assert {s: result.sides[s].signals for s in signals} == signals
    assert {s: result.sides[s].alerts for s in alerts} == alerts


def test_cli_backtest_on_generated_csv_with_plot(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_all(sessions)
    csv_path = write_csv(tmp_path / "X_USDT-1h.csv", generated(2000))
    png = tmp_path / "plots" / "x.png"
    code, out = run(
        settings,
        "backtest",
        "--symbol",
        "x_usdt",
        "--preset",
        "intraday:aggressive",
        "--csv",
        str(csv_path),
        "--plot",
        str(png),
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["symbol"] == "X_USDT" and data["candles"] == 2000
    assert data["weeks"] == pytest.approx(2000 / 168, rel=1e-3)
    assert data["buy"]["signals"] >= data["buy"]["alerts"] > 0
    assert data["buy"]["alerts_per_week"] == pytest.approx(
        data["buy"]["alerts"] / data["weeks"], rel=1e-2
    )
    assert len(data["buy"]["first_alerts"]) == min(5, data["buy"]["alerts"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(png)
    assert image.shape[0] > 500 and image.shape[1] > 1000
    code, text = run(
        settings,
        "backtest",
        "--symbol",
        "X_USDT",
        "--preset",
        "intraday:aggressive",
        "--csv",
        str(csv_path),
        "--set",
        "rsi_buy_below=35",
    )
    assert code == 0 and "BUY  signals" in text and "/week" in text


def test_cli_backtest_over_stored_candles(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    seed_all(sessions)
    candles = generated(600, seed=8)
    fetched = datetime(2026, 2, 1, tzinfo=UTC)
    with sessions.begin() as s:
        s.add_all(
            [
                MarketCandle(
                    symbol="X_USDT",
                    timeframe="1h",
                    open_time=datetime.fromtimestamp(int(candles.open_time[i]) / 1000, tz=UTC),
                    open=Decimal(repr(float(candles.open[i]))),
                    high=Decimal(repr(float(candles.high[i]))),
                    low=Decimal(repr(float(candles.low[i]))),
                    close=Decimal(repr(float(candles.close[i]))),
                    volume=Decimal(repr(float(candles.volume[i]))),
                    fetched_at=fetched,
                    source="test",
                )
                for i in range(len(candles))
            ]
        )
    start = datetime.fromtimestamp(START_MS / 1000, tz=UTC) + timedelta(days=10)
    code, out = run(
        settings,
        "backtest",
        "--symbol",
        "X_USDT",
        "--preset",
        "intraday:aggressive",
        "--from",
        start.date().isoformat(),
        "--to",
        "2026-01-25",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["start"].startswith("2026-01-11") and data["end"].startswith("2026-01-25")
    assert data["counted_candles"] == 14 * 24 and data["candles"] > data["counted_candles"]
    # the same replay over the same loaded window (warm-up included) from the arrays directly
    preset = BUILTIN_PRESETS["intraday:aggressive"]
    first = 240 - (required_candles(preset) + 100)
    last = 24 * 24  # candles opening before 2026-01-25
    window = CandleArrays(
        *(
            getattr(candles, f)[first:last]
            for f in ("open_time", "open", "high", "low", "close", "volume")
        )
    )
    expected = run_backtest(
        window,
        preset,
        symbol="X_USDT",
        preset_key="intraday:aggressive",
        count_from_ms=int(start.timestamp() * 1000),
    ).to_dict()
    assert data["candles"] == expected["candles"]
    for side in ("buy", "sell"):
        assert data[side]["signals"] == expected[side]["signals"]
        assert data[side]["alerts"] == expected[side]["alerts"]
        assert data[side]["first_alerts"] == expected[side]["first_alerts"]


def test_cli_backtest_bad_input_is_one_line(
    settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_all(sessions)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("a,b\n1,2\n")
    cases = [
        [
            "backtest",
            "--symbol",
            "X",
            "--preset",
            "intraday:aggressive",
            "--csv",
            str(tmp_path / "none.csv"),
        ],
        ["backtest", "--symbol", "X", "--preset", "intraday:aggressive", "--csv", str(bad_csv)],
        ["backtest", "--symbol", "X", "--preset", "nope:nope", "--csv", str(bad_csv)],
        ["backtest", "--symbol", "X", "--preset", "intraday:aggressive"],
        [
            "backtest",
            "--symbol",
            "X",
            "--preset",
            "intraday:aggressive",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
        ],
        [
            "backtest",
            "--symbol",
            "X",
            "--preset",
            "intraday:aggressive",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-05",
        ],
        [
            "backtest",
            "--symbol",
            "X",
            "--preset",
            "intraday:aggressive",
            "--csv",
            str(bad_csv),
            "--set",
            "zzz=1",
        ],
    ]
    for args in cases:
        code, out = run(settings, *args)
        assert code != 0, args
        assert out.strip().startswith("error:") and len(out.strip().splitlines()) == 1, out


def test_read_csv_accepts_iso_times_and_sorts(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "open_time,open,high,low,close,volume\n"
        "2026-01-01T01:00:00Z,2,2,2,2,1\n2026-01-01T00:00:00Z,1,1,1,1,1\n"
    )
    candles = read_csv(path)
    assert candles.open_time.tolist() == [START_MS, START_MS + HOUR_MS]
    assert candles.close.tolist() == [1.0, 2.0]
