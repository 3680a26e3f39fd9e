"""Rows of the private endpoints (spec §8.3, §8.6, §8.7) into the broker port types.

Order rows use `order_type` (not `type`) and `limit_price` (not `price`); statuses NEW /
PENDING / ACTIVE are all OPEN, and both `CANCELED` and `CANCELLED` are CANCELED (§13.3) - a
cancelled row may still carry `cumulative_quantity > 0` and is kept as such. Legacy leftovers
such as `ref_price: "0"` or `exchange_order_id: "0"` read as absent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from atp.adapters.cryptocom.envelope import (
    FieldError,
    parse_decimal,
    parse_int,
    parse_optional_decimal,
    require,
)
from atp.orders.ports import Balance, Fill, OrderKind, OrderState, OrderStatus

STATUS_MAP: dict[str, OrderStatus] = {
    "NEW": OrderStatus.OPEN,
    "PENDING": OrderStatus.OPEN,
    "ACTIVE": OrderStatus.OPEN,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "CANCELLED": OrderStatus.CANCELED,
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
}


def order_from_row(row: Any) -> OrderState:
    if not isinstance(row, dict):
        raise FieldError("order row is not an object")
    status = str(require(row, "status")).upper()
    if status not in STATUS_MAP:
        raise FieldError(f"status={status!r} is unknown")
    kind = str(require(row, "order_type")).upper()
    if kind not in OrderKind.__members__:
        raise FieldError(f"order_type={kind!r} is unknown")
    return OrderState(
        order_id=_text_id(require(row, "order_id")),
        client_oid=_optional_text(row.get("client_oid")),
        symbol=str(require(row, "instrument_name")),
        side=str(require(row, "side")).upper(),
        kind=OrderKind(kind),
        status=STATUS_MAP[status],
        quantity=parse_decimal(require(row, "quantity"), "quantity"),
        cumulative_quantity=_decimal_or_zero(row, "cumulative_quantity"),
        avg_price=_positive_or_none(row, "avg_price"),
        cumulative_fee=_decimal_or_zero(row, "cumulative_fee"),
        fee_currency=_optional_text(row.get("fee_instrument_name")),
        limit_price=_positive_or_none(row, "limit_price"),
        trigger_price=_positive_or_none(row, "ref_price")
        or _positive_or_none(row, "trigger_price"),
        list_id=_optional_id(row.get("list_id")),
        reject_reason=_optional_text(row.get("reject_reason")) or _reason(row.get("reason")),
        child_order_id=_optional_id(row.get("exchange_order_id")),
        created_at=_optional_time(row, "create_time"),
        updated_at=_optional_time(row, "update_time"),
    )


def fill_from_row(row: Any) -> Fill:
    """A trade; `fees` is negative when deducted, the port's `fee` is positive when paid."""
    if not isinstance(row, dict):
        raise FieldError("trade row is not an object")
    return Fill(
        trade_id=_text_id(require(row, "trade_id")),
        order_id=_text_id(require(row, "order_id")),
        client_oid=_optional_text(row.get("client_oid")),
        symbol=str(require(row, "instrument_name")),
        side=str(require(row, "side")).upper(),
        quantity=parse_decimal(require(row, "traded_quantity"), "traded_quantity"),
        price=parse_decimal(require(row, "traded_price"), "traded_price"),
        fee=-parse_decimal(row.get("fees", "0"), "fees"),
        fee_currency=str(row.get("fee_instrument_name") or ""),
        traded_at=_time(parse_int(require(row, "create_time"), "create_time")),
    )


def balances_from_result(rows: list[Any]) -> list[Balance]:
    """`data[0].position_balances[]`: free = quantity - reserved_qty."""
    if not rows:
        return []
    account = rows[0]
    if not isinstance(account, dict) or not isinstance(account.get("position_balances"), list):
        raise FieldError("data[0].position_balances is missing")
    balances = []
    for row in account["position_balances"]:
        if not isinstance(row, dict):
            raise FieldError("position_balances row is not an object")
        balances.append(
            Balance(
                currency=str(require(row, "instrument_name")),
                total=parse_decimal(require(row, "quantity"), "quantity"),
                reserved=_decimal_or_zero(row, "reserved_qty"),
            )
        )
    return balances


def _text_id(value: Any) -> str:
    """Ids are numeric strings above 2**53; an integer id would already have lost digits."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise FieldError(f"id {value!r} is not a string")
    return str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _optional_id(value: Any) -> str | None:
    text = _optional_text(value)
    return None if text in (None, "0") else text


def _reason(value: Any) -> str | None:
    # History rows carry `reason` as a code; 0 / "0" / "NO_ERROR" mean no rejection.
    text = _optional_text(value)
    return None if text in (None, "0", "NO_ERROR") else text


def _decimal_or_zero(row: dict[str, Any], name: str) -> Decimal:
    value = parse_optional_decimal(row.get(name), name)
    return Decimal(0) if value is None else value


def _positive_or_none(row: dict[str, Any], name: str) -> Decimal | None:
    value = parse_optional_decimal(row.get(name), name)
    return value if value is not None and value > 0 else None


def _optional_time(row: dict[str, Any], name: str) -> datetime | None:
    value = row.get(name)
    return None if value is None or value == "" else _time(parse_int(value, name))


def _time(ms: int) -> datetime:
    # Integer arithmetic: a float division could shift a millisecond stamp by a microsecond.
    return datetime.fromtimestamp(ms // 1000, tz=UTC) + timedelta(milliseconds=ms % 1000)
