"""Wire-format checks on private params before they are signed and sent (spec §8, §12.1).

Every decimal travels as a plain-digit JSON string (a JSON number costs 308 / 40101 / 50001 /
229 depending on the field); integer fields (`limit`, times) travel as JSON integers (a string
gives 40003). A float or a Decimal anywhere in params is a bug upstream and is refused here,
before anything reaches the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

DECIMAL_FIELDS = frozenset({"price", "quantity", "notional", "ref_price", "trigger_price"})
INTEGER_FIELDS = frozenset({"limit", "start_time", "end_time"})
SIDES = frozenset({"BUY", "SELL"})
PLAIN_TYPES = frozenset({"MARKET", "LIMIT"})
TRIGGER_TYPES = frozenset({"STOP_LOSS", "STOP_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
LIMIT_TRIGGER_TYPES = frozenset({"STOP_LIMIT", "TAKE_PROFIT_LIMIT"})
TIME_IN_FORCE = frozenset({"GOOD_TILL_CANCEL", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL"})
MAX_CLIENT_OID_LENGTH = 36

_PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


def check_params(params: Mapping[str, Any], path: str = "params") -> None:
    """Raise TypeError/ValueError unless every value can go on the wire as is."""
    for key, value in params.items():
        where = f"{path}.{key}"
        if isinstance(value, (float, Decimal)):
            raise TypeError(f"{where} is a {type(value).__name__}; decimals are sent as strings")
        if key in DECIMAL_FIELDS:
            check_decimal_text(value, where)
        elif key in INTEGER_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{where} must be a JSON integer, not {type(value).__name__}")
        elif isinstance(value, Mapping):
            check_params(value, where)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                item_path = f"{where}[{index}]"
                if isinstance(item, Mapping):
                    check_params(item, item_path)
                elif isinstance(item, (float, Decimal)):
                    raise TypeError(f"{item_path} is a {type(item).__name__}")


def check_decimal_text(value: Any, where: str) -> None:
    """Plain digits with an optional fraction, strictly positive (N-3, N-4)."""
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a decimal string, not {type(value).__name__}")
    if not _PLAIN_DECIMAL.fullmatch(value) or Decimal(value) <= 0:
        raise ValueError(f"{where}={value!r} is not a positive plain decimal string")


def check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be BUY or SELL, got {side!r}")


def check_client_oid(client_oid: str | None) -> None:
    if client_oid is not None and not 0 < len(client_oid) <= MAX_CLIENT_OID_LENGTH:
        raise ValueError(f"client_oid must be 1..{MAX_CLIENT_OID_LENGTH} characters")


def one_order_ref(order_id: str | None, client_oid: str | None) -> dict[str, str]:
    """`{"order_id": ...}` or `{"client_oid": ...}`: exactly one of them."""
    if (order_id is None) == (client_oid is None):
        raise ValueError("give exactly one of order_id or client_oid")
    return {"order_id": order_id} if order_id is not None else {"client_oid": str(client_oid)}


def without_none(params: Mapping[str, Any]) -> dict[str, Any]:
    """Absent beats explicit null for optional params (R-SIG-2)."""
    return {key: value for key, value in params.items() if value is not None}


def check_plain_order(params: Mapping[str, Any]) -> None:
    """`private/create-order` takes LIMIT and MARKET only (§8.1, 140001 otherwise)."""
    check_side(params.get("side", ""))
    order_type = params.get("type")
    if order_type in TRIGGER_TYPES:
        raise ValueError(f"{order_type} goes to private/advanced/create-order, not create-order")
    if order_type not in PLAIN_TYPES:
        raise ValueError(f"type must be MARKET or LIMIT, got {order_type!r}")
    has_qty, has_notional = "quantity" in params, "notional" in params
    if order_type == "LIMIT" and not (has_qty and "price" in params):
        raise ValueError("a LIMIT order needs price and quantity")
    if order_type == "MARKET" and "price" in params:
        raise ValueError("a MARKET order takes no price")
    if order_type == "MARKET" and has_qty == has_notional:
        raise ValueError("a MARKET order needs exactly one of quantity or notional")
    if order_type == "LIMIT" and has_notional:
        raise ValueError("a LIMIT order takes quantity, not notional")
    if has_notional and params["side"] != "BUY":
        raise ValueError("notional is for MARKET BUY only; a SELL needs quantity")
    _check_tif(params)


def check_trigger_order(params: Mapping[str, Any]) -> None:
    """An advanced trigger order or OCO trigger leg (§9.2): `ref_price` is the trigger."""
    check_side(params.get("side", ""))
    order_type = params.get("type")
    if order_type not in TRIGGER_TYPES:
        raise ValueError(f"type must be one of {sorted(TRIGGER_TYPES)}, got {order_type!r}")
    if "ref_price" not in params or "quantity" not in params:
        raise ValueError(f"a {order_type} order needs ref_price and quantity")
    if (order_type in LIMIT_TRIGGER_TYPES) != ("price" in params):
        raise ValueError(f"{order_type}: price is required for *_LIMIT types and only for them")
    if "trigger_price" in params and params["trigger_price"] != params["ref_price"]:
        raise ValueError("trigger_price, when sent, must equal ref_price (R-TRG-1)")
    _check_tif(params)


def check_oco_legs(legs: list[dict[str, Any]]) -> None:
    """Exactly two legs: one LIMIT + one trigger leg on MARK_PRICE, same instrument (§9.4)."""
    if len(legs) != 2:
        raise ValueError(f"an OCO has exactly 2 legs, got {len(legs)}")
    limits = [leg for leg in legs if leg.get("type") == "LIMIT"]
    triggers = [leg for leg in legs if leg.get("type") in TRIGGER_TYPES]
    if len(limits) != 1 or len(triggers) != 1:
        raise ValueError("an OCO needs one LIMIT leg and one trigger leg")
    if limits[0].get("instrument_name") != triggers[0].get("instrument_name"):
        raise ValueError("both OCO legs must be on the same instrument")
    if triggers[0].get("ref_price_type", "MARK_PRICE") != "MARK_PRICE":
        raise ValueError("the OCO trigger leg only allows ref_price_type MARK_PRICE")
    check_plain_order(limits[0])
    check_trigger_order(triggers[0])
    for leg in legs:
        if any(isinstance(value, (list, tuple, Mapping)) for value in leg.values()):
            raise ValueError("no arrays or objects inside OCO legs (signature depth, §4.2)")


def _check_tif(params: Mapping[str, Any]) -> None:
    tif = params.get("time_in_force")
    if tif is not None and tif not in TIME_IN_FORCE:
        raise ValueError(f"time_in_force must be one of {sorted(TIME_IN_FORCE)}, got {tif!r}")
