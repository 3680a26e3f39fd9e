"""Idempotent seeding run by `atp migrate` (built-in strategy presets, default settings)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


def seed_all(sessions: sessionmaker[Session]) -> None:
    """Seed everything that must exist after a migration. Safe to run any number of times."""
    from atp.db.session import unit_of_work
    from atp.signals.presets import seed_presets

    with unit_of_work(sessions) as session:
        seed_presets(session)
