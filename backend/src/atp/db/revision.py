"""Schema revision: migrate to head, compare current with head, and the start guard."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

EXIT_SCHEMA_NOT_AT_HEAD = 3


def alembic_config(url: str) -> Config:
    """An Alembic config that works from an installed package (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(files("atp") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class RevisionStatus:
    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        current = self.current or "none (empty database)"
        return f"current={current} head={self.head}"


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no Alembic head revision found in the package")
    return head


def revision_status(engine: Engine) -> RevisionStatus:
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return RevisionStatus(current=current, head=head_revision(url))


def upgrade_to_head(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def downgrade_to_base(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")


class SchemaNotAtHeadError(RuntimeError):
    """The database is not at the head revision; the process must not start."""

    def __init__(self, status: RevisionStatus) -> None:
        super().__init__(
            f"database schema is not at head ({status.describe()}); run `atp migrate` first"
        )
        self.status = status


def require_head(engine: Engine) -> RevisionStatus:
    """Raise SchemaNotAtHeadError unless the database is exactly at head."""
    status = revision_status(engine)
    if not status.at_head:
        raise SchemaNotAtHeadError(status)
    return status
