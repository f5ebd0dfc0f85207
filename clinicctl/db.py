"""Engines and sessions: one transaction per command.

SQLite: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for writing commands so
two writers never interleave a check and an insert. The database file is created 0600 in a
0700 directory, because on SQLite the file's permissions are the security boundary.
PostgreSQL: the same sessions over psycopg 3.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
)
from sqlalchemy.orm import Session

from clinicctl.config import path_as_url
from clinicctl.errors import ClinicError, Conflict, DatabaseError, Denied, InvalidInput
from clinicctl.schema import KNOWN_REVISIONS, SCHEMA_HEAD

SQLITE_BUSY_TIMEOUT_MS = 5000
# BEGIN IMMEDIATE waits busy_timeout each try; this bounds the whole wait.
SQLITE_BEGIN_ATTEMPTS = 3
PG_LOCK_TIMEOUT_S = 15
# The one writer lock on PostgreSQL (SQLite's is BEGIN IMMEDIATE): every writing command and
# every audit append takes this advisory lock, so two writers never chain onto the same
# audit event and each writer's checks see every committed write.
WRITER_LOCK = 0x636C696E  # "clin"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _prepare_sqlite_file(path: Path) -> None:
    """The database file, 0600, in folders created 0700 (the file's permissions are the
    security boundary on SQLite). An existing empty file (made by ``touch``) is made 0600."""
    try:
        if path.exists():
            if path.is_file() and path.stat().st_size == 0:
                os.chmod(path, 0o600)
            return
        missing = [folder for folder in (path.parent, *path.parent.parents)
                   if not folder.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)  # mkdir's mode is reduced by the umask
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        raise DatabaseError(f"cannot create the database file {path}: {exc.strerror}",
                            hint="choose a folder you may write to") from None


def make_engine(url: str, *, create: bool = False) -> Engine:
    """An engine for ``url``. A missing SQLite file is created only when ``create`` is set;
    otherwise a data command on a missing file reports "not initialised"."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        url_of_path = path_as_url(url)
        raise InvalidInput(f"invalid database URL {url!r}",
                           hint=f"did you mean {url_of_path}?" if url_of_path else None
                           ) from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidInput(f"invalid database URL {url!r}: port {parsed.port} is out of range")
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            if create:
                _prepare_sqlite_file(path)
            elif not path.exists():
                raise DatabaseError(
                    f"database {path} does not exist",
                    hint="create it with `clinicctl init --practice ... --owner-email ...`",
                )
        engine = create_engine(url)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=False)
        except ModuleNotFoundError:
            raise DatabaseError(
                "PostgreSQL support is not installed",
                hint="pip install 'clinicctl[postgres]'",
            ) from None
    raise InvalidInput(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event emit BEGIN itself (the pysqlite recipe), so writes
        # can start with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("clinicctl_begin", "IMMEDIATE")
        for attempt in range(1, SQLITE_BEGIN_ATTEMPTS + 1):
            try:
                connection.exec_driver_sql(f"BEGIN {mode}")
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == SQLITE_BEGIN_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Set on a session by ``oversight.logins`` once it knows the login is a staff member's.
STAFF_LOGIN = "clinicctl_staff_login"


def reads_through_functions(session: Session) -> bool:
    """Whether this session is a staff login, which reads chart notes, documents, emergency
    access and the audit trail through the database's functions (it may not read those
    tables): set when the actor is resolved."""
    return bool(session.info.get(STAFF_LOGIN))


def check_schema(session: Session) -> None:
    """Refuse to work on a database that is not initialised or not at the code's schema."""
    try:
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, DBAPIError) as exc:
        if _is_permission_denied(exc):
            # A PostgreSQL login that is not a member of clinicctl_staff (bound to nobody).
            session.rollback()
            raise not_bound(str(session.execute(text("SELECT session_user")).scalar())
                            ) from None
        if _is_missing_table(exc):
            session.rollback()
            if has_clinicctl_tables(session.connection()):
                raise lost_revision() from None
            raise DatabaseError(
                "database is not initialised",
                hint="run `clinicctl init --practice NAME --timezone TZ "
                "--owner-name NAME --owner-email EMAIL`",
            ) from None
        raise
    if version is None:
        raise DatabaseError("database is not initialised", hint="run `clinicctl init ...`")
    if is_newer_revision(version):
        raise newer_schema(version)
    if version != SCHEMA_HEAD:
        raise DatabaseError(
            f"database schema is at revision {version}, this clinicctl needs {SCHEMA_HEAD}",
            hint="run `clinicctl db upgrade`",
        )


def is_newer_revision(version: str) -> bool:
    """A revision this code has no migration for, numbered after its head: a newer clinicctl
    wrote it, and `db upgrade` cannot help."""
    return (version not in KNOWN_REVISIONS and version.isascii() and version.isdigit()
            and int(version) > int(SCHEMA_HEAD))


def newer_schema(version: str) -> DatabaseError:
    return DatabaseError(
        f"database schema is at revision {version}, newer than this clinicctl knows "
        f"({SCHEMA_HEAD}): a newer clinicctl upgraded it",
        hint="use that clinicctl: pip install --upgrade clinicctl")


def has_clinicctl_tables(connection: Any) -> bool:
    from sqlalchemy import inspect

    return "practice" in inspect(connection).get_table_names()


def not_bound(login: str) -> Denied:
    """A PostgreSQL login that may not use this practice's database."""
    return Denied(f"database login {login!r} is not bound to a staff member of this practice",
                  hint="the practice's owner binds it: clinicctl staff login STAFF --set LOGIN")


def lost_revision() -> DatabaseError:
    """clinicctl's tables without a revision: migrating them from scratch would run over
    them, and nothing says which migrations they have."""
    return DatabaseError(
        "the database holds clinicctl's tables but no schema revision (its alembic_version "
        "table is gone)",
        hint="restore the database from a backup; clinicctl cannot tell which migrations it "
        "has")


def _is_permission_denied(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "42501":
        return True
    # A refused connection carries no SQLSTATE, only the server's words.
    return "permission denied for database" in str(orig)


def _is_missing_table(exc: Exception) -> bool:
    text_ = str(exc).lower()
    return "no such table" in text_ or "does not exist" in text_ or "undefinedtable" in text_


@contextmanager
def session_scope(
    engine: Engine, *, write: bool = True, dry_run: bool = False, check: bool = True
) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error or ``dry_run``.

    Database failures become exit-code errors here, so no command ever shows a driver
    traceback. (Recording a refused attempt in the audit trail, after the rollback, is the
    runtime's: see ``clinicctl.runtime``.)
    """
    begin = "IMMEDIATE" if write else "DEFERRED"
    try:
        connection = engine.connect().execution_options(clinicctl_begin=begin)
    except OperationalError as exc:
        if _is_permission_denied(exc):
            # PostgreSQL lets only the logins bound in a practice's database connect to it.
            raise not_bound(engine.url.username or "(your login)") from None
        raise _unavailable(exc) from None
    except DBAPIError as exc:  # e.g. SQLite's "file is not a database" at the first PRAGMA
        raise refusal(exc) from None
    session = Session(bind=connection, expire_on_commit=False, autoflush=True)
    try:
        try:
            if check:
                check_schema(session)
            if write and engine.dialect.name == "postgresql":
                _serialise_writers(session)
            yield session
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except Denied:
            session.rollback()
            raise
        except IntegrityError as exc:
            session.rollback()
            name = _constraint(exc)
            raise Conflict(
                CONSTRAINT_MESSAGES.get(name, f"the change conflicts with existing data ({name})")
            ) from None
        except DataError as exc:
            # A value the column cannot hold (PostgreSQL checks lengths; SQLite does not).
            session.rollback()
            reason = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
            raise InvalidInput(f"a value does not fit the database: {reason}") from None
        except OperationalError as exc:
            session.rollback()
            raise _unavailable(exc) from None
        except DBAPIError as exc:
            session.rollback()
            raise refusal(exc) from None
        except BaseException:
            session.rollback()
            raise
    finally:
        session.close()
        connection.close()


def _serialise_writers(session: Session) -> None:
    """PostgreSQL's counterpart of SQLite's ``BEGIN IMMEDIATE``: a writing command takes the
    audit chain's advisory lock before it touches any row, so its checks see every committed
    write and writers never deadlock. (Taking it only when the audit event is written would
    let one writer hold the lock while waiting on another's uncommitted row, e.g. an
    overlapping appointment, while that one waits for the lock.) The exclusion constraints
    still guard against writers that bypass clinicctl."""
    # Bounded like SQLite's busy timeout: a writer stuck behind a long one gives up with
    # exit 6 instead of waiting for ever.
    session.execute(text(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT_S}s'"))
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})


# Constraints a concurrent writer can trip after the service's own check passed.
CONSTRAINT_MESSAGES = {
    "ex_appointment_provider_id_overlap":
        "the provider was booked at an overlapping time by someone else just now",
    "ex_appointment_participant_client_overlap":
        "the client was booked at an overlapping time by someone else just now",
    # Under row-level security a login does not see every group whose name it could take.
    "uq_client_group_name_key": "a client group with this name already exists",
}


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name or str(exc.orig).splitlines()[0]


def refusal(exc: DBAPIError) -> ClinicError:
    """Any other database error as one line: a row-level security or privilege refusal on
    PostgreSQL is a permission denied (exit 4), anything else (a file that is not a database,
    say) a database error (exit 6)."""
    reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
    if _is_permission_denied(exc):
        return Denied(f"the database refused: {reason}")
    return DatabaseError(f"database error: {reason}")


def _unavailable(exc: OperationalError) -> DatabaseError:
    message = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
    if "locked" in message or "lock timeout" in message:
        return DatabaseError(
            "database is locked by another writer (gave up after retrying)",
            hint="try again; a long-running command may hold the lock",
        )
    return DatabaseError(f"database unavailable: {message}")


def insert_many(session: Session, table: Table, columns: Sequence[str],
                rows: Iterable[Sequence[Any]], *, same: dict[str, Any] | None = None) -> None:
    """Insert rows (tuples in the order of ``columns``) at the driver's speed.

    SQLAlchemy's executemany prepares the parameters of every row anew; for a 100,000-row
    import that is most of the time. Here each column's bind processor (SQLAlchemy's own, so
    values are stored exactly as the ORM stores them) is looked up once, then the rows go to
    the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Same transaction as the
    session. ``same`` holds the columns whose value is the same on every row (converted once).
    """
    connection = session.connection()
    dialect = connection.dialect

    def processor(name: str) -> Any:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    processors = [processor(name) for name in columns]
    fixed = _converted(list((same or {}).values()), [processor(name) for name in same or {}])
    columns = [*columns, *(same or {})]
    converted = (_converted(row, processors) + fixed for row in rows)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    if dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        if not _row_security_applies(session, table.name):
            with driver_errors(connection), raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                    f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
                for row in converted:
                    copy.write_row(row)
            return
        # COPY FROM is refused where row-level security applies (a staff login): one INSERT
        # of the rows as arrays instead, each row checked by the table's policies.
        types = [table.c[name].type.compile(dialect=dialect) for name in columns]
        arrays = ", ".join(f"%s::{type_}[]" for type_ in types)
        values = [list(column) for column in zip(*converted, strict=True)]
        if not values:
            return
        connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) "
                                   f"SELECT * FROM unnest({arrays})", tuple(values))
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",
                               [tuple(row) for row in converted])


@contextmanager
def driver_errors(connection: Any) -> Iterator[None]:
    """Errors of work done on the driver's own cursor (COPY), wrapped as SQLAlchemy wraps the
    errors of its statements, so the session scope turns them into exit codes alike."""
    base = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except base as exc:
        raise DBAPIError.instance(None, None, exc, base, dialect=connection.dialect
                                  ) from None


def _row_security_applies(session: Session, table: str) -> bool:
    """Whether the policies of migration 0004 apply to this session's login (asked once)."""
    known = session.info.setdefault("clinicctl_row_security", {})
    if table not in known:
        known[table] = bool(session.execute(text("SELECT row_security_active(:table)"),
                                            {"table": table}).scalar())
    return bool(known[table])


def _converted(row: Sequence[Any], processors: Sequence[Any]) -> list[Any]:
    return [value if convert is None or value is None else convert(value)
            for value, convert in zip(row, processors, strict=True)]


def one_of(session: Session, column: Any, name: str) -> Any:
    """``column`` is one of the values of parameter ``name``: a chunk's keys bound at once.

    PostgreSQL takes them as one array (``= ANY``); an expanding ``IN`` would be rendered and
    parsed with one placeholder per key for every chunk, which costs more than the lookup.
    """
    from sqlalchemy import ARRAY, any_, bindparam

    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))
