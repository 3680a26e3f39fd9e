"""Validation rules of the fake exchange's private side (spec §3, §4, §8, §9, §12, §16).

Everything here is pure: it turns a request's `params` into an `OrderSpec` or raises the
`FakeApiError` production would answer. Balance, trigger side and duplicate checks need the
exchange's state and live in `private_book`.

The signature check is this module's own implementation of spec §4 as the *server* computes it
(the Java reference: arrays and objects both add a recursion level, and at level 3 a value is
rendered as its native text, so an array inside an OCO leg never verifies - spec §4.2).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.fakes.fake_exchange import FakeApiError

# code -> (HTTP status, name), spec §10.2
ERRORS: dict[int, tuple[int, str]] = {
    204: (400, "DUPLICATE_CLORDID"),
    208: (400, "INSTRUMENT_NOT_TRADABLE"),
    209: (400, "INVALID_INSTRUMENT"),
    212: (500, "INVALID_ORDERID"),
    213: (400, "INVALID_ORDERQTY"),
    218: (400, "INVALID_ORDTYPE"),
    220: (400, "INVALID_SIDE"),
    221: (400, "INVALID_TIF"),
    229: (400, "INVALID_REF_PRICE"),
    230: (400, "INVALID_REF_PRICE_TYPE"),
    306: (500, "INSUFFICIENT_AVAILABLE_BALANCE"),
    308: (400, "INVALID_PRICE"),
    315: (400, "FAR_AWAY_LIMIT_PRICE"),
    415: (500, "BELOW_MIN_ORDER_SIZE"),
    40001: (400, "BAD_REQUEST"),
    40003: (400, "INVALID_REQUEST"),
    40004: (400, "MISSING_OR_INVALID_ARGUMENT"),
    40101: (401, "UNAUTHORIZED"),
    40102: (400, "INVALID_NONCE"),
    40103: (401, "IP_ILLEGAL"),
    40401: (200, "NOT_FOUND"),
    43005: (500, "POST_ONLY_REJ"),
    50001: (500, "ERR_INTERNAL"),
    50007: (400, "INVALID_TRIGGER_PRICE"),
    140001: (500, "API_DISABLED"),
}

SIDES = frozenset({"BUY", "SELL"})
PLAIN_TYPES = frozenset({"LIMIT", "MARKET"})
TRIGGER_TYPES = frozenset({"STOP_LOSS", "STOP_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
LIMIT_TRIGGER_TYPES = frozenset({"STOP_LIMIT", "TAKE_PROFIT_LIMIT"})
TIME_IN_FORCE = frozenset({"GOOD_TILL_CANCEL", "IMMEDIATE_OR_CANCEL", "FILL_OR_KILL"})
TIF_ABBREVIATIONS = frozenset({"GTC", "IOC", "FOK"})
EXEC_INST = frozenset(
    {"POST_ONLY", "SMART_POST_ONLY", "REDUCE_ONLY", "ISOLATED_MARGIN"} | {"MARGIN_ORDER"}
)
REF_PRICE_TYPES = frozenset({"MARK_PRICE", "INDEX_PRICE", "LAST_PRICE"})
MAX_CLIENT_OID = 36
MAX_SIGN_LEVEL = 3
MAX_ID = 2**63 - 1
NONCE_WINDOW_MS = 60_000
_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")

# field -> (code when sent as a JSON number, code when the text is wrong), spec F-6 / F-7
_FIELD_CODES = {
    "price": (308, 308),
    "trigger_price": (308, 308),
    "ref_price": (229, 229),
    "quantity": (40101, 213),
    "notional": (50001, 50001),
}


def reject(code: int, result: Any = None) -> FakeApiError:
    status, name = ERRORS.get(code, (500, "ERROR"))
    return FakeApiError(code, status, name, result)


@dataclass(frozen=True)
class Instrument:
    symbol: str
    base: str
    quote: str
    price_tick: Decimal
    qty_tick: Decimal
    tradable: bool


InstrumentLookup = Callable[[Any], Instrument]  # raises 209 for an unknown symbol


@dataclass
class OrderSpec:
    """A validated order request (prices and quantities on the tick)."""

    instrument: Instrument
    side: str
    order_type: str
    quantity: Decimal | None
    price: Decimal | None = None
    notional: Decimal | None = None
    ref_price: Decimal | None = None
    ref_price_type: str | None = None
    client_oid: str | None = None
    time_in_force: str = "GOOD_TILL_CANCEL"
    exec_inst: list[str] = field(default_factory=list)

    @property
    def is_trigger(self) -> bool:
        return self.order_type in TRIGGER_TYPES


# --- signing (spec §4.1, §4.2) -------------------------------------------------------------


def param_string(params: dict[str, Any]) -> str:
    return _render(params, 0) if params else ""


def _render(value: Any, level: int) -> str:
    if isinstance(value, dict):
        if level >= MAX_SIGN_LEVEL:
            return json.dumps(value)  # the reference's native toString: never what a client signs
        return "".join(key + _render(value[key], level + 1) for key in sorted(value))
    if isinstance(value, list):
        if level >= MAX_SIGN_LEVEL:
            return json.dumps(value)
        return "".join(_render(item, level + 1) for item in value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):  # the Java reference: plain decimal, trailing zeros stripped
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def expected_signature(envelope: dict[str, Any], secret: str) -> str:
    payload = (
        f"{envelope['method']}{envelope['id']}{envelope['api_key']}"
        f"{param_string(envelope['params'])}{envelope['nonce']}"
    )
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def check_envelope(envelope: dict[str, Any]) -> int:
    """Spec §3 / F-2; returns the nonce in ms."""
    request_id = envelope.get("id")
    if type(request_id) is not int or not 0 <= request_id <= MAX_ID:
        raise reject(40001)
    if not isinstance(envelope.get("params"), dict):
        raise reject(40001)
    for name in ("api_key", "sig"):
        if not isinstance(envelope.get(name), str) or not envelope[name]:
            raise reject(40101)
    nonce = envelope.get("nonce")
    if isinstance(nonce, float) or (isinstance(nonce, str) and not nonce.isdigit()):
        raise reject(40101)
    if type(nonce) is not int and not isinstance(nonce, str):
        raise reject(40001)
    return int(nonce)


def signature_matches(envelope: dict[str, Any], secret: str) -> bool:
    return hmac.compare_digest(expected_signature(envelope, secret), str(envelope["sig"]).lower())


# --- fields (spec §8.1, §12.1, F-6 .. F-11) --------------------------------------------------


def fraction_digits(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def decimal_field(
    params: dict[str, Any], name: str, tick: Decimal, *, required: bool
) -> Decimal | None:
    value = params.get(name)
    if value is None:
        if required:
            raise reject(40004)
        return None
    number_code, text_code = _FIELD_CODES[name]
    if isinstance(value, bool) or not isinstance(value, str):
        raise reject(number_code if isinstance(value, int | float) else text_code)
    if not _DECIMAL_TEXT.fullmatch(value):
        raise reject(text_code)
    digits = len(value.partition(".")[2])
    amount = Decimal(value)
    if amount <= 0 or digits > fraction_digits(tick) or amount % tick != 0:
        raise reject(text_code)
    return amount


def enum_field(params: dict[str, Any], name: str, allowed: frozenset[str], code: int) -> str:
    value = params.get(name)
    if value is None:
        raise reject(40004)
    if not isinstance(value, str) or value not in allowed:
        raise reject(code)
    return value


def client_oid_field(params: dict[str, Any]) -> str | None:
    value = params.get("client_oid")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_CLIENT_OID:
        raise reject(40004)
    return value


def _time_in_force(params: dict[str, Any]) -> str:
    value = params.get("time_in_force", "GOOD_TILL_CANCEL")
    if value in TIF_ABBREVIATIONS:
        raise reject(40003)
    if value not in TIME_IN_FORCE:
        raise reject(221)
    return str(value)


def _exec_inst(params: dict[str, Any]) -> list[str]:
    value = params.get("exec_inst", [])
    if not isinstance(value, list) or any(item not in EXEC_INST for item in value):
        raise reject(40003)
    if "POST_ONLY" in value and "SMART_POST_ONLY" in value:
        raise reject(40003)
    return list(value)


def _common(params: dict[str, Any], lookup: InstrumentLookup) -> tuple[Instrument, str]:
    if params.get("instrument_name") is None:
        raise reject(40004)
    instrument = lookup(params["instrument_name"])
    if not instrument.tradable:
        raise reject(208)
    return instrument, enum_field(params, "side", SIDES, 220)


def parse_plain(params: dict[str, Any], lookup: InstrumentLookup) -> OrderSpec:
    """`private/create-order`: LIMIT and MARKET only (spec §8.1, F-13)."""
    instrument, side = _common(params, lookup)
    order_type = params.get("type")
    if order_type in TRIGGER_TYPES:
        raise reject(140001)
    order_type = enum_field(params, "type", PLAIN_TYPES, 218)
    spec = OrderSpec(
        instrument,
        side,
        order_type,
        quantity=decimal_field(params, "quantity", instrument.qty_tick, required=False),
        client_oid=client_oid_field(params),
        time_in_force=_time_in_force(params),
        exec_inst=_exec_inst(params),
    )
    if "POST_ONLY" in spec.exec_inst and (
        order_type == "MARKET" or spec.time_in_force != "GOOD_TILL_CANCEL"
    ):
        raise reject(43005)
    if order_type == "LIMIT":
        spec.price = decimal_field(params, "price", instrument.price_tick, required=True)
        if spec.quantity is None:
            raise reject(40004)
    elif side == "SELL" or params.get("quantity") is not None:
        if spec.quantity is None:
            raise reject(40004)
    else:
        spec.notional = decimal_field(params, "notional", instrument.price_tick, required=True)
    return spec


def parse_trigger(params: dict[str, Any], lookup: InstrumentLookup, *, oco_leg: bool) -> OrderSpec:
    """`private/advanced/create-order` and OCO trigger legs (spec §9.2, F-16)."""
    instrument, side = _common(params, lookup)
    order_type = params.get("type")
    if order_type in PLAIN_TYPES:
        raise reject(40004)
    order_type = enum_field(params, "type", TRIGGER_TYPES, 218)
    ref_price = decimal_field(params, "ref_price", instrument.price_tick, required=True)
    trigger_price = params.get("trigger_price")
    if trigger_price is not None:
        decimal_field(params, "trigger_price", instrument.price_tick, required=True)
        if trigger_price != params["ref_price"]:
            raise reject(229)
    ref_type = params.get("ref_price_type", "MARK_PRICE")
    allowed_types = frozenset({"MARK_PRICE"}) if oco_leg else REF_PRICE_TYPES
    if ref_type not in allowed_types:
        raise reject(230)
    return OrderSpec(
        instrument,
        side,
        order_type,
        quantity=decimal_field(params, "quantity", instrument.qty_tick, required=True),
        price=decimal_field(
            params, "price", instrument.price_tick, required=order_type in LIMIT_TRIGGER_TYPES
        )
        if order_type in LIMIT_TRIGGER_TYPES
        else None,
        ref_price=ref_price,
        ref_price_type=str(ref_type),
        client_oid=client_oid_field(params),
        time_in_force=_time_in_force(params),
        exec_inst=_exec_inst(params),
    )


def parse_oco(params: dict[str, Any], lookup: InstrumentLookup) -> list[OrderSpec]:
    """`private/advanced/create-oco`: exactly one LIMIT leg and one trigger leg (spec §9.4, F-18)."""
    legs = params.get("order_list")
    if not isinstance(legs, list) or len(legs) != 2 or not all(isinstance(x, dict) for x in legs):
        raise reject(40004)
    types = [leg.get("type") for leg in legs]
    if types.count("LIMIT") != 1 or not any(t in TRIGGER_TYPES for t in types):
        raise reject(40004)
    specs = [
        parse_plain(leg, lookup)
        if leg.get("type") == "LIMIT"
        else parse_trigger(leg, lookup, oco_leg=True)
        for leg in legs
    ]
    first, second = specs
    if first.instrument.symbol != second.instrument.symbol or first.side != second.side:
        raise reject(40004)
    oids = [s.client_oid for s in specs if s.client_oid is not None]
    if len(oids) != len(set(oids)):
        raise reject(204)
    return specs


def int_field(params: dict[str, Any], name: str) -> int | None:
    """Integer params must be JSON integers (F-8); strings -> 40003."""
    value = params.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise reject(40003)
    return value


def lookup_id(params: dict[str, Any]) -> tuple[str | None, str | None]:
    """`order_id` (string recommended) or `client_oid`; neither -> 40004."""
    order_id, client_oid = params.get("order_id"), params.get("client_oid")
    if order_id is None and client_oid is None:
        raise reject(40004)
    return (None if order_id is None else str(order_id)), (
        None if client_oid is None else str(client_oid)
    )
