"""Idempotent seeding run by `atp migrate` (built-in strategy presets, default settings)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


def seed_all(sessions: sessionmaker[Session]) -> None:
    """Seed everything that must exist after a migration. Safe to run any number of times."""
    # Presets are seeded by atp.signals.presets once the signal-engine module lands.
    _ = sessions
