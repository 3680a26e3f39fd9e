"""Who may command the bot: a pure policy, and the group -1 handler that enforces it.

Rules (docs/bot.md, "Authorization"):
- A private chat is authorized when its user id is in TELEGRAM_ALLOWED_USER_IDS or its chat id
  is in TELEGRAM_ALLOWED_CHAT_IDS (in a private chat both are the same number).
- A group or channel must be in TELEGRAM_ALLOWED_CHAT_IDS; when TELEGRAM_ALLOWED_USER_IDS is
  set, the sender must also be one of those users (a shared group does not give every member
  control).
- TELEGRAM_CHAT_ID (the alerts chat) counts as an allowed chat unless it is output-only.
- An output-only chat (TELEGRAM_OUTPUT_ONLY_CHAT_IDS) takes no commands: its messages are
  ignored without a reply (the chat stays clean); button presses on alert messages there are
  accepted from allowed users only.
Anyone else gets "not authorized" (nothing more) and the attempt is logged with ids only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from atp.settings import Settings

log = logging.getLogger(__name__)
REFUSAL_TEXT = "⛔ Not authorized."
# One refusal reply per chat per this many seconds: a stranger cannot use the bot to spend the
# pacing budget that alerts need. Every attempt is still logged.
REFUSAL_REPLY_EVERY_S = 60.0


class Verdict(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"  # answered "not authorized"
    IGNORED = "ignored"  # no reply (output-only chat, or an update nobody can command with)


def _ids(value: str) -> frozenset[int]:
    return frozenset(int(part) for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class AuthPolicy:
    chats: frozenset[int]
    users: frozenset[int]
    output_only: frozenset[int]

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthPolicy:
        output_only = _ids(settings.telegram_output_only_chat_ids)
        chats = set(_ids(settings.telegram_allowed_chat_ids))
        operator = settings.telegram_chat_id.strip()
        if operator.lstrip("-").isdigit() and int(operator) not in output_only:
            chats.add(int(operator))
        return cls(
            frozenset(chats - output_only), _ids(settings.telegram_allowed_user_ids), output_only
        )

    def decide(
        self, chat_id: int | None, chat_type: str | None, user_id: int | None, *, button: bool
    ) -> Verdict:
        """The verdict for one update (`button`: a callback query, not a message)."""
        if chat_id is None:  # inline queries, polls, ...: nothing the bot answers
            return Verdict.ALLOWED if user_id in self.users else Verdict.IGNORED
        if chat_id in self.output_only:
            if button and user_id in self.users:
                return Verdict.ALLOWED
            return Verdict.REFUSED if button else Verdict.IGNORED
        if chat_type == "private":
            allowed = user_id in self.users or chat_id in self.chats
        else:
            allowed = chat_id in self.chats and (not self.users or user_id in self.users)
        return Verdict.ALLOWED if allowed else Verdict.REFUSED


class AuthGate:
    """The group -1 TypeHandler callback: lets allowed updates through, stops everything else."""

    def __init__(self, policy: AuthPolicy) -> None:
        self.policy = policy
        self._last_reply: dict[int, float] = {}

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            raise ApplicationHandlerStop
        chat, user = update.effective_chat, update.effective_user
        chat_id = None if chat is None else chat.id
        user_id = None if user is None else user.id
        button = update.callback_query is not None
        verdict = self.policy.decide(
            chat_id, None if chat is None else chat.type, user_id, button=button
        )
        if verdict is Verdict.ALLOWED:
            return
        log.warning(
            "[TELEGRAM_UNAUTHORIZED] update=%s chat=%s user=%s verdict=%s",
            update.update_id,
            chat_id,
            user_id,
            verdict,
        )
        if verdict is Verdict.REFUSED:
            await self._refuse(update, chat_id)
        raise ApplicationHandlerStop

    async def _refuse(self, update: Update, chat_id: int | None) -> None:
        try:
            if update.callback_query is not None:  # always answered: the button stops spinning
                await update.callback_query.answer(REFUSAL_TEXT)
                return
            if update.message is None or chat_id is None:  # e.g. added to a group: no reply
                return
            now = time.monotonic()
            if now - self._last_reply.get(chat_id, -1e9) < REFUSAL_REPLY_EVERY_S:
                return
            if len(self._last_reply) > 1000:  # forget old strangers (bounded memory)
                self._last_reply = {
                    c: t for c, t in self._last_reply.items() if now - t < REFUSAL_REPLY_EVERY_S
                }
            self._last_reply[chat_id] = now
            await update.get_bot().send_message(chat_id, REFUSAL_TEXT)
        except TelegramError as exc:  # e.g. the bot was removed from that chat
            log.info("refusal not delivered to chat=%s: %s", chat_id, exc.__class__.__name__)
