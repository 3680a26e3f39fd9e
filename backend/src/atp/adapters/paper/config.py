"""The paper broker's knobs, taken from Settings once (PAPER_* variables)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from atp.settings import Settings

BPS = Decimal(10_000)


@dataclass(frozen=True)
class PaperConfig:
    slippage_bps: Decimal = Decimal(5)
    fee_rate: Decimal = Decimal("0.0025")  # taker rate, charged on every fill, in the quote
    start_balance: Decimal = Decimal(10_000)
    quote_currencies: tuple[str, ...] = ("USD", "USDT")  # each starts with `start_balance`
    price_max_age_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> PaperConfig:
        return cls(
            slippage_bps=settings.paper_slippage_bps,
            fee_rate=settings.paper_fee_rate,
            start_balance=settings.paper_start_balance_usd,
            quote_currencies=settings.paper_quote_currency_list,
            price_max_age_seconds=settings.paper_price_max_age_seconds,
        )

    @property
    def slippage(self) -> Decimal:
        return self.slippage_bps / BPS
