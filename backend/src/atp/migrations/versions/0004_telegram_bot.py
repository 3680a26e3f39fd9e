"""telegram bot: claimed update ids (offset and dedup) and the bot's requests per chat

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-13 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- the poller's claimed updates (atp.bot.models) ------------------------------------
    op.create_table(
        "telegram_bot_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_telegram_bot_updates")),
    )
    op.create_index(
        op.f("ix_telegram_bot_updates_bot_id_received_at"),
        "telegram_bot_updates",
        ["bot_id", "received_at"],
        unique=False,
    )
    # --- pacing shared by the bot and the alert sender (atp.alerts.chat_requests) ---------
    op.create_table(
        "telegram_chat_requests",
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("last_request_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_telegram_chat_requests")),
    )


def downgrade() -> None:
    op.drop_table("telegram_chat_requests")
    op.drop_index(
        op.f("ix_telegram_bot_updates_bot_id_received_at"), table_name="telegram_bot_updates"
    )
    op.drop_table("telegram_bot_updates")
