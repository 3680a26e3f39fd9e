"""Which broker the order worker talks to: paper by default, Crypto.com only when asked for twice.

TRADING_MODE=paper (the default) -> the paper broker on this database.
TRADING_MODE=live -> the Crypto.com broker, only if EXCHANGE_API_KEY and EXCHANGE_API_SECRET are
set AND the LIVE_TRADING trading setting is on; otherwise `LiveTradingRefused` with the reason
(nothing is created, no request is made). LIVE_TRADING is read again before every entry.
Two demo leftovers also refuse live mode: the offline replay feed (signals from replayed prices
must not spend real money) and a trade-enabled item on the chatty demo preset (the demo seeds
its items trading on paper).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from atp.monitor.switches import load_switches
from atp.orders.ports import Broker
from atp.runtime.demo import DEMO_PRESET
from atp.settings import Settings
from atp.watchlist.models import WatchlistItem


class LiveTradingRefused(RuntimeError):
    """TRADING_MODE=live was asked for but one of its conditions is missing."""


def live_refusal(settings: Settings, sessions: sessionmaker[Session]) -> str | None:
    """Why live trading may not start now (None: it may)."""
    reasons = []
    if not settings.exchange_credentials_set:
        reasons.append("EXCHANGE_API_KEY and EXCHANGE_API_SECRET are not both set")
    with sessions() as session:
        switches = load_switches(session)
        demo_items = list(
            session.scalars(
                select(WatchlistItem.symbol)
                .where(
                    WatchlistItem.preset == DEMO_PRESET,
                    WatchlistItem.trade_enabled.is_(True),
                    WatchlistItem.is_deleted.is_(False),
                )
                .order_by(WatchlistItem.symbol)
            )
        )
    if not switches.live_trading:
        reasons.append("the LIVE_TRADING setting is off (`atp settings set LIVE_TRADING on`)")
    if settings.market_source == "replay":
        reasons.append("MARKET_SOURCE=replay: replayed prices never drive real orders")
    if demo_items:
        reasons.append(
            f"{', '.join(demo_items)} trade on the demo preset {DEMO_PRESET} "
            "(`atp watchlist set SYMBOL trade_enabled=false` or remove them)"
        )
    if not reasons:
        return None
    return "TRADING_MODE=live refused: " + "; ".join(reasons)


def build_broker(settings: Settings, sessions: sessionmaker[Session]) -> Broker:
    """The broker for TRADING_MODE; LiveTradingRefused when live is not fully enabled."""
    if settings.trading_mode == "paper":
        from atp.adapters.paper.broker import PaperBroker

        return PaperBroker.from_settings(settings, sessions)
    refusal = live_refusal(settings, sessions)
    if refusal is not None:
        raise LiveTradingRefused(refusal)
    from atp.adapters.cryptocom.broker import CryptoComBroker

    return CryptoComBroker.from_settings(settings)


def probe_broker(settings: Settings, sessions: sessionmaker[Session]) -> tuple[Broker, str | None]:
    """The broker for `atp audit --mode live`'s read-only balance probe, and why it was chosen.

    The order worker's factory when it builds a live broker; otherwise (LIVE_TRADING off, demo
    leftovers, paper mode) the Crypto.com broker built directly from the credentials, with the
    factory's refusal as the note: a probe reads, it never orders.
    """
    if settings.trading_mode == "live":
        try:
            return build_broker(settings, sessions), None
        except LiveTradingRefused as refused:
            note: str | None = str(refused)
    else:
        note = "TRADING_MODE=paper: probed with the configured credentials"
    from atp.adapters.cryptocom.broker import CryptoComBroker

    return CryptoComBroker.from_settings(settings), note
