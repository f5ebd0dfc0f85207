"""database logins, row-level security and an audit trail appended by the database

Revision ID: 0004
Revises: 0003

On PostgreSQL every staff member may have their own login (``staff.db_login``, bound by
``clinicctl staff login``). Those logins are members of the group role ``clinicctl_staff``,
and this revision makes the database itself keep the permission table for them: a login that
opens ``psql`` instead of clinicctl sees and changes no more than clinicctl would allow.

- Helper functions (``SECURITY DEFINER``, owned by the administrator who runs the migration)
  answer who the session's login is and what it may do; the policies are built from them, as
  the services build their checks from ``services/access.py``. ``tests/test_row_security.py``
  runs both over every role, note kind and sharing state and proves they agree.
- Only logins bound in this database may connect to it (``staff login`` grants CONNECT), and
  every table has row-level security for ``clinicctl_staff``: at least "an active staff member
  bound here", and for chart shares, staff, roles, custodian grants and assignments exactly
  the writes the permission table allows.
- Chart notes, documents and audit events are not readable as tables at all: a policy's own
  checks run only for the rows a caller's cheap conditions select, so a login could learn a
  hidden row's content one guess at a time by watching whether they ran (statistics
  counters, ``EXPLAIN (BUFFERS)``). They are read through functions that apply the rule first
  (``clinicctl_chart_notes``, ``clinicctl_documents``, ``clinicctl_audit_events``, ...).
- Staff logins hold no INSERT, UPDATE, DELETE or TRUNCATE on ``audit_event``: events are
  appended by ``clinicctl_audit_append``, which takes the actor from the login and computes the
  chain hash in the database under the chain lock (the same hash as ``services/audit.py``);
  the chain is verified in the database too, without handing out hashes.

The administrator (the login that owns the schema, or a superuser) bypasses row-level
security as the table owner: it is trusted like the SQLite file's owner. SQLite gets only the
column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"
# db.WRITER_LOCK: appends are serialised by the same advisory lock as writers.
AUDIT_LOCK = 0x636C696E
LOCK_TIMEOUT = "15s"  # db.PG_LOCK_TIMEOUT_S

TABLES = ("practice", "staff", "staff_role", "custodian_grant", "client", "assignment",
          "chart_share", "chart_note", "document", "audit_event", "location", "service_code",
          "availability_block", "time_off", "appointment_series", "appointment")

TABLES_WITHOUT_ID = ("staff_role", "service_code")

# The functions below, in creation order: name(arguments) -> (returns, body). Each is
# SECURITY DEFINER with a fixed search_path, so it reads the tables as their owner (no
# recursion through the policies) and cannot be redirected by a login's own objects.
FUNCTIONS: list[tuple[str, str, str]] = [
    ("clinicctl_is_admin()", "boolean", """
        SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
            OR pg_has_role(session_user,
                           (SELECT relowner FROM pg_class WHERE oid = 'staff'::regclass),
                           'MEMBER')"""),
    # The staff member bound to the session's login, active or not (NULL: unbound).
    ("clinicctl_current_staff_id()", "integer", """
        SELECT id FROM staff WHERE db_login = session_user"""),
    # The same, only while they are active: every grant below starts from it.
    ("clinicctl_me()", "integer", """
        SELECT id FROM staff WHERE db_login = session_user AND active"""),
    ("clinicctl_has_role(p_role text)", "boolean", """
        SELECT EXISTS (SELECT 1 FROM staff s JOIN staff_role r ON r.staff_id = s.id
                       WHERE s.db_login = session_user AND s.active AND r.role = p_role)"""),
    ("clinicctl_any_role(VARIADIC p_roles text[])", "boolean", """
        SELECT EXISTS (SELECT 1 FROM staff s JOIN staff_role r ON r.staff_id = s.id
                       WHERE s.db_login = session_user AND s.active
                       AND r.role = ANY (p_roles))"""),
    ("clinicctl_staff_has_role(p_staff integer, p_role text)", "boolean", """
        SELECT EXISTS (SELECT 1 FROM staff_role r WHERE r.staff_id = p_staff
                       AND r.role = p_role)"""),
    # days.practice_today(): the practice's date decides when a custodian grant expires.
    ("clinicctl_today()", "date", """
        SELECT (now() AT TIME ZONE coalesce(
            (SELECT timezone FROM practice ORDER BY id LIMIT 1), 'UTC'))::date"""),
    ("clinicctl_is_assigned(p_provider integer, p_client integer)", "boolean", """
        SELECT EXISTS (SELECT 1 FROM assignment a WHERE a.provider_id = p_provider
                       AND a.client_id = p_client)"""),
    ("clinicctl_is_active_provider(p_staff integer)", "boolean", """
        SELECT EXISTS (SELECT 1 FROM staff s JOIN staff_role r ON r.staff_id = s.id
                       WHERE s.id = p_staff AND s.active AND r.role = 'provider')"""),
    ("clinicctl_records_owner(p_staff integer)", "text", """
        SELECT records_owner FROM staff WHERE id = p_staff"""),
    # relations.custodian_scope() is None: no grants at all, or a current one for every provider.
    ("clinicctl_custodian_covers_all()", "boolean", """
        SELECT clinicctl_has_role('records-custodian') AND (
            NOT EXISTS (SELECT 1 FROM custodian_grant g WHERE g.custodian_id = clinicctl_me())
            OR EXISTS (SELECT 1 FROM custodian_grant g WHERE g.custodian_id = clinicctl_me()
                       AND g.provider_id IS NULL
                       AND (g.expires_on IS NULL OR g.expires_on >= clinicctl_today())))"""),
    ("clinicctl_custodian_covers(p_provider integer)", "boolean", """
        SELECT clinicctl_custodian_covers_all() OR (clinicctl_has_role('records-custodian')
            AND EXISTS (SELECT 1 FROM custodian_grant g WHERE g.custodian_id = clinicctl_me()
                        AND g.provider_id = p_provider
                        AND (g.expires_on IS NULL OR g.expires_on >= clinicctl_today())))"""),
    ("clinicctl_custodian_covers_client(p_client integer)", "boolean", """
        SELECT clinicctl_custodian_covers_all() OR (clinicctl_has_role('records-custodian')
            AND EXISTS (SELECT 1 FROM assignment a JOIN custodian_grant g
                            ON g.provider_id = a.provider_id
                        WHERE a.client_id = p_client AND g.custodian_id = clinicctl_me()
                        AND (g.expires_on IS NULL OR g.expires_on >= clinicctl_today())))"""),
    # access.chart_access(...).can_read(author, kind): the chart-read rule.
    ("clinicctl_can_read_chart(p_client integer, p_author integer, p_kind text)", "boolean", """
        SELECT (clinicctl_has_role('provider') AND (
                    p_author = clinicctl_me()
                    OR EXISTS (SELECT 1 FROM chart_share s
                               WHERE s.client_id = p_client AND s.from_provider_id = p_author
                               AND s.to_provider_id = clinicctl_me() AND s.ended_at IS NULL
                               AND (p_kind <> 'private' OR s.include_private_notes))))
            OR (p_kind <> 'private' AND (
                    clinicctl_has_role('owner')
                    OR (clinicctl_custodian_covers_client(p_client)
                        AND clinicctl_custodian_covers(p_author))))"""),
    # access.profile_grant(): the client profile and non-clinical documents.
    ("clinicctl_has_profile_access(p_client integer)", "boolean", """
        SELECT clinicctl_has_role('owner') OR clinicctl_has_role('manager')
            OR clinicctl_has_role('scheduler') OR clinicctl_has_role('biller')
            OR (clinicctl_has_role('provider')
                AND clinicctl_is_assigned(clinicctl_me(), p_client))
            OR clinicctl_custodian_covers_client(p_client)"""),
    # access.authorize_share(): who may share (or end a share of) a provider's client.
    ("clinicctl_may_share_from(p_provider integer, p_client integer)", "boolean", """
        SELECT clinicctl_has_role('owner') OR clinicctl_has_role('manager')
            OR clinicctl_custodian_covers(p_provider)
            OR (clinicctl_has_role('provider') AND p_provider = clinicctl_me()
                AND clinicctl_is_assigned(clinicctl_me(), p_client))"""),
    # An addendum amends a note of the same client that the author may read, and takes its kind.
    ("clinicctl_may_amend(p_note integer, p_client integer, p_kind text)", "boolean", """
        SELECT EXISTS (SELECT 1 FROM chart_note n WHERE n.id = p_note
                       AND n.client_id = p_client AND n.kind = p_kind
                       AND clinicctl_can_read_chart(n.client_id, n.author_id, n.kind))"""),
]

# What an event's hash covers, exactly as services/audit.py's json.dumps(sort_keys=True,
# separators=(",", ":")) writes it: the values are ASCII (clinicctl_audit_append checks), and
# for ASCII to_json escapes as Python's json does. Plain SQL functions (no SECURITY DEFINER,
# no SET), so PostgreSQL inlines them where they are used.
PURE: list[tuple[str, str, str]] = [
    ("clinicctl_audit_payload(p_at text, p_actor integer, p_action text, p_object_type text, "
     "p_object_id integer, p_client integer, p_outcome text, p_details text)", "text", """
        SELECT '{"action":' || to_json(p_action)::text
            || ',"actor_id":' || coalesce(p_actor::text, 'null')
            || ',"at":' || to_json(p_at)::text
            || ',"client_id":' || coalesce(p_client::text, 'null')
            || ',"details":' || to_json(p_details)::text
            || ',"object_id":' || coalesce(p_object_id::text, 'null')
            || ',"object_type":' || to_json(p_object_type)::text
            || ',"outcome":' || to_json(p_outcome)::text || '}'"""),
    ("clinicctl_audit_time(p_at timestamptz)", "text", """
        SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00'"""),
]

AUDIT_APPEND = f"""
CREATE FUNCTION clinicctl_audit_append(
    p_actor_ids integer[], p_actions text[], p_object_types text[], p_object_ids integer[],
    p_client_ids integer[], p_outcomes text[], p_details text[]
) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
DECLARE
    v_staff integer := clinicctl_current_staff_id();
    v_count integer := coalesce(array_length(p_actions, 1), 0);
    v_at_text text := clinicctl_audit_time(clock_timestamp());
    v_actors integer[];
    v_payloads text[];
    v_prev text;
    v_prevs text[] := '{{}}';
    v_hashes text[] := '{{}}';
    i integer;
BEGIN
    -- A staff login appends only as itself; only the administrator names the actor.
    IF v_staff IS NULL AND NOT clinicctl_is_admin() THEN
        RAISE EXCEPTION 'database login % is not bound to a staff member', session_user
            USING ERRCODE = '42501';
    END IF;
    IF coalesce(array_length(p_object_types, 1), 0) <> v_count
       OR coalesce(array_length(p_object_ids, 1), 0) <> v_count
       OR coalesce(array_length(p_client_ids, 1), 0) <> v_count
       OR coalesce(array_length(p_outcomes, 1), 0) <> v_count
       OR coalesce(array_length(p_details, 1), 0) <> v_count
       OR (v_staff IS NULL AND coalesce(array_length(p_actor_ids, 1), 0) <> v_count) THEN
        RAISE EXCEPTION 'audit events: arrays of different lengths' USING ERRCODE = '22023';
    END IF;
    IF v_count = 0 THEN
        RETURN 0;
    END IF;
    -- Checked for the whole batch at once (a batch repeats a few actions and details).
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT a, o, d
                              FROM unnest(p_actions, p_object_types, p_details) AS u(a, o, d)) s
               WHERE a IS NULL OR a !~ '^[a-z_]+[.][a-z_]+$' OR o IS NULL OR o !~ '^[a-z_]+$'
                     OR d IS NULL OR d ~ '[^ -~]') THEN
        RAISE EXCEPTION 'audit events: an action, object type or details out of shape'
            USING ERRCODE = '22023';
    END IF;
    PERFORM count(d::jsonb) FROM (SELECT DISTINCT d FROM unnest(p_details) AS u(d)) s;
    v_actors := CASE WHEN v_staff IS NULL THEN p_actor_ids
                     ELSE array_fill(v_staff, ARRAY[v_count]) END;
    SELECT array_agg(clinicctl_audit_payload(v_at_text, u.actor, u.action, u.object_type,
                                             u.object_id, u.client_id, u.outcome, u.details)
                     ORDER BY u.position)
    INTO v_payloads
    FROM unnest(v_actors, p_actions, p_object_types, p_object_ids, p_client_ids, p_outcomes,
                p_details)
         WITH ORDINALITY AS u(actor, action, object_type, object_id, client_id, outcome,
                              details, position);
    -- Bounded like a writer's wait (db.PG_LOCK_TIMEOUT_S), unless the session set less.
    IF current_setting('lock_timeout') IN ('0', '0ms') THEN
        PERFORM set_config('lock_timeout', '{LOCK_TIMEOUT}', true);
    END IF;
    PERFORM pg_advisory_xact_lock({AUDIT_LOCK});
    SELECT hash INTO v_prev FROM audit_event ORDER BY id DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    FOR i IN 1 .. v_count LOOP
        v_prevs[i] := v_prev;
        v_prev := encode(sha256(convert_to(v_prev || v_payloads[i], 'UTF8')), 'hex');
        v_hashes[i] := v_prev;
    END LOOP;
    INSERT INTO audit_event (at, actor_id, action, object_type, object_id, client_id, outcome,
                             details, prev_hash, hash)
    SELECT v_at_text::timestamptz, u.actor, u.action, u.object_type, u.object_id, u.client_id,
           u.outcome, u.details, u.prev_hash, u.hash
    FROM unnest(v_actors, p_actions, p_object_types, p_object_ids, p_client_ids, p_outcomes,
                p_details, v_prevs, v_hashes)
         WITH ORDINALITY AS u(actor, action, object_type, object_id, client_id, outcome,
                              details, prev_hash, hash, position)
    ORDER BY u.position;
    RETURN v_count;
END
$fn$;
"""

AUDIT_ROLES = ("clinicctl_is_admin() OR clinicctl_any_role('owner', 'manager', "
               "'records-custodian')")
# `audit verify` in the database: it returns the verdict, never the events' hashes, which
# could be reversed by guessing the low-entropy content of events the caller may not list.
AUDIT_VERIFY = f"""
CREATE FUNCTION clinicctl_audit_verify()
RETURNS TABLE (events bigint, broken_at integer, broken_position bigint, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
DECLARE
    v_prev text := repeat('0', 64);
    v_count bigint := 0;
    v_event record;
BEGIN
    IF NOT ({AUDIT_ROLES}) THEN
        RAISE EXCEPTION 'only the owner, managers and records custodians check the audit trail'
            USING ERRCODE = '42501';
    END IF;
    FOR v_event IN SELECT e.* FROM audit_event e ORDER BY e.id LOOP
        v_count := v_count + 1;
        IF v_event.prev_hash <> v_prev THEN
            RETURN QUERY SELECT v_count, v_event.id, v_count, 'previous-hash link does not match';
            RETURN;
        END IF;
        IF encode(sha256(convert_to(v_prev || clinicctl_audit_payload(
                clinicctl_audit_time(v_event.at), v_event.actor_id, v_event.action,
                v_event.object_type, v_event.object_id, v_event.client_id, v_event.outcome,
                v_event.details), 'UTF8')), 'hex') <> v_event.hash THEN
            RETURN QUERY SELECT v_count, v_event.id, v_count,
                'event content does not match its hash';
            RETURN;
        END IF;
        v_prev := v_event.hash;
    END LOOP;
    RETURN QUERY SELECT v_count, NULL::integer, NULL::bigint, NULL::text;
END
$fn$;
"""

# `audit verify --anchor`: whether the anchored event is there with the anchored hash, and
# where it stands; the caller already holds the hash, so nothing new is handed out.
AUDIT_ANCHOR_CHECK = f"""
CREATE FUNCTION clinicctl_audit_anchor_check(p_id integer, p_hash text)
RETURNS TABLE (found boolean, hash_matches boolean, event_position bigint, events bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF NOT ({AUDIT_ROLES}) THEN
        RAISE EXCEPTION 'only the owner, managers and records custodians check the audit trail'
            USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
        SELECT EXISTS (SELECT 1 FROM audit_event WHERE id = p_id),
               EXISTS (SELECT 1 FROM audit_event WHERE id = p_id AND hash = p_hash),
               (SELECT count(*) FROM audit_event WHERE id <= p_id),
               (SELECT count(*) FROM audit_event);
END
$fn$;
"""

# `audit anchor`: the head's hash, for those who may read every event anyway.
AUDIT_HEAD = """
CREATE FUNCTION clinicctl_audit_head()
RETURNS TABLE (id integer, at timestamptz, hash text, events bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF NOT (clinicctl_is_admin() OR clinicctl_any_role('owner', 'manager')) THEN
        RAISE EXCEPTION 'only the owner and managers anchor the audit trail'
            USING ERRCODE = '42501';
    END IF;
    RETURN QUERY
        SELECT e.id, e.at, e.hash::text, (SELECT count(*) FROM audit_event)
        FROM audit_event e ORDER BY e.id DESC LIMIT 1;
END
$fn$;
"""

# `audit list` and `export audit`: the rule (owner and managers every event, a records
# custodian the events about clients in scope) is settled before the caller's filters are
# applied, so no filter can probe an event the caller may not read.
AUDIT_EVENTS = """
CREATE FUNCTION clinicctl_audit_events(
    p_actor integer, p_client integer, p_action text, p_outcome text, p_since timestamptz,
    p_until timestamptz, p_limit integer
) RETURNS SETOF audit_event
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
DECLARE
    v_all boolean := clinicctl_any_role('owner', 'manager');
    v_any_client boolean := false;
    v_clients integer[] := '{}';
BEGIN
    IF NOT v_all THEN
        IF NOT clinicctl_has_role('records-custodian') THEN
            RETURN;
        END IF;
        v_any_client := clinicctl_custodian_covers_all();
        IF NOT v_any_client THEN
            SELECT coalesce(array_agg(DISTINCT a.client_id), '{}') INTO v_clients
            FROM assignment a WHERE clinicctl_custodian_covers(a.provider_id);
        END IF;
    END IF;
    RETURN QUERY
        SELECT s.* FROM (
            SELECT e.* FROM audit_event e
            WHERE (v_all OR (e.client_id IS NOT NULL
                             AND (v_any_client OR e.client_id = ANY (v_clients))))
              AND (p_actor IS NULL OR e.actor_id = p_actor)
              AND (p_client IS NULL OR e.client_id = p_client)
              AND (p_action IS NULL OR e.action LIKE p_action)
              AND (p_outcome IS NULL OR e.outcome = p_outcome)
              AND (p_since IS NULL OR e.at >= p_since)
              AND (p_until IS NULL OR e.at < p_until)
            ORDER BY CASE WHEN p_limit IS NULL THEN e.id ELSE -e.id END
            LIMIT p_limit
        ) s ORDER BY s.id;
END
$fn$;
"""

# Readers: the rows of a client's chart the caller may read, and one by id.
READERS: list[tuple[str, str, str]] = [
    ("clinicctl_chart_notes(p_client integer)", "SETOF chart_note", """
        SELECT n.* FROM chart_note n WHERE n.client_id = p_client
        AND clinicctl_can_read_chart(n.client_id, n.author_id, n.kind)
        ORDER BY n.date_of_service, n.id"""),
    ("clinicctl_chart_note(p_id integer)", "SETOF chart_note", """
        SELECT n.* FROM chart_note n WHERE n.id = p_id
        AND clinicctl_can_read_chart(n.client_id, n.author_id, n.kind)"""),
    ("clinicctl_documents(p_client integer)", "SETOF document", """
        SELECT d.* FROM document d WHERE d.client_id = p_client AND CASE WHEN d.clinical
            THEN clinicctl_can_read_chart(d.client_id, d.uploaded_by_id, 'progress')
            ELSE clinicctl_has_profile_access(d.client_id) END
        ORDER BY d.id"""),
    ("clinicctl_document(p_id integer)", "SETOF document", """
        SELECT d.* FROM document d WHERE d.id = p_id AND CASE WHEN d.clinical
            THEN clinicctl_can_read_chart(d.client_id, d.uploaded_by_id, 'progress')
            ELSE clinicctl_has_profile_access(d.client_id) END"""),
    # How often each appointment was rescheduled (the calendar's SEQUENCE): counts only.
    ("clinicctl_reschedule_counts(p_ids integer[])",
     "TABLE (appointment_id integer, reschedules bigint)", """
        SELECT e.object_id, count(*) FROM audit_event e
        WHERE e.action = 'appointment.reschedule' AND e.object_type = 'appointment'
        AND e.outcome = 'ok' AND e.object_id = ANY (p_ids) AND clinicctl_me() IS NOT NULL
        GROUP BY e.object_id"""),
]

# Staff rows: what a column grant and a policy cannot say (they see the new row or the old
# one, not both). A manager changes neither the owner nor a records custodian (deactivating a
# custodian aside), nor who owns a provider's records, nor any login binding.
STAFF_GUARD = """
CREATE FUNCTION clinicctl_staff_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF clinicctl_is_admin() OR clinicctl_has_role('owner') THEN
        RETURN NEW;
    END IF;
    IF NEW.db_login IS DISTINCT FROM OLD.db_login THEN
        RAISE EXCEPTION 'only the owner binds database logins' USING ERRCODE = '42501';
    END IF;
    IF NEW.records_owner IS DISTINCT FROM OLD.records_owner THEN
        RAISE EXCEPTION 'only the owner changes who owns a provider''s records'
            USING ERRCODE = '42501';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'a staff member''s id and creation time never change'
            USING ERRCODE = '42501';
    END IF;
    IF clinicctl_staff_has_role(OLD.id, 'owner') THEN
        RAISE EXCEPTION 'only the owner changes the owner' USING ERRCODE = '42501';
    END IF;
    IF clinicctl_staff_has_role(OLD.id, 'records-custodian')
       AND (NEW.name IS DISTINCT FROM OLD.name OR NEW.name_key IS DISTINCT FROM OLD.name_key
            OR NEW.email IS DISTINCT FROM OLD.email
            OR NEW.credentials IS DISTINCT FROM OLD.credentials
            OR (NEW.active AND NOT OLD.active)) THEN
        RAISE EXCEPTION 'only the owner changes a records custodian' USING ERRCODE = '42501';
    END IF;
    IF OLD.id = clinicctl_current_staff_id() AND NEW.active AND NOT OLD.active THEN
        RAISE EXCEPTION 'nobody reactivates themselves' USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$fn$;
"""

# A provider's settings for a client are theirs (and the owner's and managers'): schedulers
# also set the status, and a booking by anyone who may book reactivates an inactive one.
ASSIGNMENT_GUARD = """
CREATE FUNCTION clinicctl_assignment_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF clinicctl_is_admin() OR clinicctl_any_role('owner', 'manager') THEN
        RETURN NEW;
    END IF;
    IF clinicctl_has_role('provider') AND OLD.provider_id = clinicctl_me() THEN
        RETURN NEW;  -- their own settings
    END IF;
    IF NEW.diagnosis IS DISTINCT FROM OLD.diagnosis THEN
        RAISE EXCEPTION 'only the provider, the owner and managers change a diagnosis'
            USING ERRCODE = '42501';
    END IF;
    -- Schedulers set any status; others change a colleague's only by booking, which
    -- reactivates an inactive or discharged assignment.
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT clinicctl_has_role('scheduler')
       AND NOT (OLD.status IN ('inactive', 'discharged') AND NEW.status = 'active') THEN
        RAISE EXCEPTION 'providers change only their own settings for a client'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$fn$;
"""

# Times a staff login cannot choose: when a note or document was written, when a chart share
# started or ended, are the database's.
STAMP_TIMES = """
CREATE FUNCTION clinicctl_stamp_times() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF clinicctl_is_admin() THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME IN ('chart_note', 'document') THEN
        NEW.created_at := now();
    ELSIF TG_OP = 'INSERT' THEN
        NEW.started_at := now();
    ELSE
        NEW.ended_at := now();
    END IF;
    RETURN NEW;
END
$fn$;
"""
TRIGGERS = [
    ("staff_guard", "BEFORE UPDATE ON staff", "clinicctl_staff_guard()"),
    ("assignment_guard", "BEFORE UPDATE ON assignment", "clinicctl_assignment_guard()"),
    ("chart_note_time", "BEFORE INSERT ON chart_note", "clinicctl_stamp_times()"),
    ("document_time", "BEFORE INSERT ON document", "clinicctl_stamp_times()"),
    ("chart_share_time", "BEFORE INSERT OR UPDATE ON chart_share", "clinicctl_stamp_times()"),
]

ME = "clinicctl_me() IS NOT NULL"
# Booking: owner, managers and schedulers for anyone; a records custodian for the clients in
# their scope; a provider for themselves or for a client in their list.
BOOKERS = ("clinicctl_any_role('owner', 'manager', 'scheduler') "
           "OR (clinicctl_has_role('records-custodian') "
           "AND clinicctl_custodian_covers_client(client_id)) "
           "OR (clinicctl_has_role('provider') AND (provider_id = clinicctl_me() "
           "OR clinicctl_is_assigned(clinicctl_me(), client_id)))")
# Providers edit only their own clients.
CLIENT_EDITOR = ("clinicctl_any_role('owner', 'manager', 'scheduler') OR "
                 "(clinicctl_has_role('provider') AND clinicctl_is_assigned(clinicctl_me(), id))")
SCHEDULE_EDITORS = ("(clinicctl_any_role('owner', 'manager', 'scheduler') "
                    "OR (clinicctl_has_role('provider') AND provider_id = clinicctl_me()))")
# Who takes a client off a provider's list (`client unshare --remove`).
REMOVERS = ("clinicctl_any_role('owner', 'manager') "
            "OR (clinicctl_has_role('records-custodian') "
            "AND clinicctl_custodian_covers_client(client_id)) "
            "OR (clinicctl_has_role('provider') "
            "AND clinicctl_is_assigned(clinicctl_me(), client_id))")

# table -> {command: (privilege, USING, WITH CHECK)}. Commands without an entry are neither
# granted nor allowed; a privilege may name columns. Tables with no entry at all (the audit
# trail) are read and written only through the functions above.
POLICIES: dict[str, dict[str, tuple[str, str | None, str | None]]] = {
    "practice": {"select": ("SELECT", ME, None)},
    "staff": {
        # Everyone sees the staff directory; a deactivated login still sees its own row, so
        # clinicctl can tell it why it is refused.
        "select": ("SELECT", f"{ME} OR id = clinicctl_current_staff_id()", None),
        "insert": ("INSERT", None, "clinicctl_any_role('owner', 'manager') AND db_login IS NULL"),
        "update": ("UPDATE (name, name_key, email, credentials, active, records_owner, db_login)",
                   "clinicctl_any_role('owner', 'manager')",
                   "clinicctl_any_role('owner', 'manager')"),
    },
    "staff_role": {
        "select": ("SELECT", f"{ME} OR staff_id = clinicctl_current_staff_id()", None),
        # Managers grant neither owner nor records custodian, and nobody but the owner raises
        # their own rights.
        "insert": ("INSERT", None,
                   "clinicctl_has_role('owner') OR (clinicctl_has_role('manager') "
                   "AND role NOT IN ('owner', 'records-custodian') "
                   "AND staff_id <> clinicctl_me())"),
        "delete": ("DELETE", "clinicctl_has_role('owner') OR (clinicctl_has_role('manager') "
                   "AND role NOT IN ('owner', 'records-custodian'))", None),
    },
    "custodian_grant": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, "clinicctl_has_role('owner')"),
        "delete": ("DELETE", "clinicctl_has_role('owner')", None),
    },
    "client": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, "clinicctl_any_role('owner', 'manager', 'scheduler', "
                   "'provider')"),
        # The demographics; never the id or when the client was added.
        "update": ("UPDATE (first_name, last_name, preferred_name, name_key, dob, sex, email, "
                   "phone, address, external_id)", CLIENT_EDITOR, CLIENT_EDITOR),
    },
    "assignment": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, f"created_by_id = clinicctl_me() AND ({BOOKERS})"),
        # Only the provider's own settings change (the diagnosis by whom the trigger says).
        "update": ("UPDATE (status, diagnosis)", BOOKERS, BOOKERS),
        "delete": ("DELETE", REMOVERS, None),
    },
    "chart_share": {
        "select": ("SELECT", ME, None),
        # client share --chart: never to yourself, from a provider who has the client, to an
        # active provider who has it too, by someone who may share that provider's chart
        # (only the provider when they own their records).
        "insert": ("INSERT", None,
                   "started_by_id = clinicctl_me() AND ended_at IS NULL AND ended_by_id IS NULL "
                   "AND to_provider_id <> clinicctl_me() "
                   "AND clinicctl_is_active_provider(to_provider_id) "
                   "AND clinicctl_is_assigned(from_provider_id, client_id) "
                   "AND clinicctl_is_assigned(to_provider_id, client_id) "
                   "AND (clinicctl_records_owner(from_provider_id) <> 'provider' "
                   "OR from_provider_id = clinicctl_me()) "
                   "AND clinicctl_may_share_from(from_provider_id, client_id)"),
        # client unshare, and ending the shares into a list the client has just left (by who
        # may take it off that list). Only the end columns may change; an ended share stays
        # ended.
        "update": ("UPDATE (ended_at, ended_by_id)",
                   "ended_at IS NULL AND (clinicctl_may_share_from(from_provider_id, client_id) "
                   f"OR (NOT clinicctl_is_assigned(to_provider_id, client_id) AND ({REMOVERS})))",
                   "ended_at IS NOT NULL AND ended_by_id = clinicctl_me()"),
    },
    # Written as tables (the id comes back from the INSERT), read through the functions.
    "chart_note": {
        "select": ("SELECT (id)", "clinicctl_can_read_chart(client_id, author_id, kind)", None),
        "insert": ("INSERT", None,
                   "author_id = clinicctl_me() AND clinicctl_has_role('provider') "
                   "AND clinicctl_is_assigned(author_id, client_id) "
                   "AND (addendum_to_id IS NULL "
                   "OR clinicctl_may_amend(addendum_to_id, client_id, kind))"),
    },
    "document": {
        "select": ("SELECT (id)", "CASE WHEN clinical "
                   "THEN clinicctl_can_read_chart(client_id, uploaded_by_id, 'progress') "
                   "ELSE clinicctl_has_profile_access(client_id) END", None),
        "insert": ("INSERT", None,
                   "uploaded_by_id = clinicctl_me() AND CASE WHEN clinical "
                   "THEN clinicctl_has_role('provider') "
                   "AND clinicctl_is_assigned(uploaded_by_id, client_id) "
                   "ELSE clinicctl_has_profile_access(client_id) AND clinicctl_any_role("
                   "'owner', 'manager', 'scheduler', 'records-custodian', 'provider') END"),
    },
    "location": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, "clinicctl_any_role('owner', 'manager')"),
        "update": ("UPDATE", "clinicctl_any_role('owner', 'manager')",
                   "clinicctl_any_role('owner', 'manager')"),
    },
    "service_code": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, "clinicctl_any_role('owner', 'manager')"),
        "update": ("UPDATE", "clinicctl_any_role('owner', 'manager')",
                   "clinicctl_any_role('owner', 'manager')"),
    },
    "availability_block": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, SCHEDULE_EDITORS),
        "update": ("UPDATE", SCHEDULE_EDITORS, SCHEDULE_EDITORS),
        "delete": ("DELETE", SCHEDULE_EDITORS, None),
    },
    "time_off": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, SCHEDULE_EDITORS),
        "update": ("UPDATE", SCHEDULE_EDITORS, SCHEDULE_EDITORS),
        "delete": ("DELETE", SCHEDULE_EDITORS, None),
    },
    "appointment_series": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, "created_by_id = clinicctl_me() AND clinicctl_any_role("
                   "'owner', 'manager', 'scheduler', 'records-custodian', 'provider')"),
    },
    "appointment": {
        "select": ("SELECT", ME, None),
        "insert": ("INSERT", None, f"created_by_id = clinicctl_me() AND ({BOOKERS})"),
        # Rescheduling, cancelling, completing; never whose session it is or who booked it.
        "update": ("UPDATE (provider_id, start_at, end_at, service_code, pos_code, location_id, "
                   "status, series_id, cancellation_reason, outside_availability)",
                   BOOKERS, BOOKERS),
    },
}


def upgrade() -> None:
    # A plain ADD COLUMN and a unique index, never a batch copy of the table: on SQLite that
    # drops and recreates ``staff``, which every other table references.
    op.add_column("staff", sa.Column("db_login", sa.String(63), nullable=True))
    op.create_index("uq_staff_db_login", "staff", ["db_login"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        install_row_security()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        remove_row_security()
    op.drop_index("uq_staff_db_login", table_name="staff")
    op.drop_column("staff", "db_login")


def _schema() -> str:
    return str(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar())


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote_identifier(name)


def install_row_security() -> None:
    schema = _quote(_schema())
    search_path = f"pg_catalog, {schema}, pg_temp"
    # The group role is the server's, shared by the practices' databases on it; what it may
    # do is granted per database, below, and only logins bound here may connect here.
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{STAFF_ROLE}') THEN
                CREATE ROLE {STAFF_ROLE} NOLOGIN;
            END IF;
        -- Two databases of one server migrated at once both find the role missing.
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f"REVOKE CONNECT ON DATABASE {_quote(_database())} FROM PUBLIC")
    for signature, returns, body in PURE:
        op.execute(f"CREATE FUNCTION {signature} RETURNS {returns} LANGUAGE sql STABLE "
                   f"AS $fn${body}$fn$")
    for signature, returns, body in FUNCTIONS + READERS:
        op.execute(f"CREATE FUNCTION {signature} RETURNS {returns} LANGUAGE sql STABLE "
                   f"SECURITY DEFINER SET search_path = {search_path} AS $fn${body}$fn$")
    for template in PLPGSQL:
        op.execute(template.replace("@search_path@", search_path))
    for name, when, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}")
    for name in _function_names():
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {STAFF_ROLE}")
    # Who am I is a question any login may ask: clinicctl asks it before it knows whether the
    # login is a member of the group at all.
    for name in ("clinicctl_is_admin()", "clinicctl_current_staff_id()"):
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO PUBLIC")

    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {STAFF_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {STAFF_ROLE}")
    for table in TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for command, (privilege, using, check) in POLICIES.get(table, {}).items():
            op.execute(f"GRANT {privilege} ON {table} TO {STAFF_ROLE}")
            clause = f" USING ({using})" if using else ""
            clause += f" WITH CHECK ({check})" if check else ""
            op.execute(f"CREATE POLICY {table}_{command} ON {table} FOR {command.upper()} "
                       f"TO {STAFF_ROLE}{clause}")
        if "insert" in POLICIES.get(table, {}) and table not in TABLES_WITHOUT_ID:
            sequence = op.get_bind().execute(
                sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
            ).scalar()
            if sequence:
                op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {STAFF_ROLE}")


PLPGSQL = (AUDIT_APPEND, AUDIT_VERIFY, AUDIT_ANCHOR_CHECK, AUDIT_HEAD, AUDIT_EVENTS,
           STAFF_GUARD, ASSIGNMENT_GUARD, STAMP_TIMES)


def _database() -> str:
    return str(op.get_bind().execute(sa.text("SELECT current_database()")).scalar())


def _function_names() -> list[str]:
    names = [signature for signature, _, _ in PURE + FUNCTIONS + READERS]
    names += [
        "clinicctl_audit_append(integer[], text[], text[], integer[], integer[], text[], text[])",
        "clinicctl_audit_verify()", "clinicctl_audit_anchor_check(integer, text)",
        "clinicctl_audit_head()",
        "clinicctl_audit_events(integer, integer, text, text, timestamptz, timestamptz, "
        "integer)",
        "clinicctl_staff_guard()", "clinicctl_assignment_guard()", "clinicctl_stamp_times()",
    ]
    return [_argument_types(name) for name in names]


def _argument_types(signature: str) -> str:
    """``f(p_a integer, p_b text)`` -> ``f(integer, text)`` (for GRANT and DROP)."""
    name, _, arguments = signature.partition("(")
    types = []
    for argument in arguments.rstrip(")").split(","):
        words = argument.split()
        if not words:
            continue
        if words[0] == "VARIADIC":
            types.append("VARIADIC " + " ".join(words[2:]))
        else:
            types.append(" ".join(words[1:]) if len(words) > 1 and words[0].startswith("p_")
                         else " ".join(words))
    return f"{name}({', '.join(types)})"


def remove_row_security() -> None:
    for table in TABLES:
        for command in POLICIES.get(table, {}):
            op.execute(f"DROP POLICY IF EXISTS {table}_{command} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {STAFF_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {STAFF_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {_quote(_schema())} FROM {STAFF_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA {_quote(_schema())} FROM {STAFF_ROLE}")
    for name, when, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {when.split(' ON ')[1]}")
    op.execute(f"GRANT CONNECT ON DATABASE {_quote(_database())} TO PUBLIC")
    for name in reversed(_function_names()):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
