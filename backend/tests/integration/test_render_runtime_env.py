"""scripts/render_runtime_env.sh: the containers' secrets file is complete, mode 600, readable by
the settings, and a missing variable is named without any value being printed."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from atp.settings import Settings
from tests.settings_env import HOST_PATH

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "render_runtime_env.sh"
SECRETS = {
    "POSTGRES_PASSWORD": "pw with spaces/and@odd:chars%",
    "ATP_API_TOKEN": "api-token-5f1e7c",
    "TELEGRAM_BOT_TOKEN": "123456:BOT-TOKEN-a9b8c7",
    "TELEGRAM_CHAT_ID": "-100777",
}


@pytest.fixture(autouse=True)
def _no_settings_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings read back from the file must not come from this process's environment."""
    for name in [*SECRETS, "DATABASE_URL", "ENVIRONMENT", "LOG_LEVEL", "TRADING_MODE"]:
        monkeypatch.delenv(name, raising=False)


def _render(
    tmp_path: Path, env: dict[str, str], *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": path or HOST_PATH, "HOME": str(tmp_path)}
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_aws_file_is_complete_private_and_readable_by_settings(tmp_path: Path) -> None:
    out = tmp_path / "secrets" / "runtime.env"
    env = {**SECRETS, "TRADING_MODE": "paper", "LOG_LEVEL": "DEBUG", "UNRELATED_VAR": "x"}
    env |= {"GIT_SHA": "from-the-shell", "DASHBOARD_DIR": "/elsewhere"}  # the image's to set
    result = _render(tmp_path, env, "--profile", "aws", "--output", str(out))

    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    for value in SECRETS.values():
        assert value not in result.stdout + result.stderr
    written = out.read_text()
    assert "UNRELATED_VAR" not in written
    assert "GIT_SHA" not in written and "DASHBOARD_DIR" not in written
    settings = Settings(_env_file=str(out))  # type: ignore[call-arg]
    assert settings.environment == "aws" and settings.log_level == "DEBUG"
    assert settings.telegram_bot_token == SECRETS["TELEGRAM_BOT_TOKEN"]
    assert settings.api_token.get_secret_value() == SECRETS["ATP_API_TOKEN"]
    # The password is percent-encoded inside the URL of the compose `db` service.
    assert settings.database_url == (
        "postgresql://atp:pw%20with%20spaces%2Fand%40odd%3Achars%25@db:5432/atp"
    )


def test_missing_variable_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "runtime.env"
    out.write_text("PREVIOUS=1\n")
    env = {k: v for k, v in SECRETS.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["TRADING_MODE"] = "live"  # live trading also needs the exchange keys
    env["EXCHANGE_API_KEY"] = "exchange-key-31337"
    result = _render(tmp_path, env, "--profile", "aws", "--output", str(out))

    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "EXCHANGE_API_SECRET" in result.stderr
    assert "EXCHANGE_API_KEY " not in result.stderr  # present, so not reported
    for value in [*env.values()]:
        if value not in ("live",):
            assert value not in result.stdout + result.stderr
    assert out.read_text() == "PREVIOUS=1\n"
    assert not list(tmp_path.glob(".runtime.env.*"))


def test_local_profile_needs_only_the_database_password(tmp_path: Path) -> None:
    out = tmp_path / "runtime.env"
    refused = _render(tmp_path, {}, "--profile", "local", "--output", str(out))
    assert refused.returncode == 1 and "POSTGRES_PASSWORD" in refused.stderr
    assert not out.exists()

    result = _render(
        tmp_path, {"POSTGRES_PASSWORD": "pw"}, "--profile", "local", "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "ENVIRONMENT='local'" in out.read_text()


def test_ssm_parameters_are_used_and_the_environment_overrides_them(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_aws = bin_dir / "aws"
    # The AWS CLI's `--output text` for get-parameters-by-path: name TAB value per line.
    fake_aws.write_text(
        "#!/usr/bin/env bash\n"
        '[ "$1 $2" = "ssm get-parameters-by-path" ] || exit 9\n'
        "printf '%s\\t%s\\n' /atp/prod/POSTGRES_PASSWORD ssm-pw /atp/prod/ATP_API_TOKEN ssm-api-token-0123456789 "
        "/atp/prod/TELEGRAM_BOT_TOKEN ssm-bot /atp/prod/TELEGRAM_CHAT_ID ssm-chat\n"
    )
    fake_aws.chmod(0o755)
    out = tmp_path / "runtime.env"
    env = {"ATP_SSM_PATH": "/atp/prod", "TELEGRAM_CHAT_ID": "env-chat"}
    path = f"{bin_dir}:{HOST_PATH}"
    result = _render(tmp_path, env, "--profile", "aws", "--output", str(out), path=path)

    assert result.returncode == 0, result.stderr
    assert "SSM /atp/prod (4 parameters)" in result.stdout
    settings = Settings(_env_file=str(out))  # type: ignore[call-arg]
    assert settings.telegram_bot_token == "ssm-bot"
    assert settings.telegram_chat_id == "env-chat"
    assert settings.database_url == "postgresql://atp:ssm-pw@db:5432/atp"


def test_a_value_with_a_quote_is_refused_by_name(tmp_path: Path) -> None:
    out = tmp_path / "runtime.env"
    env = {"POSTGRES_PASSWORD": "it's-secret"}
    result = _render(tmp_path, env, "--profile", "local", "--output", str(out))
    assert result.returncode == 1
    assert "POSTGRES_PASSWORD" in result.stderr and "it's-secret" not in result.stderr
    assert not out.exists()
