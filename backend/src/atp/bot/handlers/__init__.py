"""The bot's commands, buttons and value replies (group 0).

`atp bot` (the runtime) adds authorization and duplicate-update filtering in earlier groups,
registers `COMMANDS` once with setMyCommands, and calls `register(app)`.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from atp.bot.handlers import buttons, commands, replies

GROUP = 0

# (command, description): the one list, for /help and setMyCommands alike.
COMMANDS: list[tuple[str, str]] = [
    ("start", "welcome and the main menu"),
    ("menu", "main menu: watchlist, orders, monitoring, kill switch"),
    ("help", "this list"),
    ("status", "health, monitor heartbeat, blockers, switches"),
    ("watchlist", "the watchlist, 9 coins a page"),
    ("signals", "latest decisions with the failing conditions"),
    ("why", "why (no) alert or trade for SYMBOL now"),
    ("analyze", "evaluate SYMBOL now (dry run)"),
    ("orders", "open orders and protection legs"),
    ("portfolio", "positions with P&L and protection"),
    ("balance", "balances and positions' P&L"),
    ("add", "add SYMBOL to the watchlist"),
    ("audit", "global PASS/FAIL and top causes"),
    ("kill", "kill switch: on | off | status"),
    ("pause", "pause the signal monitor"),
    ("resume", "resume the signal monitor"),
    ("panic", "trade off on every symbol (asks first)"),
    ("cancel", "drop the open question"),
]

_CALLBACKS = {
    "start": commands.start,
    "menu": commands.menu,
    "help": commands.help_command,
    "status": commands.status,
    "watchlist": commands.watchlist_command,
    "signals": commands.signals,
    "why": commands.why,
    "analyze": commands.analyze,
    "orders": commands.orders,
    "portfolio": commands.portfolio,
    "balance": commands.balance,
    "add": commands.add,
    "audit": commands.audit,
    "kill": commands.kill,
    "pause": commands.pause,
    "resume": commands.resume,
    "panic": commands.panic,
    "cancel": commands.cancel,
}


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add every command, the button dispatcher and the value-reply handler in group 0."""
    for name, _description in COMMANDS:
        app.add_handler(CommandHandler(name, _CALLBACKS[name]), group=GROUP)
    app.add_handler(CallbackQueryHandler(buttons.on_button), group=GROUP)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, replies.on_text), group=GROUP)
