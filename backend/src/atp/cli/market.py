"""`atp market`: the market-data updater (instruments, tickers, candles -> database)."""

from __future__ import annotations

import asyncio
import logging

import click

from atp.cli.common import fail, get_context, guard_schema
from atp.market.errors import MarketDataError
from atp.market.single import SingleInstanceUpdater
from atp.market.updater import MarketUpdater, PassReport
from atp.runtime.context import AppContext
from atp.runtime.market_source import build_market_source
from atp.workers.runner import install_stop_signals, run_periodic

log = logging.getLogger("atp.market")


async def _run(app: AppContext, *, once: bool) -> int:
    try:
        source = build_market_source(app.settings)
    except MarketDataError as exc:
        fail(f"market source not usable: {exc}")
    updater = SingleInstanceUpdater.build(MarketUpdater(source, app.sessions, app.settings))
    try:
        if once:
            report = await updater.tick()
            if not isinstance(report, PassReport):
                click.echo("another instance runs the market updater; nothing done")
                return 0
            click.echo(report.summary())
            return 1 if report.symbols and report.ok == 0 else 0
        stop = asyncio.Event()
        install_stop_signals(stop)
        log.info(
            "market updater started: source=%s interval=%ss timeframes=%s",
            source.source_name,
            app.settings.market_interval_seconds,
            app.settings.market_timeframes,
        )
        await run_periodic(
            updater.tick,
            interval=app.settings.market_interval_seconds,
            stop=stop,
            name="market",
        )
        return 0
    finally:
        await updater.release()
        await source.aclose()


@click.command("market")
@click.option("--once", is_flag=True, help="Run a single pass and exit (cron, tests).")
def market(once: bool) -> None:
    """Keep instruments, tickers and candle history of the watchlist fresh in the database."""
    app = get_context()
    guard_schema(app)
    code = asyncio.run(_run(app, once=once))
    if code:
        raise SystemExit(code)


@click.command("market-health")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
@click.option("--check", is_flag=True, help="Exit 1 when any symbol is unhealthy.")
def market_health(as_json: bool, check: bool) -> None:
    """The data-health view: fetch status, last error and freshness per watchlist symbol."""
    import json

    from atp.db.base import utcnow
    from atp.market.health import data_health

    app = get_context()
    timeframes = app.settings.market_timeframes.split(",")
    with app.sessions() as session:
        rows = data_health(session, timeframes=timeframes, now=utcnow())
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rows], indent=2))
    for row in [] if as_json else rows:
        ages = " ".join(
            f"{tf}={'ok' if f.fresh else (f.reason or 'stale')}" for tf, f in row.freshness.items()
        )
        error = f" error={row.last_error}" if row.last_error else ""
        click.echo(f"{row.symbol:<14} {row.status:<13} {ages}{error}")
    if check and not all(r.healthy for r in rows):
        raise SystemExit(1)


commands: list[click.Command] = [market, market_health]
