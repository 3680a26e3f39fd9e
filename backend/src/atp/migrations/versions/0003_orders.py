"""orders: order flow state, positions and the fill ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 00:00:00.000000

Each area appends its own block to upgrade() and the matching block (in reverse) to downgrade().
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NUM = sa.Numeric(precision=38, scale=18)


def upgrade() -> None:
    # --- order flow (atp.orders.flow / sync / guardian) -----------------------------------
    with op.batch_alter_table("order_intents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("filled_quantity", _NUM, nullable=True))
        batch_op.add_column(sa.Column("avg_fill_price", _NUM, nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("protection_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("protection_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("protection_mode", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("protected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("protection_quantity", _NUM, nullable=True))
        batch_op.add_column(sa.Column("sl_placed_price", _NUM, nullable=True))
        batch_op.add_column(sa.Column("tp_placed_price", _NUM, nullable=True))
        batch_op.add_column(
            sa.Column("flatten_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("flatten_sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("exchange_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reject_reason", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_exchange_orders_intent_id"), ["intent_id"])

    # --- positions and the fill ledger (atp.orders.positions) ------------------------------
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("quantity", _NUM, nullable=False),
        sa.Column("avg_entry_price", _NUM, nullable=False),
        sa.Column("fees_paid", _NUM, nullable=False),
        sa.Column("realised_pnl", _NUM, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fill_trade_id", sa.String(length=64), nullable=True),
        sa.Column("protection_status", sa.String(length=16), nullable=False),
        sa.Column("protection_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "protection_status IN ('covered', 'naked', 'flattening', 'closed')",
            name=op.f("ck_positions_protection_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("symbol", name=op.f("uq_positions_symbol")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_positions_protection_status"), ["protection_status"], unique=False
        )
    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("client_oid", sa.String(length=64), nullable=True),
        sa.Column("intent_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("quantity", _NUM, nullable=False),
        sa.Column("price", _NUM, nullable=False),
        sa.Column("fee", _NUM, nullable=False),
        sa.Column("fee_currency", sa.String(length=16), nullable=False),
        sa.Column("fee_quote", _NUM, nullable=True),
        sa.Column("realised_pnl", _NUM, nullable=False),
        sa.Column("position_quantity_after", _NUM, nullable=False),
        sa.Column("closed_position", sa.Boolean(), nullable=False),
        sa.Column("traded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["order_intents.id"],
            name=op.f("fk_fills_intent_id_order_intents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("trade_id", name=op.f("uq_fills_trade_id")),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fills_client_oid"), ["client_oid"], unique=False)
        batch_op.create_index(batch_op.f("ix_fills_intent_id"), ["intent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fills_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fills_symbol_traded_at"), ["symbol", "traded_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fills_traded_at"), ["traded_at"], unique=False)

    # --- paper broker account (atp.adapters.paper) -----------------------------------------
    op.create_table(
        "paper_balances",
        sa.Column("currency", sa.String(length=16), nullable=False),
        sa.Column("total", _NUM, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("currency", name=op.f("pk_paper_balances")),
    )
    op.create_table(
        "paper_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_oid", sa.String(length=36), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("quantity", _NUM, nullable=False),
        sa.Column("notional", _NUM, nullable=True),
        sa.Column("cumulative_quantity", _NUM, nullable=False),
        sa.Column("avg_price", _NUM, nullable=True),
        sa.Column("cumulative_fee", _NUM, nullable=False),
        sa.Column("fee_currency", sa.String(length=16), nullable=True),
        sa.Column("limit_price", _NUM, nullable=True),
        sa.Column("trigger_price", _NUM, nullable=True),
        sa.Column("list_id", sa.String(length=64), nullable=True),
        sa.Column("reserve_currency", sa.String(length=16), nullable=False),
        sa.Column("reserve_amount", _NUM, nullable=False),
        sa.Column("triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_orders")),
        sa.UniqueConstraint("client_oid", name=op.f("uq_paper_orders_client_oid")),
    )
    with op.batch_alter_table("paper_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_orders_list_id"), ["list_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_paper_orders_status_symbol"), ["status", "symbol"], unique=False
        )
    op.create_table(
        "paper_fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_pk", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("quantity", _NUM, nullable=False),
        sa.Column("price", _NUM, nullable=False),
        sa.Column("fee", _NUM, nullable=False),
        sa.Column("fee_currency", sa.String(length=16), nullable=False),
        sa.Column("traded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_pk"],
            ["paper_orders.id"],
            name=op.f("fk_paper_fills_order_pk_paper_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_fills")),
    )
    with op.batch_alter_table("paper_fills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_fills_order_pk"), ["order_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_fills_traded_at"), ["traded_at"], unique=False)


def downgrade() -> None:
    # --- paper broker account (atp.adapters.paper) -----------------------------------------
    with op.batch_alter_table("paper_fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_fills_traded_at"))
        batch_op.drop_index(batch_op.f("ix_paper_fills_order_pk"))
    op.drop_table("paper_fills")
    with op.batch_alter_table("paper_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_orders_status_symbol"))
        batch_op.drop_index(batch_op.f("ix_paper_orders_list_id"))
    op.drop_table("paper_orders")
    op.drop_table("paper_balances")

    # --- positions and the fill ledger (atp.orders.positions) ------------------------------
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fills_traded_at"))
        batch_op.drop_index(batch_op.f("ix_fills_symbol_traded_at"))
        batch_op.drop_index(batch_op.f("ix_fills_order_id"))
        batch_op.drop_index(batch_op.f("ix_fills_intent_id"))
        batch_op.drop_index(batch_op.f("ix_fills_client_oid"))
    op.drop_table("fills")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_protection_status"))
    op.drop_table("positions")

    # --- order flow (atp.orders.flow / sync / guardian) -----------------------------------
    with op.batch_alter_table("exchange_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_orders_intent_id"))
        batch_op.drop_column("reject_reason")
    with op.batch_alter_table("order_intents", schema=None) as batch_op:
        for column in (
            "flatten_sent_at",
            "flatten_attempts",
            "tp_placed_price",
            "sl_placed_price",
            "protection_quantity",
            "protected_at",
            "protection_mode",
            "protection_sent_at",
            "protection_attempts",
            "submitted_at",
            "filled_at",
            "avg_fill_price",
            "filled_quantity",
        ):
            batch_op.drop_column(column)
