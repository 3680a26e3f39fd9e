"""Closing an unprotectable position at market, with a critical alert to the ops chat.

FLATTENING is committed (with the flatten attempt number, from which the SELL's client_oid
derives, and the critical alert in the same transaction) before the request is sent; a restart
looks that order up by client_oid before any new attempt. Two ways in: protection failed for
good (`start`, from FILLED / PROTECTING), or the guardian saw a PROTECTED intent's stop gap
(`start_gapped`). Before the SELL, whatever of the intent's protection is still open (a leg, a
fired stop's resting order) is cancelled and must be gone (atp.orders.release). Up to
FLATTEN_ATTEMPTS requests; then the intent is UNPROTECTED and the operator takes over
(docs/runbook.md, "Naked position"). With ORDERS_FLATTEN_UNPROTECTED off the intent goes
straight to UNPROTECTED, alert included.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from atp.core.errors import short_error
from atp.core.formatting import protection_quantity
from atp.core.retry import RetryClass
from atp.orders import states
from atp.orders.models import OrderIntent
from atp.orders.plan import CLOSING_SIDE, remaining_quantity
from atp.orders.ports import Broker, BrokerAuthError, BrokerError, InstrumentRules, MarketEntry
from atp.orders.positions import ProtectionStatus
from atp.orders.records import clip, critical_alert, mark_position, record_order
from atp.orders.release import release_protection
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)
FLATTEN_ATTEMPTS = 3


@dataclass(frozen=True)
class Holding:
    rules: InstrumentRules
    free: Decimal
    total: Decimal

    def sellable(self, wanted: Decimal) -> Decimal:
        """min(wanted, free) floored to the quantity tick; 0 below one tick (nothing to sell,
        e.g. while an old order still reserves the balance) - never an exception that would
        fail the whole pass."""
        if min(wanted, self.free) < self.rules.qty_tick:
            return Decimal(0)
        return protection_quantity(wanted, self.free, self.rules.qty_tick)


async def read_holding(broker: Broker, symbol: str) -> Holding:
    """The instrument's rules and the wallet's base-currency balance."""
    rules = await broker.instrument(symbol)
    balance = next((b for b in await broker.balances() if b.currency == rules.base), None)
    if balance is None:
        return Holding(rules, Decimal(0), Decimal(0))
    return Holding(rules, balance.free, balance.total)


class Flattener:
    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt

    async def start(self, intent_id: int, reason: str) -> str:
        """Protection failed for good: alert, then close at market (or stop at UNPROTECTED)."""
        return await self._begin(
            intent_id,
            (states.FILLED, states.PROTECTING),
            "PROTECTION_FAILED",
            reason,
            f"no stop-loss could be confirmed ({reason}); closing the position at market",
        )

    async def start_gapped(self, intent_id: int, detail: str) -> str:
        """The guardian saw a PROTECTED intent's stop gap (atp.orders.gapped_stops): the
        resting order and the take-profit are cancelled, then the position is sold at market."""
        return await self._begin(
            intent_id,
            (states.PROTECTED,),
            "STOP_GAPPED",
            detail,
            f"{detail}; the position is NOT protected: cancelling the stop's order and "
            "closing the position at market",
        )

    async def _begin(
        self, intent_id: int, from_states: tuple[str, ...], code: str, reason: str, text: str
    ) -> str:
        """FLATTENING + the critical alert in one transaction, then the first request."""
        rt = self.rt
        if not rt.settings.orders_flatten_unprotected:
            return self._unprotected(intent_id, f"{reason}; ORDERS_FLATTEN_UNPROTECTED is off")
        with rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status not in from_states:
                return intent.status
            intent.status, intent.block_reason = states.FLATTENING, clip(f"{code}: {reason}")
            critical_alert(session, rt.settings, intent, code, text)
            mark_position(session, intent.symbol, ProtectionStatus.FLATTENING, rt.now())
        return await self._send(intent_id)

    async def _send(self, intent_id: int) -> str:
        rt = self.rt
        if not await release_protection(rt, intent_id):
            return states.FLATTENING  # a leg still holds the coins: the next tick goes on
        with rt.sessions() as session:
            intent = session.get_one(OrderIntent, intent_id)
            symbol, remaining = intent.symbol, remaining_quantity(session, intent)
        holding = await read_holding(rt.broker, symbol)
        quantity = holding.sellable(remaining)
        if quantity <= 0:
            return self._unprotected(
                intent_id, f"nothing free to sell ({holding.rules.base} free={holding.free})"
            )
        with rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            if intent.status != states.FLATTENING:
                return intent.status
            intent.flatten_attempts += 1
            intent.flatten_sent_at = rt.now()
            oid = states.derived_client_oid(intent.client_oid, "flat", intent.flatten_attempts)
        try:
            await rt.broker.place_market_entry(
                MarketEntry(oid, symbol, CLOSING_SIDE, quantity=quantity)
            )
        except BrokerAuthError:
            raise
        except BrokerError as exc:
            if exc.retry is RetryClass.NO:
                return await self._retry(intent_id, f"flatten refused: {exc.code} {exc}")
            log.warning("[ORDERS] intent %s flatten outcome unknown: %s", intent_id, exc)
        except Exception as exc:
            log.warning(
                "[ORDERS] intent %s flatten outcome unknown: %s", intent_id, short_error(exc)
            )
        return await self.confirm(intent_id)

    async def confirm(self, intent_id: int) -> str:
        rt = self.rt
        with rt.sessions() as session:
            intent = session.get_one(OrderIntent, intent_id)
            attempt, sent_at = intent.flatten_attempts, intent.flatten_sent_at
            oid = states.derived_client_oid(intent.client_oid, "flat", max(attempt, 1))
        if attempt == 0:  # crashed between FLATTENING and the first request
            return await self._send(intent_id)
        state = await rt.lookup(oid, until_terminal=True)
        if state is None:
            if rt.now() - (sent_at or rt.now()) > timedelta(
                seconds=rt.settings.orders_lookup_grace_seconds
            ):
                return await self._retry(intent_id, f"flatten order {oid} never seen")
            return states.FLATTENING
        if not state.status.is_terminal:
            return states.FLATTENING
        if state.cumulative_quantity <= 0:
            return await self._retry(
                intent_id, f"flatten {state.status}: {state.reject_reason or '-'}"
            )
        with rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            record_order(
                session,
                state,
                intent_id=intent.id,
                role=states.FLATTEN,
                parent_order_id=intent.exchange_order_id,
            )
            if intent.status == states.FLATTENING:
                intent.status = states.FLATTENED
            log.error(
                "[ORDERS] intent %s %s flattened at %s", intent.id, intent.symbol, state.avg_price
            )
            return intent.status

    async def _retry(self, intent_id: int, reason: str) -> str:
        """This flatten attempt failed: send the next one, or give up after FLATTEN_ATTEMPTS."""
        if self._attempt_failed(intent_id, reason) == states.FLATTENING:
            return await self._send(intent_id)
        return states.UNPROTECTED

    def _attempt_failed(self, intent_id: int, reason: str) -> str:
        with self.rt.sessions() as session:
            attempts = session.get_one(OrderIntent, intent_id).flatten_attempts
        log.error("[ORDERS] intent %s flatten attempt %s failed: %s", intent_id, attempts, reason)
        if attempts >= FLATTEN_ATTEMPTS:
            return self._unprotected(intent_id, f"flattening failed: {reason}")
        with self.rt.tx() as session:
            session.get_one(OrderIntent, intent_id).error_message = clip(reason)
        return states.FLATTENING

    def _unprotected(self, intent_id: int, reason: str) -> str:
        with self.rt.tx() as session:
            intent = session.get_one(OrderIntent, intent_id)
            intent.status, intent.block_reason = states.UNPROTECTED, clip(f"UNPROTECTED: {reason}")
            critical_alert(
                session,
                self.rt.settings,
                intent,
                "POSITION_UNPROTECTED",
                f"position has NO stop-loss and was not closed ({reason}); act now "
                "(docs/runbook.md, Naked position)",
            )
            mark_position(session, intent.symbol, ProtectionStatus.NAKED, self.rt.now())
        return states.UNPROTECTED
