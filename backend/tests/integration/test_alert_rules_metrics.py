"""Every metric the Prometheus alert rules (deploy/prometheus/alerts.yml) use is in `/metrics`,
and the new operational families carry the values the rules depend on."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from atp.db.base import utcnow
from atp.db.session import unit_of_work
from atp.monitor.blockers import sync_blockers
from atp.ops.heartbeats import MARKET_SERVICE, write_heartbeat
from atp.ops.models import AuditRun
from atp.settings import Settings
from tests.integration.health_support import api_client, health_settings
from tests.integration.test_api_metrics import parse, value

RULES = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\batp_[a-z0-9_]+")


def rule_metrics() -> set[str]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {name for g in groups for rule in g["rules"] for name in METRIC.findall(rule["expr"])}


async def test_every_metric_in_the_alert_rules_is_exposed(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    used = rule_metrics()
    assert {"atp_role_heartbeat_age_seconds", "atp_audit_last_status"} <= used
    now = utcnow()
    with unit_of_work(sessions) as session:
        write_heartbeat(
            session,
            service=MARKET_SERVICE,
            instance_id="m:1",
            role="single",
            started_at=now,
            beat_at=now - timedelta(seconds=42),
        )
        session.add(AuditRun(started_at=now, global_status="FAIL", source="cron"))
        sync_blockers(session, observed={"MARKET_DATA_STALE": "no fresh candles"}, now=now)
    async with api_client(health_settings(settings)) as (client, _):
        samples = parse((await client.get("/metrics")).text)
    missing = used - set(samples)
    assert not missing, f"alert rules use metrics /metrics does not expose: {sorted(missing)}"
    assert value(samples, "atp_role_heartbeat_age_seconds", role="market") >= 42
    assert math.isinf(value(samples, "atp_role_heartbeat_age_seconds", role="bot"))
    assert value(samples, "atp_audit_last_status", status="FAIL") == 1
    assert value(samples, "atp_audit_last_status", status="PASS") == 0
    assert value(samples, "atp_global_blockers_active") == 1
    assert value(samples, "atp_global_blocker_active_seconds", code="MARKET_DATA_STALE") >= 0
    assert value(samples, "atp_alerts_failing") == 0
