"""Watchlist request and response models. Values are checked by `atp.watchlist.service` (the
same rules as `atp watchlist add|set`), not here: a model only gives them a JSON shape."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from atp.api.schemas.common import DecimalStr, FieldChange
from atp.core.presets import DEFAULT_PRESET_KEY
from atp.watchlist.models import WatchlistItem
from atp.watchlist.service import Listing

SYMBOL_EXAMPLE = "BTC_USDT"


class WatchlistFields(BaseModel):
    """Configurable columns; send only those to change. `null` clears an optional value."""

    model_config = ConfigDict(extra="forbid")

    alert_enabled: bool | None = Field(None, description="master alert switch")
    buy_alert_enabled: bool | None = None
    sell_alert_enabled: bool | None = None
    trade_enabled: bool | None = None
    trade_on_margin: bool | None = None
    trade_amount_usd: Decimal | None = Field(
        None,
        description="order size in USD: > 0 and at most 100000 (the largest MAX_USD_PER_ORDER); "
        "above the current MAX_USD_PER_ORDER it is saved with a warning",
        examples=["50"],
    )
    preset: str | None = Field(
        None, description="strategy preset key", examples=["swing:aggressive"]
    )
    overrides: dict[str, Any] | None = Field(
        None, description="preset parameters for this symbol only", examples=[{"rsi_buy_below": 35}]
    )
    min_price_change_pct: Decimal | None = Field(None, description=">= 0")
    alert_cooldown_minutes: Decimal | None = Field(None, description=">= 0")
    sl_percentage: Decimal | None = Field(None, description="above 0 and below 100")
    tp_percentage: Decimal | None = Field(None, description="above 0 and below 100")
    buy_target: Decimal | None = Field(None, description="> 0")
    notes: str | None = Field(None, description="up to 500 characters")

    def as_text(self) -> dict[str, str]:
        """The fields sent, as the text the service parses (the CLI's `key=value`)."""
        return {name: _text(getattr(self, name)) for name in sorted(self.model_fields_set)}


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


class WatchlistAdd(WatchlistFields):
    symbol: str = Field(
        min_length=1,
        max_length=32,
        description="BASE_QUOTE or BASEQUOTE-PERP",
        examples=[SYMBOL_EXAMPLE],
    )

    def as_text(self) -> dict[str, str]:
        values = super().as_text()
        values.pop("symbol", None)
        return values


class WatchlistFlags(BaseModel):
    """Switches only; send those to flip. Same effect (and trail rows) as PATCH."""

    model_config = ConfigDict(extra="forbid")

    alert_enabled: bool | None = None
    buy_alert_enabled: bool | None = None
    sell_alert_enabled: bool | None = None
    trade_enabled: bool | None = None
    trade_on_margin: bool | None = None

    def as_text(self) -> dict[str, str]:
        return {
            name: _text(value)
            for name in sorted(self.model_fields_set)
            if (value := getattr(self, name)) is not None
        }


class WatchlistItemOut(BaseModel):
    id: int
    symbol: str
    exchange: str
    is_deleted: bool
    deleted_at: datetime | None
    alert_enabled: bool
    buy_alert_enabled: bool
    sell_alert_enabled: bool
    trade_enabled: bool
    trade_on_margin: bool
    trade_amount_usd: DecimalStr | None
    muted_until: datetime | None = Field(
        description="no alert (and so no order) until then: the MUTED gate"
    )
    preset: str | None
    effective_preset: str = Field(description="the preset the monitor uses (default when unset)")
    overrides: dict[str, Any] | None
    min_price_change_pct: DecimalStr | None
    alert_cooldown_minutes: DecimalStr | None
    sl_percentage: DecimalStr | None
    tp_percentage: DecimalStr | None
    buy_target: DecimalStr | None
    notes: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: WatchlistItem) -> WatchlistItemOut:
        return cls(
            id=item.id,
            symbol=item.symbol,
            exchange=item.exchange,
            is_deleted=item.is_deleted,
            deleted_at=item.deleted_at,
            alert_enabled=item.alert_enabled,
            buy_alert_enabled=item.buy_alert_enabled,
            sell_alert_enabled=item.sell_alert_enabled,
            trade_enabled=item.trade_enabled,
            trade_on_margin=item.trade_on_margin,
            trade_amount_usd=item.trade_amount_usd,
            muted_until=item.muted_until,
            preset=item.preset,
            effective_preset=item.preset or DEFAULT_PRESET_KEY,
            overrides=item.overrides,
            min_price_change_pct=item.min_price_change_pct,
            alert_cooldown_minutes=item.alert_cooldown_minutes,
            sl_percentage=item.sl_percentage,
            tp_percentage=item.tp_percentage,
            buy_target=item.buy_target,
            notes=item.notes,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


class WatchlistAdded(BaseModel):
    item: WatchlistItemOut
    listing: Listing = Field(description="whether the symbol was checked against the exchange list")
    warnings: list[str]


class WatchlistChanged(BaseModel):
    item: WatchlistItemOut
    changed: dict[str, FieldChange] = Field(description="fields that changed: {field: {old, new}}")
    warnings: list[str] = Field(description="saved, but worth knowing (e.g. above the order cap)")
