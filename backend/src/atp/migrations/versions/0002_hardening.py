"""hardening: leader fencing epochs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # --- leader fencing (atp.ops.leases) ---------------------------------------------------
    op.create_table(
        "leader_leases",
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_leader_leases")),
    )


def downgrade() -> None:
    # --- leader fencing (atp.ops.leases) ---------------------------------------------------
    op.drop_table("leader_leases")
