"""Error classification (PTB -> retry rules) and the outcome of one attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from atp.alerts.delivery import Delivered, Failed, Retry, RetryPolicy, attempt, prepare_text
from atp.alerts.notifier import (
    ConsoleNotifier,
    ParseEntitiesError,
    PermanentError,
    RateLimited,
    SendResult,
    TransientError,
    classify,
)

TOKEN = "123456:SECRET-TOKEN"
# PTB's own RetryAfter constructor reads its deprecated int attribute; not our code.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.mark.parametrize("retry_after", [7, timedelta(seconds=7)])
def test_retry_after_int_or_timedelta(retry_after: int | timedelta) -> None:
    error = classify(RetryAfter(retry_after))
    assert isinstance(error, RateLimited) and error.retry_after == 7.0


@pytest.mark.parametrize(
    ("exc", "kind", "reason"),
    [
        (
            BadRequest("Can't parse entities: unsupported start tag"),
            ParseEntitiesError,
            "TELEGRAM_PARSE_ERROR",
        ),
        (BadRequest("Message is too long"), PermanentError, "TELEGRAM_MESSAGE_TOO_LONG"),
        (BadRequest("Chat not found"), PermanentError, "TELEGRAM_BAD_REQUEST"),
        (Forbidden("bot was blocked by the user"), PermanentError, "TELEGRAM_FORBIDDEN"),
        (ChatMigrated(-100999), PermanentError, "TELEGRAM_CHAT_MIGRATED"),
        (TimedOut(), TransientError, "TELEGRAM_TIMEOUT"),
        (NetworkError("Bad Gateway"), TransientError, "TELEGRAM_NETWORK_ERROR"),
    ],
)
def test_classification(exc: Exception, kind: type, reason: str) -> None:
    error = classify(exc)  # type: ignore[arg-type]
    assert isinstance(error, kind) and error.reason_code == reason


def test_the_token_never_leaks_from_errors() -> None:
    error = classify(InvalidToken(f"The token `{TOKEN}` was rejected"), TOKEN)
    assert TOKEN not in str(error)
    error = classify(NetworkError(f"httpx.ConnectError: https://x/bot{TOKEN}/sendMessage"), TOKEN)
    assert TOKEN not in str(error) and "<token>" in str(error)


class _Raising:
    channel = "test"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, chat_id: str, text: str, parse_mode: str) -> SendResult:
        raise self.exc


POLICY = RetryPolicy(
    max_attempts=3, backoff_base=1.0, backoff_max=10.0, retry_after_scale=0.5, jitter=0.0
)


async def test_outcomes() -> None:
    rate = await attempt(_Raising(RateLimited(4)), "1", "x", "HTML", 1, POLICY)
    assert rate == Retry(2.0, "retry after 4 s", hold_chat=True)  # scaled, this chat only
    parse = await attempt(_Raising(ParseEntitiesError("bad")), "1", "x", "HTML", 1, POLICY)
    assert isinstance(parse, Retry) and parse.plain_text and parse.delay == 0
    again = await attempt(_Raising(ParseEntitiesError("bad")), "1", "x", "PLAIN", 2, POLICY)
    assert isinstance(again, Failed)  # plain text is retried once only
    transient = await attempt(_Raising(TransientError("502")), "1", "x", "HTML", 2, POLICY)
    assert isinstance(transient, Retry) and transient.delay == 2.0  # base * 2^(attempts-1)
    exhausted = await attempt(
        _Raising(TransientError("502", "TELEGRAM_TIMEOUT")), "1", "x", "HTML", 3, POLICY
    )
    assert exhausted == Failed("TELEGRAM_TIMEOUT_RETRIES_EXHAUSTED", "3 attempts; last: 502")
    unknown = await attempt(_Raising(RuntimeError("boom")), "1", "x", "HTML", 1, POLICY)
    assert isinstance(unknown, Retry)  # we cannot know whether it arrived: never lose it


async def test_console_notifier_prints_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    notifier = ConsoleNotifier()
    outcome = await attempt(notifier, "console", "<b>BUY</b> A&amp;B", "HTML", 1, POLICY)
    assert isinstance(outcome, Delivered) and outcome.result.channel == "console"
    assert "BUY A&B" in capsys.readouterr().out


def test_prepare_text_notes_trimming_and_plain_mode() -> None:
    _text, note = prepare_text("<b>x</b>\n" * 1000, "HTML")
    assert note == "trimmed from 9000 to 4096 characters"
    plain, plain_note = prepare_text("<b>A&amp;B</b>", "PLAIN")
    assert (plain, plain_note) == ("A&B", None)
