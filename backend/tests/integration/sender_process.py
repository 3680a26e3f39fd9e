"""A real `atp sender`-like process for the SIGKILL tests: `python -m tests.integration.sender_process
<db_url> <data_dir> <api_base_url> <token> <chat_id>`, with the scaled-down limits below.

It runs `run_sender` (single-instance lock, fencing epoch, the real loop) until killed.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from atp.alerts.pacing import PacingLimits
from atp.alerts.sender import SenderConfig
from atp.runtime.context import AppContext
from atp.runtime.sender import run_sender
from atp.settings import Settings

# Telegram's 1/s per chat, 20/min per group and 30/s overall, with the windows scaled down.
LIMITS = PacingLimits(
    per_chat_interval=0.05, group_max=20, group_window=4.0, global_max=30, global_window=1.0
)
CONFIG = SenderConfig(
    limits=LIMITS,
    send_timeout=0.5,
    claim_lease=timedelta(seconds=1.0),
    poll_interval=0.05,
    gating_interval=1.0,
)


def main(db_url: str, data_dir: str, api_base_url: str, token: str, chat_id: str) -> None:
    settings = Settings(
        _env_file=None,
        database_url=db_url,
        data_dir=Path(data_dir),
        environment="production",
        telegram_bot_token=token,
        telegram_chat_id=chat_id,
        telegram_api_base_url=api_base_url,
        telegram_daily_summary_time="off",
        telegram_send_timeout_seconds=0.5,
        display_timezone="UTC",
    )
    app = AppContext(settings=settings)
    asyncio.run(run_sender(app, asyncio.Event(), config=CONFIG))


if __name__ == "__main__":
    main(*sys.argv[1:6])
