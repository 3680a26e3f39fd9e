"""Freeing the coins an intent's protection still holds, before it is closed at market.

A market SELL can only sell what is free. Whatever of the intent's protection is still open
holds the base balance: a live stop or take-profit leg, or - once a STOP_LIMIT fired - the LIMIT
order the firing created (spec §9.6: on Crypto.com a separate spot child order; cancelling the
advanced leg would leave that child resting, so the child itself is cancelled, by the plain
cancel the broker routes it to). Cancels are asynchronous on the exchange: each order is read
back after its cancel, and the caller waits for the next tick while one is still open.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from atp.orders import states
from atp.orders.models import ExchangeOrder
from atp.orders.ports import Broker, BrokerAuthError, BrokerError, OrderState
from atp.orders.records import apply_state
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)


async def release_protection(rt: OrderRuntime, intent_id: int) -> bool:
    """Cancel what is still open of the intent's protection; True once nothing holds coins."""
    with rt.sessions() as session:
        legs = session.execute(
            select(ExchangeOrder.id, ExchangeOrder.client_oid).where(
                ExchangeOrder.intent_id == intent_id,
                ExchangeOrder.order_role.in_(states.PROTECTION_ROLES),
                ExchangeOrder.status == states.OPEN,
            )
        ).all()
    holding = 0
    for row_id, client_oid in legs:
        # Protection legs are list legs or trigger orders: asked in the advanced namespace.
        leg = await rt.broker.order_by_client_oid(client_oid, advanced=True) if client_oid else None
        if leg is None:
            continue  # unknown to the exchange: the sync settles the row
        holder = await holding_order(rt.broker, leg)
        if holder is not None:
            log.warning(
                "[ORDERS] intent %s: cancelling %s %s before closing at market",
                intent_id,
                holder.kind,
                holder.order_id,
            )
            await _cancel(rt.broker, holder)
            leg = await rt.broker.order_by_client_oid(client_oid, advanced=True) or leg
            holder = await holding_order(rt.broker, leg)
        with rt.tx() as session:
            apply_state(session.get_one(ExchangeOrder, row_id), leg)
        holding += holder is not None
    return holding == 0


async def holding_order(broker: Broker, leg: OrderState) -> OrderState | None:
    """The open order that holds the leg's coins: the leg itself, or - once it fired - the
    order its firing created while that is still open; None when nothing is held."""
    child_id = leg.child_order_id
    if child_id is None or child_id == leg.order_id:  # not fired, or paper (its own child)
        return None if leg.status.is_terminal else leg
    child = next((o for o in await broker.open_orders(leg.symbol) if o.order_id == child_id), None)
    return None if child is None or child.status.is_terminal else child


async def _cancel(broker: Broker, order: OrderState) -> None:
    try:
        await broker.cancel(order)
    except BrokerAuthError:
        raise
    except BrokerError as exc:  # finished meanwhile (212) or transient: read back, next tick
        log.warning("[ORDERS] cancel of %s not accepted: %s", order.order_id, exc)
