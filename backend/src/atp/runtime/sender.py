"""Composition of the alert sender: which notifier, which lock, which lease (`atp sender` and the
sender role inside `atp run`). The sender itself (atp.alerts.sender) only drains the outbox."""

from __future__ import annotations

import asyncio
import logging

from atp.alerts.gating import telegram_status
from atp.alerts.notifier import BlockedNotifier, ConsoleNotifier, Notifier, TelegramNotifier
from atp.alerts.sender import SENDER_LEASE_ROLE, SenderConfig, SenderStats, SenderWorker
from atp.bot.alert_buttons import alert_buttons_for
from atp.runtime.context import AppContext
from atp.settings import Settings
from atp.workers.locks import LeaderElector, make_instance_lock

log = logging.getLogger(__name__)


def build_notifier(settings: Settings) -> Notifier | None:
    """Telegram when gating allows it, the console for the embedded default, else None."""
    kind = telegram_status(settings).notifier_kind
    if kind == "telegram":
        return TelegramNotifier(
            settings.telegram_bot_token.strip(),
            settings.telegram_api_base_url,
            timeout=settings.telegram_send_timeout_seconds,
        )
    if kind == "console":
        return ConsoleNotifier()
    return None


def build_sender(app: AppContext, config: SenderConfig | None = None) -> SenderWorker:
    notifier = build_notifier(app.settings) or BlockedNotifier()
    settings = app.settings
    lock = make_instance_lock(settings, name="sender", pg_lock_id=settings.sender_lock_id)
    elector = LeaderElector(
        lock,
        settings.monitor_instance_id,
        role="alert sender",
        sessions=app.sessions,
        lease_role=SENDER_LEASE_ROLE,
    )
    return SenderWorker(
        app.sessions,
        settings,
        notifier,
        config,
        elector=elector,
        buttons_for=alert_buttons_for(settings),
    )


async def run_sender(
    app: AppContext, stop: asyncio.Event, once: bool = False, config: SenderConfig | None = None
) -> SenderStats:
    """The sender process body (`atp sender`, and the combined embedded process)."""
    worker = build_sender(app, config)
    log.info("sender starting (notifier=%s, once=%s)", worker.notifier.channel, once)
    stats = await worker.run(stop, once=once)
    log.info("sender stopped: %s", stats)
    return stats
