"""`atp monitor`: the signal monitor process (one leader; extra instances are hot standbys)."""

from __future__ import annotations

import asyncio

import click

from atp.cli.common import fail, get_context, guard_schema


@click.command("monitor")
@click.option(
    "--once",
    is_flag=True,
    help="Run one tick and exit (same leader rules: a standby exits without evaluating).",
)
def monitor(once: bool) -> None:
    """Run the signal monitor: evaluate the watchlist every MONITOR_INTERVAL_SECONDS."""
    app = get_context()
    guard_schema(app)
    from atp.monitor.worker import STANDBY, MonitorWorker
    from atp.workers.runner import install_stop_signals

    worker = MonitorWorker(app)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await worker.run(stop, once=once)

    asyncio.run(main())
    if once:
        report = worker.last_report
        if worker.last_state == STANDBY:
            click.echo("monitor: standby (another instance holds the leader lock); nothing done")
        elif report is None:
            click.echo(f"monitor: leader, {worker.last_state}; see the [GLOBAL_BLOCKER] lines")
        else:
            click.echo(f"monitor: cycle {worker.cycle} {report.summary()}")


@click.command("why")
@click.argument("symbol")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON (as the API returns).")
def why(symbol: str, as_json: bool) -> None:
    """Why is there (no) alert / trade for SYMBOL right now? A dry run: sends and stores nothing."""
    import json

    from atp.monitor import service
    from atp.monitor.explain import explanation_lines
    from atp.watchlist.fields import InvalidValueError

    app = get_context()
    try:
        with app.sessions() as session:
            result = service.evaluate_signal(session, app.settings, symbol)
    except (InvalidValueError, service.UnknownSymbolError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    for line in explanation_lines(result):
        click.echo(line)


commands: list[click.Command] = [monitor, why]
