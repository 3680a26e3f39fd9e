"""Strategy preset models. Parameter values are checked by `atp.core.presets.PresetParams`
(through `atp.signals.presets`), the same rules as `atp presets set|create`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from atp.api.schemas.common import FieldChange
from atp.core.presets import PresetParams
from atp.signals.models import StrategyPreset
from atp.signals.presets import PresetError, params_of

ParamValue = str | int | float | bool | None
_KNOWN = ", ".join(PresetParams.field_names())


class PresetOut(BaseModel):
    id: int
    key: str = Field(examples=["swing:conservative"])
    strategy: str
    risk: str
    version: int = Field(description="bumped by every edit")
    is_builtin: bool
    description: str | None
    params: PresetParams | None = Field(description="null when the stored values are invalid")
    params_error: str | None = Field(description="why `params` is null")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: StrategyPreset) -> PresetOut:
        try:
            params, error = params_of(row), None
        except PresetError as exc:
            params, error = None, str(exc)
        return cls(
            id=row.id,
            key=row.key,
            strategy=row.strategy,
            risk=row.risk,
            version=row.version,
            is_builtin=row.is_builtin,
            description=row.description,
            params=params,
            params_error=error,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class PresetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    params: dict[str, ParamValue] = Field(
        description=f"parameters to change (text or native values); known: {_KNOWN}",
        examples=[{"rsi_buy_below": 35, "cooldown_minutes": "30"}],
    )


class PresetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=3, max_length=64, description="<strategy>:<risk>", examples=["swing:custom"]
    )
    base: str = Field(
        min_length=1, max_length=64, description="preset to copy", examples=["swing:conservative"]
    )
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description=f"changes to the copy; known: {_KNOWN}"
    )
    description: str | None = Field(None, description="up to 500 characters")


class PresetChanged(BaseModel):
    preset: PresetOut
    changed: dict[str, FieldChange] = Field(
        description="parameters that changed (empty: nothing changed, version kept)"
    )
