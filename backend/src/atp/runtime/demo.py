"""First-run seeding for the embedded default (`make run` / `atp run`).

A newcomer should see the whole loop work within a minute: market data -> decision -> alert.
The built-in presets are deliberately quiet (a few alerts per symbol per week), so the demo
watchlist uses its own custom preset, `demo:lively`, that fires on most 5m candles. It is
created once, marked in `trading_settings`, and never re-created: a symbol the operator
deletes stays deleted (legacy pain point: deleted symbols came back at every boot).

Only the demo seeds it: the offline replay feed, or `atp run --demo` explicitly, and never in a
production environment (real Telegram must not receive a chatty demo preset's alerts).

On paper (TRADING_MODE=paper, the default) the demo items also trade a small amount, so the
newcomer sees a BUY alert become a paper entry protected by its stop-loss / take-profit OCO.
They never trade real money: live mode refuses to start while a trade-enabled item uses the
demo preset (atp.runtime.broker.live_refusal).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.alerts.gating import PRODUCTION_ENVIRONMENTS
from atp.db.base import utcnow
from atp.ops.config_trail import ChangeSource
from atp.ops.models import TradingSetting
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.signals.presets import create_preset
from atp.watchlist import service as watchlist_service
from atp.watchlist.models import WatchlistItem

log = logging.getLogger(__name__)

SEEDED_MARK = "DEMO_WATCHLIST_SEEDED"
DEMO_PRESET = "demo:lively"
DEMO_SYMBOLS = ("BTC_USDT", "ETH_USDT", "SOL_USDT", "XRP_USDT", "DOGE_USDT", "ADA_USDT")
# Paper money per demo entry: small beside the paper account's start balance.
DEMO_TRADE_USD = Decimal("25")
_DEMO_VALUES = {
    "timeframe": "5m",
    "rsi_cross": False,
    "rsi_buy_below": 48,
    "rsi_sell_above": 52,
    "check_ema10": False,
    "check_ma50": False,
    "check_ma200": False,
    "trend_filter": False,
    "volume_min_ratio": 0,
    "cooldown_minutes": 2,
    "min_price_change_pct": "0.1",
}


def demo_seed_refusal(settings: Settings, *, requested: bool = False) -> str | None:
    """Why this setup must not get the demo watchlist, or None when it is a demo."""
    environment = settings.environment.strip().lower()
    if environment in PRODUCTION_ENVIRONMENTS:
        return f"ENVIRONMENT={environment} is a production setup"
    if settings.market_source != "replay" and not requested:
        return f"MARKET_SOURCE={settings.market_source} (the demo is the replay feed or --demo)"
    return None


def seed_demo_if_allowed(
    session: Session, settings: Settings, *, requested: bool = False
) -> list[str]:
    """Seed the demo watchlist only in a demo setup; return the symbols added."""
    refusal = demo_seed_refusal(settings, requested=requested)
    if refusal is not None:
        log.info("demo watchlist not seeded: %s", refusal)
        return []
    paper = settings.trading_mode == "paper"
    return seed_demo_watchlist(session, trade_usd=DEMO_TRADE_USD if paper else None)


def seed_demo_watchlist(session: Session, *, trade_usd: Decimal | None = None) -> list[str]:
    """Seed the demo preset and watchlist once; return the symbols added (empty if not run).

    `trade_usd`: the items trade this amount per entry (the caller passes it on paper only)."""
    if session.get(TradingSetting, SEEDED_MARK) is not None:
        return []
    if session.scalar(select(func.count()).select_from(WatchlistItem)):
        _mark(session, "skipped: watchlist not empty")
        return []
    if session.scalar(select(StrategyPreset.id).where(StrategyPreset.key == DEMO_PRESET)) is None:
        create_preset(
            session,
            DEMO_PRESET,
            base="scalp:aggressive",
            values=_DEMO_VALUES,
            source=ChangeSource.SYSTEM,
            description="Chatty demo preset for the embedded default",
        )
    values = {"preset": DEMO_PRESET, "alert_enabled": "true"}
    if trade_usd is not None:
        values |= {"trade_enabled": "true", "trade_amount_usd": str(trade_usd)}
    for symbol in DEMO_SYMBOLS:
        watchlist_service.add_item(
            session,
            symbol=symbol,
            source=ChangeSource.SYSTEM,
            actor="demo-seed",
            values=values,
            check_listing=False,  # replay symbols; the first pass stores their instruments
        )
    _mark(session, ",".join(DEMO_SYMBOLS))
    log.info(
        "seeded demo watchlist %s with preset %s (%s)",
        ", ".join(DEMO_SYMBOLS),
        DEMO_PRESET,
        "alerts only" if trade_usd is None else f"paper entries of {trade_usd} USD",
    )
    return list(DEMO_SYMBOLS)


def _mark(session: Session, value: str) -> None:
    session.add(
        TradingSetting(key=SEEDED_MARK, value=value, updated_at=utcnow(), updated_by="system")
    )
    session.flush()
