"""Protection of a filled entry: one native OCO, its fallbacks, and closing at market.

Ladder (spec §9.4): OCO with a STOP_LIMIT leg -> the same OCO with a STOP_LOSS leg -> a
standalone STOP_LOSS. Each attempt commits PROTECTING with its attempt number (the legs'
client_oids derive from it) before the request; it is confirmed by reading the stop leg back by
client_oid. A refusal moves to the next step at once; an attempt never seen within
ORDERS_LOOKUP_GRACE_SECONDS counts as failed. When the ladder (or ORDERS_PROTECTION_MAX_ATTEMPTS)
is exhausted, or no valid stop exists, the position is closed at market (ORDERS_FLATTEN_UNPROTECTED,
default on) and a critical alert goes to the ops chat. None of this consults the kill switch,
LIVE_TRADING or the Telegram gate.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from atp.alerts.formatting import ProtectionContent
from atp.core.errors import short_error
from atp.core.retry import RetryClass
from atp.orders import states
from atp.orders.flatten import Flattener, read_holding
from atp.orders.models import OrderIntent
from atp.orders.notices import notify_protection_placed
from atp.orders.plan import CLOSING_SIDE, CannotProtect, protection_prices, remaining_quantity
from atp.orders.ports import (
    BrokerAuthError,
    BrokerError,
    OrderKind,
    OrderState,
    ProtectionOco,
    StopOrder,
)
from atp.orders.positions import ProtectionStatus
from atp.orders.records import clip, mark_position, record_order
from atp.orders.release import release_protection
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)
MAX_STEPS_PER_TICK = 8


class Protector:
    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt
        self.flattener = Flattener(rt)

    async def advance(self, intent_id: int) -> str:
        status = self._status(intent_id)
        for _ in range(MAX_STEPS_PER_TICK):
            if status == states.FILLED:
                if not await self._release_leftover_legs(intent_id):
                    return status  # the old leg is still cancelling: the next tick goes on
                status = await self._place_next(intent_id)
                if status == states.PROTECTING:
                    return status  # just read back, not seen yet: the next tick looks again
            elif status == states.PROTECTING:
                status = await self._confirm(intent_id)
                if status == states.PROTECTING:
                    return status  # not seen yet: the next tick looks again
            elif status == states.FLATTENING:
                return await self.flattener.confirm(intent_id)
            else:
                return status
        return status

    def _status(self, intent_id: int) -> str:
        with self.rt.sessions() as session:
            return session.get_one(OrderIntent, intent_id).status

    async def _release_leftover_legs(self, intent_id: int) -> bool:
        """Cancel what is left of this intent's earlier protection; True once none is open.

        After a repair (the stop was cancelled by hand, expired, or a take-profit filled only
        partly) the surviving leg of the old OCO keeps working and holds the base balance the
        new protection needs; the exchange cancels a sibling only when a leg fills. The same
        release as before a market close (atp.orders.release)."""
        return await release_protection(self.rt, intent_id)

    async def _place_next(self, intent_id: int) -> str:
        rt = self.rt
        with rt.sessions() as session:
            intent = session.get_one(OrderIntent, intent_id)
            mode = states.next_protection_mode(intent.protection_mode)
            attempts, symbol = intent.protection_attempts, intent.symbol
            remaining = remaining_quantity(session, intent)
        if mode is None or attempts >= rt.settings.orders_protection_max_attempts:
            return await self.flattener.start(
                intent_id, f"protection not confirmed after {attempts} attempts"
            )
        holding = await read_holding(self.rt.broker, symbol)
        quantity = holding.sellable(remaining)
        if quantity <= 0:
            if holding.total < holding.rules.qty_tick:
                return self._close(
                    intent_id, f"POSITION_GONE: no {holding.rules.base} left to protect"
                )
            return self._step_failed(intent_id, mode, f"no free {holding.rules.base} (reserved)")
        with rt.sessions() as session:
            intent = session.get_one(OrderIntent, intent_id)
            try:
                prices = protection_prices(intent, holding.rules)
            except CannotProtect as exc:
                reason = str(exc)
            else:
                reason = ""
        if reason:
            return await self.flattener.start(intent_id, reason)
        if prices.take_profit is None:
            mode = states.STOP_ONLY
        with rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status != states.FILLED:
                return intent.status
            intent.protection_attempts += 1
            intent.status, intent.protection_mode = states.PROTECTING, mode
            intent.protection_sent_at, intent.protection_quantity = rt.now(), quantity
            intent.sl_placed_price, intent.tp_placed_price = prices.stop, prices.take_profit
            sl_oid = states.derived_client_oid(intent.client_oid, "sl", intent.protection_attempts)
            tp_oid = states.derived_client_oid(intent.client_oid, "tp", intent.protection_attempts)
        return await self._send(
            intent_id, mode, symbol, quantity, prices.stop, prices.take_profit, sl_oid, tp_oid
        )

    async def _send(
        self,
        intent_id: int,
        mode: str,
        symbol: str,
        quantity: Decimal,
        stop: Decimal,
        take_profit: Decimal | None,
        sl_oid: str,
        tp_oid: str,
    ) -> str:
        broker = self.rt.broker
        try:
            if mode == states.STOP_ONLY or take_profit is None:
                await broker.place_stop(
                    StopOrder(sl_oid, symbol, CLOSING_SIDE, OrderKind.STOP_LOSS, quantity, stop)
                )
            else:
                limit = stop if mode == states.OCO_STOP_LIMIT else None
                await broker.place_oco(
                    ProtectionOco(
                        symbol, CLOSING_SIDE, quantity, take_profit, stop, tp_oid, sl_oid, limit
                    )
                )
        except BrokerAuthError:
            raise  # stays PROTECTING: looked up once the keys work again
        except BrokerError as exc:
            if exc.retry is RetryClass.NO:
                return self._step_failed(intent_id, mode, f"{mode} refused: {exc.code} {exc}")
            log.warning("[ORDERS] intent %s %s outcome unknown: %s", intent_id, mode, exc)
        except Exception as exc:
            log.warning(
                "[ORDERS] intent %s %s outcome unknown: %s", intent_id, mode, short_error(exc)
            )
        return await self._confirm(intent_id)

    async def _confirm(self, intent_id: int) -> str:
        rt = self.rt
        with rt.sessions() as session:
            intent = session.get_one(OrderIntent, intent_id)
            attempt, mode, sent_at = (
                intent.protection_attempts,
                intent.protection_mode,
                intent.protection_sent_at,
            )
            sl_oid = states.derived_client_oid(intent.client_oid, "sl", attempt)
            tp_oid = states.derived_client_oid(intent.client_oid, "tp", attempt)
        # The legs are list legs or trigger orders: asked in the advanced namespace directly.
        stop = await rt.lookup(sl_oid, advanced=True)
        take_profit = None
        if mode != states.STOP_ONLY and stop is not None:
            take_profit = await rt.broker.order_by_client_oid(tp_oid, advanced=True)
        if stop is None:
            waited = rt.now() - (sent_at or rt.now())
            if waited > timedelta(seconds=rt.settings.orders_lookup_grace_seconds):
                return self._step_failed(intent_id, mode or "", f"stop {sl_oid} never seen")
            return states.PROTECTING
        if _working_or_filled(stop) or (
            take_profit is not None and take_profit.cumulative_quantity > 0
        ):
            return self._protected(intent_id, stop, take_profit)
        return self._step_failed(
            intent_id, mode or "", f"stop {stop.status}: {stop.reject_reason or '-'}"
        )

    def _protected(self, intent_id: int, stop: OrderState, take_profit: OrderState | None) -> str:
        rt = self.rt
        with rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status != states.PROTECTING:
                return intent.status
            parent = intent.exchange_order_id
            record_order(
                session, stop, intent_id=intent.id, role=states.STOP_LOSS, parent_order_id=parent
            )
            if take_profit is not None:
                record_order(
                    session,
                    take_profit,
                    intent_id=intent.id,
                    role=states.TAKE_PROFIT,
                    parent_order_id=parent,
                )
            intent.status, intent.protected_at, intent.block_reason = (
                states.PROTECTED,
                rt.now(),
                None,
            )
            mark_position(session, intent.symbol, ProtectionStatus.COVERED, rt.now())
            _notify_placed(session, rt, intent)
            log.info(
                "[ORDERS] intent %s %s protected (%s) qty=%s SL=%s TP=%s",
                intent.id,
                intent.symbol,
                intent.protection_mode,
                intent.protection_quantity,
                intent.sl_placed_price,
                intent.tp_placed_price,
            )
            return intent.status

    def _step_failed(self, intent_id: int, mode: str, reason: str) -> str:
        """This protection step did not work: back to FILLED, the ladder moves on."""
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status not in (states.PROTECTING, states.FILLED):
                return intent.status
            intent.status, intent.protection_mode = states.FILLED, mode or intent.protection_mode
            intent.error_message = clip(reason)
        log.error("[ORDERS] intent %s protection step failed: %s", intent_id, reason)
        return states.FILLED

    def _close(self, intent_id: int, reason: str) -> str:
        # Nothing (or only dust below one quantity tick) is left: there is no position to protect.
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            intent.status, intent.block_reason = states.CLOSED, clip(reason)
        log.warning("[ORDERS] intent %s closed: %s", intent_id, reason)
        return states.CLOSED


def _notify_placed(session: Session, rt: OrderRuntime, intent: OrderIntent) -> None:
    """The "protection placed" message, once per entry (keyed by the entry's order id)."""
    notify_protection_placed(
        session,
        rt.settings,
        ProtectionContent(
            symbol=intent.symbol,
            side=intent.side,
            quantity=intent.protection_quantity or intent.filled_quantity or Decimal(0),
            entry_order_id=intent.exchange_order_id or intent.client_oid,
            at=rt.now(),
            stop_loss=intent.sl_placed_price,
            take_profit=intent.tp_placed_price,
        ),
        correlation_id=intent.correlation_id,
    )


def _working_or_filled(state: OrderState) -> bool:
    return not state.status.is_terminal or state.cumulative_quantity > 0
