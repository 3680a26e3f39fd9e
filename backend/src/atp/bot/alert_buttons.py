"""Which alerts carry the bot's buttons ("why", "trade off"), for the sender (wired by
atp.runtime: the alerts area does not import the bot)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from atp.alerts.notifier import Buttons
from atp.alerts.outbox import MessageKind
from atp.alerts.store import Claimed
from atp.bot.callbacks import CallbackDataError
from atp.bot.menus.screens import alert_buttons
from atp.settings import Settings

log = logging.getLogger(__name__)


def alert_buttons_for(settings: Settings) -> Callable[[Claimed, str], Buttons]:
    """Signal alerts about a symbol get buttons, except in output-only chats (the bot refuses
    commands from those, so a button there could never be answered)."""
    output_only = {c for c in settings.telegram_output_only_chat_ids.split(",") if c}

    def buttons_for(claimed: Claimed, chat: str) -> Buttons:
        if claimed.kind != MessageKind.ALERT or not claimed.symbol or chat in output_only:
            return ()
        try:
            return alert_buttons(claimed.symbol)
        except CallbackDataError as exc:  # never let a button stop an alert
            log.warning("alert %s sent without buttons: %s", claimed.id, exc)
            return ()

    return buttons_for
