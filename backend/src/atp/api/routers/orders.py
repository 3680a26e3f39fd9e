"""Routes: orders (open, history, protection), positions and balances. Read-only.

Thin: parse, one unit of work, call the read services the CLI uses (`atp.orders.views` through
`atp.ops.order_pages`). Every list is cursor-paged newest first (`atp.api.pagination`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from atp.api.deps import get_context, get_session
from atp.api.pagination import Cursor, Limit, decode_cursor, encode_cursor
from atp.api.schemas_orders import (
    BalancesOut,
    IntentOut,
    OpenOrdersPage,
    OrderOut,
    OrderPage,
    PositionOut,
    PositionPage,
    ProtectionOut,
    ProtectionPage,
)
from atp.db.base import utcnow
from atp.ops import order_pages
from atp.orders.views import order_history_view
from atp.runtime.context import AppContext

router = APIRouter(prefix="/api", tags=["orders"])
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ContextDep = Annotated[AppContext, Depends(get_context)]


def _cursor(before_id: int | None) -> str | None:
    return None if before_id is None else encode_cursor(before_id)


@router.get("/orders/open", response_model=OpenOrdersPage)
def open_orders(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> OpenOrdersPage:
    """Exchange orders still OPEN (entries and protection legs), newest first, and every
    order intent in flight or holding a position."""
    page = order_pages.open_orders_page(session, limit, decode_cursor(cursor))
    return OpenOrdersPage(
        items=[OrderOut.model_validate(o) for o in page.orders.items],
        next_cursor=_cursor(page.orders.next_before_id),
        intents=[IntentOut.model_validate(i) for i in page.intents],
    )


@router.get("/orders/history", response_model=OrderPage)
def order_history(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> OrderPage:
    """Exchange orders of every status, newest first. Stable while new orders arrive."""
    page = order_history_view(session, limit=limit, before_id=decode_cursor(cursor))
    return OrderPage(
        items=[OrderOut.model_validate(o) for o in page.orders],
        next_cursor=_cursor(page.next_before_id),
    )


@router.get("/orders/protection", response_model=ProtectionPage)
def protection(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> ProtectionPage:
    """Per open position: covered / naked / flattening, with its working stop and take-profit."""
    page = order_pages.protection_page(session, utcnow(), limit, decode_cursor(cursor))
    return ProtectionPage(
        items=[ProtectionOut.model_validate(r) for r in page.items],
        next_cursor=_cursor(page.next_before_id),
    )


@router.get("/positions", response_model=PositionPage)
def positions(session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> PositionPage:
    """Open positions valued at their mark (unrealised and realised P&L) with their protection."""
    page = order_pages.positions_page(session, utcnow(), limit, decode_cursor(cursor))
    return PositionPage(
        items=[PositionOut.model_validate({"id": r.id, **vars(r.position)}) for r in page.items],
        next_cursor=_cursor(page.next_before_id),
    )


@router.get("/balances", response_model=BalancesOut)
def balances(session: SessionDep, context: ContextDep) -> BalancesOut:
    """Paper mode: the paper account (total, reserved by open orders, free). Live mode: not
    stored, so `available=false` with the reason (no exchange call from a read route)."""
    return BalancesOut.model_validate(order_pages.balances_snapshot(session, context.settings))
