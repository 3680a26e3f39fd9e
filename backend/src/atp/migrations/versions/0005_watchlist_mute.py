"""watchlist: muted_until (the "mute 1 h" button on alert messages)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watchlist_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watchlist_items", schema=None) as batch_op:
        batch_op.drop_column("muted_until")
