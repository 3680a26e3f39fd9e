"""Response rows of the fake exchange's private side (spec §8.3, §8.6, §8.7, F-24).

Decimals travel as strings, ids as numeric strings, the status is spelled `CANCELED`, order rows
use `order_type` and `limit_price`. With `strings=True` timestamps are strings too, to keep the
client's parsers tolerant (P-1).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.fakes.private_book import ZERO, Book, FakeOrder, Trade

ACCOUNT_ID = "52e7c00f-1324-5a6z-bfgt-de445bde21a5"
USD_LIKE = frozenset({"USD", "USDT", "USDC"})


def dec(value: Decimal | None) -> str:
    return format(value if value is not None else ZERO, "f")


def _time(ms: int, strings: bool) -> int | str:
    return str(ms) if strings else ms


def order_row(order: FakeOrder, book: Book, *, strings: bool = False) -> dict[str, Any]:
    spec = order.spec
    filled = order.cumulative_quantity
    avg = order.cumulative_value / filled if filled else ZERO
    unit = spec.price or spec.ref_price
    order_value = spec.notional if spec.quantity is None else (spec.quantity * (unit or ZERO))
    default_fee_ccy = spec.instrument.base if spec.side == "BUY" else spec.instrument.quote
    row: dict[str, Any] = {
        "account_id": ACCOUNT_ID,
        "order_id": order.order_id,
        "client_oid": order.client_oid,
        "instrument_name": order.symbol,
        "order_type": spec.order_type,
        "side": spec.side,
        "time_in_force": spec.time_in_force,
        "exec_inst": list(spec.exec_inst),
        "quantity": dec(spec.quantity),
        "limit_price": dec(spec.price),
        "order_value": dec(order_value),
        "avg_price": dec(avg),
        "cumulative_quantity": dec(filled),
        "cumulative_value": dec(order.cumulative_value),
        "cumulative_fee": dec(order.cumulative_fee),
        "fee_instrument_name": order.fee_currency or default_fee_ccy,
        "maker_fee_rate": dec(book.maker_fee_rate),
        "taker_fee_rate": dec(book.taker_fee_rate),
        "status": order.status,
        "create_time": _time(order.create_ms, strings),
        "create_time_ns": str(order.create_ms * 1_000_000),
        "update_time": _time(order.update_ms, strings),
    }
    if order.reject_reason:
        row["reason"] = order.reject_reason
    if order.advanced:
        row |= {
            "list_id": order.list_id or "",
            "leg_id": order.leg_id or "",
            "contingency_type": order.contingency or "",
            "ref_price": dec(spec.ref_price),
            "ref_price_type": spec.ref_price_type or "NULL_VAL",
            "reject_reason": order.reject_reason or "",
            "exchange_order_id": order.exchange_order_id or "",
        }
    return row


def trade_row(trade: Trade, *, strings: bool = False) -> dict[str, Any]:
    ns = trade.create_ms * 1_000_000
    return {
        "account_id": ACCOUNT_ID,
        "event_date": "",
        "journal_type": "TRADING",
        "side": trade.side,
        "instrument_name": trade.symbol,
        "fees": dec(-trade.fee),
        "trade_id": trade.trade_id,
        "trade_match_id": str(int(trade.trade_id) + 1_000_000),
        "create_time": _time(trade.create_ms, strings),
        "traded_price": dec(trade.price),
        "traded_quantity": dec(trade.quantity),
        "fee_instrument_name": trade.fee_currency,
        "fee_credits": "0",
        "client_oid": trade.client_oid,
        "taker_side": "TAKER" if trade.taker else "MAKER",
        "order_id": trade.order_id,
        "create_time_ns": str(ns),
        "transact_time_ns": str(ns),
        "match_count": "1",
        "match_index": "0",
    }


def usd_value(book: Book, currency: str, amount: Decimal) -> Decimal:
    if currency in USD_LIKE:
        return amount
    for quote in ("USD", "USDT"):
        prices = book.prices.get(f"{currency}_{quote}")
        if prices is not None:
            return amount * prices.last
    return ZERO


def balance_result(book: Book) -> dict[str, Any]:
    rows = []
    total_value = ZERO
    free_value = ZERO
    for currency, total in sorted(book.balances.items()):
        reserved = book.reserved(currency)
        value = usd_value(book, currency, total)
        total_value += value
        free_value += usd_value(book, currency, total - reserved)
        rows.append(
            {
                "instrument_name": currency,
                "quantity": dec(total),
                "reserved_qty": dec(reserved),
                "max_withdrawal_balance": dec(total - reserved),
                "market_value": dec(value),
                "collateral_amount": dec(value),
                "collateral_eligible": "true",
                "haircut": "0",
            }
        )
    account = {
        "instrument_name": "USD",
        "total_available_balance": dec(free_value),
        "total_margin_balance": dec(total_value),
        "total_cash_balance": dec(total_value),
        "total_initial_margin": dec(total_value - free_value),
        "total_maintenance_margin": "0",
        "total_position_cost": "0",
        "total_collateral_value": dec(total_value),
        "total_session_unrealized_pnl": "0",
        "total_session_realized_pnl": "0",
        "is_liquidating": False,
        "total_effective_leverage": "0",
        "position_limit": "3000000",
        "used_position_limit": "0",
        "total_isolated_cash_balance": "0",
        "isolated_positions": [],
        "position_balances": rows,
    }
    return {"data": [account]}
