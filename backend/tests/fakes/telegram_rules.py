"""Rules the fake Telegram enforces, kept separate so tests can use them directly.

- `parse_html`: Telegram's HTML parse mode, strictly (supported tags only, balanced nesting,
  `&` only as an entity, `<` only as a tag); raises `EntityParseError` like "can't parse entities".
- `telegram_length`: the 4096 limit counts UTF-16 code units of the text after parsing.
- `pacing_violations`: checks a call log against per-chat / per-group / overall limits.
"""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

SUPPORTED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


class EntityParseError(ValueError):
    pass


def parse_html(text: str) -> str:
    """Return the visible text, or raise EntityParseError with Telegram-like wording."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise EntityParseError(
                    f"Unexpected character '<' at byte offset {_offset(text, i)}"
                )
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in SUPPORTED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{name}" at byte offset {_offset(text, i)}'
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityParseError(
                        f'Unexpected end tag "{name}" at byte offset {_offset(text, i)}'
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise EntityParseError(
                    f"Character '&' is reserved and must be escaped, at byte offset {_offset(text, i)}"
                )
            out.append(html.unescape(match.group(0)))
            i = match.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class SendRecord:
    chat_id: str
    t: float  # server receipt time (monotonic)


def pacing_violations(
    sends: Iterable[SendRecord],
    *,
    per_chat_interval: float,
    group_max: int,
    group_window: float,
    global_max: int,
    global_window: float,
) -> list[str]:
    """Every place where the receipts break a limit (empty list = paced correctly)."""
    ordered = sorted(sends, key=lambda s: s.t)
    problems: list[str] = []
    last: dict[str, float] = {}
    overall: deque[float] = deque()
    groups: dict[str, deque[float]] = {}
    for send in ordered:
        previous = last.get(send.chat_id)
        if previous is not None and send.t - previous < per_chat_interval:
            problems.append(
                f"chat {send.chat_id}: {send.t - previous:.4f}s between requests "
                f"< {per_chat_interval}s at t={send.t:.4f}"
            )
        last[send.chat_id] = send.t
        _slide(overall, send.t, global_window)
        if len(overall) > global_max:
            problems.append(f"{len(overall)} requests within {global_window}s at t={send.t:.4f}")
        if send.chat_id.startswith("-"):
            window = groups.setdefault(send.chat_id, deque())
            _slide(window, send.t, group_window)
            if len(window) > group_max:
                problems.append(
                    f"group {send.chat_id}: {len(window)} requests within {group_window}s"
                )
    return problems


def _slide(window: deque[float], t: float, length: float) -> None:
    window.append(t)
    while window and window[0] <= t - length:
        window.popleft()
