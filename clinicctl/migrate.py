"""Alembic, configured in code, with the migrations shipped inside the package.

Only ``init`` and ``db upgrade|status`` import this module; data commands check the schema
revision with a plain query (``clinicctl.db.check_schema``) and never load Alembic.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "clinicctl:migrations")
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        from clinicctl.db import refusal

        raise refusal(exc) from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import DBAPIError

    from clinicctl.errors import DatabaseError

    try:
        refuse_lost_revision(engine)
        command.upgrade(alembic_config(engine), revision)
    except CommandError as exc:
        # e.g. a revision written by a newer clinicctl: not this code's schema to touch.
        raise DatabaseError(f"cannot upgrade the database schema: {exc}",
                            hint="is it from a newer clinicctl?") from None
    except DBAPIError as exc:
        from clinicctl.db import refusal

        raise refusal(exc) from None


def refuse_lost_revision(engine: Engine) -> None:
    """Refuse a schema this code must not touch: a newer clinicctl's, or clinicctl's tables
    without a revision (they would be migrated from scratch over themselves)."""
    from clinicctl.db import has_clinicctl_tables, is_newer_revision, lost_revision, newer_schema

    current = current_revision(engine)
    if current is not None and is_newer_revision(current):
        raise newer_schema(current)
    if current is not None:
        return
    with engine.connect() as connection:
        if has_clinicctl_tables(connection):
            raise lost_revision()


@dataclass
class SchemaStatus:
    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def status(engine: Engine) -> SchemaStatus:
    refuse_lost_revision(engine)
    return SchemaStatus(current_revision(engine), head_revision())
