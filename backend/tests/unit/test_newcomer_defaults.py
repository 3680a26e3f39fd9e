"""One default database for every entry point, and a quiet bootstrap."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from atp.settings import Settings

REPO = Path(__file__).resolve().parents[3]


def test_default_data_dir_is_the_checkouts_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATP_DATA_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(REPO / "backend")  # the working directory does not matter
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == REPO / "data"
    assert settings.effective_database_url == f"sqlite:///{REPO / 'data' / 'atp.sqlite3'}"


def test_the_example_env_file_copied_as_is_uses_the_same_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ATP_DATA_DIR", "DATABASE_URL", "ENVIRONMENT", "MARKET_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    example = REPO / "secrets" / "runtime.env.example"
    from_example = Settings(_env_file=example)  # type: ignore[call-arg]
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_example.effective_database_url == default.effective_database_url
    assert not str(from_example.data_dir).startswith(str(tmp_path))  # not the working dir


def test_make_run_does_not_choose_its_own_data_dir() -> None:
    # The database is chosen by `atp` alone, so `make run` and `atp status` agree.
    dry_run = subprocess.run(
        ["make", "-n", "run", "migrate"], cwd=REPO, capture_output=True, text=True, check=True
    )
    run_script = (REPO / "scripts" / "run-local.sh").read_text()
    assert "ATP_DATA_DIR" not in dry_run.stdout
    assert "export ATP_DATA_DIR" not in run_script and "DATABASE_URL=" not in run_script


def _fake(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def test_bootstrap_prints_no_probe_errors(tmp_path: Path) -> None:
    """pyenv shims answer `command -v python3.13` and then fail loudly when run."""
    fakebin = tmp_path / "bin"
    fakebin.mkdir()
    for missing in ("python3.13", "python3.12"):
        _fake(
            fakebin / missing,
            f'echo "pyenv: {missing}: command not found" >&2\n'
            f'echo "The \\`{missing}\' command exists in these Python versions:" >&2\nexit 127\n',
        )
    venv_python = (  # the created venv's python: pip works, installs are instant
        'case "$1" in --version) echo "Python 3.11.9";; esac\nexit 0\n'
    )
    _fake(
        fakebin / "python3.11",
        'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then\n'
        '  mkdir -p "$3/bin"\n'
        f"  cat > \"$3/bin/python\" <<'EOF'\n#!/bin/sh\n{venv_python}EOF\n"
        '  chmod +x "$3/bin/python"\nfi\nexit 0\n',
    )
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "bootstrap-venv.sh"), str(tmp_path / "venv")],
        cwd=REPO,
        env={"PATH": f"{fakebin}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == f"environment ready: {tmp_path / 'venv'} (Python 3.11.9)"
