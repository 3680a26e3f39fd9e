"""Composition of the menu bot (`atp bot`, and the `bot` role inside `atp run`): settings ->
dependencies, the single-instance lock with its lease, the poller (atp.bot.polling)."""

from __future__ import annotations

import asyncio
import logging
import re

from atp.alerts.gating import PRODUCTION_ENVIRONMENTS
from atp.bot.deps import BotDeps
from atp.bot.polling import BotPoller, PollerConfig
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.workers.locks import LeaderElector, make_instance_lock

log = logging.getLogger(__name__)
BOT_LEASE_ROLE = "bot"  # atp.ops.leases role: a deposed poller's claims fail
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


def bot_refusal(settings: Settings) -> str | None:
    """Why the bot must not poll with these settings (None = it may).

    Same spirit as the alert gating: only a production environment talks to real Telegram, so
    a laptop with a copy of the production env file never steals the production bot's updates
    (two pollers = 409 for both). Point TELEGRAM_API_BASE_URL elsewhere only for tests.
    """
    token = settings.telegram_bot_token.strip()
    if not token:
        return "TELEGRAM_BOT_TOKEN is not set"
    if not _TOKEN_SHAPE.match(token):
        return "TELEGRAM_BOT_TOKEN is malformed (expected <digits>:<characters>)"
    if not settings.telegram_enabled:
        return "TELEGRAM_ENABLED=false"
    if settings.environment.strip().lower() not in PRODUCTION_ENVIRONMENTS:
        return (
            f"ENVIRONMENT={settings.environment} is not production "
            f"({'/'.join(sorted(PRODUCTION_ENVIRONMENTS))}); use a separate bot token to try it"
        )
    return None


def build_bot(app: AppContext, config: PollerConfig | None = None) -> BotPoller:
    settings = app.settings
    lock = make_instance_lock(settings, name="bot", pg_lock_id=settings.bot_lock_id)
    elector = LeaderElector(
        lock,
        settings.monitor_instance_id,
        role="telegram bot poller",
        sessions=app.sessions,
        lease_role=BOT_LEASE_ROLE,
    )
    deps = BotDeps(settings=settings, sessions=app.sessions)
    return BotPoller(deps, instance_id=settings.monitor_instance_id, elector=elector, config=config)


async def run_bot(app: AppContext, stop: asyncio.Event) -> None:
    """The bot process body; with Telegram not configured, says why once and idles."""
    refusal = bot_refusal(app.settings)
    if refusal is not None:
        log.warning("[bot] the Telegram bot is not started: %s", refusal)
        await stop.wait()
        return
    poller = build_bot(app)
    log.info(
        "[bot] starting instance=%s lock=%s interval=%ss",
        poller.instance_id,
        None if poller.elector is None else poller.elector.lock.description,
        poller.config.interval,
    )
    stats = await poller.run(stop)
    log.info("[bot] stopped: %s", stats)
