"""Signed private client of Crypto.com Exchange v1 (spec §3-§6, §8, §9, §10, §11).

Each call builds the envelope `{id, method, api_key, params, nonce, sig}` afresh per attempt
(integer id, millisecond nonce that never repeats or goes back, signature over exactly the
params that are serialized), POSTs it through the shared `CryptoComTransport` (per-method
token buckets, envelope parsing) and returns the raw `result`.

Retries: reads are resent after throttles, outages and timeouts; writes only after answers that
prove nothing happened (42901, mark-price / market-closed / maintenance codes). A write whose
outcome is unknown (timeout, 40801, 50001, a 5xx without a code) surfaces with
RetryClass.RECONCILE: the caller looks the order up by `client_oid` before any resend.
40102 (nonce) is retried once with a fresh nonce, reads and writes alike.

The key and secret are kept as `SecretStr`; they never appear in a repr, a log line or an
exception text (errors carry only method, code, HTTP status and the exchange's reason name).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import SecretStr

from atp.adapters.cryptocom import wire
from atp.adapters.cryptocom.errors import (
    ExchangeError,
    ExchangeMalformedError,
    RetryClass,
    as_write_error,
    outcome_unknown_for_write,
)
from atp.adapters.cryptocom.signing import param_string, sign
from atp.adapters.cryptocom.transport import CryptoComTransport

CREATE_ORDER = "private/create-order"
CANCEL_ORDER = "private/cancel-order"
GET_OPEN_ORDERS = "private/get-open-orders"
GET_ORDER_DETAIL = "private/get-order-detail"
GET_ORDER_HISTORY = "private/get-order-history"
GET_TRADES = "private/get-trades"
USER_BALANCE = "private/user-balance"
ADV_CREATE_ORDER = "private/advanced/create-order"
ADV_CREATE_OCO = "private/advanced/create-oco"
ADV_CANCEL_ORDER = "private/advanced/cancel-order"
ADV_CANCEL_OCO = "private/advanced/cancel-oco"
ADV_GET_OPEN_ORDERS = "private/advanced/get-open-orders"
ADV_GET_ORDER_DETAIL = "private/advanced/get-order-detail"

MAX_HISTORY_LIMIT = 100
MARK_PRICE = "MARK_PRICE"
GOOD_TILL_CANCEL = "GOOD_TILL_CANCEL"


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def clean_secret(value: SecretStr | str) -> str:
    """Trim whitespace, newlines and one pair of surrounding quotes (R-SIG-4)."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text


class NonceClock:
    """Millisecond nonces that never repeat or go backwards, even if the wall clock does."""

    def __init__(self, clock_ms: Callable[[], int] = _wall_ms) -> None:
        self._clock_ms = clock_ms
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(self._clock_ms(), self._last + 1)
            return self._last


class CryptoComPrivateClient:
    def __init__(
        self,
        transport: CryptoComTransport,
        *,
        api_key: SecretStr | str,
        api_secret: SecretStr | str,
        clock_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        key, secret = clean_secret(api_key), clean_secret(api_secret)
        if not key or not secret:
            raise ValueError("EXCHANGE_API_KEY and EXCHANGE_API_SECRET must both be set")
        self.transport = transport
        self._api_key = SecretStr(key)
        self._api_secret = SecretStr(secret)
        self._nonces = NonceClock(clock_ms)
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"CryptoComPrivateClient(base_url={self.transport.base_url!r}, api_key=<hidden>)"

    async def aclose(self) -> None:
        await self.transport.aclose()

    # --- envelope -------------------------------------------------------------------------

    def envelope(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One signed request body (§3): fresh id and nonce, signature over `params` as sent."""
        wire.check_params(params)
        request_id, nonce = next(self._ids), self._nonces.next()
        api_key = self._api_key.get_secret_value()
        signature = sign(
            method, request_id, api_key, params, nonce, self._api_secret.get_secret_value()
        )
        return {
            "id": request_id,
            "method": method,
            "api_key": api_key,
            "params": params,
            "nonce": nonce,
            "sig": signature,
        }

    async def _send(
        self, method: str, params: dict[str, Any], *, write: bool, result_required: bool = True
    ) -> Any:
        params = wire.without_none(params)
        wire.check_params(params)  # fail before touching the network
        param_string(params)  # unsignable shapes (depth, types) fail here too

        def build_body() -> bytes:
            return json.dumps(self.envelope(method, params), separators=(",", ":")).encode()

        retry = _WriteRetry() if write else _ReadRetry()
        try:
            return await self.transport.post_private(
                method, build_body, should_retry=retry, result_required=result_required
            )
        except ExchangeError as error:
            if write:
                as_write_error(error)  # unknown outcome -> RECONCILE, in place
            raise

    async def _read(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self._send(method, params or {}, write=False)

    async def _write(self, method: str, params: dict[str, Any], **kwargs: Any) -> Any:
        return await self._send(method, params, write=True, **kwargs)

    # --- plain orders (§8) --------------------------------------------------------------------

    async def create_order(
        self,
        *,
        instrument_name: str,
        side: str,
        order_type: str,
        client_oid: str,
        quantity: str | None = None,
        notional: str | None = None,
        price: str | None = None,
        time_in_force: str | None = None,
    ) -> dict[str, Any]:
        """MARKET (by `notional` for a BUY, or `quantity`) or LIMIT; decimals as strings."""
        wire.check_client_oid(client_oid)
        params = wire.without_none(
            {
                "instrument_name": instrument_name,
                "side": side,
                "type": order_type,
                "quantity": quantity,
                "notional": notional,
                "price": price,
                "time_in_force": time_in_force,
                "client_oid": client_oid,
            }
        )
        wire.check_plain_order(params)
        return _object(CREATE_ORDER, await self._write(CREATE_ORDER, params))

    async def cancel_order(
        self, *, order_id: str | None = None, client_oid: str | None = None
    ) -> None:
        await self._write(CANCEL_ORDER, wire.one_order_ref(order_id, client_oid))

    async def get_open_orders(self, instrument_name: str | None = None) -> list[Any]:
        result = await self._read(GET_OPEN_ORDERS, {"instrument_name": instrument_name})
        return _data(GET_OPEN_ORDERS, result)

    async def get_order_detail(
        self, *, order_id: str | None = None, client_oid: str | None = None
    ) -> dict[str, Any] | None:
        """The order object, or None for an empty result (the exchange's "not here")."""
        ref = wire.one_order_ref(order_id, client_oid)
        return _order_or_none(GET_ORDER_DETAIL, await self._read(GET_ORDER_DETAIL, ref))

    async def get_order_history(
        self,
        *,
        instrument_name: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = MAX_HISTORY_LIMIT,
    ) -> list[Any]:
        params = _window(instrument_name, start_time, end_time, limit)
        return _data(GET_ORDER_HISTORY, await self._read(GET_ORDER_HISTORY, params))

    async def get_trades(
        self,
        *,
        instrument_name: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = MAX_HISTORY_LIMIT,
    ) -> list[Any]:
        params = _window(instrument_name, start_time, end_time, limit)
        return _data(GET_TRADES, await self._read(GET_TRADES, params))

    async def user_balance(self) -> list[Any]:
        return _data(USER_BALANCE, await self._read(USER_BALANCE))

    # --- advanced (trigger and OCO) orders (§9) ---------------------------------------------

    async def advanced_create_order(
        self,
        *,
        instrument_name: str,
        side: str,
        order_type: str,
        quantity: str,
        ref_price: str,
        client_oid: str,
        price: str | None = None,
        ref_price_type: str = MARK_PRICE,
    ) -> dict[str, Any]:
        """One standalone trigger order; `ref_price` is the trigger (R-TRG-1)."""
        wire.check_client_oid(client_oid)
        params = wire.without_none(
            {
                "instrument_name": instrument_name,
                "side": side,
                "type": order_type,
                "quantity": quantity,
                "ref_price": ref_price,
                "ref_price_type": ref_price_type,
                "price": price,
                "client_oid": client_oid,
            }
        )
        wire.check_trigger_order(params)
        return _object(ADV_CREATE_ORDER, await self._write(ADV_CREATE_ORDER, params))

    async def advanced_create_oco(self, legs: Sequence[dict[str, Any]]) -> str:
        """Two legs (LIMIT + trigger on MARK_PRICE); returns the `list_id`."""
        order_list = [wire.without_none(leg) for leg in legs]
        wire.check_oco_legs(order_list)
        for leg in order_list:
            wire.check_client_oid(leg.get("client_oid"))
        result = _object(
            ADV_CREATE_OCO, await self._write(ADV_CREATE_OCO, {"order_list": order_list})
        )
        list_id = result.get("list_id")
        if list_id is None or list_id == "":
            raise ExchangeMalformedError(
                method=ADV_CREATE_OCO, reason="MALFORMED", detail="no list_id"
            )
        return str(list_id)

    async def advanced_cancel_order(
        self, *, order_id: str | None = None, client_oid: str | None = None
    ) -> None:
        await self._write(ADV_CANCEL_ORDER, wire.one_order_ref(order_id, client_oid))

    async def advanced_cancel_oco(self, list_id: str) -> None:
        if not list_id:
            raise ValueError("list_id is required")
        # Documented to answer code 0 with no result body (§9.5).
        await self._write(ADV_CANCEL_OCO, {"list_id": list_id}, result_required=False)

    async def advanced_get_open_orders(self, instrument_name: str | None = None) -> list[Any]:
        result = await self._read(ADV_GET_OPEN_ORDERS, {"instrument_name": instrument_name})
        return _data(ADV_GET_OPEN_ORDERS, result)

    async def advanced_get_order_detail(
        self, *, order_id: str | None = None, client_oid: str | None = None
    ) -> dict[str, Any] | None:
        ref = wire.one_order_ref(order_id, client_oid)
        return _order_or_none(ADV_GET_ORDER_DETAIL, await self._read(ADV_GET_ORDER_DETAIL, ref))


class _ReadRetry:
    """Resend reads after throttles, outages and timeouts; a nonce error once."""

    def __init__(self) -> None:
        self.nonce_retried = False

    def __call__(self, error: ExchangeError) -> bool:
        if error.retry_class is RetryClass.ONCE:
            return self._once()
        return error.retryable

    def _once(self) -> bool:
        first, self.nonce_retried = not self.nonce_retried, True
        return first


class _WriteRetry(_ReadRetry):
    """Resend a write only when the answer proves it was not processed."""

    def __call__(self, error: ExchangeError) -> bool:
        if error.retry_class is RetryClass.ONCE:
            return self._once()
        if outcome_unknown_for_write(error):
            return False
        return error.retry_class is RetryClass.BACKOFF  # 42901, 207, 222, 309, maintenance


def _window(
    instrument_name: str | None, start_time: int | None, end_time: int | None, limit: int
) -> dict[str, Any]:
    if not 1 <= limit <= MAX_HISTORY_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_HISTORY_LIMIT}, got {limit}")
    return {
        "instrument_name": instrument_name,
        "start_time": start_time,
        "end_time": end_time,
        "limit": limit,
    }


def _object(method: str, result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise ExchangeMalformedError(
            method=method, reason="MALFORMED", detail="result is not an object"
        )
    return result


def _data(method: str, result: Any) -> list[Any]:
    rows = _object(method, result).get("data")
    if not isinstance(rows, list):
        raise ExchangeMalformedError(
            method=method, reason="MALFORMED", detail="no result.data list"
        )
    return rows


def _order_or_none(method: str, result: Any) -> dict[str, Any] | None:
    """Detail answers one order object; an empty result (or `{}`) means the order is not here.
    An `order_info` wrapper (older pages) is unwrapped."""
    if result is None or result == {} or result == []:
        return None
    order = _object(method, result)
    if isinstance(order.get("order_info"), dict):
        order = order["order_info"]
    return order or None
