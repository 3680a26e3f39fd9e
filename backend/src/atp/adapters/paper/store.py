"""Load a `PaperBook` from the database under a lock, write it back, and answer lookups.

Every paper write happens inside one short transaction that first takes the account lock, so
two processes (trader and sync) never fill the same order twice or spend the same balance.
PostgreSQL: a transaction-scoped advisory lock taken before anything is read (row locks would
not cover balance rows another writer is inserting). SQLite: the opening upsert takes the
database write lock at once (pysqlite would otherwise start the transaction only at the first
write, after the reads). Ids are allocated from `max(id) + 1` under that lock, so they are
deterministic (`paper-1`, `paper-2`, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from atp.adapters.paper.book import PaperBook
from atp.adapters.paper.config import PaperConfig
from atp.adapters.paper.models import PaperBalanceRow, PaperFillRow, PaperOrderRow
from atp.db.upsert import upsert_rows
from atp.orders.ports import Balance, Fill, OrderKind, OrderState, OrderStatus

ORDER_ID_PREFIX = "paper-"
# Distinct from the session-level leader locks (MONITOR/SENDER/MARKET/ORDERS_LOCK_ID, 7305001+).
ACCOUNT_LOCK_KEY = 7_305_100


def open_book(session: Session, config: PaperConfig, now: datetime) -> PaperBook:
    """Lock the paper account for this transaction and load balances and open orders."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ACCOUNT_LOCK_KEY})
    seed = [
        {"currency": c, "total": config.start_balance, "updated_at": now}
        for c in config.quote_currencies
    ]
    upsert_rows(
        session,
        PaperBalanceRow.__table__,  # type: ignore[arg-type]
        seed,
        conflict_columns=["currency"],
        update_columns=[],
    )
    rows = session.scalars(select(PaperBalanceRow).order_by(PaperBalanceRow.currency)).all()
    open_orders = session.scalars(
        select(PaperOrderRow).where(PaperOrderRow.status == OrderStatus.OPEN.value)
    ).all()
    max_order = session.scalar(select(func.max(PaperOrderRow.id))) or 0
    max_fill = session.scalar(select(func.max(PaperFillRow.id))) or 0
    return PaperBook(
        config=config,
        balances={row.currency: row.total for row in rows},
        open_orders=list(open_orders),
        next_order_id=max_order + 1,
        next_fill_id=max_fill + 1,
    )


def save_book(session: Session, book: PaperBook, now: datetime) -> None:
    """Insert the new orders and fills and write the changed balances (loaded rows are tracked)."""
    session.add_all(book.new_orders)
    session.flush()
    session.add_all(book.new_fills)
    for currency in sorted(book.changed_currencies):
        row = session.get(PaperBalanceRow, currency)
        if row is None:
            session.add(
                PaperBalanceRow(currency=currency, total=book.balances[currency], updated_at=now)
            )
        else:
            row.total = book.balances[currency]
            row.updated_at = now
    session.flush()


def used_client_oids(session: Session, client_oids: Sequence[str]) -> list[str]:
    return list(
        session.scalars(
            select(PaperOrderRow.client_oid).where(PaperOrderRow.client_oid.in_(client_oids))
        )
    )


def order_by_client_oid(session: Session, client_oid: str) -> PaperOrderRow | None:
    return session.scalars(
        select(PaperOrderRow).where(PaperOrderRow.client_oid == client_oid)
    ).one_or_none()


def order_by_id(session: Session, order_id: str) -> PaperOrderRow | None:
    number = order_id.removeprefix(ORDER_ID_PREFIX)
    if not order_id.startswith(ORDER_ID_PREFIX) or not number.isdigit():
        return None
    return session.get(PaperOrderRow, int(number))


def orders_in_list(session: Session, list_id: str) -> list[PaperOrderRow]:
    return list(
        session.scalars(
            select(PaperOrderRow).where(PaperOrderRow.list_id == list_id).order_by(PaperOrderRow.id)
        )
    )


def open_orders(session: Session, symbol: str | None) -> list[PaperOrderRow]:
    query = select(PaperOrderRow).where(PaperOrderRow.status == OrderStatus.OPEN.value)
    if symbol is not None:
        query = query.where(PaperOrderRow.symbol == symbol)
    return list(session.scalars(query.order_by(PaperOrderRow.id)))


def fills_since(session: Session, since: datetime, symbol: str | None) -> list[PaperFillRow]:
    query = select(PaperFillRow).where(PaperFillRow.traded_at >= since)
    if symbol is not None:
        query = query.where(PaperFillRow.symbol == symbol)
    return list(session.scalars(query.order_by(PaperFillRow.traded_at, PaperFillRow.id)))


def balances(book: PaperBook) -> list[Balance]:
    currencies = sorted(set(book.balances) | {o.reserve_currency for o in book.open_orders})
    return [
        Balance(currency=c, total=book.balances.get(c, Decimal(0)), reserved=book.reserved(c))
        for c in currencies
    ]


def to_order_state(row: PaperOrderRow) -> OrderState:
    return OrderState(
        order_id=row.order_id,
        client_oid=row.client_oid,
        symbol=row.symbol,
        side=row.side,
        kind=OrderKind(row.kind),
        status=OrderStatus(row.status),
        quantity=row.quantity,
        cumulative_quantity=row.cumulative_quantity,
        avg_price=row.avg_price,
        cumulative_fee=row.cumulative_fee,
        fee_currency=row.fee_currency,
        limit_price=row.limit_price,
        trigger_price=row.trigger_price,
        list_id=row.list_id,
        reject_reason=row.reject_reason,
        # A fired trigger's resulting order is the paper order itself (its fills are booked on
        # it): its own id, so a triggered STOP_LIMIT resting unfilled is told apart (spec §9.6).
        child_order_id=row.order_id if row.triggered_at is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def to_fill(row: PaperFillRow) -> Fill:
    return Fill(
        trade_id=f"paper-fill-{row.id}",
        order_id=row.order.order_id,
        client_oid=row.order.client_oid,
        symbol=row.symbol,
        side=row.side,
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        fee_currency=row.fee_currency,
        traded_at=row.traded_at,
    )
