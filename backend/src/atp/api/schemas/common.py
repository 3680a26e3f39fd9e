"""Conventions shared by every API model.

- Money, prices and percentages are `Decimal` in the service layer and travel as JSON strings
  (`"50"`, `"0.000123"`), never floats: `DecimalStr`. Requests accept a string or a number.
- Indicator values are floats; an undefined one (NaN: warm-up, a gap) is `null`: `finite`.
- A request the service layer refuses answers 422 in FastAPI's own validation-error shape
  (`{"detail": [{"loc": [...], "msg": "...", "type": "value_error"}]}`), so the OpenAPI
  document describes every 422 the same way: `refuse`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any, NoReturn

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, PlainSerializer


def decimal_text(value: Decimal) -> str:
    """Plain notation without trailing zeros: NUMERIC(38, 18) reads back as `50.000…` on
    PostgreSQL and `50` on SQLite; both answer `"50"`."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


DecimalStr = Annotated[
    Decimal,
    PlainSerializer(decimal_text, return_type=str, when_used="always"),
]


def finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


class Message(BaseModel):
    detail: str


class FieldChange(BaseModel):
    """One changed field: values as stored in the config-change trail (Decimals as text)."""

    old: Any
    new: Any


def plain(value: Any) -> Any:
    """A service value as JSON: Decimals as text, everything else unchanged."""
    return decimal_text(value) if isinstance(value, Decimal) else value


def changes_out(changed: dict[str, tuple[Any, Any]]) -> dict[str, FieldChange]:
    return {
        name: FieldChange(old=plain(old), new=plain(new)) for name, (old, new) in changed.items()
    }


def refuse(message: str, *, loc: tuple[str, ...] = ("body",)) -> NoReturn:
    """422 with the service's message; the request's unit of work rolls back."""
    raise RequestValidationError(
        [{"type": "value_error", "loc": loc, "msg": message, "input": None}]
    )


def not_found(message: str) -> NoReturn:
    raise HTTPException(status_code=404, detail=message)


def conflict(message: str) -> NoReturn:
    raise HTTPException(status_code=409, detail=message)


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Message, "description": "not found"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Message, "description": "conflicts with the current state"}
}
