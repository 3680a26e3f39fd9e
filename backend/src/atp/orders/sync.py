"""Reconcile with the exchange: our working orders, OCO siblings, fills, closed positions.

Every pass (docs/orders.md, "Sync"):
1. open orders = the broker's union of plain and advanced open orders (spec §13.4); each of our
   mirror rows still OPEN is refreshed from it, or, when it left the open list, from
   `order_by_client_oid` (its final state);
2. when an OCO leg filled (even partly), its sibling row is marked CANCELED: the exchange cancels
   it itself, and we never send a cancel for an old sibling (spec §13.5);
3. fills since the newest recorded one (minus an overlap) go to the fill ledger
   (atp.orders.positions.record_fills, deduplicated by trade_id); a fill of an entry whose intent
   had been given up (FAILED: never seen by client_oid) revives it, so it gets protected;
4. a PROTECTED intent whose stop-loss or take-profit filled is CLOSED.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atp.orders import states
from atp.orders.models import ExchangeOrder, FillRecord, OrderIntent
from atp.orders.plan import remaining_quantity
from atp.orders.ports import Fill, OrderState, OrderStatus
from atp.orders.positions import record_fills
from atp.orders.records import apply_state, clip, critical_alert
from atp.orders.runtime import OrderRuntime

log = logging.getLogger(__name__)
FILL_OVERLAP = timedelta(minutes=10)
FIRST_FILL_WINDOW = timedelta(hours=24)
SIBLING_CANCELLED = "OCO_SIBLING_FILLED: cancelled by the exchange"


@dataclass
class SyncReport:
    refreshed: int = 0
    siblings_cancelled: int = 0
    new_fills: int = 0
    revived: int = 0
    closed: int = 0
    open_orders: list[OrderState] = field(default_factory=list)


class OrderSync:
    def __init__(self, rt: OrderRuntime) -> None:
        self.rt = rt

    async def run_once(self) -> SyncReport:
        report = SyncReport(open_orders=await self.rt.broker.open_orders())
        await self._refresh_orders(report)
        await self._sync_fills(report)
        self._close_finished(report)
        return report

    async def _refresh_orders(self, report: SyncReport) -> None:
        with self.rt.sessions() as session:
            rows = session.execute(
                select(
                    ExchangeOrder.id, ExchangeOrder.exchange_order_id, ExchangeOrder.client_oid
                ).where(ExchangeOrder.status == states.OPEN)
            ).all()
        open_by_id = {state.order_id: state for state in report.open_orders}
        updates: list[tuple[int, OrderState]] = []
        for row_id, order_id, client_oid in rows:
            state = open_by_id.get(order_id)
            if state is None and client_oid:
                state = await self.rt.broker.order_by_client_oid(client_oid)
            if state is not None:
                updates.append((row_id, state))
        if not updates:
            return
        with self.rt.tx() as session:
            for row_id, state in updates:
                row = session.get_one(ExchangeOrder, row_id)
                if row.status != states.OPEN:
                    continue
                apply_state(row, state)
                report.refreshed += 1
                if row.list_id and state.cumulative_quantity > 0:
                    report.siblings_cancelled += _mark_siblings(session, row)

    async def _sync_fills(self, report: SyncReport) -> None:
        with self.rt.sessions() as session:
            newest = session.scalar(select(func.max(FillRecord.traded_at)))
        since = self.rt.now() - FIRST_FILL_WINDOW if newest is None else newest - FILL_OVERLAP
        fills = await self.rt.broker.fills(since)
        if not fills:
            return
        with self.rt.tx() as session:
            intent_ids = _intent_ids(session, fills)
            applied = record_fills(session, fills, intent_ids)
            report.new_fills += len(applied)
            report.revived += _revive_late_entries(session, self.rt, [f for f, _ in applied])

    def _close_finished(self, report: SyncReport) -> None:
        with self.rt.tx() as session:
            intents = session.scalars(
                select(OrderIntent).where(OrderIntent.status == states.PROTECTED)
            ).all()
            for intent in intents:
                filled_leg = session.scalar(
                    select(ExchangeOrder.order_role).where(
                        ExchangeOrder.intent_id == intent.id,
                        ExchangeOrder.order_role.in_(states.PROTECTION_ROLES),
                        ExchangeOrder.status == OrderStatus.FILLED,
                    )
                )
                if filled_leg is None and remaining_quantity(session, intent) > 0:
                    continue
                intent.status = states.CLOSED
                intent.block_reason = f"{filled_leg or 'PROTECTION'}_FILLED"
                report.closed += 1
                log.info(
                    "[ORDERS] intent %s %s closed by its %s", intent.id, intent.symbol, filled_leg
                )


def _mark_siblings(session: Session, row: ExchangeOrder) -> int:
    siblings = session.scalars(
        select(ExchangeOrder).where(
            ExchangeOrder.list_id == row.list_id,
            ExchangeOrder.id != row.id,
            ExchangeOrder.status.in_((states.OPEN, OrderStatus.CANCELED)),
            ExchangeOrder.reject_reason.is_(None),
        )
    ).all()
    for sibling in siblings:
        sibling.status = str(OrderStatus.CANCELED)
        sibling.reject_reason = SIBLING_CANCELLED
    return len(siblings)


def _intent_ids(session: Session, fills: list[Fill]) -> dict[str, int]:
    """Intent id by exchange order id, from our mirror rows and the intents' entry client_oids."""
    order_ids = {f.order_id for f in fills}
    rows = session.execute(
        select(ExchangeOrder.exchange_order_id, ExchangeOrder.intent_id).where(
            ExchangeOrder.exchange_order_id.in_(order_ids), ExchangeOrder.intent_id.is_not(None)
        )
    ).all()
    found: dict[str, int] = {order_id: intent_id for order_id, intent_id in rows if intent_id}
    oids = {f.client_oid for f in fills if f.client_oid and f.order_id not in found}
    if oids:
        pairs = session.execute(
            select(OrderIntent.client_oid, OrderIntent.id).where(OrderIntent.client_oid.in_(oids))
        ).all()
        by_oid: dict[str | None, int] = {row[0]: row[1] for row in pairs}
        for f in fills:
            if f.client_oid in by_oid:
                found.setdefault(f.order_id, by_oid[f.client_oid])
    return found


def _revive_late_entries(session: Session, rt: OrderRuntime, fills: list[Fill]) -> int:
    oids = {f.client_oid for f in fills if f.client_oid}
    if not oids:
        return 0
    given_up = session.scalars(
        select(OrderIntent).where(
            OrderIntent.client_oid.in_(oids), OrderIntent.status == states.FAILED
        )
    ).all()
    for intent in given_up:
        intent.status, intent.submitted_at = states.SUBMITTED, rt.now()  # a new grace period
        intent.block_reason = clip(f"LATE_FILL: revived from {intent.block_reason}")
        critical_alert(
            session,
            rt.settings,
            intent,
            "LATE_ENTRY_FILL",
            "an entry given up as never seen has filled; protecting it now",
        )
    return len(given_up)
