"""Telegram gating in ONE place: is sending to Telegram enabled, and if not, every reason why.

The sender, health, audit, dashboard and `/status` all call `telegram_status()`. It reads only
`Settings` (which already folds in the older `*_AWS` names) and one operator switch in
`trading_settings`. Refusals are logged as `[TELEGRAM_BLOCKED] reason=...` once per change of
state per process, never once per message.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from atp.core.flags import parse_flag
from atp.ops.models import TradingSetting
from atp.settings import Settings

log = logging.getLogger(__name__)

# Real Telegram sends happen only in these environments; everything else is "not production".
PRODUCTION_ENVIRONMENTS = frozenset({"production", "prod", "aws"})
# Operator switch in `trading_settings` (dashboard / Telegram menu); absent means enabled.
OPERATOR_SWITCH_KEY = "TELEGRAM_ALERTS_ENABLED"
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_CHAT_ID_SHAPE = re.compile(r"^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$")


class BlockReason(StrEnum):
    TOKEN_MISSING = "token_missing"  # noqa: S105 - a reason code, not a secret
    TOKEN_MALFORMED = "token_malformed"  # noqa: S105
    CHAT_ID_MISSING = "chat_id_missing"
    CHAT_ID_MALFORMED = "chat_id_malformed"
    ENVIRONMENT_NOT_PRODUCTION = "environment_not_production"
    DISABLED_BY_SETTING = "disabled_by_setting"  # TELEGRAM_ENABLED=false
    DISABLED_BY_OPERATOR = "disabled_by_operator"  # trading_settings TELEGRAM_ALERTS_ENABLED
    OPERATOR_SWITCH_UNREADABLE = "operator_switch_unreadable"
    # MARKET_SOURCE=replay: prices are synthetic or replayed history; an alert about them must
    # never reach a real chat (e.g. `make run` with a production secrets/runtime.env).
    REPLAY_MARKET_DATA = "replay_market_data"


# Reasons that only say "this is not a production Telegram setup": the embedded default then
# uses the console notifier. Any other reason is an explicit "no" and blocks the console too.
CONSOLE_FALLBACK_REASONS = frozenset(
    {
        BlockReason.TOKEN_MISSING,
        BlockReason.TOKEN_MALFORMED,
        BlockReason.CHAT_ID_MISSING,
        BlockReason.CHAT_ID_MALFORMED,
        BlockReason.ENVIRONMENT_NOT_PRODUCTION,
        BlockReason.REPLAY_MARKET_DATA,
    }
)


@dataclass(frozen=True)
class TelegramStatus:
    """The one answer to "will alerts reach Telegram?"."""

    enabled: bool
    reasons: tuple[BlockReason, ...]
    environment: str
    chat_id: str
    ops_chat_id: str

    @property
    def reason_code(self) -> str | None:
        """Ledger reason for a refused send, e.g. `TELEGRAM_DISABLED:token_missing,chat_id_missing`."""
        if self.enabled:
            return None
        return "TELEGRAM_DISABLED:" + ",".join(self.reasons)

    @property
    def notifier_kind(self) -> str:
        """`telegram`, `console` (embedded default), or `blocked` (nothing may be delivered)."""
        if self.enabled:
            return "telegram"
        if self.environment_is_production:
            return "blocked"
        if all(reason in CONSOLE_FALLBACK_REASONS for reason in self.reasons):
            return "console"
        return "blocked"

    @property
    def is_transient(self) -> bool:
        """Blocked only because the switch could not be read (e.g. a database blip): hold the
        queued alerts and ask again, never record them BLOCKED for good."""
        return BlockReason.OPERATOR_SWITCH_UNREADABLE in self.reasons

    @property
    def environment_is_production(self) -> bool:
        return self.environment in PRODUCTION_ENVIRONMENTS

    def describe(self) -> str:
        if self.enabled:
            return f"enabled (environment={self.environment}, chat={self.chat_id})"
        if self.notifier_kind == "console":  # the embedded default: delivered, to stdout
            return (
                f"console (demo delivery: alerts print to stdout; Telegram is not configured: "
                f"reason={','.join(self.reasons)} environment={self.environment})"
            )
        return (
            f"BLOCKED reason={','.join(self.reasons)} environment={self.environment} "
            f"notifier={self.notifier_kind}"
        )


def telegram_status(settings: Settings, session: Session | None = None) -> TelegramStatus:
    """Compute the Telegram status; log `[TELEGRAM_BLOCKED]` when the state changed."""
    reasons = _setting_reasons(settings)
    if session is not None:
        reasons.extend(_operator_reasons(session))
    environment = settings.environment.strip().lower()
    status = TelegramStatus(
        enabled=not reasons,
        reasons=tuple(reasons),
        environment=environment,
        chat_id=settings.telegram_chat_id.strip(),
        ops_chat_id=settings.telegram_chat_id_ops.strip() or settings.telegram_chat_id.strip(),
    )
    _state_log.observe(status)
    return status


def _setting_reasons(settings: Settings) -> list[BlockReason]:
    reasons: list[BlockReason] = []
    token = settings.telegram_bot_token.strip()
    chat_id = settings.telegram_chat_id.strip()
    if not token:
        reasons.append(BlockReason.TOKEN_MISSING)
    elif not _TOKEN_SHAPE.match(token):
        reasons.append(BlockReason.TOKEN_MALFORMED)
    if not chat_id:
        reasons.append(BlockReason.CHAT_ID_MISSING)
    elif not _CHAT_ID_SHAPE.match(chat_id):
        reasons.append(BlockReason.CHAT_ID_MALFORMED)
    if settings.environment.strip().lower() not in PRODUCTION_ENVIRONMENTS:
        reasons.append(BlockReason.ENVIRONMENT_NOT_PRODUCTION)
    if not settings.telegram_enabled:
        reasons.append(BlockReason.DISABLED_BY_SETTING)
    if settings.market_source == "replay":
        reasons.append(BlockReason.REPLAY_MARKET_DATA)
    return reasons


def _operator_reasons(session: Session) -> list[BlockReason]:
    # The session belongs to the caller: a failed read is undone with a savepoint, never with
    # a rollback of the caller's transaction (its next statement would then fail).
    try:
        with session.begin_nested():
            value = session.scalar(
                select(TradingSetting.value).where(TradingSetting.key == OPERATOR_SWITCH_KEY)
            )
    except SQLAlchemyError as exc:  # unknown state: reported as a reason, never a crash here
        first_line = (str(exc).strip().splitlines() or [""])[0]
        log.warning(
            "cannot read trading_settings.%s (%s: %s)",
            OPERATOR_SWITCH_KEY,
            exc.__class__.__name__,
            first_line,
        )
        return [BlockReason.OPERATOR_SWITCH_UNREADABLE]
    # Only an explicit "off" word silences alerts; an unrecognised value keeps them on (loud).
    if value is not None and parse_flag(value) is False:
        return [BlockReason.DISABLED_BY_OPERATOR]
    return []


class _StateLog:
    """Logs the Telegram state once per change (per process), never per message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[bool, tuple[BlockReason, ...]] | None = None

    def observe(self, status: TelegramStatus) -> None:
        key = (status.enabled, status.reasons)
        with self._lock:
            if key == self._last:
                return
            first = self._last is None
            self._last = key
        if status.notifier_kind == "console":  # the demo default is routine, not a warning
            log.info(
                "[TELEGRAM_CONSOLE] alerts print to the console (demo delivery): "
                "reason=%s environment=%s",
                ",".join(status.reasons),
                status.environment,
            )
        elif not status.enabled:
            log.warning(
                "[TELEGRAM_BLOCKED] reason=%s environment=%s notifier=%s",
                ",".join(status.reasons),
                status.environment,
                status.notifier_kind,
            )
        elif not first:
            log.info("[TELEGRAM_UNBLOCKED] Telegram sending is enabled again")
        else:
            log.info("Telegram sending enabled (environment=%s)", status.environment)

    def reset(self) -> None:
        """Forget the last state (tests)."""
        with self._lock:
            self._last = None


_state_log = _StateLog()
reset_state_log = _state_log.reset
