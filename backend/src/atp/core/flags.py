"""One reading of on/off words, shared by every surface that parses a switch from text.

Operators type switches in the CLI, Telegram and the dashboard, and they are stored as text in
`trading_settings`; three private word lists used to disagree (`disabled` paused one switch and
not another). Callers decide what an unrecognised word means for their switch (refuse it, or
take the safe side), so `parse_flag` returns None instead of guessing.
"""

from __future__ import annotations

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "enabled"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", "disabled"})


def parse_flag(text: str) -> bool | None:
    """True / False for a recognised word (case and spaces ignored), else None."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
