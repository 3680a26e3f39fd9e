"""Operations: trading settings, heartbeats, global blockers, audit runs, config-change trail."""
