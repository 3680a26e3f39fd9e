"""Trading settings (switches and limits) and the config-change trail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from atp.ops.models import ConfigChange
from atp.ops.trading_settings import SPECS, SettingValue


class SettingOut(BaseModel):
    key: str = Field(examples=["KILL_SWITCH"])
    value: str = Field(description="canonical text: true/false, a whole number or a USD amount")
    default: str = Field(description="what readers assume while the row is missing")
    is_default: bool = Field(description="no row stored: `value` is the default")
    meaning: str
    updated_by: str | None = Field(description="surface of the last change (cli, api, ...)")

    @classmethod
    def of(cls, row: SettingValue) -> SettingOut:
        return cls(
            key=row.key,
            value=row.value,
            default=SPECS[row.key].default,
            is_default=row.is_default,
            meaning=row.meaning,
            updated_by=row.updated_by,
        )


class TradingSettings(BaseModel):
    """The whole registry (a fixed set of keys, in registry order; not a growing list)."""

    settings: list[SettingOut]


class SettingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: bool | int | Decimal | str = Field(
        description="on/off (true/false, yes/no) for switches, a whole number for counts, "
        "a USD amount with at most 2 decimals for MAX_USD_PER_ORDER",
        examples=[True, "off", 5, "250.50"],
    )

    def as_text(self) -> str:
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, Decimal):
            return format(self.value, "f")
        return str(self.value)


class SettingChanged(BaseModel):
    setting: SettingOut
    changed: bool = Field(description="false: the value was already set (no trail row)")
    old: str | None = Field(description="previous stored value (null: was the default)")
    new: str


class ConfigChangeOut(BaseModel):
    id: int
    changed_at: datetime
    source: str = Field(description="cli / api / telegram / system")
    actor: str | None
    entity: str = Field(description="watchlist / preset / setting / ...")
    entity_key: str
    field: str = Field(description="a column, or *added / *created / *seeded")
    old_value: Any
    new_value: Any

    @classmethod
    def of(cls, row: ConfigChange) -> ConfigChangeOut:
        return cls(
            id=row.id,
            changed_at=row.changed_at,
            source=row.source,
            actor=row.actor,
            entity=row.entity,
            entity_key=row.entity_key,
            field=row.field,
            old_value=row.old_value,
            new_value=row.new_value,
        )
