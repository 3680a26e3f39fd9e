"""`atp run`: the whole platform in one process (what `make run` starts)."""

from __future__ import annotations

import asyncio

import click

from atp.cli.common import fail, get_context, guard_schema


@click.command("run")
@click.option("--no-api", is_flag=True, help="Do not serve the REST API.")
@click.option(
    "--demo",
    is_flag=True,
    help="Seed the demo watchlist on first run even with exchange data (never in production).",
)
def run(no_api: bool, demo: bool) -> None:
    """Run market updater, monitor, sender and API together (embedded default)."""
    app = get_context()
    if demo:
        from atp.runtime.demo import demo_seed_refusal

        refusal = demo_seed_refusal(app.settings, requested=True)
        if refusal is not None:
            fail(f"--demo is refused: {refusal}", code=2)
    guard_schema(app)
    from atp.runtime.all_in_one import ApiPortUnavailableError, run_all
    from atp.workers.runner import install_stop_signals

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await run_all(app, stop, with_api=not no_api, demo=demo)

    try:
        asyncio.run(main())
    except ApiPortUnavailableError as exc:
        fail(str(exc))


commands: list[click.Command] = [run]
