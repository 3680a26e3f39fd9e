"""One name per worker role: the writers and `atp healthcheck` / `/metrics` agree."""

from __future__ import annotations

from atp.bot import liveness
from atp.monitor import blockers, heartbeat
from atp.ops.heartbeats import SERVICE_BY_ROLE, max_age_for
from atp.settings import Settings


def test_every_writer_uses_the_shared_service_name() -> None:
    assert SERVICE_BY_ROLE["monitor"] == heartbeat.SERVICE
    assert SERVICE_BY_ROLE["sync"] == blockers.EXCHANGE_SYNC_SERVICE
    assert SERVICE_BY_ROLE["bot"] == liveness.SERVICE
    assert set(SERVICE_BY_ROLE) == {"monitor", "market", "sender", "sync", "bot"}


def test_the_threshold_is_four_intervals_with_a_floor() -> None:
    settings = Settings(_env_file=None, monitor_interval_seconds=60, orders_sync_interval_seconds=5)  # type: ignore[call-arg]
    assert max_age_for("monitor", settings) == 240
    assert max_age_for("sync", settings) == 90  # 4 x 5 s is below the floor
    assert max_age_for("sender", settings) == 90
