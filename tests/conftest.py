"""Shared fixtures: a fresh database per test on SQLite or PostgreSQL, and a CLI runner.

The backend comes from ``CLINICCTL_TEST_DB``: unset or ``sqlite`` for SQLite files, or a
PostgreSQL server URL (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``). The schema is
migrated once per run into a template (a file, or a template database) and copied per test,
so every test starts from the Alembic head with the practice and its owner.

What the fixtures build lives in ``tests/fixtures/``: the cast (``cast.py``), the databases
(``backend.py``), a run's result (``runner.py``), the practices shared by a module
(``practice_db.py``, ``schedule_db.py``, ``exchange_db.py``), PostgreSQL logins
(``pg_logins.py``), and the helpers of the bad-input and permission tests. The fixtures of the
costly practices (``practice``, ``scratch``, ``agenda``, ``exchange_practice``) are in the
plugin ``tests/fixtures/practices.py``; those only the CLI tests use in ``tests/cli/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fixtures.backend import Backend, backend_spec
from tests.fixtures.cast import OWNER_EMAIL, Cast, Opener, populate_cast
from tests.fixtures.practice_db import Shared, build_practice
from tests.fixtures.runner import Cli, Run

pytest_plugins = ["tests.fixtures.practices"]

ENV_KEYS = ("CLINICCTL_DB", "CLINICCTL_ACTOR", "CLINICCTL_FORMAT", "CLINICCTL_CONFIG",
            "CLINICCTL_BIND_ACTOR_TO_LOGIN", "CLINICCTL_DEBUG", "CLINICCTL_QUIET", "NO_COLOR")


def pytest_report_header(config: pytest.Config) -> str:
    backend = backend_spec()
    return f"clinicctl test database: {'SQLite files' if backend == 'sqlite' else backend}"


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    spec = backend_spec()
    if spec != "sqlite":
        try:
            import psycopg

            with psycopg.connect(spec.replace("postgresql+psycopg://", "postgresql://"),
                                 connect_timeout=5):
                pass
        except Exception as exc:  # noqa: BLE001
            pytest.exit(f"CLINICCTL_TEST_DB={spec} is not reachable: {exc}", returncode=3)
    instance = Backend(spec, tmp_path_factory.mktemp("databases"))
    yield instance
    instance.cleanup()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config, database or actor."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    # An explicitly named config file must exist: this one starts empty (tests write to it).
    config = tmp_path / "config.toml"
    config.touch()
    monkeypatch.setenv("CLINICCTL_CONFIG", str(config))
    # --quiet is process state set by the root command: a test that calls a module directly
    # (a progress bar, a warning) must not inherit the last CLI run's --quiet.
    from clinicctl import output

    monkeypatch.setattr(output, "_quiet", False)


@pytest.fixture
def db_url(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh initialised database (practice + owner), also set as CLINICCTL_DB."""
    url = backend.initialised()
    monkeypatch.setenv("CLINICCTL_DB", url)
    return url


@pytest.fixture(scope="module")
def _shared_db(backend: Backend) -> Shared:
    return build_practice(backend)


@pytest.fixture
def shared(_shared_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice, built once per test module, for tests that only read (and audit)
    or whose commands change nothing; also CLINICCTL_DB."""
    monkeypatch.setenv("CLINICCTL_DB", _shared_db.url)
    return _shared_db


@pytest.fixture
def empty_db_url(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> str:
    url = backend.empty()
    monkeypatch.setenv("CLINICCTL_DB", url)
    return url


@pytest.fixture
def cli() -> Cli:
    """``cli("client", "list", actor="...")`` runs the app in-process and returns a Run."""
    from clinicctl.cli import app

    runner = CliRunner()

    def run(*args: str, actor: str | None = OWNER_EMAIL, input: str | None = None) -> Run:
        argv = (["--as", actor] if actor else []) + list(args)
        result = runner.invoke(app, argv, input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def session(db_url: str) -> Iterator[Any]:
    """A session on the test database for service tests; committed on success."""
    from clinicctl.db import make_engine
    from clinicctl.runtime import unit_of_work

    engine = make_engine(db_url)
    with unit_of_work(engine) as db_session:
        yield db_session
    engine.dispose()


@pytest.fixture
def open_session(db_url: str) -> Opener:
    """``with open_session() as s:`` — a short transaction, e.g. to check data after a CLI
    run (a long-lived session would hold SQLite's write lock)."""
    from clinicctl.db import make_engine
    from clinicctl.runtime import unit_of_work

    @contextmanager
    def opener(write: bool = True) -> Iterator[Any]:
        engine = make_engine(db_url)
        try:
            with unit_of_work(engine, write=write) as db_session:
                yield db_session
        finally:
            engine.dispose()

    return opener


@pytest.fixture
def cast(open_session: Opener) -> Cast:
    """The standard practice of ``populate_cast`` in this test's database."""
    return populate_cast(open_session)
