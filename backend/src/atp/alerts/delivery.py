"""One delivery attempt: text preparation, the notifier call, and the outcome it leads to.

Pure decisions (no database, no clock): the worker records whatever `attempt_outcome` returns.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from atp.alerts.notifier import (
    Buttons,
    DeliveryError,
    Notifier,
    ParseEntitiesError,
    PermanentError,
    RateLimited,
    SendResult,
    TransientError,
)
from atp.alerts.text import TELEGRAM_MAX_TEXT, fit_telegram_limit, telegram_length, to_plain_text
from atp.core.errors import short_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for 5xx / timeouts / network errors; scale knobs keep tests fast."""

    max_attempts: int = 10
    backoff_base: float = 2.0  # seconds before the 2nd attempt; doubles each time
    backoff_max: float = 120.0
    retry_after_scale: float = 1.0  # 1.0 in production: wait exactly what Telegram says
    jitter: float = 0.2

    def backoff(self, attempts: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * 2.0 ** max(0, attempts - 1))
        return float(delay * (1 + random.uniform(-self.jitter, self.jitter)))


@dataclass(frozen=True)
class Delivered:
    result: SendResult
    note: str | None  # e.g. "trimmed from 5000 to 4096 characters"


@dataclass(frozen=True)
class Retry:
    delay: float  # seconds from now
    error: str
    hold_chat: bool = False  # 429: hold this chat (only this chat) for `delay`
    plain_text: bool = False  # next attempt as plain text


@dataclass(frozen=True)
class Failed:
    reason_code: str
    error: str


Outcome = Delivered | Retry | Failed


def prepare_text(
    text: str, parse_mode: str, limit: int = TELEGRAM_MAX_TEXT
) -> tuple[str, str | None]:
    """The text to send in `parse_mode` and a ledger note when it had to be trimmed."""
    is_html = parse_mode == "HTML"
    body = text if is_html else to_plain_text(text)
    fitted, trimmed = fit_telegram_limit(body, limit, is_html=is_html)
    if not trimmed:
        return fitted, None
    return fitted, f"trimmed from {telegram_length(body)} to {limit} characters"


async def attempt(
    notifier: Notifier,
    chat_id: str,
    text: str,
    parse_mode: str,
    attempts: int,
    policy: RetryPolicy,
    limit: int = TELEGRAM_MAX_TEXT,
    *,
    deadline: float | None = None,
    buttons: Buttons = (),
) -> Outcome:
    """Send once and decide what happens next. `attempts` counts this attempt too.

    `deadline` bounds the whole request (the HTTP client's timeouts apply per phase, so a
    request could otherwise outlive the claim lease that is derived from the send timeout).
    """
    body, note = prepare_text(text, parse_mode, limit)
    if parse_mode == "PLAIN":
        note = "sent as plain text after Telegram refused the HTML" + (f"; {note}" if note else "")
    try:
        async with asyncio.timeout(deadline):
            result = await (
                notifier.send(chat_id, body, parse_mode, buttons)
                if buttons
                else notifier.send(chat_id, body, parse_mode)
            )
    except TimeoutError:  # no answer in time: Telegram may or may not have it (see docs)
        reason = "TELEGRAM_TIMEOUT"
        return _retry_or_fail(f"no answer within {deadline} s", reason, attempts, policy)
    except DeliveryError as exc:
        return _after_error(exc, parse_mode, attempts, policy)
    except Exception as exc:  # unknown: we cannot tell whether Telegram accepted it; never lose it
        log.exception("unexpected error from the %s notifier", notifier.channel)
        return _retry_or_fail(short_error(exc), "SENDER_ERROR", attempts, policy)
    return Delivered(result, note)


def _after_error(
    exc: DeliveryError, parse_mode: str, attempts: int, policy: RetryPolicy
) -> Outcome:
    if isinstance(exc, RateLimited):
        return Retry(exc.retry_after * policy.retry_after_scale, str(exc), hold_chat=True)
    if isinstance(exc, ParseEntitiesError):
        if parse_mode == "HTML":
            log.warning("[TELEGRAM_HTML_FALLBACK] retrying once as plain text: %s", exc)
            return Retry(0.0, str(exc), plain_text=True)
        return Failed(exc.reason_code, str(exc))
    if isinstance(exc, PermanentError):
        return Failed(exc.reason_code, str(exc))
    reason = exc.reason_code if isinstance(exc, TransientError) else "TELEGRAM_ERROR"
    return _retry_or_fail(str(exc) or reason, reason, attempts, policy)


def _retry_or_fail(error: str, reason: str, attempts: int, policy: RetryPolicy) -> Outcome:
    if attempts >= policy.max_attempts:
        return Failed(f"{reason}_RETRIES_EXHAUSTED"[:255], f"{attempts} attempts; last: {error}")
    return Retry(policy.backoff(attempts), f"{reason}: {error}")
