"""scripts/deploy_aws.sh and scripts/rollback_aws.sh against a fake docker / docker-compose (see
deploy_fakes.py) and the fake Telegram server: a healthy deploy records the new tag; a failed one
rolls back to the previous image (downgrading the schema with the new image first) and tells the
operator; an explicit rollback does the same on request."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.fake_telegram import FakeTelegram
from tests.integration import deploy_fakes
from tests.settings_env import HOST_PATH

ROOT = Path(__file__).resolve().parents[3]
CHAT = "-100424242"


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    telegram: FakeTelegram

    @property
    def state(self) -> dict:
        return json.loads((self.tmp / "state.json").read_text())

    def start(self, running: str, db_rev: str) -> None:
        state = {"running": running, "db_rev": db_rev, "calls": []}
        (self.tmp / "state.json").write_text(json.dumps(state))
        (self.tmp / "deploy").mkdir(exist_ok=True)
        (self.tmp / "deploy" / "current_tag").write_text(running + "\n")

    def run(self, script: str, *args: str, **knobs: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(ROOT / "scripts" / script), *args],
            env={**self.env, **knobs},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def recorded_tag(self) -> str:
        return (self.tmp / "deploy" / "current_tag").read_text().strip()

    def messages(self) -> list[str]:
        return self.telegram.texts(CHAT)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    deploy_fakes.install(tmp_path / "bin")
    with FakeTelegram() as telegram:
        runtime_env = tmp_path / "runtime.env"
        runtime_env.write_text(
            f"TELEGRAM_BOT_TOKEN='{telegram.token}'\nTELEGRAM_CHAT_ID='{CHAT}'\n"
            f"TELEGRAM_API_BASE_URL='{telegram.api_base_url}'\n"
        )
        env = {
            "PATH": f"{tmp_path / 'bin'}:{HOST_PATH}",
            "HOME": str(tmp_path),
            "FAKE_STATE": str(tmp_path / "state.json"),
            "FAKE_HEADS": "old=0003,new=0004",
            "FAKE_IMAGES": "old,new",
            "ATP_RUNTIME_ENV": str(runtime_env),
            "ATP_DEPLOY_STATE_DIR": str(tmp_path / "deploy"),
            "ATP_RENDER_SECRETS": "0",
            "DEPLOY_HEALTH_TIMEOUT": "1",
            "DEPLOY_POLL_SECONDS": "0.1",
        }
        yield Stack(tmp_path, env, telegram)


def test_healthy_deploy_migrates_backs_up_first_and_records_the_tag(stack: Stack) -> None:
    stack.start(running="old", db_rev="0003")
    result = stack.run("deploy_aws.sh", "new")

    assert result.returncode == 0, result.stdout + result.stderr
    assert stack.state["running"] == "new" and stack.state["db_rev"] == "0004"
    assert stack.recorded_tag() == "new"
    calls = [" ".join(c["args"]) for c in stack.state["calls"] if c["tool"] == "compose"]
    backup = next(i for i, c in enumerate(calls) if "atp-pg-backup once" in c)
    migrate = next(i for i, c in enumerate(calls) if c.endswith("run --rm migrate"))
    assert backup < migrate
    assert "==== summary ====" in result.stdout and "deploy of new is healthy" in result.stdout
    assert stack.messages() == []


def test_unhealthy_deploy_downgrades_rolls_back_and_tells_the_operator(stack: Stack) -> None:
    stack.start(running="old", db_rev="0003")
    result = stack.run("deploy_aws.sh", "new", FAKE_BAD="new")

    assert result.returncode == 1
    # The new image undid its own migration, then the old image runs again on its schema.
    downgrades = [c for c in stack.state["calls"] if "schema_downgrade.py" in " ".join(c["args"])]
    assert [(c["tag"], c["args"][-1]) for c in downgrades] == [("new", "0003")]
    assert stack.state["running"] == "old" and stack.state["db_rev"] == "0003"
    assert stack.recorded_tag() == "old"
    [message] = stack.messages()
    assert "deploy of new FAILED" in message and "rolled back to old" in message
    assert "atp-20260101T000000Z.dump" in message
    assert "rollback to old is healthy" in result.stdout


def test_failed_migration_keeps_the_previous_image(stack: Stack) -> None:
    stack.start(running="old", db_rev="0003")
    result = stack.run("deploy_aws.sh", "new", FAKE_MIGRATE_FAIL="new")

    assert result.returncode == 1
    assert stack.state["running"] == "old" and stack.state["db_rev"] == "0003"
    assert not [c for c in stack.state["calls"] if "schema_downgrade.py" in " ".join(c["args"])]
    [message] = stack.messages()
    assert "migration failed" in message and "rolled back to old" in message


def test_failed_first_deploy_says_there_is_nothing_to_roll_back_to(stack: Stack) -> None:
    (stack.tmp / "state.json").write_text(
        json.dumps({"running": None, "db_rev": None, "calls": []})
    )
    result = stack.run("deploy_aws.sh", "new", FAKE_BAD="new")

    assert result.returncode == 1
    [message] = stack.messages()
    assert "no previous image" in message and "Act now" in message


def test_rollback_script_downgrades_with_the_running_image(stack: Stack) -> None:
    stack.start(running="new", db_rev="0004")
    result = stack.run("rollback_aws.sh", "old")

    assert result.returncode == 0, result.stdout + result.stderr
    assert stack.state["running"] == "old" and stack.state["db_rev"] == "0003"
    assert stack.recorded_tag() == "old"
    assert (stack.tmp / "deploy" / "previous_tag").read_text().strip() == "new"
    assert stack.messages() == []


def test_rollback_to_a_missing_image_changes_nothing(stack: Stack) -> None:
    stack.start(running="new", db_rev="0004")
    result = stack.run("rollback_aws.sh", "gone")

    assert result.returncode == 1 and "no image atp-backend:gone" in result.stderr
    assert stack.state["running"] == "new" and stack.recorded_tag() == "new"
