"""`atp bot`: the Telegram menu bot, the only getUpdates poller (docs/bot.md)."""

from __future__ import annotations

import asyncio

import click

from atp.cli.common import fail, get_context, guard_schema


@click.command("bot")
def bot() -> None:
    """Run the Telegram menu bot (long polling; a second instance waits as a standby)."""
    app = get_context()
    guard_schema(app)
    from atp.runtime.bot import bot_refusal, run_bot
    from atp.workers.runner import install_stop_signals

    refusal = bot_refusal(app.settings)
    if refusal is not None:
        fail(f"the Telegram bot cannot start: {refusal}", code=2)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await run_bot(app, stop)

    asyncio.run(main())


commands: list[click.Command] = [bot]
