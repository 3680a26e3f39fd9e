"""`atp audit`: every Done-when scenario names the right first cause, with evidence, in agreement
with `atp why`, through the service, the CLI, the cron script and `GET /api/health/audit`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from atp.api.app import create_app
from atp.audit.service import run_audit
from atp.audit.types import AuditResult
from atp.db.base import utcnow
from atp.ops.models import AuditRun
from atp.runtime.context import AppContext
from atp.settings import Settings
from tests.integration.audit_support import SCENARIOS, SYMBOL, World, why_cause
from tests.integration.monitor_support import cycle_at, seed_world, write_leader_beat
from tests.integration.test_watchlist_cli import run
from tests.settings_env import child_env

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_no_alerts_no_trades.py"
TOKEN = "audit-test-token-" + "z" * 24


def _base_time() -> datetime:
    """Early in the current hour: scenarios move up to 11 min on without crossing into the next
    hour (the in-progress 1h candle would then be judged as a closed candle fetched too early)."""
    return utcnow().replace(minute=0, second=30, microsecond=0)


def _world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return World(sessions, settings, _base_time())


def _live_world(sessions: sessionmaker[Session], settings: Settings) -> World:
    """Real time: for the CLI, the script and the API, which audit "now"."""
    return World(sessions, settings, utcnow().replace(microsecond=0))


def _audit(world: World, **kwargs: Any) -> AuditResult:
    return run_audit(world.sessions, world.settings, now=world.now, since_hours=24, **kwargs)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_names_the_first_cause_like_why(
    name: str, sessions: sessionmaker[Session], settings: Settings
) -> None:
    setup, kind, expected, failing_check = SCENARIOS[name]
    world = setup(_world(sessions, settings))
    result = _audit(world)
    (symbol,) = result.symbols
    verdict = symbol.alert if kind == "alert" else symbol.trade
    assert verdict.cause == expected, verdict
    assert verdict.fix, "every cause comes with a fix"
    assert verdict.evidence, "every cause comes with evidence"
    assert why_cause(world, kind) == expected  # `atp why` names the same first cause
    failing = {c.name for c in result.checks if c.status == "FAIL"}
    if failing_check is None:
        assert not failing, [c for c in result.checks if c.status == "FAIL"]
        assert result.exit_code == 0
    else:
        assert failing_check in failing
        assert result.global_status == "FAIL" and result.exit_code == 1
    assert result.root_causes and expected.split(":")[0] in {r.code for r in result.root_causes}
    with sessions() as s:  # each run is stored, with what the table has no column for
        run_row = s.scalars(select(AuditRun)).one()
        assert run_row.global_status == result.global_status
        assert run_row.summary is not None and run_row.summary["since_hours"] == 24
        assert run_row.report_markdown and expected in run_row.report_markdown


def test_evidence_of_no_signal(sessions: sessionmaker[Session], settings: Settings) -> None:
    world = SCENARIOS["no_signal"][0](_world(sessions, settings))
    evidence = _audit(world, store=False).symbols[0].alert.evidence
    failing = {(c["side"], c["name"]): c for c in evidence["failing_conditions"]}
    buy = failing[("BUY", "rsi_below")]
    assert buy["threshold"] == 1 and buy["actual"] > 1  # how close: actual vs threshold
    assert buy["gap"] == pytest.approx(abs(buy["actual"] - 1), abs=1e-5)
    assert evidence["evaluated_at"] == world.now.isoformat()


def test_evidence_of_a_throttled_alert(sessions: sessionmaker[Session], settings: Settings) -> None:
    throttle = SCENARIOS["throttled_time"][0](_world(sessions, settings))
    result = _audit(throttle, store=False)
    alert = result.symbols[0].alert.evidence
    assert alert["last_sent"][0]["side"] == "BUY" and alert["last_sent"][0]["last_sent_price"]
    assert alert["ledger"]["count"] == 1  # one BLOCKED ledger row in the window
    assert result.symbols[0].window["alerts"]  # the alert that opened the cooldown


def test_market_data_stale_evidence_has_ages_and_limits(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = SCENARIOS["market_stale"][0](_world(sessions, settings))
    result = _audit(world, store=False)
    check = next(c for c in result.checks if c.name == "market_data")
    ticker = check.evidence["stale"][SYMBOL]["ticker"]
    assert ticker["fresh"] is False and ticker["age_s"] > ticker["limit_s"]
    assert "stale" in (result.symbols[0].alert.evidence["detail"] or "")


def test_a_trade_cause_survives_the_next_throttled_cycle(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = SCENARIOS["trade_disabled"][0](_world(sessions, settings))
    world.now += timedelta(seconds=60)
    write_leader_beat(sessions, at=world.now)
    cycle_at(sessions, settings, world.now)  # now THROTTLED; the order was refused earlier
    sym = _audit(world, store=False).symbols[0]
    assert sym.alert.cause == "THROTTLED_TIME_GATE"
    assert sym.trade.cause == "TRADE_DISABLED" and sym.trade.evidence["message_id"]


def test_empty_watchlist_and_unknown_symbols_are_said_not_crashed(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(sessions, settings)
    result = _audit(world)
    assert result.symbols == [] and "watchlist is empty" in result.notes[0]
    assert result.exit_code == 1  # no monitor heartbeat at all
    result = _audit(world, symbols=["XRP_USDT"])
    assert result.symbols[0].alert.cause == "MONITOR_NOT_RUNNING"
    write_leader_beat(sessions, at=world.now)
    assert _audit(world, symbols=["XRP_USDT"]).symbols[0].alert.cause == "NOT_ON_WATCHLIST"


def test_cli_writes_markdown_and_json_and_exits_by_status(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    world = SCENARIOS["trade_disabled"][0](_live_world(sessions, settings))
    md, js = tmp_path / "r" / "audit.md", tmp_path / "audit.json"
    args = ["audit", "--since-hours", "24", "--symbols", "btc_usdt", "--output", str(md)]
    code, out = run(world.settings, *args, "--json", str(js))
    assert code == 0, out
    body = json.loads(js.read_text())
    assert body["symbols"][0]["trade"]["cause"] == "TRADE_DISABLED"
    assert body["global_status"] in ("PASS", "WARN") and body["run_id"]
    text = md.read_text()
    assert "## GLOBAL STATUS" in text and "## PER-SYMBOL ANALYSIS" in text
    assert "## ROOT CAUSES" in text and "trade_enabled=true" in text  # the fix
    code, out = run(world.settings, *args, "--mode", "nope")
    assert code == 2, out


def test_cli_says_it_cannot_run_without_a_schema(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'none.db'}"})
    code, out = run(missing, "audit", "--output", str(tmp_path / "a.md"))
    assert code == 2 and "audit cannot run" in out and "atp migrate" in out, out
    assert not (tmp_path / "none.db").exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    code, out = run(
        settings.model_copy(update={"database_url": f"sqlite:///{empty}"}),
        "audit",
        "--output",
        str(tmp_path / "a.md"),
    )
    assert code == 2 and "empty database" in out, out


@pytest.mark.slow  # a fresh interpreter imports the whole CLI (about 3 s)
def test_cron_script_path_gives_the_same_first_cause(
    db_url: str, sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    world = SCENARIOS["monitor_paused"][0](_live_world(sessions, settings))
    js = tmp_path / "cron.json"
    env = child_env(DATABASE_URL=db_url, ENVIRONMENT="test", ATP_DATA_DIR=str(tmp_path))
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--since-hours",
            "24",
            "--output",
            str(tmp_path / "c.md"),
            "--json",
            str(js),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the monitor is paused: FAIL
    body = json.loads(js.read_text())
    assert body["source"] == "cron"
    assert body["symbols"][0]["alert"]["cause"] == "MONITOR_PAUSED" == why_cause(world, "alert")
    with sessions() as s:
        assert s.scalar(select(func.count()).where(AuditRun.source == "cron")) == 1


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    ctx = AppContext(settings=settings.model_copy(update={"api_token": SecretStr(TOKEN)}))
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8002") as c:
        yield c, ctx
    ctx.close()


@pytest.mark.parametrize("name", ["no_signal", "kill_switch", "monitor_stopped"])
async def test_api_health_audit_gives_the_same_first_cause(
    name: str, client: tuple[httpx.AsyncClient, AppContext]
) -> None:
    http, ctx = client
    setup, kind, expected, _ = SCENARIOS[name]
    world = setup(_live_world(ctx.sessions, ctx.settings))
    response = await http.get("/api/health/audit", params={"since_hours": 24})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["symbols"][0][kind]["cause"] == expected == why_cause(world, kind)
    assert body["mode"] == "dry" and body["run_id"] is None  # a probe is not stored
    assert (await http.get("/api/health/audit", params={"symbols": "bad"})).status_code == 422


async def test_api_lists_stored_runs_with_a_cursor(
    client: tuple[httpx.AsyncClient, AppContext],
) -> None:
    http, ctx = client
    seed_world(ctx.sessions, {SYMBOL: {"preset": "test:none"}}, now=utcnow())
    for _ in range(3):
        run_audit(ctx.sessions, ctx.settings, since_hours=1)
    first = (await http.get("/api/audit/runs", params={"limit": 2})).json()
    assert [r["mode"] for r in first["items"]] == ["dry", "dry"] and first["next_cursor"]
    ids = [r["id"] for r in first["items"]]
    assert ids == sorted(ids, reverse=True)
    rest = (
        await http.get("/api/audit/runs", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    detail = (await http.get(f"/api/audit/runs/{ids[0]}")).json()
    assert "# No alerts / no trades audit" in detail["report_markdown"]
    assert (await http.get("/api/audit/runs/999999")).status_code == 404
