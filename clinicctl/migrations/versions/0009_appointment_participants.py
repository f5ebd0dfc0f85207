"""appointment participants: one session, one provider, one or more clients

Revision ID: 0009
Revises: 0008

``appointment_participant`` holds each client of a session (group, couple, family) with
their own attendance (``attended``, ``no-show``, ``late-cancelled``, ``cancelled``, or none
yet). ``appointment.client_id`` stays: it is the session's first client, the one every
earlier release read, and always one of its participants.

A participant row carries copies of its session's ``start_at`` and ``end_at`` and whether it
holds the client's time (``active``: the session is not cancelled and the client's place is
not), so that a client's no-overlap rule can be a constraint on this table while the
provider's stays one on ``appointment``. Triggers keep the copies right on both stores: a new
appointment gets its first client's row (attendance following a status other than
``scheduled``, as an import of a past session has), and a rescheduled, completed or
cancelled one updates its rows (completing marks the unmarked attended, cancelling marks them
cancelled or late-cancelled, a no-show marks them no-show). Every existing appointment gets
its row the same way, so no booking is lost and each client keeps exactly the time they had.

On PostgreSQL the client's exclusion constraint moves from ``appointment`` to this table
(``ex_appointment_participant_client_overlap``), still proving the rule under concurrent
writers. Who is in a session with whom is clinical: a login reads the places as
``appointments.place_scope`` shows them (the schedule roles all, a provider those of their
own sessions and clients, a records custodian those in scope), and a booking's checks ask
``clinicctl_busy_places`` for the times the other clients are busy. Row-level security
states the booking rule of ``access.authorize_booking`` for each participant
(``clinicctl_may_book``): a place is added, marked or removed by whoever may book that
client with the session's provider. The first client leaving hands the session to the next
one, and the last place of a session never goes (both by trigger, on both stores). A login
may change ``appointment.client_id`` only to another participant of the session (the first
client leaving it), never to anyone else.
A whole session (rescheduled, cancelled, completed) is changed by a login that may book
every one of its clients (``clinicctl_may_book_session``). ``clinicctl_merge_clients`` moves
the duplicate's places too (dropping the duplicate's place in a session where both records
are).

``appointment.group_id`` records the client group a session was booked for (a member who
leaves the group leaves its future sessions); ``chart_note.appointment_id`` ties a note to the
session it records. Such a note is still one client's, in that client's chart only: only the
session's provider writes it, for a client of the session (on PostgreSQL in the insert
policy too).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
ATTENDANCE = ("attended", "no-show", "late-cancelled", "cancelled")
FREEING = "('cancelled', 'late-cancelled')"  # models.CANCELLED_STATUSES

# The attendance a session's status implies for a client not yet marked.
IMPLIED = ("CASE {status} WHEN 'completed' THEN 'attended' WHEN 'no-show' THEN 'no-show' "
           "WHEN 'cancelled' THEN 'cancelled' WHEN 'late-cancelled' THEN 'late-cancelled' END")


# On a change of status, a place whose attendance is what the old status implied (or none)
# takes what the new one implies: completing marks the unmarked attended, a session
# cancelled and re-opened (an import) frees no one's time any more. A client marked on their
# own keeps their mark.
RESTATED = ("CASE WHEN NEW.status <> OLD.status AND (attendance IS NULL OR attendance = "
            + IMPLIED.format(status="OLD.status") + ") THEN "
            + IMPLIED.format(status="NEW.status") + " ELSE attendance END")


def _active(status: str, attendance: str) -> str:
    return (f"({status} NOT IN {FREEING} AND coalesce({attendance}, '') NOT IN {FREEING})")


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER appointment_first_participant AFTER INSERT ON appointment
    BEGIN
        INSERT INTO appointment_participant
            (appointment_id, client_id, attendance, start_at, end_at, active)
        VALUES (NEW.id, NEW.client_id, {IMPLIED.format(status="NEW.status")},
                NEW.start_at, NEW.end_at, NEW.status NOT IN {FREEING});
    END""",
    f"""CREATE TRIGGER appointment_participant_sync
    AFTER UPDATE OF start_at, end_at, status ON appointment
    BEGIN
        UPDATE appointment_participant
        SET start_at = NEW.start_at, end_at = NEW.end_at,
            attendance = {RESTATED}
        WHERE appointment_id = NEW.id;
        UPDATE appointment_participant
        SET active = {_active("NEW.status", "attendance")}
        WHERE appointment_id = NEW.id;
    END""",
    # A place marked (or unmarked) frees or takes the client's time again.
    f"""CREATE TRIGGER appointment_participant_attendance
    AFTER UPDATE OF attendance ON appointment_participant
    BEGIN
        UPDATE appointment_participant
        SET active = {_active("(SELECT status FROM appointment WHERE id = NEW.appointment_id)",
                              "NEW.attendance")}
        WHERE appointment_id = NEW.appointment_id AND client_id = NEW.client_id;
    END""",
    # The first client leaving hands the session to the next one; the last place of a
    # session that is still there never goes (the session is cancelled instead).
    """CREATE TRIGGER appointment_participant_gone AFTER DELETE ON appointment_participant
    BEGIN
        SELECT RAISE(ABORT, 'a session keeps at least one client; cancel it instead')
        WHERE EXISTS (SELECT 1 FROM appointment WHERE id = OLD.appointment_id)
        AND NOT EXISTS (SELECT 1 FROM appointment_participant
                        WHERE appointment_id = OLD.appointment_id);
        UPDATE appointment SET client_id = (
            SELECT min(client_id) FROM appointment_participant
            WHERE appointment_id = OLD.appointment_id)
        WHERE id = OLD.appointment_id AND client_id = OLD.client_id;
    END""",
]
SQLITE_TRIGGER_NAMES = ["appointment_first_participant", "appointment_participant_sync",
                        "appointment_participant_attendance", "appointment_participant_gone"]

# PostgreSQL: the same rules as plpgsql, the copies set by the database whatever a login
# writes, and the first client's guard.
PG_FUNCTIONS = [
    f"""CREATE FUNCTION clinicctl_first_participant() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
    BEGIN
        INSERT INTO appointment_participant
            (appointment_id, client_id, attendance, start_at, end_at, active)
        VALUES (NEW.id, NEW.client_id, {IMPLIED.format(status="NEW.status")},
                NEW.start_at, NEW.end_at, NEW.status NOT IN {FREEING});
        RETURN NULL;
    END $fn$""",
    f"""CREATE FUNCTION clinicctl_participant_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
    BEGIN
        UPDATE appointment_participant
        SET start_at = NEW.start_at, end_at = NEW.end_at,
            attendance = {RESTATED}
        WHERE appointment_id = NEW.id;
        RETURN NULL;
    END $fn$""",
    # Whatever a login inserts or updates, the copies are the session's.
    f"""CREATE FUNCTION clinicctl_participant_copies() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
    DECLARE
        v_session appointment%ROWTYPE;
    BEGIN
        SELECT * INTO v_session FROM appointment WHERE id = NEW.appointment_id;
        NEW.start_at := v_session.start_at;
        NEW.end_at := v_session.end_at;
        NEW.active := {_active("v_session.status", "NEW.attendance")};
        RETURN NEW;
    END $fn$""",
    """CREATE FUNCTION clinicctl_first_client_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
    BEGIN
        IF NEW.client_id <> OLD.client_id AND NOT EXISTS (
            SELECT 1 FROM appointment_participant
            WHERE appointment_id = NEW.id AND client_id = NEW.client_id) THEN
            RAISE EXCEPTION 'permission denied: an appointment''s first client is one of its '
                'participants'
                USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END $fn$""",
    # The first client leaving hands the session to the next one (as the owner: whoever may
    # take a client out of a session may let the next one head it); the last place of a
    # session that is still there never goes.
    """CREATE FUNCTION clinicctl_participant_gone() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
    DECLARE
        v_next integer;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM appointment WHERE id = OLD.appointment_id) THEN
            RETURN NULL;
        END IF;
        SELECT min(client_id) INTO v_next FROM appointment_participant
        WHERE appointment_id = OLD.appointment_id;
        IF v_next IS NULL THEN
            RAISE EXCEPTION 'a session keeps at least one client; cancel it instead'
                USING ERRCODE = '23514';
        END IF;
        UPDATE appointment SET client_id = v_next
        WHERE id = OLD.appointment_id AND client_id = OLD.client_id;
        RETURN NULL;
    END $fn$""",
    # When the clients of a booking are busy, for the booking's checks: times only, never
    # who else is in those sessions (a login reads only the places of its own sessions and
    # of its own clients).
    """CREATE FUNCTION clinicctl_busy_places(p_clients integer[], p_start timestamptz,
        p_end timestamptz, p_exclude integer)
    RETURNS TABLE (client_id integer, appointment_id integer, start_at timestamptz,
                   end_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
        SELECT p.client_id, p.appointment_id, p.start_at, p.end_at
        FROM appointment_participant p
        WHERE clinicctl_me() IS NOT NULL AND p.client_id = ANY (p_clients) AND p.active
        AND p.start_at < p_end AND p.end_at > p_start
        AND p.appointment_id IS DISTINCT FROM p_exclude
        ORDER BY p.start_at, p.client_id
    $fn$""",
    # How many clients a session has (a whole session is changed only by whoever may book
    # each of them, seen or not).
    """CREATE FUNCTION clinicctl_session_size(p_appointment integer) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
        SELECT CASE WHEN clinicctl_me() IS NULL THEN NULL ELSE (
            SELECT count(*)::integer FROM appointment_participant
            WHERE appointment_id = p_appointment) END
    $fn$""",
    # access.authorize_booking for one client with one provider.
    """CREATE FUNCTION clinicctl_may_book(p_provider integer, p_client integer)
    RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@
    AS $fn$
        SELECT clinicctl_any_role('owner', 'manager', 'scheduler')
            OR (clinicctl_has_role('records-custodian')
                AND clinicctl_custodian_covers_client(p_client))
            OR (clinicctl_has_role('provider') AND (p_provider = clinicctl_me()
                OR clinicctl_is_assigned(clinicctl_me(), p_client)))
    $fn$""",
    # A whole session (rescheduled, cancelled, completed, moved to another provider) is
    # changed by whoever may book every one of its clients with that provider.
    """CREATE FUNCTION clinicctl_may_book_session(p_appointment integer, p_provider integer)
    RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@
    AS $fn$
        SELECT NOT EXISTS (SELECT 1 FROM appointment_participant p
                           WHERE p.appointment_id = p_appointment
                           AND NOT clinicctl_may_book(p_provider, p.client_id))
    $fn$""",
    """CREATE FUNCTION clinicctl_is_participant(p_appointment integer, p_client integer)
    RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@
    AS $fn$ SELECT EXISTS (SELECT 1 FROM appointment_participant
                           WHERE appointment_id = p_appointment AND client_id = p_client) $fn$""",
    """CREATE FUNCTION clinicctl_appointment_provider(p_appointment integer)
    RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@
    AS $fn$ SELECT provider_id FROM appointment WHERE id = p_appointment $fn$""",
]
PG_SIGNATURES = ["clinicctl_first_participant()", "clinicctl_participant_sync()",
                 "clinicctl_participant_gone()",
                 "clinicctl_busy_places(integer[], timestamptz, timestamptz, integer)",
                 "clinicctl_session_size(integer)",
                 "clinicctl_participant_copies()", "clinicctl_first_client_guard()",
                 "clinicctl_may_book(integer, integer)",
                 "clinicctl_may_book_session(integer, integer)",
                 "clinicctl_is_participant(integer, integer)",
                 "clinicctl_appointment_provider(integer)"]
PG_TRIGGERS = [
    ("appointment_first_participant", "AFTER INSERT ON appointment",
     "clinicctl_first_participant()"),
    ("appointment_participant_sync", "AFTER UPDATE OF start_at, end_at, status ON appointment",
     "clinicctl_participant_sync()"),
    ("appointment_participant_copies", "BEFORE INSERT OR UPDATE ON appointment_participant",
     "clinicctl_participant_copies()"),
    ("appointment_first_client_guard", "BEFORE UPDATE OF client_id ON appointment",
     "clinicctl_first_client_guard()"),
    ("appointment_participant_gone", "AFTER DELETE ON appointment_participant",
     "clinicctl_participant_gone()"),
]
MAY_BOOK = "clinicctl_may_book(clinicctl_appointment_provider(appointment_id), client_id)"
# Who is in a session with whom is clinical (appointments.place_scope): the practice's
# schedule roles read every place, a provider those of their own sessions and of the
# clients in their list, a records custodian those of the clients in their scope.
PLACE_READERS = ("clinicctl_any_role('owner', 'manager', 'scheduler', 'biller') "
                 "OR (clinicctl_has_role('provider') AND ("
                 "clinicctl_appointment_provider(appointment_id) = clinicctl_me() "
                 "OR clinicctl_is_assigned(clinicctl_me(), client_id))) "
                 "OR (clinicctl_has_role('records-custodian') "
                 "AND clinicctl_custodian_covers_client(client_id))")
POLICIES: dict[str, tuple[str, str | None, str | None]] = {
    "select": ("SELECT", PLACE_READERS, None),
    "insert": ("INSERT", None, f"attendance IS NULL AND {MAY_BOOK}"),
    "update": ("UPDATE (attendance)", MAY_BOOK, MAY_BOOK),
    "delete": ("DELETE", MAY_BOOK, None),
}
# migration 0004's appointment update policy (BOOKERS, for the first client), and the one of
# a session of several clients.
BOOKERS_0004 = ("clinicctl_any_role('owner', 'manager', 'scheduler') "
                "OR (clinicctl_has_role('records-custodian') "
                "AND clinicctl_custodian_covers_client(client_id)) "
                "OR (clinicctl_has_role('provider') AND (provider_id = clinicctl_me() "
                "OR clinicctl_is_assigned(clinicctl_me(), client_id)))")
SESSION_BOOKERS = f"({BOOKERS_0004}) AND clinicctl_may_book_session(id, provider_id)"
# migration 0004's note insert policy, and the rule of records.add_note for a note tied to a
# session: the session's own provider writes it, for one of its clients.
NOTE_WRITERS_0004 = ("author_id = clinicctl_me() AND clinicctl_has_role('provider') "
                     "AND clinicctl_is_assigned(author_id, client_id) "
                     "AND (addendum_to_id IS NULL "
                     "OR clinicctl_may_amend(addendum_to_id, client_id, kind))")
SESSION_NOTE_WRITERS = (f"{NOTE_WRITERS_0004} AND (appointment_id IS NULL OR ("
                        "clinicctl_appointment_provider(appointment_id) = author_id "
                        "AND clinicctl_is_participant(appointment_id, client_id)))")

MERGE_SIGNATURE = "clinicctl_merge_clients(integer, integer, integer)"
MERGE_ANCHOR = "    UPDATE appointment SET client_id = p_keep"
MERGE_PLACES = """    UPDATE appointment_participant k SET attendance = d.attendance
    FROM appointment_participant d
    WHERE k.appointment_id = d.appointment_id AND k.client_id = p_keep
    AND d.client_id = p_duplicate AND k.attendance IS NULL AND d.attendance IS NOT NULL;
    DELETE FROM appointment_participant d
    WHERE d.client_id = p_duplicate AND EXISTS (
        SELECT 1 FROM appointment_participant k
        WHERE k.appointment_id = d.appointment_id AND k.client_id = p_keep);
    UPDATE appointment_participant SET client_id = p_keep WHERE client_id = p_duplicate;
"""


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable column referencing ``target``'s id. On SQLite a plain ADD COLUMN (it takes
    a reference there), never a copy of a table that others reference."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(name), table, target, [column], ["id"])
    else:
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {target} (id)")


def upgrade() -> None:
    # The client group a session was booked for (``--group``): a member who leaves the group
    # leaves its future sessions.
    _add_reference("appointment", "group_id", "client_group")
    op.create_table(
        "appointment_participant",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("attendance", sa.String(length=16), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "attendance IN (" + ", ".join(repr(a) for a in ATTENDANCE) + ")",
            name=op.f("ck_appointment_participant_attendance")),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"],
            name=op.f("fk_appointment_participant_appointment_id_appointment"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"],
            name=op.f("fk_appointment_participant_client_id_client"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("appointment_id", "client_id",
                                name=op.f("pk_appointment_participant")),
    )
    op.create_index("ix_appointment_participant_client_id_start_at", "appointment_participant",
                    ["client_id", "start_at"], unique=False)
    # A note tied to the session it records (``note add C --appointment ID``): still one
    # client's note, in that client's chart only.
    _add_reference("chart_note", "appointment_id", "appointment")
    # Every existing appointment's one client, with the time and attendance it implies.
    op.execute(f"""
        INSERT INTO appointment_participant
            (appointment_id, client_id, attendance, start_at, end_at, active)
        SELECT id, client_id, {IMPLIED.format(status="status")}, start_at, end_at,
               status NOT IN {FREEING}
        FROM appointment""")
    if op.get_bind().dialect.name == "postgresql":
        _install_postgresql()
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    # 0008 has one client per appointment: the first client stays, the others' places go
    # (their sessions keep being the first client's).
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        _rewrite_merge(lambda body: body.replace(MERGE_PLACES, "", 1))
        op.execute(f"REVOKE UPDATE (client_id) ON appointment FROM {STAFF_ROLE}")
        _appointment_update_policy(BOOKERS_0004)
        _note_insert_policy(NOTE_WRITERS_0004)
    for name in SQLITE_TRIGGER_NAMES if not postgresql else [
            name for name, when, _ in PG_TRIGGERS if when.endswith(" ON appointment")]:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON appointment" if postgresql else ""))
    # Dropping the table drops its policies, grants, constraint and trigger with it.
    op.drop_index("ix_appointment_participant_client_id_start_at",
                  table_name="appointment_participant")
    op.drop_table("appointment_participant")
    if postgresql:
        op.drop_column("chart_note", "appointment_id")
        op.drop_column("appointment", "group_id")
    else:
        with op.batch_alter_table("chart_note") as batch:
            batch.drop_column("appointment_id")
        # SQLite drops a column that references another table only by copying the table;
        # the triggers of 0009 are gone already, and nothing else is on it.
        with op.batch_alter_table("appointment") as batch:
            batch.drop_column("group_id")
    if postgresql:
        for name in reversed(PG_SIGNATURES):
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
        # The client's rule goes back onto appointment (0002).
        op.execute("ALTER TABLE appointment ADD CONSTRAINT ex_appointment_client_id_overlap "
                   "EXCLUDE USING gist (client_id WITH =, "
                   "tstzrange(start_at, end_at, '[)') WITH &&) "
                   "WHERE (status NOT IN ('cancelled', 'late-cancelled'))")


def _search_path() -> str:
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    return f"pg_catalog, {bind.dialect.identifier_preparer.quote_identifier(str(schema))}, pg_temp"


def _rewrite_merge(change) -> None:  # type: ignore[no-untyped-def]
    definition = str(op.get_bind().execute(sa.text(
        f"SELECT pg_get_functiondef('{MERGE_SIGNATURE}'::regprocedure)")).scalar())
    changed = change(definition)
    if changed == definition:
        raise RuntimeError("clinicctl_merge_clients is not the function migration 0008 left")
    op.get_bind().exec_driver_sql(changed)


def _note_insert_policy(rule: str) -> None:
    op.execute("DROP POLICY chart_note_insert ON chart_note")
    op.execute(f"CREATE POLICY chart_note_insert ON chart_note FOR INSERT TO {STAFF_ROLE} "
               f"WITH CHECK ({rule})")


def _appointment_update_policy(rule: str) -> None:
    op.execute("DROP POLICY appointment_update ON appointment")
    op.execute(f"CREATE POLICY appointment_update ON appointment FOR UPDATE TO {STAFF_ROLE} "
               f"USING ({rule}) WITH CHECK ({rule})")


def _install_postgresql() -> None:
    op.execute("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_client_id_overlap")
    op.execute("ALTER TABLE appointment_participant "
               "ADD CONSTRAINT ex_appointment_participant_client_overlap "
               "EXCLUDE USING gist (client_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
               "WHERE (active)")
    search_path = _search_path()
    for function in PG_FUNCTIONS:
        op.execute(function.replace("@search_path@", search_path))
    for name in PG_SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {STAFF_ROLE}")
    for name, when, function in PG_TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}")
    table = "appointment_participant"
    op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for command, (privilege, using, check) in POLICIES.items():
        op.execute(f"GRANT {privilege} ON {table} TO {STAFF_ROLE}")
        clause = f" USING ({using})" if using else ""
        clause += f" WITH CHECK ({check})" if check else ""
        op.execute(f"CREATE POLICY {table}_{command} ON {table} FOR {command.upper()} "
                   f"TO {STAFF_ROLE}{clause}")
    # The first client leaving a session hands the appointment to another participant (the
    # guard refuses anyone else).
    op.execute(f"GRANT UPDATE (client_id) ON appointment TO {STAFF_ROLE}")
    _appointment_update_policy(SESSION_BOOKERS)
    _note_insert_policy(SESSION_NOTE_WRITERS)
    _rewrite_merge(lambda body: body.replace(MERGE_ANCHOR, MERGE_PLACES + MERGE_ANCHOR, 1))

