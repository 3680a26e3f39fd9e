"""One-line, secret-free descriptions of failures for heartbeats, status rows and API answers.

`str(exc)` of a SQLAlchemy error carries the statement and its parameters (prices, chat ids,
anything bound), PostgreSQL adds a `DETAIL:` line with key values, and an HTTP error may carry a
URL with credentials or a Telegram bot token. Whatever is stored where an operator, a dashboard
or an API client can read it goes through here first.
"""

from __future__ import annotations

import re

MAX_ERROR_CHARS = 300

# SQLAlchemy appends "[SQL: ...]", "[parameters: ...]" and "(Background on this error ...)".
_SQLALCHEMY_TAIL = re.compile(r"\s*(\[SQL:|\[parameters:|\(Background on this error).*", re.DOTALL)
# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*):[^@/\s]*@")
# Telegram bot tokens: "<bot id>:<secret>", in URLs as /bot<token>/
_BOT_URL_TOKEN = re.compile(r"/bot\d+:[^/\s]+")
_BOT_TOKEN = re.compile(r"\b\d{6,}:[A-Za-z0-9_-]{30,}")


def clean_error_text(text: str | None, limit: int = MAX_ERROR_CHARS) -> str | None:
    """The first line of `text`, without SQL, parameters or credentials, at most `limit` chars."""
    if text is None:
        return None
    text = _SQLALCHEMY_TAIL.sub("", text)
    lines = text.strip().splitlines()
    line = lines[0].strip() if lines else ""
    line = _URL_PASSWORD.sub(r"\g<head>:***@", line)
    line = _BOT_URL_TOKEN.sub("/bot***", line)
    line = _BOT_TOKEN.sub("***", line)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def short_error(exc: BaseException, limit: int = MAX_ERROR_CHARS) -> str:
    """`ExceptionClass: first line of the message`, safe to store and to show."""
    name = exc.__class__.__name__
    message = clean_error_text(str(exc), limit=max(limit - len(name) - 2, 0)) or ""
    return f"{name}: {message}" if message else name
