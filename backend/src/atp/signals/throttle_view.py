"""A symbol's alert throttle, per side, as the next monitor cycle would apply it.

Read-only. The memory is `signal_throttle_state` (last *sent* alert per symbol, strategy, side);
the rule is `atp.core.throttle.evaluate_throttle`, the pure function the monitor calls, with the
cooldown and price threshold of the symbol's effective preset (its own overrides applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.core.throttle import evaluate_throttle
from atp.market.models import MarketPrice
from atp.signals.models import SignalThrottleState
from atp.signals.presets import resolve_for_item
from atp.watchlist.models import WatchlistItem

SIDES = ("BUY", "SELL")


class SymbolNotListedError(LookupError):
    """The symbol has no watchlist row: it has no preset, so no throttle applies."""


@dataclass(frozen=True)
class SideThrottle:
    side: str
    last_sent_at: datetime | None  # None: no alert sent yet (the next one is a first alert)
    last_sent_price: Decimal | None
    cooldown_ends_at: datetime | None
    reset_at: datetime | None  # when a configuration change cleared the baseline
    reset_reason: str | None
    allowed_now: bool | None  # at the current price; None without a price
    reason: str | None  # THROTTLED_TIME_GATE / THROTTLED_PRICE_GATE when not allowed
    detail: str


@dataclass(frozen=True)
class ThrottleView:
    symbol: str
    strategy_key: str
    cooldown_minutes: Decimal
    min_price_change_pct: Decimal
    price: Decimal | None
    sides: list[SideThrottle]


def throttle_view(session: Session, symbol: str, now: datetime) -> ThrottleView:
    """Raises SymbolNotListedError for a symbol without a (not deleted) watchlist row, and
    PresetResolutionError when its preset cannot be resolved."""
    item = session.scalars(
        select(WatchlistItem).where(
            WatchlistItem.symbol == symbol,
            WatchlistItem.exchange == "CRYPTO_COM",
            WatchlistItem.is_deleted.is_(False),
        )
    ).first()
    if item is None:
        raise SymbolNotListedError(f"{symbol} is not on the watchlist")
    preset = resolve_for_item(session, item)
    rows = {
        r.side: r
        for r in session.scalars(
            select(SignalThrottleState).where(
                SignalThrottleState.symbol == symbol,
                SignalThrottleState.strategy_key == preset.key,
            )
        )
    }
    price = session.scalar(select(MarketPrice.last).where(MarketPrice.symbol == symbol))
    cooldown, min_change = preset.params.cooldown_minutes, preset.params.min_price_change_pct
    return ThrottleView(
        symbol=symbol,
        strategy_key=preset.key,
        cooldown_minutes=cooldown,
        min_price_change_pct=min_change,
        price=price,
        sides=[_side(side, rows.get(side), price, now, cooldown, min_change) for side in SIDES],
    )


def _side(
    side: str,
    row: SignalThrottleState | None,
    price: Decimal | None,
    now: datetime,
    cooldown: Decimal,
    min_change: Decimal,
) -> SideThrottle:
    last_at = None if row is None else row.last_sent_at
    last_price = None if row is None else row.last_sent_price
    allowed, reason, detail = None, None, "no price yet: the throttle cannot be evaluated"
    if price is not None:
        result = evaluate_throttle(
            now=now,
            price=price,
            last_sent_at=last_at,
            last_sent_price=last_price,
            cooldown_minutes=cooldown,
            min_price_change_pct=min_change,
        )
        allowed, reason, detail = result.allowed, result.reason, result.detail
    return SideThrottle(
        side=side,
        last_sent_at=last_at,
        last_sent_price=last_price,
        cooldown_ends_at=None if last_at is None else last_at + timedelta(minutes=float(cooldown)),
        reset_at=None if row is None else row.reset_at,
        reset_reason=None if row is None else row.reset_reason,
        allowed_now=allowed,
        reason=reason,
        detail=detail,
    )
