"""Telegram text rules: the 4096 limit (after entity parsing), plain-text fallback, escaping.

Over-long text is TRIMMED on purpose, not split: an alert is one row and one Telegram message,
so a crash can never leave half of a split alert delivered. Trimming cuts at a line boundary
and closes any tag still open there, then appends a marker; the ledger keeps the full text. Length is counted in UTF-16 code units of the raw HTML, which is never shorter than
what Telegram counts after parsing, so emoji and non-BMP characters cannot push us over.
"""

from __future__ import annotations

import html
import re

TELEGRAM_MAX_TEXT = 4096
TRIM_MARKER = "\n… (trimmed; full text in the alert ledger)"
_TAG = re.compile(r"<[^>]*>")
_TAG_PARTS = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def escape(value: object) -> str:
    """HTML-escape any value for Telegram's HTML parse mode."""
    return html.escape(str(value), quote=False)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), an upper bound for HTML text."""
    return len(text.encode("utf-16-le")) // 2


def to_plain_text(html_text: str) -> str:
    """The HTML message as plain text (for the parse-error fallback and the console)."""
    return html.unescape(_TAG.sub("", html_text))


def fit_telegram_limit(
    text: str, limit: int = TELEGRAM_MAX_TEXT, *, is_html: bool = True
) -> tuple[str, bool]:
    """Return (text that fits, whether it was trimmed)."""
    if telegram_length(text) <= limit:
        return text, False
    budget = limit - telegram_length(TRIM_MARKER)
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        cost = telegram_length(line) + (1 if kept else 0)
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    if kept:
        head = "\n".join(kept)
        if is_html:  # a tag opened before the cut (text spanning lines) is closed again
            head += _closing_tags(head)
        return head + TRIM_MARKER, True
    # One giant first line: cut it as plain text so no tag or entity is left open.
    if not is_html:
        return _cut_utf16(text, budget) + TRIM_MARKER, True
    return escape(_cut_utf16(to_plain_text(text), budget)) + TRIM_MARKER, True


def _cut_utf16(text: str, budget: int) -> str:
    out: list[str] = []
    used = 0
    for char in text:
        cost = telegram_length(char)
        if used + cost > budget:
            break
        out.append(char)
        used += cost
    return "".join(out)


def _closing_tags(html_text: str) -> str:
    """Closing tags (innermost first) for the tags still open at the end of `html_text`."""
    stack: list[str] = []
    for match in _TAG_PARTS.finditer(html_text):
        closing, name = match.group(1) == "/", match.group(2).lower()
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
    return "".join(f"</{name}>" for name in reversed(stack))
