"""Import every model so `Base.metadata` is complete (Alembic env and tests use this)."""

from atp.adapters.paper.models import PaperBalanceRow, PaperFillRow, PaperOrderRow
from atp.alerts.chat_requests import ChatRequest
from atp.alerts.models import TelegramMessage
from atp.bot.models import BotUpdate
from atp.db.base import Base
from atp.market.models import Instrument, MarketCandle, MarketDataStatus, MarketPrice
from atp.ops.models import (
    AuditRun,
    ConfigChange,
    GlobalBlocker,
    LeaderLease,
    ServiceHeartbeat,
    TradingSetting,
)
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.signals.models import SignalThrottleState, StrategyPreset, WatchlistSignalState
from atp.watchlist.models import WatchlistItem

__all__ = [
    "AuditRun",
    "Base",
    "BotUpdate",
    "ChatRequest",
    "ConfigChange",
    "ExchangeOrder",
    "GlobalBlocker",
    "Instrument",
    "LeaderLease",
    "MarketCandle",
    "MarketDataStatus",
    "MarketPrice",
    "OrderIntent",
    "PaperBalanceRow",
    "PaperFillRow",
    "PaperOrderRow",
    "ServiceHeartbeat",
    "SignalThrottleState",
    "StrategyPreset",
    "TelegramMessage",
    "TradingSetting",
    "WatchlistItem",
    "WatchlistSignalState",
]
