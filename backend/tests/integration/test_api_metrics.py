"""`GET /metrics`: Prometheus text format 0.0.4 that parses, carries the operational families
read from a real database, and records request latency by route template."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from atp.api.metrics import LatencyHistograms, render
from atp.ops.build_info import build_info
from atp.settings import Settings
from tests.integration.health_support import (
    add_message,
    add_position,
    api_client,
    health_settings,
    sync_beat,
)
from tests.integration.monitor_support import write_leader_beat
from tests.integration.orders_support import make_intent

# name{label="value",...} value   (labels optional; values may hold escaped quotes)
SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r'(?:\{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})?'
    r" (?P<value>[-+]?(?:\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|Inf|NaN))$"
)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse(body: str) -> Samples:
    """Every non-comment line must be a sample; returns {name: [(labels, value)]}."""
    samples: Samples = defaultdict(list)
    for line in body.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL.findall(match["labels"] or ""))
        samples[match["name"]].append((labels, float(match["value"])))
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    found = [v for ls, v in samples[name] if all(ls.get(k) == w for k, w in labels.items())]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


async def test_metrics_parse_and_carry_every_family(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    write_leader_beat(sessions)
    sync_beat(sessions, age_s=20)
    add_message(sessions, "p1", "PENDING", age_s=120)
    add_message(sessions, "p2", "PENDING", age_s=5)
    add_message(sessions, "f1", "FAILED", age_s=60)
    add_position(sessions, "BTC_USDT", "naked", age_s=300)
    make_intent(sessions, "m1", live=False)
    async with api_client(health_settings(settings, git_sha="feedbeef")) as (client, _):
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse(response.text)
    assert value(samples, "atp_database_up") == 1
    assert value(samples, "atp_build_info", git_sha="feedbeef") == 1
    monitor_age = value(
        samples, "atp_service_heartbeat_age_seconds", service="SignalMonitorService"
    )
    sync_age = value(samples, "atp_service_heartbeat_age_seconds", service="ExchangeSyncService")
    assert 0 <= monitor_age < 5 and 20 <= sync_age < 30
    assert value(samples, "atp_monitor_last_cycle_ms", instance="beat-test") == 5
    assert value(samples, "atp_service_last_cycle_ms", service="ExchangeSyncService") == 12
    assert value(samples, "atp_telegram_messages", status="PENDING") == 2
    assert value(samples, "atp_telegram_messages", status="FAILED") == 1
    assert value(samples, "atp_telegram_messages", status="SENT") == 0  # always present
    assert value(samples, "atp_order_intents", status="PENDING") == 1
    assert value(samples, "atp_outbox_pending_messages") == 2
    assert 120 <= value(samples, "atp_outbox_oldest_pending_age_seconds") < 130
    assert value(samples, "atp_positions_open") == 1
    assert value(samples, "atp_positions_unprotected") == 1
    assert value(samples, "atp_positions_unprotected_overdue") == 1
    for family in ("atp_service_heartbeat_age_seconds", "atp_http_request_duration_seconds"):
        assert f"# TYPE {family} " in response.text


async def test_request_latency_is_recorded_by_route_template(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    async with api_client(health_settings(settings)) as (client, _):
        for _ in range(3):
            assert (await client.get("/api/health/system")).status_code == 200
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/no/such/route/42")).status_code == 404
        samples = parse((await client.get("/metrics")).text)
    duration = "atp_http_request_duration_seconds"
    route = {"method": "GET", "route": "/api/health/system", "status": "200"}
    assert value(samples, f"{duration}_count", **route) == 3
    assert value(samples, f"{duration}_bucket", **route, le="+Inf") == 3
    assert value(samples, f"{duration}_sum", **route) > 0
    assert value(samples, f"{duration}_count", route="/health") == 1
    assert value(samples, f"{duration}_count", route="unmatched", status="404") == 1
    assert not any("/no/such" in ls.get("route", "") for ls, _ in samples[f"{duration}_count"])
    buckets = [v for ls, v in samples[f"{duration}_bucket"] if ls["route"] == route["route"]]
    assert buckets == sorted(buckets)  # cumulative


async def test_an_unreadable_database_is_a_metric_not_a_failed_scrape(tmp_path: Path) -> None:
    dead = Settings(
        _env_file=None, database_url="postgresql://u:p@127.0.0.1:1/none", data_dir=tmp_path
    )
    async with api_client(dead) as (client, _):
        response = await client.get("/metrics")
    assert response.status_code == 200
    samples = parse(response.text)
    assert value(samples, "atp_database_up") == 0
    assert "atp_telegram_messages" not in samples
    sha = build_info(dead).git_sha  # unset GIT_SHA: the checkout's HEAD, else "unknown"
    assert value(samples, "atp_build_info", git_sha=sha) == 1


def test_histogram_buckets_and_label_escaping() -> None:
    histograms = LatencyHistograms(buckets=(0.1, 1.0))
    for seconds in (0.05, 0.1, 0.5, 3.0):
        histograms.observe("GET", 'a"b\\c', 200, seconds)
    samples = parse(render([histograms.family()]))
    name = "atp_http_request_duration_seconds"
    assert [v for _, v in samples[f"{name}_bucket"]] == [2, 3, 4]  # 0.1 is in le="0.1"
    labels, _ = samples[f"{name}_count"][0]
    assert labels["route"] == 'a\\"b\\\\c'  # escaped on the wire
    assert value(samples, f"{name}_sum") == pytest.approx(3.65)
