"""The migrations and the models agree, on the backend under test, and the schema revision
the code expects is the Alembic head."""

from __future__ import annotations

from tests.fixtures.backend import schema_differences
from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ


def test_schema_head_is_the_alembic_head():
    from clinicctl import migrate
    from clinicctl.schema import SCHEMA_HEAD

    assert SCHEMA_HEAD == migrate.head_revision()


def test_models_match_migrated_database(db_url):
    assert schema_differences(db_url) == []


def test_downgrade_to_base_and_upgrade_again(db_url):
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


def test_upgrade_to_0004_keeps_every_row_and_the_chain(cli, empty_db_url):
    """A database built by revision 0003, with a practice, staff, a client, a note and a
    hash-chained trail written by that code: `db upgrade` keeps every row, the chain still
    verifies, and work goes on (on PostgreSQL now appended by the database)."""
    import datetime as dt
    import json

    from sqlalchemy import text

    from clinicctl import migrate, trail
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    engine = make_engine(empty_db_url, create=True)
    try:
        migrate.upgrade(engine, "0003")
        now = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
        with engine.begin() as conn:
            def insert(table: str, **values: object) -> None:
                names = ", ".join(values)
                marks = ", ".join(f":{k}" for k in values)
                conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)

            stamp = now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now
            insert("practice", id=1, name="Riverside Counseling", timezone=PRACTICE_TZ,
                   created_at=stamp)
            for staff_id, name, email, role in ((1, "Dana Reyes", OWNER_EMAIL, "owner"),
                                                (2, "Sam Okafor", "sam@riverside.example",
                                                 "provider"),
                                                (3, "Ana Ruiz", "ana@riverside.example",
                                                 "provider")):
                insert("staff", id=staff_id, name=name, name_key=name.lower(), email=email,
                       active=True, records_owner="group", created_at=stamp)
                insert("staff_role", staff_id=staff_id, role=role)
            insert("client", id=1, first_name="Maya", last_name="Chen", name_key="maya chen",
                   dob=dt.date(1990, 4, 12), created_at=stamp)
            insert("assignment", id=1, client_id=1, provider_id=2, status="active",
                   diagnosis="F41.1", origin="intake", created_by_id=1, created_at=stamp)
            insert("chart_note", id=1, client_id=1, author_id=2,
                   date_of_service=dt.date(2026, 11, 30), kind="progress", body="first",
                   created_at=stamp)
            prev = trail.GENESIS_HASH
            for event_id, actor, action in ((1, 1, "staff.add"), (2, 1, "client.add"),
                                            (3, 2, "note.add")):
                fields = {"at": now.isoformat(timespec="microseconds"), "actor_id": actor,
                          "action": action, "object_type": "staff", "object_id": None,
                          "client_id": None, "outcome": "ok", "details": "{}"}
                digest = trail._event_hash(prev, fields)
                insert("audit_event", id=event_id, at=stamp, actor_id=actor, action=action,
                       object_type="staff", object_id=None, client_id=None, outcome="ok",
                       details="{}", prev_hash=prev, hash=digest)
                prev = digest
            if conn.dialect.name == "postgresql":
                for table in ("staff", "client", "assignment", "chart_note", "audit_event",
                              "practice"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                      f"'id'), (SELECT max(id) FROM {table}))"))
        before = snapshot_rows(engine)
    finally:
        engine.dispose()
    upgraded = cli("db", "upgrade", actor=None)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stderr == f"Schema upgraded from 0003 to {SCHEMA_HEAD}.\n"
    engine = make_engine(empty_db_url)
    try:
        after = snapshot_rows(engine)
    finally:
        engine.dispose()
    assert {t: rows for t, rows in after.items() if t in before and t != "alembic_version"} == {
        t: rows for t, rows in before.items() if t != "alembic_version"}
    assert schema_differences(empty_db_url) == []
    verified = cli("audit", "verify", "-o", "json")
    assert verified.exit_code == 0, verified.output
    assert verified.json()["events"] == 3
    shared = cli("client", "share", "Maya Chen", "--from", "sam@riverside.example", "--to",
                 "ana@riverside.example", "--chart")
    assert shared.exit_code == 0, shared.output
    notes = cli("note", "list", "Maya Chen", "-o", "json", actor="ana@riverside.example")
    assert [n["body"] for n in notes.json()] == ["first"]
    assert json.loads(cli("audit", "verify", "-o", "json").stdout)["ok"] is True


# The tables of supervision and emergency access (migration 0010).
TABLES_OF_0010 = ("supervision", "emergency_access")


def snapshot_rows(engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, without the columns 0004, 0005, 0009, 0010 and 0011 add
    existing tables (so the revisions compare)."""
    from sqlalchemy import inspect, text

    added = {"db_login", "search_key"}
    added_to = {("appointment", "group_id"), ("chart_note", "appointment_id"),
                ("chart_note", "cosign_status"), ("chart_note", "cosigned_by_id"),
                ("chart_note", "cosigned_at"), ("client", "restricted")}
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        rows: dict[str, list[tuple[object, ...]]] = {}
        for name in tables:
            columns = [c["name"] for c in inspect(conn).get_columns(name)
                       if c["name"] not in added and (name, c["name"]) not in added_to]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows[name] = sorted(tuple(str(v) for v in row) for row in
                                conn.execute(text(f'SELECT {listed} FROM "{name}"')))
        return rows


def test_migration_0007_loses_nothing_and_goes_back(cli, cast, db_url):
    """Revision 0007 only adds the record of merges: going back to 0006 and up again keeps
    every other row, and a merge works on the upgraded database."""
    from alembic import command
    from sqlalchemy import inspect, text

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    added = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--new", "-o", "json")
    assert added.exit_code == 0, added.output

    def merge_function(engine) -> int:
        if engine.dialect.name != "postgresql":
            return 0
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM pg_proc "
                                         "WHERE proname = 'clinicctl_merge_clients'")).scalar())

    engine = make_engine(db_url)
    try:
        before = snapshot_rows(engine)
        command.downgrade(migrate.alembic_config(engine), "0006")
        with engine.connect() as conn:
            assert "client_merge" not in inspect(conn).get_table_names()
        assert merge_function(engine) == 0
        assert snapshot_rows(engine) == {
            t: rows for t, rows in before.items()
            if t not in ("client_merge", "client_group", "client_group_member",
                         "appointment_participant", *TABLES_OF_0010)} | {
            "alembic_version": [("0006",)]}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
        assert snapshot_rows(engine) == before
        assert merge_function(engine) == (1 if engine.dialect.name == "postgresql" else 0)
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []
    merged = cli("client", "merge", f"#{cast.client_id}", f"#{added.json()['id']}")
    assert merged.exit_code == 0, merged.output


def test_migration_0008_loses_nothing_and_goes_back(cli, cast, db_url):
    """Revision 0008 adds client groups and the assignment origin "group": going back to 0007
    drops the groups, gives their assignments the origin "appointment" and keeps every other
    row; up again keeps every row, and groups work on the upgraded database."""
    from alembic import command
    from sqlalchemy import inspect, text

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    made = cli("group", "add", "Tuesday DBT", "--provider", cast.provider_a,
               "--client", f"#{cast.client_id}")
    assert made.exit_code == 0, made.output
    engine = make_engine(db_url)
    try:
        before = snapshot_rows(engine)
        assert len(before["client_group_member"]) == 1
        command.downgrade(migrate.alembic_config(engine), "0007")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert not tables & {"client_group", "client_group_member"}
        assert snapshot_rows(engine) == {
            t: rows for t, rows in before.items()
            if t not in ("client_group", "client_group_member", "appointment_participant",
                         *TABLES_OF_0010)} | {
            "alembic_version": [("0007",)]}
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
        after = snapshot_rows(engine)
        assert after == before | {"client_group": [], "client_group_member": []}
        with engine.begin() as conn:
            conn.execute(text("UPDATE assignment SET origin = 'group' "
                              "WHERE client_id = :c"), {"c": cast.client_id})
            conn.execute(text("UPDATE assignment SET origin = 'intake' "
                              "WHERE client_id = :c"), {"c": cast.client_id})
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []
    again = cli("group", "add", "Tuesday DBT", "--provider", cast.provider_b,
                "--client", f"#{cast.client_id}")
    assert again.exit_code == 0, again.output
    assert "is new to Ana Ruiz" in again.stderr


def test_downgrade_from_0008_gives_group_assignments_the_origin_appointment(cli, cast,
                                                                             db_url):
    from alembic import command
    from sqlalchemy import text

    from clinicctl import migrate
    from clinicctl.db import make_engine

    made = cli("group", "add", "Tuesday DBT", "--provider", cast.provider_b,
               "--client", f"#{cast.client_id}")
    assert made.exit_code == 0, made.output
    engine = make_engine(db_url)
    query = text("SELECT origin FROM assignment a JOIN staff s ON s.id = a.provider_id "
                 "WHERE a.client_id = :c AND s.email = :e")
    try:
        with engine.connect() as conn:
            assert conn.execute(query, {"c": cast.client_id, "e": cast.provider_b}
                                ).scalar() == "group"
        command.downgrade(migrate.alembic_config(engine), "0007")
        with engine.connect() as conn:
            assert conn.execute(query, {"c": cast.client_id, "e": cast.provider_b}
                                ).scalar() == "appointment"
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def test_migration_0009_gives_every_appointment_its_client_place_and_goes_back(cli, cast,
                                                                              db_url):
    """A database at revision 0008 with appointments of every status (written as 0008 wrote
    them): 0009 gives each appointment one place, its client's, with the attendance its
    status implies and the client's time held unless cancelled; every other row stays.
    Going back to 0008 keeps every appointment; up again, group sessions work."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import text

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    engine = make_engine(db_url)
    statuses = ["scheduled", "completed", "cancelled", "late-cancelled", "no-show"]
    try:
        command.downgrade(migrate.alembic_config(engine), "0008")
        start = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
        with engine.begin() as conn:
            ids = {r[0]: r[1] for r in conn.execute(text("SELECT email, id FROM staff"))}
            omar = conn.execute(text("SELECT id FROM client WHERE id <> :c ORDER BY id"),
                                {"c": cast.client_id}).scalars().first()
            for offset, status in enumerate(statuses):
                begin = start + dt.timedelta(days=offset)
                stamp = (lambda v: v.replace(tzinfo=None)) if conn.dialect.name == "sqlite" \
                    else (lambda v: v)
                conn.execute(text(
                    "INSERT INTO appointment (client_id, provider_id, start_at, end_at, "
                    "service_code, pos_code, status, outside_availability, created_by_id, "
                    "created_at) VALUES (:client, :provider, :start, :end, '90834', '11', "
                    ":status, false, :owner, :start)"),
                    {"client": cast.client_id if offset % 2 == 0 else omar,
                     "provider": ids[cast.provider_a], "start": stamp(begin),
                     "end": stamp(begin + dt.timedelta(minutes=50)), "status": status,
                     "owner": ids[cast.owner]})
        before = snapshot_rows(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
        with engine.connect() as conn:
            placed = [tuple(r) for r in conn.execute(text(
                "SELECT a.status, p.client_id = a.client_id, p.attendance, p.active, "
                "p.start_at = a.start_at AND p.end_at = a.end_at FROM appointment a "
                "JOIN appointment_participant p ON p.appointment_id = a.id ORDER BY a.id"))]
        assert [(s, bool(same), attendance, bool(active), bool(times))
                for s, same, attendance, active, times in placed] == [
            ("scheduled", True, None, True, True),
            ("completed", True, "attended", True, True),
            ("cancelled", True, "cancelled", False, True),
            ("late-cancelled", True, "late-cancelled", False, True),
            ("no-show", True, "no-show", True, True)]
        after = snapshot_rows(engine)
        assert {t: r for t, r in after.items()
                if t not in ("appointment_participant", *TABLES_OF_0010)} == (
            before | {"alembic_version": [(SCHEMA_HEAD,)]})
        command.downgrade(migrate.alembic_config(engine), "0008")
        assert snapshot_rows(engine) == before
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []
    booked = cli("appointment", "book", "--client", f"#{cast.client_id}", "--client",
                 f"#{omar}", "--provider", cast.provider_a, "--at", "2027-03-01 10:00",
                 "--outside-availability", "-o", "json")
    assert booked.exit_code == 0, booked.output
    assert len(booked.json()["appointments"][0]["clients"]) == 2


def test_migration_0010_keeps_every_note_waiting_for_nobody_and_goes_back(cli, cast, db_url):
    """A database at revision 0009 with notes: 0010 keeps every row, and no note written
    before it waits for a co-signature. Going back to 0009 drops the supervisions, emergency
    accesses and signatures and keeps every note; up again, supervision works."""
    from alembic import command
    from sqlalchemy import inspect, text

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    engine = make_engine(db_url)
    try:
        command.downgrade(migrate.alembic_config(engine), "0009")
        with engine.connect() as conn:
            assert not set(inspect(conn).get_table_names()) & set(TABLES_OF_0010)
            assert "cosign_status" not in {c["name"] for c in
                                           inspect(conn).get_columns("chart_note")}
        before = snapshot_rows(engine)
        assert len(before["chart_note"]) == 2
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
        after = snapshot_rows(engine)
        assert {t: r for t, r in after.items() if t not in TABLES_OF_0010} == (
            before | {"alembic_version": [(SCHEMA_HEAD,)]})
        assert all(after[t] == [] for t in TABLES_OF_0010)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM chart_note "
                                     "WHERE cosign_status IS NOT NULL")).scalar() == 0
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []
    supervised = cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c,
                     "--cosign")
    assert supervised.exit_code == 0, supervised.output
    note = cli("note", "add", cast.client, "--body", "after", "-o", "json",
               actor=cast.provider_a)
    assert note.json()["cosign_status"] == "pending"
    signed = cli("note", "sign", str(note.json()["id"]), actor=cast.provider_c)
    assert signed.exit_code == 0, signed.output
    engine = make_engine(db_url)
    try:
        command.downgrade(migrate.alembic_config(engine), "0009")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM chart_note")).scalar() == 3
        at_0009 = database_rules(engine)
        migrate.upgrade(engine)
        if engine.dialect.name == "postgresql":
            assert database_rules(engine) != at_0009
        command.downgrade(migrate.alembic_config(engine), "0009")
        # Down again: every function, policy, grant and trigger is 0009's once more.
        assert database_rules(engine) == at_0009
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def database_rules(engine) -> dict[str, list[tuple[object, ...]]]:
    """PostgreSQL's functions (their definitions), policies, column and table grants and
    triggers in this database; nothing on SQLite."""
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        return {}
    queries = {
        "functions": "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid) FROM pg_proc p "
                     "JOIN pg_namespace n ON n.oid = p.pronamespace "
                     "WHERE n.nspname = current_schema() AND p.proname LIKE 'clinicctl%'",
        "policies": "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
                    "WHERE schemaname = current_schema()",
        "table_grants": "SELECT table_name, privilege_type FROM "
                        "information_schema.role_table_grants WHERE grantee = 'clinicctl_staff'",
        "column_grants": "SELECT table_name, column_name, privilege_type FROM "
                         "information_schema.column_privileges WHERE grantee = 'clinicctl_staff'",
        "triggers": "SELECT tgrelid::regclass::text, tgname, tgfoid::regprocedure::text "
                    "FROM pg_trigger WHERE NOT tgisinternal",
    }
    with engine.connect() as conn:
        return {name: sorted(tuple(row) for row in conn.execute(text(query)))
                for name, query in queries.items()}


def test_migration_0011_restricts_nobody_loses_nothing_and_goes_back(cli, cast, db_url):
    """A database at revision 0010 with clients, notes, documents, a group and a group
    session: 0011 keeps every row and restricts nobody (on PostgreSQL a login reads what it
    read before). A restricted client going back to 0010 keeps every row too, and their
    profile is every role's again there (the functions and policies are those before 0011);
    up again, nobody is restricted and restricting works."""
    from alembic import command
    from sqlalchemy import text

    from clinicctl import migrate
    from clinicctl.db import make_engine
    from clinicctl.schema import SCHEMA_HEAD

    for args in (("group", "add", "Tuesday DBT", "--provider", cast.provider_a, "--client",
                  f"#{cast.client_id}"),
                 ("appointment", "book", "--group", "Tuesday DBT", "--at", "2027-03-01 10:00",
                  "--outside-availability")):
        made = cli(*args)
        assert made.exit_code == 0, made.output

    def restricted(engine) -> list[tuple[int, bool]]:
        with engine.connect() as conn:
            return [(i, bool(r)) for i, r in conn.execute(text(
                "SELECT id, restricted FROM client ORDER BY id"))]

    def profile_function(engine) -> str:
        if engine.dialect.name != "postgresql":
            return ""
        with engine.connect() as conn:
            return str(conn.execute(text(
                "SELECT pg_get_functiondef('clinicctl_has_profile_access(integer)'"
                "::regprocedure)")).scalar())

    def client_policy(engine) -> str:
        if engine.dialect.name != "postgresql":
            return ""
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT qual FROM pg_policies "
                                         "WHERE policyname = 'client_select'")).scalar())

    engine = make_engine(db_url)
    try:
        command.downgrade(migrate.alembic_config(engine), "0010")
        assert "restriction" not in profile_function(engine)
        before = snapshot_rows(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == SCHEMA_HEAD
        assert snapshot_rows(engine) == before | {"alembic_version": [(SCHEMA_HEAD,)]}
        assert {r for _, r in restricted(engine)} == {False}
        if engine.dialect.name == "postgresql":
            assert "clinicctl_restriction_allows" in profile_function(engine)
            assert "restricted" in client_policy(engine)
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []
    done = cli("client", "restrict", f"#{cast.client_id}")
    assert done.exit_code == 0, done.output
    engine = make_engine(db_url)
    try:
        with_restricted = snapshot_rows(engine)
        command.downgrade(migrate.alembic_config(engine), "0010")
        assert snapshot_rows(engine) == with_restricted | {"alembic_version": [("0010",)]}
        assert "restriction" not in profile_function(engine)
        assert "restricted" not in client_policy(engine)
        migrate.upgrade(engine)
        assert {r for _, r in restricted(engine)} == {False}
    finally:
        engine.dispose()
    assert schema_differences(db_url) == []
    again = cli("client", "restrict", f"#{cast.client_id}", "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json() == {"client_id": cast.client_id, "restricted": True, "changed": True}
    hidden = cli("client", "show", f"#{cast.client_id}", actor=cast.manager)
    assert hidden.exit_code == 3, hidden.output
