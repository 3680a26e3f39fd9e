"""The protection guardian: every filled entry has an active stop-loss, or it is repaired.

Each pass, after the sync refreshed our mirror rows:
- a PROTECTED intent without an OPEN stop-loss row (cancelled by hand, expired, rejected later,
  a partial take-profit that left the rest uncovered) goes back to FILLED with its ladder reset:
  the flow re-places protection for what is left, and a critical alert goes to the ops chat;
- UNPROTECTED intents (flattening off or failed) are counted and logged every pass;
- gapped stops (atp.orders.gapped_stops): a PROTECTED intent whose STOP_LIMIT fired and whose
  resulting LIMIT order rests unfilled beyond the price for ORDERS_GAPPED_STOP_SECONDS is
  naked: that order (and a live take-profit) is cancelled and the position closed at market
  (atp.orders.flatten), with a critical STOP_GAPPED alert;
- orphans: open protective orders (trigger orders or list legs) whose position is gone - their
  intent has ended, or nothing of ours knows them. They are reported (log + heartbeat). One of
  ours (client_oid "atp-...") is cancelled only when ORDERS_CANCEL_ORPHANS is on AND the same
  order was an orphan on the previous pass too; foreign orders are never cancelled. Symbols
  with an intent still being protected are skipped (a late read-back is not an orphan).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from atp.orders import states
from atp.orders.flatten import Flattener
from atp.orders.gapped_stops import GappedStop, GappedStopWatch
from atp.orders.models import ExchangeOrder, OrderIntent
from atp.orders.plan import remaining_quantity
from atp.orders.ports import BrokerAuthError, BrokerError, OrderState
from atp.orders.positions import ProtectionStatus, open_positions
from atp.orders.records import critical_alert, mark_position
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)
IN_FLIGHT = (
    states.FILLED,
    states.PROTECTING,
    states.FLATTENING,
    states.SUBMITTING,
    states.SUBMITTED,
)
HOLDS_PROTECTION = (states.PROTECTED, *IN_FLIGHT)
# Intents whose entry filled and whose quantity is still held.
NOT_COVERED = {states.FILLED, states.PROTECTING, states.UNPROTECTED}
HOLDS_POSITION = (states.PROTECTED, *NOT_COVERED)


@dataclass
class GuardianReport:
    repaired: int = 0
    unprotected: int = 0
    gapped: list[int] = field(default_factory=list)  # intents flattened after a gapped stop
    orphans: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


class Guardian:
    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt
        self._orphans_last_pass: set[str] = set()
        self.gaps = GappedStopWatch(rt)
        self.flattener = Flattener(rt)

    async def run_once(self, open_orders: list[OrderState]) -> GuardianReport:
        report = GuardianReport()
        with self.rt.tx() as session:
            report.repaired = self._repair_missing_stops(session)
            self._align_position_status(session)
            report.unprotected = self._count_unprotected(session)
            orphans = self._orphans(session, open_orders)
            gapped = self.gaps.due(session, open_orders)
        for gap in gapped:
            await self._flatten_gapped(gap)
            report.gapped.append(gap.intent_id)
        report.orphans = [o.order_id for o in orphans]
        lists_cancelled: set[str] = set()  # both legs of an OCO are orphans: one cancel-oco
        for order in orphans:
            log.warning(
                "[GUARDIAN] orphan protection order %s %s %s client_oid=%s (its position is gone)",
                order.order_id,
                order.symbol,
                order.kind,
                order.client_oid,
            )
            if self._may_cancel(order):
                if order.list_id not in lists_cancelled:
                    await self._cancel(order)
                if order.list_id:
                    lists_cancelled.add(order.list_id)
                report.cancelled.append(order.order_id)
        self._orphans_last_pass = set(report.orphans)
        return report

    async def _flatten_gapped(self, gap: GappedStop) -> None:
        detail = gap.describe(self.rt.now())
        log.error(
            "[GUARDIAN] intent %s %s %s: closing at market", gap.intent_id, gap.symbol, detail
        )
        try:
            await self.flattener.start_gapped(gap.intent_id, detail)
        except BrokerAuthError:
            raise
        except BrokerError as exc:  # FLATTENING is committed: the flow goes on next tick
            log.warning("[GUARDIAN] intent %s flatten after gapped stop: %s", gap.intent_id, exc)

    def _repair_missing_stops(self, session: Session) -> int:
        repaired = 0
        for intent in session.scalars(
            select(OrderIntent).where(OrderIntent.status == states.PROTECTED)
        ):
            stop_open = session.scalar(
                select(ExchangeOrder.id).where(
                    ExchangeOrder.intent_id == intent.id,
                    ExchangeOrder.order_role == states.STOP_LOSS,
                    ExchangeOrder.status == states.OPEN,
                )
            )
            if stop_open is not None or remaining_quantity(session, intent) <= 0:
                continue
            intent.status, intent.protection_mode = states.FILLED, None
            critical_alert(
                session,
                self.rt.settings,
                intent,
                "PROTECTION_MISSING",
                "the stop-loss is no longer active on the exchange; re-placing protection",
            )
            mark_position(session, intent.symbol, ProtectionStatus.NAKED, self.rt.now())
            repaired += 1
        return repaired

    def _align_position_status(self, session: Session) -> None:
        """Each open position's protection status from its intents' states.

        The flow marks a position covered when the stop is confirmed, but the entry's fills
        (which create the position row, naked) are recorded by the sync a moment later, so
        the status is brought in line here on every pass. Positions without a holding intent
        (bought by hand) and flattening ones are left alone.
        """
        for position in open_positions(session):
            held = set(
                session.scalars(
                    select(OrderIntent.status).where(
                        OrderIntent.symbol == position.symbol,
                        OrderIntent.status.in_(HOLDS_POSITION),
                    )
                )
            )
            if not held or position.protection_status == ProtectionStatus.FLATTENING:
                continue
            wanted = ProtectionStatus.COVERED if held == {states.PROTECTED} else None
            if held & NOT_COVERED:
                wanted = ProtectionStatus.NAKED
            if wanted is not None and position.protection_status != wanted:
                mark_position(session, position.symbol, wanted, self.rt.now())

    def _count_unprotected(self, session: Session) -> int:
        naked = session.scalars(
            select(OrderIntent).where(OrderIntent.status == states.UNPROTECTED)
        ).all()
        for intent in naked:
            log.error(
                "[GUARDIAN] intent %s %s has NO stop-loss (%s); see docs/runbook.md, Naked position",
                intent.id,
                intent.symbol,
                intent.block_reason,
            )
        return len(naked)

    def _orphans(self, session: Session, open_orders: list[OrderState]) -> list[OrderState]:
        protective = [o for o in open_orders if o.advanced]
        if not protective:
            return []
        busy = set(
            session.scalars(select(OrderIntent.symbol).where(OrderIntent.status.in_(IN_FLIGHT)))
        )
        known = {
            row.exchange_order_id: status
            for row, status in session.execute(
                select(ExchangeOrder, OrderIntent.status)
                .join(OrderIntent, OrderIntent.id == ExchangeOrder.intent_id, isouter=True)
                .where(ExchangeOrder.exchange_order_id.in_([o.order_id for o in protective]))
            )
        }
        orphans = []
        for order in protective:
            if order.symbol in busy:
                continue
            intent_status = known.get(order.order_id, "")
            if intent_status in HOLDS_PROTECTION:
                continue
            orphans.append(order)
        return orphans

    def _may_cancel(self, order: OrderState) -> bool:
        ours = (order.client_oid or "").startswith("atp-")
        return (
            self.rt.settings.orders_cancel_orphans
            and ours
            and order.order_id in self._orphans_last_pass
        )

    async def _cancel(self, order: OrderState) -> None:
        log.warning("[GUARDIAN] cancelling orphan %s (seen on two passes)", order.order_id)
        try:
            if order.list_id:
                await self.rt.broker.cancel_list(order.list_id)
            else:
                await self.rt.broker.cancel(order)
        except BrokerAuthError:
            raise
        except BrokerError as exc:  # gone meanwhile (212) or transient: looked at next pass
            log.warning("[GUARDIAN] orphan %s not cancelled: %s", order.order_id, exc)
