"""`atp sync`: the order worker (entry -> protection, reconcile, guardian); one active instance."""

from __future__ import annotations

import asyncio

import click

from atp.cli.common import fail, get_context, guard_schema


@click.command("sync")
@click.option(
    "--once",
    is_flag=True,
    help="Run one pass and exit (same leader rules: a standby exits without doing anything).",
)
def sync(once: bool) -> None:
    """Run the order worker every ORDERS_SYNC_INTERVAL_SECONDS: order flow, sync, guardian."""
    app = get_context()
    guard_schema(app)
    from atp.orders.service import OrderWorker
    from atp.runtime.broker import LiveTradingRefused, build_broker
    from atp.runtime.runner import STANDBY, install_stop_signals

    try:
        broker = build_broker(app.settings, app.sessions)
    except LiveTradingRefused as exc:
        fail(str(exc), code=2)
    worker = OrderWorker(app, broker)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await worker.run(stop, once=once)

    asyncio.run(main())
    if once:
        last = worker.last
        if last is None or last.state == STANDBY:
            click.echo("sync: standby (another instance holds the orders lock); nothing done")
            return
        problem = last.auth_error or last.error
        click.echo(
            f"sync: broker={broker.name} flow={last.flow} new_fills={last.new_fills} "
            f"repaired={last.repaired} unprotected={last.unprotected} orphans={len(last.orphans)}"
            + (f" error={problem}" if problem else "")
        )


commands: list[click.Command] = [sync]
