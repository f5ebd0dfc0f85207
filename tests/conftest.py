"""Shared fixtures: a fresh database per test on SQLite or PostgreSQL, and a CLI runner.

The backend comes from ``CLINICCTL_TEST_DB``: unset or ``sqlite`` for SQLite files, or a
PostgreSQL server URL (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``). The schema is
migrated once per run into a template (a file, or a template database) and copied per test,
so every test starts from the Alembic head with the practice and its owner.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

OWNER_EMAIL = "dana@riverside.example"
PRACTICE_TZ = "America/New_York"
ENV_KEYS = ("CLINICCTL_DB", "CLINICCTL_ACTOR", "CLINICCTL_FORMAT", "CLINICCTL_CONFIG",
            "CLINICCTL_BIND_ACTOR_TO_LOGIN", "CLINICCTL_DEBUG", "CLINICCTL_QUIET", "NO_COLOR")


def _backend() -> str:
    return os.environ.get("CLINICCTL_TEST_DB", "sqlite").strip() or "sqlite"


def pytest_report_header(config: pytest.Config) -> str:
    backend = _backend()
    return f"clinicctl test database: {'SQLite files' if backend == 'sqlite' else backend}"


class Backend:
    """Creates fresh databases from a migrated, initialised template."""

    def __init__(self, spec: str, workdir: Path) -> None:
        self.spec = spec
        self.workdir = workdir
        self.is_postgres = spec != "sqlite"
        self.created: list[str] = []
        self.template: str | None = None

    # --- PostgreSQL helpers -------------------------------------------------------------
    def _admin(self):  # type: ignore[no-untyped-def]
        from sqlalchemy import create_engine

        from clinicctl.db import normalise_url

        return create_engine(normalise_url(self.spec), isolation_level="AUTOCOMMIT")

    def _pg_url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        from clinicctl.db import normalise_url

        return make_url(normalise_url(self.spec)).set(database=name).render_as_string(
            hide_password=False)

    def _pg_create(self, name: str, template: str | None = None) -> str:
        from sqlalchemy import text

        engine = self._admin()
        with engine.connect() as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
            if template:
                # A database's privileges are not copied from its template: give the clone
                # the rule migration 0004 sets (only logins bound here may connect).
                conn.execute(text(f'REVOKE CONNECT ON DATABASE "{name}" FROM PUBLIC'))
        engine.dispose()
        self.created.append(name)
        return self._pg_url(name)

    # --- both -----------------------------------------------------------------------------
    def empty(self) -> str:
        """A URL for a database with no schema (the SQLite file does not exist yet)."""
        if self.is_postgres:
            return self._pg_create(f"clinicctl_t_{uuid.uuid4().hex[:12]}")
        return f"sqlite:///{self.workdir / f'empty-{uuid.uuid4().hex[:8]}.sqlite3'}"

    def initialised(self) -> str:
        if self.template is None:
            self.template = self._make_template()
        if self.is_postgres:
            name = f"clinicctl_t_{uuid.uuid4().hex[:12]}"
            return self._pg_create(name, template=self.template)
        target = self.workdir / f"db-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(self.template, target)
        os.chmod(target, 0o600)
        return f"sqlite:///{target}"

    def _make_template(self) -> str:
        from clinicctl.cli import app

        url = self.empty()
        result = CliRunner().invoke(
            app, ["--db", url, "init", "--practice", "Riverside Counseling", "--timezone",
                  PRACTICE_TZ, "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL])
        assert result.exit_code == 0, result.output
        if self.is_postgres:
            return url.rsplit("/", 1)[1]
        return url.removeprefix("sqlite:///")

    def cleanup(self) -> None:
        if not self.is_postgres:
            return
        from sqlalchemy import text

        engine = self._admin()
        with engine.connect() as conn:
            for name in reversed(self.created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    spec = _backend()
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


@pytest.fixture
def db_url(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh initialised database (practice + owner), also set as CLINICCTL_DB."""
    url = backend.initialised()
    monkeypatch.setenv("CLINICCTL_DB", url)
    return url


@pytest.fixture(scope="module")
def _shared_db(backend: Backend):  # type: ignore[no-untyped-def]
    from tests.practice_db import build_practice

    return build_practice(backend)


@pytest.fixture
def shared(_shared_db, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The cast's practice, built once per test module, for tests that only read (and audit)
    or whose commands change nothing; also CLINICCTL_DB."""
    monkeypatch.setenv("CLINICCTL_DB", _shared_db.url)
    return _shared_db


@pytest.fixture
def empty_db_url(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> str:
    url = backend.empty()
    monkeypatch.setenv("CLINICCTL_DB", url)
    return url


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self):  # type: ignore[no-untyped-def]
        import json

        return json.loads(self.stdout)


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
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
def session(db_url: str) -> Iterator:  # type: ignore[type-arg]
    """A session on the test database for service tests; committed on success."""
    from clinicctl.db import make_engine
    from clinicctl.runtime import unit_of_work

    engine = make_engine(db_url)
    with unit_of_work(engine) as db_session:
        yield db_session
    engine.dispose()


@pytest.fixture
def open_session(db_url: str):  # type: ignore[no-untyped-def]
    """``with open_session() as s:`` — a short transaction, e.g. to check data after a CLI
    run (a long-lived session would hold SQLite's write lock)."""
    from contextlib import contextmanager

    from clinicctl.db import make_engine
    from clinicctl.runtime import unit_of_work

    @contextmanager
    def opener(write: bool = True):  # type: ignore[no-untyped-def]
        engine = make_engine(db_url)
        try:
            with unit_of_work(engine, write=write) as db_session:
                yield db_session
        finally:
            engine.dispose()

    return opener


@dataclass
class Cast:
    """The standard practice every permission test uses (emails are the references)."""

    owner: str = OWNER_EMAIL
    manager: str = "morgan@riverside.example"
    provider_a: str = "sam@riverside.example"  # has the client, writes notes
    provider_b: str = "ana@riverside.example"  # gets the client shared
    provider_c: str = "lee@riverside.example"  # a bystander provider
    provider_own: str = "kim@riverside.example"  # records_owner = provider
    custodian: str = "rae@riverside.example"  # records custodian, all providers
    scoped_custodian: str = "ivy@riverside.example"  # records custodian for provider_c only
    scheduler: str = "jo@riverside.example"
    biller: str = "bo@riverside.example"
    client: str = "Maya Chen"
    client_id: int = 0
    own_client: str = "Omar Haddad"  # in provider_own's list
    progress_note_id: int = 0
    private_note_id: int = 0
    clinical_doc_id: int = 0
    plain_doc_id: int = 0

    def id_of(self, open_session, email: str) -> int:  # type: ignore[no-untyped-def]
        from clinicctl.people.refs import resolve_staff

        with open_session() as s:
            return resolve_staff(s, email).id


def populate_cast(opener) -> Cast:  # type: ignore[no-untyped-def]
    """Staff of every role, and client Maya Chen in provider A's list with A's progress
    note, private note, clinical document and non-clinical document. ``opener()`` opens a
    short transaction on the database to fill."""
    from clinicctl.charts import records
    from clinicctl.people import clients, staff
    from clinicctl.people.refs import resolve_staff

    c = Cast()
    people = [
        ("Morgan Blake", c.manager, ["manager"], "group"),
        ("Sam Okafor", c.provider_a, ["provider"], "group"),
        ("Ana Ruiz", c.provider_b, ["provider"], "group"),
        ("Lee Park", c.provider_c, ["provider"], "group"),
        ("Kim Novak", c.provider_own, ["provider"], "provider"),
        ("Rae Quinn", c.custodian, ["records-custodian"], "group"),
        ("Ivy Stone", c.scoped_custodian, ["records-custodian"], "group"),
        ("Jo Diaz", c.scheduler, ["scheduler"], "group"),
        ("Bo Grant", c.biller, ["biller"], "group"),
    ]
    with opener() as s:
        owner = resolve_staff(s, c.owner)
        for name, email, roles, records_owner in people:
            staff.create_staff(s, name=name, email=email, roles=roles,
                               records_owner=records_owner, created_by=owner)
        staff.set_custodian_scope(s, owner, c.scoped_custodian, provider_refs=[c.provider_c],
                                  all_providers=False, expires_on=None)
        added = clients.add_client(s, owner, first_name="Maya", last_name="Chen",
                                   dob="1990-04-12", provider_ref=c.provider_a,
                                   diagnosis=["F41.1"])
        c.client_id = added.client.id
        clients.add_client(s, owner, first_name="Omar", last_name="Haddad", dob="1985-09-30",
                           provider_ref=c.provider_own)
    with opener() as s:
        a = resolve_staff(s, c.provider_a)
        c.progress_note_id = records.add_note(s, a, c.client, body="A's progress note").id
        c.private_note_id = records.add_note(s, a, c.client, body="A's private note",
                                             kind="private").id
        c.clinical_doc_id = records.add_document(s, a, c.client, title="Assessment",
                                                 content=b"clinical", clinical=True).id
        c.plain_doc_id = records.add_document(s, a, c.client, title="Consent",
                                              content=b"consent", clinical=False).id
    return c


@pytest.fixture
def cast(open_session) -> Cast:  # type: ignore[no-untyped-def]
    """The standard practice of ``populate_cast`` in this test's database."""
    return populate_cast(open_session)
