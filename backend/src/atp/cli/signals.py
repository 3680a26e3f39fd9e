"""`atp presets ...` (view and edit strategy presets, source=cli) and `atp backtest ...`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.cli.common import fail, get_context
from atp.core.candles import CandleArrays
from atp.core.presets import PresetParams
from atp.db.session import unit_of_work
from atp.ops.config_trail import ChangeSource
from atp.ops.models import ConfigChange
from atp.signals import presets as service
from atp.signals.backtest import BacktestError, BacktestResult, load_stored, read_csv, run_backtest

T = TypeVar("T")


def _apply(action: Callable[[Session], T]) -> T:
    try:
        with unit_of_work(get_context().sessions) as session:
            return action(session)
    except service.PresetError as exc:
        fail(str(exc))


def _assignments(items: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"expected key=value, got {item!r}")
        values[key.strip()] = value
    return values


@click.group("presets")
def presets() -> None:
    """List, show and edit strategy presets (every edit is versioned and audited)."""


@presets.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List presets with their main parameters."""
    rows = _apply(
        lambda s: [(r.key, r.version, r.is_builtin, r.params) for r in service.list_presets(s)]
    )
    if as_json:
        click.echo(
            json.dumps(
                [{"key": k, "version": v, "builtin": b, "params": p} for k, v, b, p in rows],
                indent=2,
            )
        )
        return
    click.echo(
        f"{'key':<24} {'ver':>3} {'tf':<4} {'rsi buy/sell':<13} {'ma checks':<18} "
        f"{'vol':>4} {'cooldown':>8} {'min chg%':>8}  sl / tp"
    )
    for key, version, _builtin, params in rows:
        click.echo(_summary_line(key, version, params))


def _summary_line(key: str, version: int, raw: dict[str, Any]) -> str:
    try:
        p = PresetParams.from_dict(raw)
    except ValueError as exc:
        return f"{key:<24} {version:>3} INVALID: {exc}"
    checks = (
        ",".join(
            n
            for n, on in (
                ("ema10", p.check_ema10),
                ("ma50", p.check_ma50),
                ("ma200", p.check_ma200),
            )
            if on
        )
        or "-"
    )
    rsi_text = f"{p.rsi_buy_below:g}/{p.rsi_sell_above:g}" + ("x" if p.rsi_cross else "")
    sl = f"{p.sl_atr_multiple}xATR" if p.sl_method == "atr" else f"{p.sl_pct}%"
    tp = f"RR {p.risk_reward}" if p.tp_method == "risk_reward" else f"{p.tp_pct}%"
    return (
        f"{key:<24} {version:>3} {p.timeframe:<4} {rsi_text:<13} {checks:<18} "
        f"{p.volume_min_ratio:>4g} {p.cooldown_minutes:>8} {p.min_price_change_pct:>8}  {sl} / {tp}"
    )


@presets.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(key: str, as_json: bool) -> None:
    """Show every parameter of preset KEY and its recent changes."""

    def load(session: Session) -> dict[str, Any]:
        row = service.get_preset(session, key)
        changes = session.scalars(
            select(ConfigChange)
            .where(ConfigChange.entity == service.ENTITY, ConfigChange.entity_key == row.key)
            .order_by(ConfigChange.id.desc())
            .limit(10)
        )
        return {
            "key": row.key,
            "version": row.version,
            "builtin": row.is_builtin,
            "description": row.description,
            "params": row.params,
            "recent_changes": [
                {
                    "at": c.changed_at.isoformat(),
                    "source": c.source,
                    "field": c.field,
                    "old": c.old_value,
                    "new": c.new_value,
                }
                for c in changes
            ],
        }

    data = _apply(load)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"{data['key']} (version {data['version']}{', built-in' if data['builtin'] else ''})"
    )
    if data["description"]:
        click.echo(f"  {data['description']}")
    for name, value in data["params"].items():
        click.echo(f"  {name:<22} {value}")
    for change in data["recent_changes"]:
        if change["field"].startswith("*"):
            click.echo(f"  {change['at']} {change['source']:<8} {change['field']}")
        else:
            click.echo(
                f"  {change['at']} {change['source']:<8} {change['field']}: "
                f"{change['old']} -> {change['new']}"
            )


@presets.command("set")
@click.argument("key")
@click.argument("assignments", nargs=-1, required=True)
def set_cmd(key: str, assignments: tuple[str, ...]) -> None:
    """Change parameters: atp presets set swing:aggressive rsi_buy_below=40 cooldown_minutes=30"""
    values = _assignments(assignments)
    changed = _apply(lambda s: service.update_preset(s, key, values, source=ChangeSource.CLI))
    if not changed:
        click.echo(f"{key}: nothing changed")
    for name, (old, new) in changed.items():
        click.echo(f"{key}: {name} {old} -> {new}")


@presets.command("create")
@click.argument("key")
@click.argument("assignments", nargs=-1)
@click.option("--from", "base", required=True, help="Preset to copy, e.g. swing:conservative.")
@click.option("--description", default=None, help="What the preset is for.")
def create_cmd(key: str, assignments: tuple[str, ...], base: str, description: str | None) -> None:
    """Create custom preset KEY (<strategy>:<risk>) from another one, with changes."""
    values = _assignments(assignments)
    _apply(
        lambda s: service.create_preset(
            s, key, base=base, values=values, source=ChangeSource.CLI, description=description
        )
    )
    click.echo(f"created {key.strip().lower()} from {base}")


def _parse_day(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{name}: expected an ISO date such as 2026-01-31 or 2026-01-31T12:00, got {text!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("backtest")
@click.option("--symbol", required=True, help="Symbol, e.g. BTC_USDT.")
@click.option("--preset", "preset_key", required=True, help="Preset key, e.g. swing:conservative.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Candles from a CSV (ts_ms,open,high,low,close,volume) instead of the database.",
)
@click.option("--from", "start", default=None, help="First day counted (ISO, UTC).")
@click.option("--to", "end", default=None, help="End (exclusive, ISO, UTC).")
@click.option(
    "--set", "overrides", multiple=True, help="Try a parameter change: --set rsi_buy_below=40."
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write a PNG of price, indicators and signals.",
)
@click.option("--first", default=5, show_default=True, help="How many first timestamps to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def backtest(
    symbol: str,
    preset_key: str,
    csv_path: Path | None,
    start: str | None,
    end: str | None,
    overrides: tuple[str, ...],
    plot_path: Path | None,
    first: int,
    as_json: bool,
) -> None:
    """How many signals and alerts (after throttle) PRESET would have produced on SYMBOL."""
    start_at, end_at = _parse_day(start, "--from"), _parse_day(end, "--to")
    if start_at and end_at and start_at >= end_at:
        fail("--from must be before --to")
    if csv_path is None and (start_at is None or end_at is None):
        fail("give --csv FILE, or --from and --to to replay stored candles")
    values = _assignments(overrides)

    def prepare(session: Session) -> tuple[PresetParams, CandleArrays | None]:
        params = service.params_of(service.get_preset(session, preset_key))
        try:
            params = params.with_overrides(values)
        except ValueError as exc:
            raise service.PresetError(str(exc)) from None
        if csv_path is not None:
            return params, None
        assert start_at is not None and end_at is not None
        return params, load_stored(session, symbol.strip().upper(), params, start_at, end_at)

    params, stored = _apply(prepare)
    try:
        candles = read_csv(csv_path) if csv_path is not None else stored
        assert candles is not None
        candles = _clip_end(candles, end_at)
        result = run_backtest(
            candles,
            params,
            symbol=symbol.strip().upper(),
            preset_key=preset_key.strip().lower(),
            count_from_ms=None if start_at is None else int(start_at.timestamp() * 1000),
            first=max(0, first),
        )
    except BacktestError as exc:
        fail(str(exc))
    if plot_path is not None:
        from atp.signals.plot import plot_backtest

        plot_backtest(
            result,
            plot_path,
            (params.rsi_buy_below, params.rsi_sell_above),
            params.volume_min_ratio,
        )
    _report(result, as_json, plot_path)


def _clip_end(candles: CandleArrays, end_at: datetime | None) -> CandleArrays:
    """Drop candles opening at or after `end_at` (a CSV may run past --to)."""
    if end_at is None:
        return candles
    keep = int(np.searchsorted(candles.open_time, int(end_at.timestamp() * 1000)))
    return CandleArrays(
        candles.open_time[:keep],
        candles.open[:keep],
        candles.high[:keep],
        candles.low[:keep],
        candles.close[:keep],
        candles.volume[:keep],
    )


def _report(result: BacktestResult, as_json: bool, plot_path: Path | None) -> None:
    data = result.to_dict()
    if plot_path is not None:
        data["plot"] = str(plot_path)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"{data['symbol']} {data['preset']} ({data['timeframe']}): {data['counted_candles']} "
        f"candles, {data['start']} .. {data['end']} ({data['weeks']} weeks)"
    )
    if data["insufficient_data_candles"]:
        click.echo(
            f"  insufficient data on {data['insufficient_data_candles']} candles (warm-up or gaps)"
        )
    for side in ("buy", "sell"):
        s = data[side]
        throttled = ", ".join(f"{k}={v}" for k, v in sorted(s["throttled"].items())) or "none"
        click.echo(
            f"  {side.upper():<4} signals {s['signals']:>6} ({s['signals_per_week']}/week)  "
            f"alerts {s['alerts']:>5} ({s['alerts_per_week']}/week)  throttled: {throttled}"
        )
        if s["first_alerts"]:
            click.echo(f"       first alerts: {', '.join(s['first_alerts'])}")
    if plot_path is not None:
        click.echo(f"  plot: {plot_path}")


commands: list[click.Command] = [presets, backtest]
