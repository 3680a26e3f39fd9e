"""Downgrade the database to an older Alembic revision (used by scripts/rollback_aws.sh).

Runs in the image that migrated the database forward, since only that image knows how to undo its
own migrations. Exit 0 done (or already there), 3 the revision is unknown to this image (the
target is newer: `atp migrate` in the target image upgrades instead), 1 the downgrade failed.
"""

# ruff: noqa: T201  (a command-line script: printing is its output)
from __future__ import annotations

import sys

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine

from atp.db.revision import alembic_config
from atp.settings import get_settings

EXIT_UNKNOWN_REVISION = 3


def main(target: str) -> int:
    url = get_settings().effective_database_url
    config = alembic_config(url)
    try:
        ScriptDirectory.from_config(config).get_revision(target)
    except CommandError:
        print(f"revision {target} is unknown to this image")
        return EXIT_UNKNOWN_REVISION
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, target)
    finally:
        engine.dispose()
    print(f"database at revision {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
