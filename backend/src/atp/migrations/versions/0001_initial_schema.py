"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 00:29:25.099191
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("global_status", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("report_markdown", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_runs")),
    )
    op.create_table(
        "config_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_key", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_changes")),
    )
    with op.batch_alter_table("config_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_config_changes_entity_entity_key_changed_at"),
            ["entity", "entity_key", "changed_at"],
            unique=False,
        )

    op.create_table(
        "global_blockers",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_global_blockers")),
    )
    op.create_table(
        "instruments",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("inst_type", sa.String(length=32), nullable=False),
        sa.Column("base_ccy", sa.String(length=16), nullable=False),
        sa.Column("quote_ccy", sa.String(length=16), nullable=False),
        sa.Column("price_tick_size", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("qty_tick_size", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("quote_decimals", sa.Integer(), nullable=False),
        sa.Column("quantity_decimals", sa.Integer(), nullable=False),
        sa.Column("max_leverage", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("tradable", sa.Boolean(), nullable=False),
        sa.Column("margin_buy_enabled", sa.Boolean(), nullable=False),
        sa.Column("margin_sell_enabled", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_instruments")),
    )
    op.create_table(
        "market_candles",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("open_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("high", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("low", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("close", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("volume", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "open_time", name=op.f("pk_market_candles")),
    )
    op.create_table(
        "market_data_status",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("stale_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_detail", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_market_data_status")),
    )
    with op.batch_alter_table("market_data_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_market_data_status_status"), ["status"], unique=False)

    op.create_table(
        "market_prices",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("last", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("bid", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("ask", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("high_24h", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("low_24h", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("volume_24h", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("volume_value_24h", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("change_24h", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("exchange_ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_market_prices")),
    )
    op.create_table(
        "service_heartbeats",
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cycle", sa.BigInteger(), nullable=False),
        sa.Column("last_cycle_ms", sa.Integer(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("service", "instance_id", name=op.f("pk_service_heartbeats")),
    )
    op.create_table(
        "signal_throttle_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("strategy_key", sa.String(length=128), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("previous_sent_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("config_hash", sa.String(length=64), nullable=True),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reset_reason", sa.String(length=255), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_throttle_state")),
        sa.UniqueConstraint(
            "symbol",
            "strategy_key",
            "side",
            name=op.f("uq_signal_throttle_state_symbol_strategy_key_side"),
        ),
    )
    op.create_table(
        "strategy_presets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("risk", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_presets")),
        sa.UniqueConstraint("key", name=op.f("uq_strategy_presets_key")),
    )
    op.create_table(
        "telegram_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=True),
        sa.Column("side", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason_code", sa.String(length=255), nullable=True),
        sa.Column("reason_message", sa.String(length=1000), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("parse_mode", sa.String(length=8), server_default="HTML", nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_telegram_messages_idempotency_key")),
    )
    with op.batch_alter_table("telegram_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_messages_chat_id_id"), ["chat_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telegram_messages_correlation_id"), ["correlation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telegram_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telegram_messages_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_telegram_messages_symbol_created_at"),
            ["symbol", "created_at"],
            unique=False,
        )

    op.create_table(
        "trading_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_trading_settings")),
    )
    op.create_table(
        "watchlist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("buy_alert_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sell_alert_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("trade_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("trade_on_margin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("trade_amount_usd", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("preset", sa.String(length=64), nullable=True),
        sa.Column("overrides", sa.JSON(), nullable=True),
        sa.Column("min_price_change_pct", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("alert_cooldown_minutes", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("sl_percentage", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("tp_percentage", sa.Numeric(precision=12, scale=6), nullable=True),
        sa.Column("buy_target", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_items")),
        sa.UniqueConstraint("symbol", "exchange", name=op.f("uq_watchlist_items_symbol_exchange")),
    )
    op.create_table(
        "watchlist_signal_state",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("strategy_key", sa.String(length=64), nullable=True),
        sa.Column("signal_side", sa.String(length=8), server_default="NONE", nullable=False),
        sa.Column("last_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column(
            "evaluated_at_utc",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("conditions", sa.JSON(), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=True),
        sa.Column("decision_reason", sa.String(length=255), nullable=True),
        sa.Column("alert_status", sa.String(length=32), nullable=True),
        sa.Column("alert_block_reason", sa.String(length=255), nullable=True),
        sa.Column("alert_block_detail", sa.String(length=500), nullable=True),
        sa.Column("last_alert_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trade_status", sa.String(length=32), nullable=True),
        sa.Column("trade_block_reason", sa.String(length=255), nullable=True),
        sa.Column("trade_block_detail", sa.String(length=500), nullable=True),
        sa.Column("last_trade_at_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("ledger_reasons", sa.JSON(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_watchlist_signal_state")),
    )
    op.create_table(
        "order_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("client_oid", sa.String(length=36), nullable=False),
        sa.Column("telegram_message_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("amount_usd", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("reference_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("sl_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("tp_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("strategy_key", sa.String(length=64), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("block_reason", sa.String(length=255), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("exchange_order_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["telegram_message_id"],
            ["telegram_messages.id"],
            name=op.f("fk_order_intents_telegram_message_id_telegram_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_intents")),
        sa.UniqueConstraint("client_oid", name=op.f("uq_order_intents_client_oid")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_order_intents_idempotency_key")),
    )
    with op.batch_alter_table("order_intents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_intents_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_order_intents_symbol_side"), ["symbol", "side"], unique=False
        )

    op.create_table(
        "exchange_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_order_id", sa.String(length=64), nullable=False),
        sa.Column("client_oid", sa.String(length=64), nullable=True),
        sa.Column("intent_id", sa.Integer(), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("order_type", sa.String(length=32), nullable=False),
        sa.Column("order_role", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("ref_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column("cumulative_quantity", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("cumulative_value", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("avg_price", sa.Numeric(precision=38, scale=18), nullable=True),
        sa.Column("parent_order_id", sa.String(length=64), nullable=True),
        sa.Column("list_id", sa.String(length=64), nullable=True),
        sa.Column("exchange_create_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exchange_update_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("execution_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["order_intents.id"],
            name=op.f("fk_exchange_orders_intent_id_order_intents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_orders")),
        sa.UniqueConstraint("exchange_order_id", name=op.f("uq_exchange_orders_exchange_order_id")),
    )
    with op.batch_alter_table("exchange_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_orders_client_oid"), ["client_oid"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_orders_parent_order_id"), ["parent_order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_orders_symbol_status"), ["symbol", "status"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("exchange_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_orders_symbol_status"))
        batch_op.drop_index(batch_op.f("ix_exchange_orders_parent_order_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_orders_client_oid"))

    op.drop_table("exchange_orders")
    with op.batch_alter_table("order_intents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_intents_symbol_side"))
        batch_op.drop_index(batch_op.f("ix_order_intents_status"))

    op.drop_table("order_intents")
    op.drop_table("watchlist_signal_state")
    op.drop_table("watchlist_items")
    op.drop_table("trading_settings")
    with op.batch_alter_table("telegram_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telegram_messages_symbol_created_at"))
        batch_op.drop_index(batch_op.f("ix_telegram_messages_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_telegram_messages_created_at"))
        batch_op.drop_index(batch_op.f("ix_telegram_messages_correlation_id"))
        batch_op.drop_index(batch_op.f("ix_telegram_messages_chat_id_id"))

    op.drop_table("telegram_messages")
    op.drop_table("strategy_presets")
    op.drop_table("signal_throttle_state")
    op.drop_table("service_heartbeats")
    op.drop_table("market_prices")
    with op.batch_alter_table("market_data_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_data_status_status"))

    op.drop_table("market_data_status")
    op.drop_table("market_candles")
    op.drop_table("instruments")
    op.drop_table("global_blockers")
    with op.batch_alter_table("config_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_config_changes_entity_entity_key_changed_at"))

    op.drop_table("config_changes")
    op.drop_table("audit_runs")
