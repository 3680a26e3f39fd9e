"""Operational tables: switches, liveness, blockers, audits, and the config-change trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from atp.db.base import Base, utcnow
from atp.db.columns import STATUS
from atp.db.types import UTCDateTime


class TradingSetting(Base):
    """Key/value switches: KILL_SWITCH, LIVE_TRADING, MONITOR_PAUSED, order limits."""

    __tablename__ = "trading_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ServiceHeartbeat(Base):
    """One row per (service, instance), rewritten every cycle."""

    __tablename__ = "service_heartbeats"

    service: Mapped[str] = mapped_column(String(64), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # leader / standby / single
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hostname: Mapped[str | None] = mapped_column(String(255), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    cycle: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_cycle_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    items: Mapped[int | None] = mapped_column(Integer, nullable=True)
    errors: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class GlobalBlocker(Base):
    """A condition that stops all alerts or trades; `active` flips when it appears or clears."""

    __tablename__ = "global_blockers"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    active: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    message: Mapped[str] = mapped_column(String(1000), nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class AuditRun(Base):
    __tablename__ = "audit_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    global_status: Mapped[str] = mapped_column(STATUS, nullable=False)  # PASS / WARN / FAIL
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    report_markdown: Mapped[str | None] = mapped_column(Text, nullable=True)


class ConfigChange(Base):
    """Every configuration change, from any surface, with old and new values."""

    __tablename__ = "config_changes"
    __table_args__ = (Index(None, "entity", "entity_key", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # cli / api / telegram / system
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)  # watchlist / preset / setting
    entity_key: Mapped[str] = mapped_column(String(64), nullable=False)
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)


class LeaderLease(Base):
    """The fencing epoch of a single-instance role (see atp.ops.leases)."""

    __tablename__ = "leader_leases"

    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger, nullable=False)
    holder: Mapped[str] = mapped_column(String(128), nullable=False)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
