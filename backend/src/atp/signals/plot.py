"""Picture of a backtest: price with its averages and the signals, RSI, volume ratio.

matplotlib with the non-interactive Agg backend (works on a server without a display).
Filled markers are alerts that would have been sent; hollow ones were throttled signals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from atp.signals.backtest import BacktestResult


def plot_backtest(
    result: BacktestResult, path: Path, preset_levels: tuple[float, float], volume_min: float = 0.0
) -> Path:
    """Draw `result` to `path` (PNG); `preset_levels` = (rsi_buy_below, rsi_sell_above)."""
    start = result.first_counted
    values = result.series.values
    times = result.series.open_time[start:].astype("datetime64[ms]")
    fig, (ax_price, ax_rsi, ax_vol) = plt.subplots(
        3, 1, figsize=(14, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1, 1]}
    )
    try:
        _price_panel(ax_price, result, times, values, start)
        _rsi_panel(ax_rsi, times, values["rsi"][start:], preset_levels)
        ratio = values["volume_ratio"][start:]
        ax_vol.plot(times, ratio, color="tab:gray", lw=0.7)
        ax_vol.axhline(volume_min, color="tab:blue", ls="--", lw=0.8)
        if np.isfinite(ratio).any():  # one spike should not flatten the rest
            ax_vol.set_ylim(0, max(volume_min * 2, float(np.nanpercentile(ratio, 99)) * 1.1))
        ax_vol.set_ylabel("volume ratio")
        locator = ax_vol.xaxis.get_major_locator()
        ax_vol.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path


def _price_panel(
    ax: Any, result: BacktestResult, times: Any, values: dict[str, Any], start: int
) -> None:
    ax.plot(times, values["close"][start:], color="black", lw=0.8, label="close")
    for name, color in (("ema10", "tab:orange"), ("ma50", "tab:blue"), ("ma200", "tab:purple")):
        ax.plot(times, values[name][start:], color=color, lw=0.8, label=name.upper())
    for side, mask, marker, color in (
        ("BUY", result.signals.buy, "^", "tab:green"),
        ("SELL", result.signals.sell, "v", "tab:red"),
    ):
        stats = result.sides[side]
        signal_idx = np.flatnonzero(mask[start:]) + start
        alerted = np.asarray(stats.alert_index, dtype=np.int64)
        throttled = np.setdiff1d(signal_idx, alerted)
        close = values["close"]
        open_time = result.series.open_time
        ax.scatter(
            open_time[throttled].astype("datetime64[ms]"),
            close[throttled],
            marker=marker,
            facecolors="none",
            edgecolors=color,
            s=30,
            label=f"{side} throttled ({len(throttled)})",
        )
        ax.scatter(
            open_time[alerted].astype("datetime64[ms]"),
            close[alerted],
            marker=marker,
            color=color,
            s=60,
            label=f"{side} alert ({stats.alerts})",
        )
    ax.set_title(
        f"{result.symbol} {result.preset_key} ({result.timeframe}) "
        f"{result.start:%Y-%m-%d} .. {result.end:%Y-%m-%d}"
    )
    ax.set_ylabel("price")
    ax.legend(loc="upper left", fontsize=8, ncol=3)


def _rsi_panel(ax: Any, times: Any, rsi_values: Any, levels: tuple[float, float]) -> None:
    ax.plot(times, rsi_values, color="tab:brown", lw=0.7)
    ax.axhline(levels[0], color="tab:green", ls="--", lw=0.8)
    ax.axhline(levels[1], color="tab:red", ls="--", lw=0.8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("RSI")
