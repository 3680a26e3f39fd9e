"""Build identity: GIT_SHA / BUILD_TIME (the image) or the checkout's git HEAD, reported by
`atp version` and `GET /api/config`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from atp import __version__
from atp.cli import main
from atp.ops import build_info as build
from atp.settings import Settings
from tests.integration.health_support import api_client, health_settings


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the checkout lookup at a directory of this test's own (no git repository yet)."""
    root = tmp_path / "checkout"
    root.mkdir()
    monkeypatch.setattr(build, "_CHECKOUT_ROOT", root)
    build.checkout_head.cache_clear()
    yield root
    build.checkout_head.cache_clear()


def _git_commit(root: Path) -> str:
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    (root / "f.txt").write_text("x")
    subprocess.run([*git, "add", "f.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "c"], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_environment_wins_then_the_checkout_then_unknown(
    settings: Settings, checkout: Path
) -> None:
    baked = settings.model_copy(update={"git_sha": "abc123", "build_time": "2026-11-01T10:00:00Z"})
    assert build.build_info(baked) == build.BuildInfo(
        __version__, "abc123", "2026-11-01T10:00:00Z", "environment"
    )
    assert build.build_info(settings) == build.BuildInfo(
        __version__, "unknown", "unknown", "unknown"
    )
    if shutil.which("git") is None:
        pytest.fail("git is needed for the checkout fallback test")
    build.checkout_head.cache_clear()
    sha = _git_commit(checkout)
    info = build.build_info(settings)
    assert (info.git_sha, info.source, info.build_time) == (sha, "checkout", "unknown")
    assert build.build_info(None).git_sha == sha  # unreadable settings: still the commit


def test_atp_version_prints_the_build(checkout: Path) -> None:
    env = {"GIT_SHA": "feedbeef42", "BUILD_TIME": "2026-11-02T03:04:05Z"}
    result = CliRunner().invoke(main, ["version"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"atp {__version__} git_sha=feedbeef42 build_time=2026-11-02T03:04:05Z\n"
    )
    bad = {"LOG_LEVEL": "LOUD"}  # a broken unrelated setting must not hide the build
    result = CliRunner().invoke(main, ["version"], env=bad)
    assert result.exit_code == 0 and result.output.startswith(f"atp {__version__} git_sha=")


async def test_api_config_reports_the_build(settings: Settings, checkout: Path) -> None:
    baked = health_settings(settings, git_sha="0a1b2c3d", build_time="2026-11-03T00:00:00Z")
    async with api_client(baked) as (client, _):
        body = (await client.get("/api/config")).json()
    assert (body["git_sha"], body["build_time"]) == ("0a1b2c3d", "2026-11-03T00:00:00Z")
    assert body["build_source"] == "environment" and body["version"] == __version__
    async with api_client(health_settings(settings)) as (client, _):
        body = (await client.get("/api/config")).json()
    assert (body["git_sha"], body["build_source"]) == ("unknown", "unknown")  # not a checkout
