"""A small, faithful in-process broker for the order-flow tests (implements atp.orders.ports.Broker).

Faithful where the flow depends on it: writes are only queued (an order becomes visible to
reads `hide_reads` reads later), a reused client_oid is refused with 204 (RECONCILE), an OCO
reserves its quantity once and cancels its sibling when one leg fills, a trigger on the wrong
side is refused (50007), protection needs free base balance (306), a read in the wrong
namespace (`advanced=False` for a leg or trigger, `True` for a plain order) finds nothing. State
can live in a JSON file, so it survives a process killed with SIGKILL (the crash test). Every
write is logged in `calls`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from atp.core.retry import RetryClass
from atp.orders.ports import (
    Accepted,
    Balance,
    BrokerAuthError,
    BrokerError,
    Fill,
    InstrumentRules,
    MarketEntry,
    OrderKind,
    OrderState,
    OrderStatus,
    ProtectionOco,
    StopOrder,
)

PRICE_TICK = Decimal("0.01")
QTY_TICK = Decimal("0.0001")
FEE_RATE = Decimal("0.001")


@dataclass
class FakeBrokerOptions:
    refuse_stop_limit_oco: bool = False  # the STOP_LIMIT leg is refused (fallback to STOP_LOSS)
    refuse_oco: bool = False  # every OCO refused (fallback to a standalone stop)
    refuse_stop: bool = False  # standalone stops refused too (flatten)
    hide_reads: int = 0  # reads that do not see a new order yet (asynchronous acceptance)
    auth_failing: bool = False
    timeout_after_accept: bool = False  # market entries are queued, then the call times out


class FakeBroker:
    name = "fake"

    def __init__(
        self, price: Decimal, *, path: Path | None = None, quote: Decimal = Decimal(10_000)
    ) -> None:
        self.path = path
        self.options = FakeBrokerOptions()
        self.state: dict[str, Any] = {
            "price": str(price),
            "next_id": 1,
            "orders": {},
            "fills": [],
            "calls": [],
            "balances": {"USDT": str(quote)},
        }
        if path is not None and path.exists():
            self.state = json.loads(path.read_text())

    # --- test helpers ---------------------------------------------------------------------
    @property
    def calls(self) -> list[dict[str, Any]]:
        return list(self.state["calls"])

    def entries_for(self, client_oid: str) -> int:
        return sum(
            1 for c in self.state["calls"] if c["op"] == "entry" and c["client_oid"] == client_oid
        )

    def set_price(self, price: Decimal) -> None:
        self.state["price"] = str(price)
        for order in list(self.state["orders"].values()):
            if order["status"] == "OPEN" and self._triggered(order, price):
                self._execute(order, price)
        self._save()

    def cancel_by_client_oid(self, client_oid: str) -> None:
        """An operator (or the exchange) cancels a protective order behind our back."""
        order = self._by_oid(client_oid)
        assert order is not None
        self._cancel(order)
        self._save()

    # --- the port ---------------------------------------------------------------------------
    async def instrument(self, symbol: str) -> InstrumentRules:
        self._auth()
        base, quote = symbol.split("_")
        return InstrumentRules(symbol, base, quote, PRICE_TICK, QTY_TICK)

    async def place_market_entry(self, entry: MarketEntry) -> Accepted:
        self._auth()
        self._log("entry", entry.client_oid)
        self._check_new(entry.client_oid)
        price = Decimal(self.state["price"])
        if entry.side == "BUY":
            assert entry.notional is not None
            quantity = (entry.notional / price).quantize(QTY_TICK, ROUND_DOWN)
        else:
            assert entry.quantity is not None
            quantity = entry.quantity
            if quantity > self._free(entry.symbol.split("_")[0]):
                raise BrokerError("INSUFFICIENT_AVAILABLE_BALANCE", code=306)
        order = self._new(entry.client_oid, entry.symbol, entry.side, "MARKET", quantity)
        self._execute(order, price)
        self._save()
        if self.options.timeout_after_accept:
            raise TimeoutError("read timed out after the request was sent")
        return Accepted(order_id=order["order_id"], client_oid=entry.client_oid)

    async def place_oco(self, oco: ProtectionOco) -> Accepted:
        self._auth()
        self._log("oco", oco.sl_client_oid)
        if self.options.refuse_oco or (self.options.refuse_stop_limit_oco and oco.sl_limit_price):
            raise BrokerError("OCO refused", code=40004)
        self._check_new(oco.sl_client_oid)
        self._check_new(oco.tp_client_oid)
        price = Decimal(self.state["price"])
        if not oco.sl_trigger < price < oco.tp_price:
            raise BrokerError("INVALID_TRIGGER_PRICE", code=50007)
        self._reserve(oco.symbol, oco.quantity)
        list_id = f"L{self.state['next_id']}"
        kind = "STOP_LIMIT" if oco.sl_limit_price else "STOP_LOSS"
        self._new(
            oco.tp_client_oid,
            oco.symbol,
            oco.side,
            "LIMIT",
            oco.quantity,
            limit=oco.tp_price,
            list_id=list_id,
        )
        self._new(
            oco.sl_client_oid,
            oco.symbol,
            oco.side,
            kind,
            oco.quantity,
            trigger=oco.sl_trigger,
            list_id=list_id,
        )
        self._save()
        return Accepted(list_id=list_id)

    async def place_stop(self, stop: StopOrder) -> Accepted:
        self._auth()
        self._log("stop", stop.client_oid)
        if self.options.refuse_stop:
            raise BrokerError("stop refused", code=40004)
        self._check_new(stop.client_oid)
        if not stop.trigger < Decimal(self.state["price"]):
            raise BrokerError("INVALID_TRIGGER_PRICE", code=50007)
        self._reserve(stop.symbol, stop.quantity)
        order = self._new(
            stop.client_oid,
            stop.symbol,
            stop.side,
            str(stop.kind),
            stop.quantity,
            trigger=stop.trigger,
        )
        self._save()
        return Accepted(order_id=order["order_id"], client_oid=stop.client_oid)

    async def cancel(self, order: OrderState) -> None:
        self._auth()
        self._log("cancel", order.client_oid or order.order_id)
        self._cancel(self.state["orders"][order.order_id])
        self._save()

    async def cancel_list(self, list_id: str) -> None:
        self._auth()
        self._log("cancel_list", list_id)
        for order in self.state["orders"].values():
            if order["list_id"] == list_id:
                self._cancel(order)
        self._save()

    async def order_by_client_oid(
        self, client_oid: str, *, advanced: bool | None = None
    ) -> OrderState | None:
        self._auth()
        order = self._by_oid(client_oid)
        if order is None or advanced not in (None, _in_advanced_namespace(order)):
            return None  # as on Crypto.com: plain detail never shows a trigger order or leg
        if order["hidden"] > 0:
            order["hidden"] -= 1
            self._save()
            return None
        return _state(order)

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        self._auth()
        return [
            _state(o)
            for o in self.state["orders"].values()
            if o["status"] == "OPEN" and o["hidden"] == 0 and symbol in (None, o["symbol"])
        ]

    async def fills(self, since: datetime, symbol: str | None = None) -> list[Fill]:
        self._auth()
        return [
            _fill(f)
            for f in self.state["fills"]
            if datetime.fromisoformat(f["traded_at"]) >= since and symbol in (None, f["symbol"])
        ]

    async def balances(self) -> list[Balance]:
        self._auth()
        return [
            Balance(ccy, Decimal(total), self._reserved(ccy))
            for ccy, total in self.state["balances"].items()
        ]

    async def aclose(self) -> None:
        return None

    # --- internals ------------------------------------------------------------------------------
    def _auth(self) -> None:
        if self.options.auth_failing:
            raise BrokerAuthError("UNAUTHORIZED", code=40101)

    def _log(self, op: str, client_oid: str) -> None:
        self.state["calls"].append({"op": op, "client_oid": client_oid})
        self._save()

    def _check_new(self, client_oid: str) -> None:
        if self._by_oid(client_oid) is not None:
            raise BrokerError("DUPLICATE_CLORDID", code=204, retry=RetryClass.RECONCILE)

    def _by_oid(self, client_oid: str) -> dict[str, Any] | None:
        return next(
            (o for o in self.state["orders"].values() if o["client_oid"] == client_oid), None
        )

    def _new(
        self,
        client_oid: str,
        symbol: str,
        side: str,
        kind: str,
        quantity: Decimal,
        *,
        limit: Decimal | None = None,
        trigger: Decimal | None = None,
        list_id: str | None = None,
    ) -> dict[str, Any]:
        order_id = str(self.state["next_id"])
        self.state["next_id"] += 1
        order = {
            "order_id": order_id,
            "client_oid": client_oid,
            "symbol": symbol,
            "side": side,
            "kind": kind,
            "status": "OPEN",
            "quantity": str(quantity),
            "cum": "0",
            "avg": None,
            "limit": None if limit is None else str(limit),
            "trigger": None if trigger is None else str(trigger),
            "list_id": list_id,
            "hidden": self.options.hide_reads,
            "fee": "0",
        }
        self.state["orders"][order_id] = order
        return order

    def _triggered(self, order: dict[str, Any], price: Decimal) -> bool:
        if order["kind"] == "LIMIT":
            return price >= Decimal(order["limit"])
        return price <= Decimal(order["trigger"])

    def _execute(self, order: dict[str, Any], price: Decimal) -> None:
        base, quote = order["symbol"].split("_")
        quantity = Decimal(order["quantity"])
        fee = (quantity * price * FEE_RATE).quantize(Decimal("0.00000001"))
        sign = 1 if order["side"] == "BUY" else -1
        self._add(base, sign * quantity)
        self._add(quote, -sign * quantity * price - fee)
        order.update(status="FILLED", cum=str(quantity), avg=str(price), fee=str(fee))
        self.state["fills"].append(
            {
                "trade_id": f"T{len(self.state['fills']) + 1}",
                "order_id": order["order_id"],
                "client_oid": order["client_oid"],
                "symbol": order["symbol"],
                "side": order["side"],
                "quantity": str(quantity),
                "price": str(price),
                "fee": str(fee),
                "fee_currency": quote,
                "traded_at": datetime.now(UTC).isoformat(),
            }
        )
        if order["list_id"]:
            for sibling in self.state["orders"].values():
                if sibling["list_id"] == order["list_id"] and sibling["status"] == "OPEN":
                    sibling["status"] = "CANCELED"

    def _cancel(self, order: dict[str, Any]) -> None:
        if order["status"] == "OPEN":
            order["status"] = "CANCELED"

    def _add(self, ccy: str, amount: Decimal) -> None:
        balances = self.state["balances"]
        balances[ccy] = str(Decimal(balances.get(ccy, "0")) + amount)

    def _reserved(self, ccy: str) -> Decimal:
        # One reservation per OCO list (the legs share it), one per standalone stop.
        seen: set[str] = set()
        total = Decimal(0)
        for o in self.state["orders"].values():
            if o["status"] != "OPEN" or o["side"] != "SELL" or o["symbol"].split("_")[0] != ccy:
                continue
            key = o["list_id"] or o["order_id"]
            if key not in seen:
                seen.add(key)
                total += Decimal(o["quantity"])
        return total

    def _free(self, ccy: str) -> Decimal:
        return Decimal(self.state["balances"].get(ccy, "0")) - self._reserved(ccy)

    def _reserve(self, symbol: str, quantity: Decimal) -> None:
        if quantity > self._free(symbol.split("_")[0]):
            raise BrokerError("INSUFFICIENT_AVAILABLE_BALANCE", code=306)

    def _save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.path)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _in_advanced_namespace(o: dict[str, Any]) -> bool:
    return bool(o["list_id"]) or o["kind"] not in ("MARKET", "LIMIT")


def _state(o: dict[str, Any]) -> OrderState:
    return OrderState(
        order_id=o["order_id"],
        client_oid=o["client_oid"],
        symbol=o["symbol"],
        side=o["side"],
        kind=OrderKind(o["kind"]),
        status=OrderStatus(o["status"]),
        quantity=Decimal(o["quantity"]),
        cumulative_quantity=Decimal(o["cum"]),
        avg_price=_dec(o["avg"]),
        cumulative_fee=Decimal(o["fee"]),
        fee_currency=o["symbol"].split("_")[1],
        limit_price=_dec(o["limit"]),
        trigger_price=_dec(o["trigger"]),
        list_id=o["list_id"],
        reject_reason=None,
        child_order_id=None,
        created_at=None,
        updated_at=None,
    )


def _fill(f: dict[str, Any]) -> Fill:
    return Fill(
        trade_id=f["trade_id"],
        order_id=f["order_id"],
        client_oid=f["client_oid"],
        symbol=f["symbol"],
        side=f["side"],
        quantity=Decimal(f["quantity"]),
        price=Decimal(f["price"]),
        fee=Decimal(f["fee"]),
        fee_currency=f["fee_currency"],
        traded_at=datetime.fromisoformat(f["traded_at"]),
    )
