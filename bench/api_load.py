"""REST API load benchmark (JSON on stdout): `/api/dashboard` and `/api/health/system` under 50
concurrent connections, served the way `atp api` serves them, on PostgreSQL with 500 symbols.

The database is a throw-away PostgreSQL database created next to `--pg-url` (default: the
server of ATP_TEST_DATABASE_URL, else postgres@127.0.0.1:5432) and dropped afterwards. It is
migrated and seeded in code: 500 watchlist symbols on the built-in presets (10 % on an
always-BUY preset with trading on), 250 generated 1h candles and a fresh ticker each, then one
monitor cycle writes the signal state rows (and the alerts and order intents of the BUY
symbols), and a leader heartbeat is written. No real data is used.

The API runs as `atp api` (gunicorn with API_WORKERS uvicorn workers, default 2) on 127.0.0.1.
The load tool is `wrk` when it is installed (a Lua `done()` hook prints exact percentiles),
otherwise a Python generator (httpx, one asyncio loop, 50 connections, each request timed);
the JSON says which. Each endpoint gets a 1 s warm-up, then `--duration` seconds of load.
If `/api/dashboard` is not in the app's OpenAPI schema yet, `/api/control/status` is measured
in its place and the JSON says so (`measured_instead_of`). Target: p95 <= 50 ms for
`/api/dashboard` (`target.pass`).

    python bench/api_load.py [--quick] [--duration S] [--connections N] [--workers N]
                             [--tool auto|wrk|python] [--pg-url postgresql://...]

`--quick` (CI): 3 s per endpoint. Without a reachable PostgreSQL the JSON has `skipped` with
the reason and the exit code is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from atp.core.presets import BUILTIN_PRESETS, PresetParams
from atp.db.base import utcnow
from atp.db.revision import upgrade_to_head
from atp.db.session import make_engine, make_session_factory
from atp.market.models import MarketCandle, MarketPrice
from atp.monitor.cycle import run_cycle
from atp.monitor.heartbeat import Beat, Heartbeat
from atp.settings import Settings
from atp.signals.models import StrategyPreset
from atp.signals.presets import seed_presets
from atp.watchlist.models import WatchlistItem

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DASHBOARD, FALLBACK, SYSTEM = "/api/dashboard", "/api/control/status", "/api/health/system"
TARGET_P95_MS = 50.0
CANDLES = 250
ALWAYS_BUY = {
    "timeframe": "1h",
    "rsi_buy_below": 99.9,
    "rsi_sell_above": 99.95,
    "check_ema10": False,
    "check_ma50": False,
    "check_ma200": False,
    "volume_min_ratio": 0,
    "cooldown_minutes": "60",
    "min_price_change_pct": "1",
    "sl_method": "percent",
    "sl_pct": "2",
    "tp_method": "percent",
    "tp_pct": "3",
}
# `atp api` under gunicorn must not read the developer's own configuration.
_PRIVATE_ENV = ("DATABASE_URL", "TELEGRAM_", "MONITOR_", "MARKET_", "ATP_", "API_", "ENVIRONMENT")


# --- database ---------------------------------------------------------------------------------


def server_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    test_url = os.environ.get("ATP_TEST_DATABASE_URL", "").strip()
    if test_url:
        return make_url(test_url).set(database="postgres").render_as_string(hide_password=False)
    return DEFAULT_SERVER


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    base = make_url(server)
    name = f"atp_bench_api_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


def _candles(symbol: str, newest: datetime, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, CANDLES)))
    opens = np.concatenate([[close[0]], close[:-1]])
    return [
        {
            "symbol": symbol,
            "timeframe": "1h",
            "open_time": newest - (CANDLES - 1 - i) * timedelta(hours=1),
            "open": Decimal(f"{opens[i]:.8f}"),
            "high": Decimal(f"{max(opens[i], close[i]) * 1.002:.8f}"),
            "low": Decimal(f"{min(opens[i], close[i]) * 0.998:.8f}"),
            "close": Decimal(f"{close[i]:.8f}"),
            "volume": Decimal(f"{rng.random() * 1000 + 1:.4f}"),
            "fetched_at": utcnow(),
            "source": "bench",
        }
        for i in range(CANDLES)
    ]


def _hourly_presets() -> list[str]:
    return [key for key, preset in BUILTIN_PRESETS.items() if preset.timeframe == "1h"]


def seed(sessions: sessionmaker[Session], symbols: int) -> None:
    now = utcnow()
    newest = now.replace(minute=0, second=0, microsecond=0)
    presets = _hourly_presets() or ["bench:buy"]
    with sessions.begin() as s:
        seed_presets(s)
        params = PresetParams.from_dict(ALWAYS_BUY).to_dict()
        s.add(
            StrategyPreset(key="bench:buy", strategy="bench", risk="buy", version=1, params=params)
        )
        candles: list[dict[str, Any]] = []
        for i in range(symbols):
            symbol = f"C{i:04d}_USDT"
            buy = i % 10 == 0
            s.add(
                WatchlistItem(
                    symbol=symbol,
                    exchange="CRYPTO_COM",
                    alert_enabled=True,
                    preset="bench:buy" if buy else presets[i % len(presets)],
                    trade_enabled=buy,
                    trade_amount_usd=Decimal("50"),
                )
            )
            rows = _candles(symbol, newest, seed=i)
            candles += rows
            last = rows[-1]["close"]
            s.add(
                MarketPrice(
                    symbol=symbol, last=last, exchange_ts=now, fetched_at=now, source="bench"
                )
            )
        s.flush()
        for start in range(0, len(candles), 20_000):
            s.execute(insert(MarketCandle), candles[start : start + 20_000])


def prepare(url: str, symbols: int, tmp: Path) -> dict[str, Any]:
    """Migrate, seed, run one monitor cycle (state rows) and write a leader heartbeat."""
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        seed(sessions, symbols)
        settings = Settings(_env_file=None, database_url=url, data_dir=tmp, environment="bench")
        now = utcnow()
        report = run_cycle(sessions, settings, now=now)
        beat = Beat("leader", "running", 1, 1, 5, 0, details={"last_cycle_at": now.isoformat()})
        with sessions.begin() as s:
            Heartbeat("bench-leader", log_every_s=300, interval_s=30).write(s, beat, now)
        return {
            "seed_s": round(time.perf_counter() - started, 1),
            "monitor_cycle": {
                "symbols": report.symbols,
                "emitted": report.emitted,
                "errors": report.errors,
            },
        }
    finally:
        engine.dispose()


# --- the server -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def atp_api(url: str, workers: int, tmp: Path) -> Iterator[str]:
    """`atp api` as an operator starts it; the access log goes where gunicorn writes it (stdout)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_ENV)}
    env |= {"DATABASE_URL": url, "ATP_DATA_DIR": str(tmp), "LOG_LEVEL": "WARNING"}
    atp = str(Path(sys.executable).with_name("atp"))
    command = [atp, "api", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"atp api exited with {process.returncode}: {err[-500:]}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("atp api did not answer /api/health within 60 s")


# --- load generators ----------------------------------------------------------------------------

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON{"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"non_2xx_or_3xx":%d,"socket_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def run_wrk(url: str, connections: int, duration: float, tmp: Path) -> dict[str, Any]:
    script = tmp / "report.lua"
    script.write_text(WRK_SCRIPT)
    threads = max(1, min(os.cpu_count() or 1, connections))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s"]
    output = subprocess.run(
        # Browsers (the dashboard's clients) ask for gzip; so does the Python generator (httpx).
        [*command, "--timeout", "10s", "-H", "Accept-Encoding: gzip", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in output.splitlines() if row.startswith("JSON"))
    raw = json.loads(line[4:])
    seconds = raw["duration_us"] / 1e6
    done = raw["requests"] > 0  # wrk reports 0 for the percentiles when nothing completed
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        **{
            f"{k}_ms": round(raw[f"{k}_us"] / 1000, 2) if done else None
            for k in ("p50", "p95", "p99", "max")
        },
        "non_2xx": raw["non_2xx_or_3xx"],
        "errors": raw["socket_errors"],
    }


async def _python_load(url: str, connections: int, duration: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    statuses = {"non_2xx": 0, "errors": 0}
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def connection() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    statuses["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                statuses["non_2xx"] += not 200 <= response.status_code < 300

        await asyncio.gather(*(connection() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    ordered = np.sort(np.array(latencies)) * 1000
    percentile = {p: float(np.percentile(ordered, p)) for p in (50, 95, 99)} if latencies else {}
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        **{f"p{p}_ms": round(v, 2) for p, v in percentile.items()},
        "max_ms": round(float(ordered[-1]), 2) if latencies else None,
        **statuses,
    }


def measure(tool: str, url: str, connections: int, duration: float, tmp: Path) -> dict[str, Any]:
    if tool == "wrk":
        run_wrk(url, connections, 1, tmp)  # warm-up: connections, caches, workers
        return run_wrk(url, connections, duration, tmp)
    asyncio.run(_python_load(url, connections, 1))
    return asyncio.run(_python_load(url, connections, duration))


# --- the run ----------------------------------------------------------------------------------


def _targets(base: str) -> list[dict[str, Any]]:
    """The two endpoints, read from the running app's schema (a missing one is reported)."""
    paths = httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"]
    dashboard: dict[str, Any] = {"path": DASHBOARD}
    if DASHBOARD not in paths:
        dashboard = {"path": FALLBACK, "measured_instead_of": DASHBOARD}
    system: dict[str, Any] = {"path": SYSTEM}
    if SYSTEM not in paths:
        system["skipped"] = f"{SYSTEM} is not in the app's OpenAPI schema yet"
    return [dashboard, system]


def _unloaded(base: str, path: str) -> dict[str, Any]:
    """One request at a time (5 in a row): status, size and the median latency without load."""
    timings, response = [], None
    with httpx.Client(timeout=30) as client:
        for _ in range(5):
            sent = time.perf_counter()
            response = client.get(f"{base}{path}")
            timings.append((time.perf_counter() - sent) * 1000)
    assert response is not None
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "median_ms": round(float(np.median(timings)), 2),
    }


def run(args: argparse.Namespace, tool: str, tmp: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with scratch_database(server_url(args.pg_url)) as url:
        result["seed"] = prepare(url, args.symbols, tmp)
        with atp_api(url, args.workers, tmp) as base:
            endpoints = _targets(base)
            for endpoint in endpoints:
                if "skipped" in endpoint:
                    continue
                endpoint["unloaded"] = _unloaded(base, endpoint["path"])
                endpoint |= measure(
                    tool, base + endpoint["path"], args.connections, args.duration, tmp
                )
    result["endpoints"] = endpoints
    dashboard = endpoints[0]
    result["target"] = {
        "path": DASHBOARD,
        "p95_ms_max": TARGET_P95_MS,
        "measured": dashboard["path"],
        "pass": None
        if "measured_instead_of" in dashboard
        else bool(
            dashboard["p95_ms"] is not None
            and dashboard["p95_ms"] <= TARGET_P95_MS
            and dashboard["non_2xx"] == 0
        ),
    }
    return result


def _tool(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("--tool wrk: wrk is not installed (apt-get install wrk)")
    return choice


def _tool_description(tool: str, connections: int) -> str:
    if tool == "wrk":
        version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
        return f"{version.split(' [')[0].strip() or 'wrk'} ({connections} connections)"
    return f"python httpx {httpx.__version__} ({connections} connections, one asyncio loop)"


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint (CI)")
    parser.add_argument("--duration", type=float, help="seconds of load per endpoint (20)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="API_WORKERS of `atp api`")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--pg-url", default=None, help="a PostgreSQL server URL (admin database)")
    args = parser.parse_args()
    args.duration = args.duration or (3.0 if args.quick else 20.0)
    tool = _tool(args.tool)
    results: dict[str, Any] = {
        "benchmark": "api_load",
        "python": platform.python_version(),
        "quick": args.quick,
        "symbols": args.symbols,
        "connections": args.connections,
        "duration_s": args.duration,
        "server": f"atp api (gunicorn, {args.workers} uvicorn workers) on 127.0.0.1",
        "load_tool": _tool_description(tool, args.connections),
        "cpus": os.cpu_count(),
        "uptime_before": _uptime(),
    }
    unreachable = _unreachable(server_url(args.pg_url))
    if unreachable:
        results["skipped"] = f"PostgreSQL not reachable: {unreachable}"
    else:
        with tempfile.TemporaryDirectory() as tmp_dir:
            results |= run(args, tool, Path(tmp_dir))
    results["uptime_after"] = _uptime()
    print(json.dumps(results, indent=2))


def _unreachable(server: str) -> str | None:
    """Why the PostgreSQL server cannot be used (None when it can); never raises."""
    engine = create_engine(make_url(server), connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except Exception as exc:
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
