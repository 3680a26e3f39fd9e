"""`atp monitor`: the signal monitor process (one leader; extra instances are hot standbys)."""

from __future__ import annotations

import asyncio

import click

from atp.cli.common import get_context, guard_schema


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
    from atp.runtime.runner import install_stop_signals

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


commands: list[click.Command] = [monitor]
