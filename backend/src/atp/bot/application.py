"""Building the python-telegram-bot Application for `atp bot` (no Updater: atp.bot.polling polls).

Handler groups (lower runs first; each group's first matching handler runs):
  -1  the authorization gate (atp.bot.auth): stops every update it does not allow
   0  the commands, menus and callbacks (atp.bot.handlers.register)
Duplicates never get this far: the poller claims each update id before processing it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from atp.bot.auth import AuthGate, AuthPolicy
from atp.bot.deps import DEPS_KEY, BotDeps
from atp.bot.pacing import SharedPacer

log = logging.getLogger(__name__)
HANDLERS_MODULE = "atp.bot.handlers"

BotApplication = Application[Any, Any, Any, Any, Any, Any]


Register = Callable[[BotApplication], None]


def build_application(
    deps: BotDeps, pacer: SharedPacer | None = None, register: Register | None = None
) -> BotApplication:
    """The Application with its pacing, the auth gate and the command handlers registered.

    `register` adds the group-0 handlers; default: atp.bot.handlers.register.
    """
    settings = deps.settings
    base = settings.telegram_api_base_url.rstrip("/")
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_bot_token.strip())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .updater(None)
        .rate_limiter(pacer or SharedPacer(deps.sessions, settings.telegram_chat_id.strip()))
        .read_timeout(settings.telegram_send_timeout_seconds)
        .write_timeout(settings.telegram_send_timeout_seconds)
        .connect_timeout(settings.telegram_send_timeout_seconds)
        .get_updates_read_timeout(settings.bot_poll_timeout_seconds + 10)
    )
    app = builder.build()
    app.bot_data[DEPS_KEY] = deps
    app.add_handler(TypeHandler(Update, AuthGate(AuthPolicy.from_settings(settings))), group=-1)
    register = register or _handlers_attr("register")
    if register is not None:
        register(app)
    return app


def command_list() -> list[tuple[str, str]]:
    """The commands for setMyCommands (from atp.bot.handlers.COMMANDS, when it exists)."""
    commands = _handlers_attr("COMMANDS")
    return list(commands or [])


def _handlers_attr(name: str) -> Any:
    # Imported lazily: the command handlers live in their own package (atp.bot.handlers).
    try:
        module = importlib.import_module(HANDLERS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != HANDLERS_MODULE:
            raise
        log.warning("no command handlers installed (%s missing)", HANDLERS_MODULE)
        return None
    return getattr(module, name, None)


async def sync_commands(bot: Bot, commands: list[tuple[str, str]]) -> bool:
    """setMyCommands only when Telegram's list differs; True if it was set."""
    wanted = [BotCommand(command, description) for command, description in commands]
    current = list(await bot.get_my_commands())
    if [(c.command, c.description) for c in current] == commands:
        return False
    await bot.set_my_commands(wanted)
    log.info("bot command list registered (%d commands)", len(wanted))
    return True
