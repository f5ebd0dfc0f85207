"""The migrations and the models agree, on the backend under test, and the schema revision
the code expects is the Alembic head."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import OWNER_EMAIL, PRACTICE_TZ


def schema_differences(url: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from clinicctl.db import make_engine
    from clinicctl.models import Base

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_schema_head_is_the_alembic_head():  # type: ignore[no-untyped-def]
    from clinicctl import migrate
    from clinicctl.schema import SCHEMA_HEAD

    assert SCHEMA_HEAD == migrate.head_revision()


def test_models_match_migrated_database(db_url):  # type: ignore[no-untyped-def]
    assert schema_differences(db_url) == []


def test_downgrade_to_base_and_upgrade_again(db_url):  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import inspect

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    engine = make_engine(db_url)
    try:
        command.downgrade(migrate.alembic_config(engine), "base")
        assert migrate.current_revision(engine) is None
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []


def test_db_status_at_head(cli, db_url):  # type: ignore[no-untyped-def]
    from clinicctl.db import normalise_url
    from clinicctl.schema import SCHEMA_HEAD

    result = cli("db", "status", "-o", "json", actor=None)
    assert result.exit_code == 0, result.output
    on_postgres = db_url.startswith("postgresql")
    assert result.json() == {"database": normalise_url(db_url), "current": SCHEMA_HEAD,
                             "head": SCHEMA_HEAD, "at_head": True,
                             "row_level_security": on_postgres, "bound_logins": []}
    assert result.stderr == ""


def test_db_upgrade_at_head_is_a_noop(cli, db_url):  # type: ignore[no-untyped-def]
    from clinicctl.schema import SCHEMA_HEAD

    result = cli("db", "upgrade", actor=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Schema already at head ({SCHEMA_HEAD}).\n"


def test_db_upgrade_of_empty_database_then_init(cli, backend, empty_db_url
                                                 ):  # type: ignore[no-untyped-def]
    from clinicctl.schema import SCHEMA_HEAD

    if not backend.is_postgres:
        # An existing, empty SQLite file (a missing one is refused: see test_bad_input).
        Path(empty_db_url.removeprefix("sqlite:///")).touch(mode=0o600)
    result = cli("db", "upgrade", actor=None)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Schema upgraded from empty to {SCHEMA_HEAD}.\n"
    assert schema_differences(empty_db_url) == []
    status = cli("db", "status", "-o", "json", actor=None)
    assert status.exit_code == 0, status.output
    assert status.json()["at_head"] is True
    # The schema exists but nobody is in it yet: init still completes the setup.
    init = cli("init", "--practice", "Riverside Counseling", "--timezone", PRACTICE_TZ,
               "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL, actor=None)
    assert init.exit_code == 0, init.output
    listed = cli("staff", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [s["email"] for s in listed.json()] == [OWNER_EMAIL]
