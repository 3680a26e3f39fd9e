"""The Notifier port, its Telegram implementation (python-telegram-bot `Bot`) and the console one.

The sender only sees `DeliveryError` subclasses, so its retry rules do not depend on PTB.
The bot token is never logged: PTB puts it in some messages (e.g. InvalidToken on initialize),
so every error text leaving this module goes through `redact`.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TextIO

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from atp.alerts.text import to_plain_text

# Inline buttons under a message: rows of (label, callback_data); () = none.
Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class SendResult:
    message_id: int | None
    channel: str  # telegram / console


class DeliveryError(Exception):
    """Base of what a notifier raises; `reason_code` goes into the ledger."""

    reason_code = "TELEGRAM_ERROR"


class RateLimited(DeliveryError):
    """429: wait `retry_after` seconds for THIS chat."""

    reason_code = "TELEGRAM_RATE_LIMITED"

    def __init__(self, retry_after: float, message: str = "") -> None:
        super().__init__(message or f"retry after {retry_after} s")
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """5xx, timeouts, network errors: retry with backoff."""

    def __init__(self, message: str, reason_code: str = "TELEGRAM_NETWORK_ERROR") -> None:
        super().__init__(message)
        self.reason_code = reason_code


class ParseEntitiesError(DeliveryError):
    """Telegram could not parse the HTML: retry once as plain text."""

    reason_code = "TELEGRAM_PARSE_ERROR"


class PermanentError(DeliveryError):
    """Telegram refused the message for good (bad request, bot blocked, bad token)."""

    def __init__(self, message: str, reason_code: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code


class Notifier(Protocol):
    """Delivers one message to one chat. `parse_mode` is "HTML" or "PLAIN"; `buttons` are only
    passed when there are some (notifiers without buttons may omit the parameter)."""

    channel: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(
        self, chat_id: str, text: str, parse_mode: str, buttons: Buttons = ()
    ) -> SendResult: ...


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "<token>") if secret else text


def retry_after_seconds(exc: RetryAfter) -> float:
    """PTB gives an int before 22.2 and an int-or-timedelta (deprecation-warned) after: take both."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"unexpected retry_after type {type(value).__name__}")


def classify(exc: TelegramError, token: str = "") -> DeliveryError:
    """Map a PTB error to the sender's retry rules. Order matters: BadRequest is a NetworkError."""
    message = redact(str(exc), token)
    if isinstance(exc, RetryAfter):
        return RateLimited(retry_after_seconds(exc), message)
    if isinstance(exc, ChatMigrated):
        return PermanentError(message, "TELEGRAM_CHAT_MIGRATED")
    if isinstance(exc, BadRequest):
        lowered = message.lower()
        if "can't parse entities" in lowered or "can not parse entities" in lowered:
            return ParseEntitiesError(message)
        if "message is too long" in lowered:
            return PermanentError(message, "TELEGRAM_MESSAGE_TOO_LONG")
        return PermanentError(message, "TELEGRAM_BAD_REQUEST")
    if isinstance(exc, Forbidden):
        return PermanentError(message, "TELEGRAM_FORBIDDEN")
    if isinstance(exc, InvalidToken):
        return PermanentError("the bot token was rejected by Telegram", "TELEGRAM_INVALID_TOKEN")
    if isinstance(exc, TimedOut):
        return TransientError(message or "timed out", "TELEGRAM_TIMEOUT")
    if isinstance(exc, NetworkError):
        return TransientError(message, "TELEGRAM_NETWORK_ERROR")
    return TransientError(message, "TELEGRAM_ERROR")


class TelegramNotifier:
    """Sends through python-telegram-bot's `Bot`; its API base URL comes from settings."""

    channel = "telegram"

    def __init__(self, token: str, api_base_url: str, *, timeout: float = 10.0) -> None:
        self._token = token
        self._request = HTTPXRequest(
            connection_pool_size=16,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        )
        self._bot = Bot(
            token,
            base_url=f"{api_base_url.rstrip('/')}/bot",
            base_file_url=f"{api_base_url.rstrip('/')}/file/bot",
            request=self._request,
        )
        self._started = False

    async def start(self) -> None:
        # Only the HTTP client; no getMe, so a flaky Telegram does not stop the sender starting.
        if not self._started:
            await self._request.initialize()
            self._started = True

    async def close(self) -> None:
        if self._started:
            await self._request.shutdown()
            self._started = False

    async def send(
        self, chat_id: str, text: str, parse_mode: str, buttons: Buttons = ()
    ) -> SendResult:
        await self.start()
        try:
            message = await self._bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML if parse_mode == "HTML" else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_markup=_keyboard(buttons),
            )
        except TelegramError as exc:
            raise classify(exc, self._token) from None
        return SendResult(message_id=message.message_id, channel=self.channel)


def _keyboard(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


class ConsoleNotifier:
    """The embedded default: prints the alert and lets the sender record it like a real send."""

    channel = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.sent: list[tuple[str, str]] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(
        self, chat_id: str, text: str, parse_mode: str, buttons: Buttons = ()
    ) -> SendResult:
        plain = to_plain_text(text) if parse_mode == "HTML" else text
        stream = self._stream or sys.stdout
        stream.write(f"\n----- alert (console, chat {chat_id}) -----\n{plain}\n")
        stream.flush()
        self.sent.append((chat_id, plain))
        return SendResult(message_id=None, channel=self.channel)


class BlockedNotifier:
    """Used when Telegram is blocked by configuration: housekeeping marks rows BLOCKED."""

    channel = "blocked"

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(
        self, chat_id: str, text: str, parse_mode: str, buttons: Buttons = ()
    ) -> SendResult:
        raise PermanentError("Telegram is blocked by configuration", "TELEGRAM_DISABLED")
