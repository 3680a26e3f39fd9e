"""Create or drop a throw-away PostgreSQL database for a test run.

usage: pg_tmpdb.py create [SERVER_URL]   -> prints the new database URL
       pg_tmpdb.py drop DATABASE_URL
"""

from __future__ import annotations

import sys
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def create(server_url: str) -> str:
    server = make_url(server_url)
    name = f"atp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop(database_url: str) -> None:
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "create":
        print(create(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_SERVER))
    elif len(sys.argv) == 3 and sys.argv[1] == "drop":
        drop(sys.argv[2])
    else:
        sys.exit(__doc__)
