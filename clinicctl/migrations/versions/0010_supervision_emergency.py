"""supervision with co-signature, and emergency access with its reason on record

Revision ID: 0010
Revises: 0009

Two more paths to a chart besides chart shares (SPEC section 9):

- ``supervision``: a supervisor (an active provider) reads the non-private chart notes and
  the clinical documents of a supervisee's clients while the period holds (``starts_on`` to
  ``ends_on``, both practice days, until ``ended_at``). With ``cosign`` the supervisee's new
  non-private notes are ``pending`` (``chart_note.cosign_status``) until the supervisor signs
  them (``signed``, ``cosigned_by_id``, ``cosigned_at``). At most one open supervision per
  pair.
- ``emergency_access``: a staff member with clinical access reads one client's profile and
  non-private notes for four hours (``expires_at``); it writes nothing through it. The
  reason is in its own column, never in the audit details (which stay free of PHI; they
  carry the SHA-256 of the reason salted with ``reason_salt``, so a changed reason shows and
  a guessed one cannot be confirmed).

On PostgreSQL the rule is stated again for staff logins (``access.chart_access``):
``clinicctl_can_read_note`` and ``clinicctl_can_read_clinical_document`` extend 0004's
``clinicctl_can_read_chart`` by the two paths, ``clinicctl_may_read_profile`` extends the
profile by emergency access for reading, and the note and document readers and policies
use them. A note's co-signature state is set by trigger when a login writes it (no login
writes a note that skips it), and a note is signed only through ``clinicctl_sign_note``: by
a supervisor who co-signs its author's notes and reads it, one note at a time, as
themselves, with the database's time and the ``note.sign`` event in the same statement.
Logins hold no privilege on ``emergency_access``: they open one through
``clinicctl_open_emergency_access`` (for themselves, for the database's four hours), its
``client.emergency`` event is appended by trigger in the same statement (so nobody opens a
chart this way off the record), and they read it through functions (their own in force;
every one of a client for who reads its audit; the reason only for the owner and the records
custodians covering the client). A supervision is set up and changed by the owner and
managers, never by a manager for a supervision of or by themselves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
EMERGENCY_HOURS = 4  # access.EMERGENCY_HOURS
# access.EMERGENCY_ROLES: the roles with some clinical access.
EMERGENCY_ROLES = "'owner', 'records-custodian', 'provider'"


def _add_reference(table: str, column: str, target: str) -> None:
    """A nullable column referencing ``target``'s id (as migration 0009 adds them)."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(name), table, target, [column], ["id"])
    else:
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                   f"CONSTRAINT {name} REFERENCES {target} (id)")


def upgrade() -> None:
    op.create_table(
        "supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisee_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("cosign", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("supervisee_id <> supervisor_id", name=op.f("ck_supervision_not_self")),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on",
                           name=op.f("ck_supervision_period")),
        sa.ForeignKeyConstraint(["supervisee_id"], ["staff.id"],
                                name=op.f("fk_supervision_supervisee_id_staff")),
        sa.ForeignKeyConstraint(["supervisor_id"], ["staff.id"],
                                name=op.f("fk_supervision_supervisor_id_staff")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff.id"],
                                name=op.f("fk_supervision_created_by_id_staff")),
        sa.ForeignKeyConstraint(["ended_by_id"], ["staff.id"],
                                name=op.f("fk_supervision_ended_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision")),
    )
    op.create_index("uq_supervision_open", "supervision", ["supervisee_id", "supervisor_id"],
                    unique=True, sqlite_where=sa.text("ended_at IS NULL"),
                    postgresql_where=sa.text("ended_at IS NULL"))
    op.create_index("ix_supervision_supervisor_id", "supervision", ["supervisor_id"])
    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_salt", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("expires_at > started_at", name=op.f("ck_emergency_access_period")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_emergency_access_staff_id_staff")),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"],
                                name=op.f("fk_emergency_access_client_id_client"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    op.create_index("ix_emergency_access_staff_id_client_id", "emergency_access",
                    ["staff_id", "client_id"])
    # NULL for every note written before (and for notes nobody co-signs): no note is pending
    # because this revision ran.
    op.add_column("chart_note", sa.Column("cosign_status", sa.String(16), nullable=True))
    _add_reference("chart_note", "cosigned_by_id", "staff")
    op.add_column("chart_note", sa.Column("cosigned_at", sa.DateTime(timezone=True),
                                          nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE chart_note ADD CONSTRAINT ck_chart_note_cosign_status "
                   "CHECK (cosign_status IN ('pending', 'signed'))")
        op.execute("ALTER TABLE chart_note ADD CONSTRAINT ck_chart_note_cosigned "
                   "CHECK ((cosign_status = 'signed') = (cosigned_by_id IS NOT NULL))")
        _install_postgresql()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        _remove_postgresql()
        for column in ("cosigned_at", "cosigned_by_id", "cosign_status"):
            op.drop_column("chart_note", column)
    else:
        with op.batch_alter_table("chart_note") as batch:
            for column in ("cosigned_at", "cosigned_by_id", "cosign_status"):
                batch.drop_column(column)
    op.drop_index("ix_emergency_access_staff_id_client_id", table_name="emergency_access")
    op.drop_table("emergency_access")
    op.drop_index("ix_supervision_supervisor_id", table_name="supervision")
    op.drop_index("uq_supervision_open", table_name="supervision")
    op.drop_table("supervision")


# --- PostgreSQL -------------------------------------------------------------------------------

# The period of a supervision holds on the practice's date (days.practice_today).
SUPERVISION_OPEN = ("s.ended_at IS NULL AND s.starts_on <= clinicctl_today() "
                    "AND (s.ends_on IS NULL OR s.ends_on >= clinicctl_today())")
# access.EMERGENCY_ROLES and the emergency access in force (access.emergency_access_in_force).
EMERGENCY_NOW = ("e.staff_id = clinicctl_me() AND e.client_id = p_client "
                 "AND e.started_at <= now() AND e.expires_at > now()")

# name(arguments) -> (returns, body): SECURITY DEFINER, as migration 0004 creates its own.
FUNCTIONS: list[tuple[str, str, str]] = [
    # access.chart_access: the session's provider supervises the author, who has the client.
    ("clinicctl_supervises(p_author integer, p_client integer)", "boolean", f"""
        SELECT clinicctl_has_role('provider') AND clinicctl_is_assigned(p_author, p_client)
            AND EXISTS (SELECT 1 FROM supervision s WHERE s.supervisor_id = clinicctl_me()
                        AND s.supervisee_id = p_author AND {SUPERVISION_OPEN})"""),
    # access.may_cosign: the session's provider co-signs the author's notes today, under
    # this supervision.
    ("clinicctl_may_cosign(p_author integer, p_supervision integer)", "boolean", f"""
        SELECT clinicctl_has_role('provider')
            AND EXISTS (SELECT 1 FROM supervision s WHERE s.id = p_supervision
                        AND s.supervisor_id = clinicctl_me() AND s.supervisee_id = p_author
                        AND s.cosign AND {SUPERVISION_OPEN})"""),
    # relations.cosign_required: a supervisor who is an active provider co-signs the
    # author's notes today.
    ("clinicctl_cosign_required(p_author integer)", "boolean", f"""
        SELECT EXISTS (SELECT 1 FROM supervision s WHERE s.supervisee_id = p_author
                       AND s.cosign AND {SUPERVISION_OPEN}
                       AND clinicctl_is_active_provider(s.supervisor_id))"""),
    ("clinicctl_has_emergency_access(p_client integer)", "boolean", f"""
        SELECT clinicctl_any_role({EMERGENCY_ROLES})
            AND EXISTS (SELECT 1 FROM emergency_access e WHERE {EMERGENCY_NOW})"""),
    # access.ChartAccess.can_read, for notes.
    ("clinicctl_can_read_note(p_client integer, p_author integer, p_kind text)", "boolean", """
        SELECT clinicctl_can_read_chart(p_client, p_author, p_kind)
            OR (p_kind <> 'private' AND (clinicctl_supervises(p_author, p_client)
                                         OR clinicctl_has_emergency_access(p_client)))"""),
    # access.ChartAccess.can_read_document: emergency access reads notes, not documents.
    ("clinicctl_can_read_clinical_document(p_client integer, p_uploader integer)", "boolean",
     """
        SELECT clinicctl_can_read_chart(p_client, p_uploader, 'progress')
            OR clinicctl_supervises(p_uploader, p_client)"""),
    # access.profile_grant for reading: emergency access reads the profile; it writes
    # nothing (0004's clinicctl_has_profile_access still decides who adds documents).
    ("clinicctl_may_read_profile(p_client integer)", "boolean", """
        SELECT clinicctl_has_profile_access(p_client)
            OR clinicctl_has_emergency_access(p_client)"""),
    # Emergency access is read only through these (a login names no column of the table,
    # so nothing about who opened which chart can be probed): one in force, the caller's own
    # or anyone's for who reads the client's audit; every one of a client for them; and the
    # reason for the owner and the records custodians covering the client.
    ("clinicctl_emergency_access_in_force(p_staff integer, p_client integer)",
     "TABLE (id integer, started_at timestamptz, expires_at timestamptz)", """
        SELECT e.id, e.started_at, e.expires_at FROM emergency_access e
        WHERE e.staff_id = p_staff AND e.client_id = p_client
        AND e.started_at <= now() AND e.expires_at > now()
        AND (p_staff = clinicctl_me() OR clinicctl_any_role('owner', 'manager')
             OR clinicctl_custodian_covers_client(p_client))
        ORDER BY e.expires_at DESC LIMIT 1"""),
    ("clinicctl_emergency_accesses(p_client integer)",
     "TABLE (id integer, staff_id integer, started_at timestamptz, expires_at timestamptz)",
     """
        SELECT e.id, e.staff_id, e.started_at, e.expires_at FROM emergency_access e
        WHERE e.client_id = p_client AND (clinicctl_any_role('owner', 'manager')
                                          OR clinicctl_custodian_covers_client(p_client))
        ORDER BY e.id"""),
    ("clinicctl_emergency_reason(p_id integer)", "text", """
        SELECT e.reason FROM emergency_access e WHERE e.id = p_id
        AND (clinicctl_has_role('owner') OR clinicctl_custodian_covers_client(e.client_id))"""),
    # note list --unsigned: the pending notes the caller may read.
    ("clinicctl_unsigned_notes()", "SETOF chart_note", """
        SELECT n.* FROM chart_note n WHERE n.cosign_status = 'pending'
        AND clinicctl_can_read_note(n.client_id, n.author_id, n.kind)
        ORDER BY n.date_of_service, n.id"""),
    # How many of an author's notes wait (a count, no content), for those who set up
    # supervision: staff supervise says it when co-signing stops.
    ("clinicctl_pending_note_count(p_author integer)", "bigint", """
        SELECT CASE WHEN clinicctl_any_role('owner', 'manager')
                    THEN (SELECT count(*) FROM chart_note n WHERE n.author_id = p_author
                          AND n.cosign_status = 'pending') END"""),
]

# 0004's readers this revision states again: (signature, returns, body with the rules).
NOTE_READ = "clinicctl_can_read_note(n.client_id, n.author_id, n.kind)"
NOTE_READ_0004 = "clinicctl_can_read_chart(n.client_id, n.author_id, n.kind)"
DOC_READ = "clinicctl_can_read_clinical_document(d.client_id, d.uploaded_by_id)"
DOC_READ_0004 = "clinicctl_can_read_chart(d.client_id, d.uploaded_by_id, 'progress')"
PROFILE_READ = "clinicctl_may_read_profile(d.client_id)"
PROFILE_READ_0004 = "clinicctl_has_profile_access(d.client_id)"
RESTATED: list[tuple[str, str, str]] = [
    ("clinicctl_chart_notes(p_client integer)", "SETOF chart_note", """
        SELECT n.* FROM chart_note n WHERE n.client_id = p_client AND {note}
        ORDER BY n.date_of_service, n.id"""),
    ("clinicctl_chart_note(p_id integer)", "SETOF chart_note", """
        SELECT n.* FROM chart_note n WHERE n.id = p_id AND {note}"""),
    ("clinicctl_documents(p_client integer)", "SETOF document", """
        SELECT d.* FROM document d WHERE d.client_id = p_client AND CASE WHEN d.clinical
            THEN {document} ELSE {profile} END
        ORDER BY d.id"""),
    ("clinicctl_document(p_id integer)", "SETOF document", """
        SELECT d.* FROM document d WHERE d.id = p_id AND CASE WHEN d.clinical
            THEN {document} ELSE {profile} END"""),
]

PLPGSQL = f"""
-- A note's co-signature state is the database's to decide for a login: whatever it writes.
CREATE FUNCTION clinicctl_note_cosign() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF NOT clinicctl_is_admin() THEN
        -- A supervisor reads no private note, so a private note waits for nobody.
        NEW.cosign_status := CASE WHEN NEW.kind <> 'private'
            AND clinicctl_cosign_required(NEW.author_id) THEN 'pending' END;
        NEW.cosigned_by_id := NULL;
        NEW.cosigned_at := NULL;
    END IF;
    RETURN NEW;
END
$fn$;

CREATE FUNCTION clinicctl_supervision_times() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF clinicctl_is_admin() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
    ELSIF NEW.ended_at IS NOT NULL AND OLD.ended_at IS NULL THEN
        NEW.ended_at := now();
    END IF;
    RETURN NEW;
END
$fn$;

-- note sign (supervision.sign_note): the only way a login signs, one note at a time, as
-- itself, with the database's time and its note.sign event in the same statement.
CREATE FUNCTION clinicctl_sign_note(p_id integer, p_supervision integer) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
DECLARE
    v_note chart_note%ROWTYPE;
    v_me integer := clinicctl_me();
    v_at timestamptz := now();
BEGIN
    SELECT * INTO v_note FROM chart_note WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR v_me IS NULL
       OR NOT clinicctl_can_read_note(v_note.client_id, v_note.author_id, v_note.kind)
       OR NOT clinicctl_may_cosign(v_note.author_id, p_supervision) THEN
        RAISE EXCEPTION 'only a supervisor who co-signs the author''s notes signs them'
            USING ERRCODE = '42501';
    END IF;
    IF v_note.cosign_status IS DISTINCT FROM 'pending' THEN
        RAISE EXCEPTION 'note % waits for no co-signature', p_id USING ERRCODE = '55000';
    END IF;
    UPDATE chart_note SET cosign_status = 'signed', cosigned_by_id = v_me, cosigned_at = v_at
    WHERE id = p_id;
    PERFORM clinicctl_audit_append(
        ARRAY[v_me], ARRAY['note.sign'], ARRAY['chart_note'], ARRAY[p_id],
        ARRAY[v_note.client_id], ARRAY['ok'],
        ARRAY['{{"author_id":' || v_note.author_id || ',"supervision_id":' || p_supervision
              || '}}']);
    RETURN v_at;
END
$fn$;

-- client access --emergency (emergency.open_emergency_access): a login opens one only
-- through this, for itself, for the database's four hours.
CREATE FUNCTION clinicctl_open_emergency_access(p_client integer, p_reason text)
RETURNS TABLE (id integer, started_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF clinicctl_me() IS NULL OR NOT clinicctl_any_role({EMERGENCY_ROLES}) THEN
        RAISE EXCEPTION 'emergency access is for staff with clinical access of their own'
            USING ERRCODE = '42501';
    END IF;
    IF length(btrim(coalesce(p_reason, ''))) = 0 THEN
        RAISE EXCEPTION 'the reason is empty' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        INSERT INTO emergency_access AS e (staff_id, client_id, reason, reason_salt,
                                           started_at, expires_at)
        VALUES (clinicctl_me(), p_client, p_reason, replace(gen_random_uuid()::text, '-', ''),
                now(), now() + interval '{EMERGENCY_HOURS} hours')
        RETURNING e.id, e.started_at, e.expires_at;
END
$fn$;

-- Its client.emergency event (emergency.event_details), appended by the database as the
-- login (the administrator names the staff member): no emergency access exists without
-- its event. The reason's hash is salted with a value no login reads, so nobody confirms a
-- guess of it from the audit trail.
CREATE FUNCTION clinicctl_emergency_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    PERFORM clinicctl_audit_append(
        ARRAY[NEW.staff_id], ARRAY['client.emergency'], ARRAY['emergency_access'],
        ARRAY[NEW.id], ARRAY[NEW.client_id], ARRAY['ok'],
        ARRAY['{{"expires_at":' || to_json(clinicctl_audit_time(NEW.expires_at))::text
              || ',"reason_sha256":"'
              || encode(sha256(convert_to(NEW.reason_salt || NEW.reason, 'UTF8')), 'hex')
              || '"}}']);
    RETURN NULL;
END
$fn$;
"""
PLPGSQL_SIGNATURES = ["clinicctl_note_cosign()", "clinicctl_supervision_times()",
                      "clinicctl_sign_note(integer, integer)",
                      "clinicctl_open_emergency_access(integer, text)",
                      "clinicctl_emergency_audit()"]
TRIGGERS = [
    ("chart_note_cosign", "BEFORE INSERT ON chart_note", "clinicctl_note_cosign()"),
    ("supervision_time", "BEFORE INSERT OR UPDATE ON supervision",
     "clinicctl_supervision_times()"),
    ("emergency_access_audit", "AFTER INSERT ON emergency_access",
     "clinicctl_emergency_audit()"),
]

# access.authorize_supervision_admin: the owner and managers; only the owner for a
# supervision of or by themselves (a manager who is also a provider would otherwise make
# themselves the reader of any provider's chart).
SUPERVISION_ADMINS = ("(clinicctl_has_role('owner') OR (clinicctl_has_role('manager') "
                      "AND clinicctl_me() NOT IN (supervisor_id, supervisee_id)))")
# table -> {command: (privilege, USING, WITH CHECK)}, as in migration 0004. Emergency access
# has none: it is opened and read only through the functions above.
POLICIES: dict[str, dict[str, tuple[str, str | None, str | None]]] = {
    "supervision": {
        "select": ("SELECT", "clinicctl_me() IS NOT NULL", None),
        # supervision.supervise: for a provider, by an active provider.
        "insert": ("INSERT", None,
                   f"{SUPERVISION_ADMINS} AND created_by_id = clinicctl_me() "
                   "AND ended_at IS NULL AND ended_by_id IS NULL "
                   "AND clinicctl_is_active_provider(supervisor_id) "
                   "AND clinicctl_staff_has_role(supervisee_id, 'provider')"),
        "update": ("UPDATE (starts_on, ends_on, cosign, ended_at, ended_by_id)",
                   f"{SUPERVISION_ADMINS} AND ended_at IS NULL",
                   f"{SUPERVISION_ADMINS} AND (ended_at IS NULL AND ended_by_id IS NULL "
                   "OR ended_at IS NOT NULL AND ended_by_id = clinicctl_me())"),
    },
    "emergency_access": {},
}
# 0004's policies on the chart, and their rule now.
NOTE_POLICY_0004 = "clinicctl_can_read_chart(client_id, author_id, kind)"
NOTE_POLICY = "clinicctl_can_read_note(client_id, author_id, kind)"
DOCUMENT_POLICY_0004 = ("CASE WHEN clinical "
                        "THEN clinicctl_can_read_chart(client_id, uploaded_by_id, 'progress') "
                        "ELSE clinicctl_has_profile_access(client_id) END")
DOCUMENT_POLICY = ("CASE WHEN clinical "
                   "THEN clinicctl_can_read_clinical_document(client_id, uploaded_by_id) "
                   "ELSE clinicctl_may_read_profile(client_id) END")

# clinicctl_merge_clients (migrations 0007-0009) moves the duplicate's emergency accesses
# too, ended: one opened on the duplicate does not reach into the kept record's chart.
MERGE_SIGNATURE = "clinicctl_merge_clients(integer, integer, integer)"
MERGE_ANCHOR = "    UPDATE client_merge SET kept_client_id = p_keep"
MERGE_EMERGENCY = """    UPDATE emergency_access
    SET client_id = p_keep, expires_at = greatest(started_at + interval '1 microsecond',
                                                  least(expires_at, now()))
    WHERE client_id = p_duplicate;
"""


def _rewrite_merge(change) -> None:  # type: ignore[no-untyped-def]
    definition = str(op.get_bind().execute(sa.text(
        f"SELECT pg_get_functiondef('{MERGE_SIGNATURE}'::regprocedure)")).scalar())
    changed = change(definition)
    if changed == definition:
        raise RuntimeError("clinicctl_merge_clients is not the function migration 0009 left")
    op.get_bind().exec_driver_sql(changed)


def _search_path() -> str:
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    return f"pg_catalog, {bind.dialect.identifier_preparer.quote_identifier(str(schema))}, pg_temp"


def _create_function(signature: str, returns: str, body: str, *, replace: bool = False) -> None:
    verb = "CREATE OR REPLACE" if replace else "CREATE"
    op.execute(f"{verb} FUNCTION {signature} RETURNS {returns} LANGUAGE sql STABLE "
               f"SECURITY DEFINER SET search_path = {_search_path()} AS $fn${body}$fn$")


def _argument_types(signature: str) -> str:
    """``f(p_a integer, p_b text)`` -> ``f(integer, text)`` (for GRANT and DROP)."""
    name, _, arguments = signature.partition("(")
    types = [" ".join(argument.split()[1:]) for argument in arguments.rstrip(")").split(",")
             if argument.strip()]
    return f"{name}({', '.join(types)})"


def _policy(table: str, command: str, using: str | None, check: str | None) -> None:
    op.execute(f"DROP POLICY IF EXISTS {table}_{command} ON {table}")
    clause = f" USING ({using})" if using else ""
    clause += f" WITH CHECK ({check})" if check else ""
    op.execute(f"CREATE POLICY {table}_{command} ON {table} FOR {command.upper()} "
               f"TO {STAFF_ROLE}{clause}")


def _restate(now: bool) -> None:
    for signature, returns, body in RESTATED:
        _create_function(signature, returns, body.format(
            note=NOTE_READ if now else NOTE_READ_0004,
            document=DOC_READ if now else DOC_READ_0004,
            profile=PROFILE_READ if now else PROFILE_READ_0004), replace=True)


def _install_postgresql() -> None:
    for signature, returns, body in FUNCTIONS:
        _create_function(signature, returns, body)
    op.execute(PLPGSQL.replace("@search_path@", _search_path()))
    for signature in [_argument_types(s) for s, _, _ in FUNCTIONS] + PLPGSQL_SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {STAFF_ROLE}")
    _restate(now=True)
    for name, when, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}")
    for table, policies in POLICIES.items():
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for command, (privilege, using, check) in policies.items():
            op.execute(f"GRANT {privilege} ON {table} TO {STAFF_ROLE}")
            _policy(table, command, using, check)
        if "insert" in policies:
            op.execute(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO {STAFF_ROLE}")
    _policy("chart_note", "select", NOTE_POLICY, None)
    _policy("document", "select", DOCUMENT_POLICY, None)
    _rewrite_merge(lambda body: body.replace(MERGE_ANCHOR, MERGE_EMERGENCY + MERGE_ANCHOR, 1))


def _remove_postgresql() -> None:
    _rewrite_merge(lambda body: body.replace(MERGE_EMERGENCY, "", 1))
    _policy("chart_note", "select", NOTE_POLICY_0004, None)
    _policy("document", "select", DOCUMENT_POLICY_0004, None)
    for name, when, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {when.split(' ON ')[1]}")
    _restate(now=False)
    op.execute("ALTER TABLE chart_note DROP CONSTRAINT ck_chart_note_cosigned")
    op.execute("ALTER TABLE chart_note DROP CONSTRAINT ck_chart_note_cosign_status")
    # The tables go with their policies and grants (downgrade drops them next).
    for signature in reversed(PLPGSQL_SIGNATURES):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for signature, _, _ in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {_argument_types(signature)}")
