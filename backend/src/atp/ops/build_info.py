"""Which build is running: package version, git commit and build time.

The image bakes `GIT_SHA` and `BUILD_TIME` into its environment (read through `Settings`). A
source checkout has neither; there the commit comes from `git rev-parse HEAD` when git and the
repository are available, so `atp version` and `GET /api/config` still name the code that runs.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from atp import __version__
from atp.settings import Settings

UNKNOWN = "unknown"
# backend/src/atp/ops/build_info.py -> parents[4] is the repository root of a source checkout.
_CHECKOUT_ROOT = Path(__file__).resolve().parents[4]

BuildSource = Literal["environment", "checkout", "unknown"]


@dataclass(frozen=True)
class BuildInfo:
    version: str
    git_sha: str
    build_time: str
    source: BuildSource  # where git_sha came from

    def line(self) -> str:
        return f"atp {self.version} git_sha={self.git_sha} build_time={self.build_time}"


def build_info(settings: Settings | None) -> BuildInfo:
    """From GIT_SHA / BUILD_TIME when set, else from the checkout's git HEAD, else 'unknown'."""
    sha = settings.git_sha.strip() if settings is not None else ""
    built = settings.build_time.strip() if settings is not None else ""
    if sha:
        return BuildInfo(__version__, sha, built or UNKNOWN, "environment")
    head = checkout_head()
    if head:
        return BuildInfo(__version__, head, built or UNKNOWN, "checkout")
    return BuildInfo(__version__, UNKNOWN, built or UNKNOWN, "unknown")


@lru_cache(maxsize=1)
def checkout_head() -> str | None:
    """`git rev-parse HEAD` of the source checkout this package runs from (None: not one)."""
    git = shutil.which("git")
    if git is None or not (_CHECKOUT_ROOT / ".git").exists():
        return None
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "-C", str(_CHECKOUT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None
