"""restricted clients: a client seen only by their care team

Revision ID: 0011
Revises: 0010

``client.restricted`` (``client restrict``): a restricted client, a staff member or a public
figure in care, is seen only by their care team, their assigned providers, the owner and
the records custodians whose scope covers them (``access.care_team_grant``). The column is
added as a plain ADD COLUMN with a default (never a batch copy of ``client``, which every
client table references), with a partial index of the restricted ones; every existing
client is unrestricted.

On PostgreSQL the rule is stated again for staff logins, in functions of the same shape as
migration 0004's (``SECURITY DEFINER``, a fixed ``search_path``):

- ``clinicctl_is_restricted(client)``, ``clinicctl_in_care_team(client)`` and
  ``clinicctl_restriction_allows(client)`` (not restricted, or in the care team);
- ``clinicctl_has_profile_access(client)`` (0004) holds only for the care team of a
  restricted client, so its non-clinical documents follow (chart notes were the care
  team's already); supervision and emergency access (0010: ``clinicctl_can_read_note``,
  ``clinicctl_can_read_clinical_document``, ``clinicctl_may_read_profile``) stop at the
  care team too;
- the ``client`` rows (names, search keys, demographics), its ``assignment`` rows (who has
  the client, their status and diagnosis) and its ``client_group_member`` rows (0008) are
  read by the care team only; a new assignment of a restricted client is written only by
  the care team (sharing adds to the team only from inside it), and a client's demographics
  are changed only by an editor who may see them;
- ``clinicctl_restrict_client(client, on)`` is the one way a login sets the flag: the owner,
  or a records custodian whose scope covers the client;
- ``clinicctl_group_size(group)`` counts a group's current members, seen or not, so a
  booking for a group with members a login may not see is refused rather than made without
  them.

Left readable, as ids: an appointment's ``client_id`` and its places (0009; the slot is
taken, and scheduling shows it as "restricted client"), chart shares (ids and dates; a
manager deactivating a provider ends their shares), and the audit trail (ids only). A
policy's per-row check runs only for the rows a query's cheap conditions select, as for the
places of 0009.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004

# --- functions: new in this revision ---------------------------------------------------------
# name(arguments) -> (returns, body), created as 0004 creates its functions.
FUNCTIONS: list[tuple[str, str, str]] = [
    ("clinicctl_is_restricted(p_client integer)", "boolean", """
        SELECT coalesce((SELECT c.restricted FROM client c WHERE c.id = p_client), false)"""),
    # access.care_team_grant(): the owner, a provider who has the client, a records custodian
    # whose scope covers the client.
    ("clinicctl_in_care_team(p_client integer)", "boolean", """
        SELECT clinicctl_has_role('owner')
            OR (clinicctl_has_role('provider')
                AND clinicctl_is_assigned(clinicctl_me(), p_client))
            OR clinicctl_custodian_covers_client(p_client)"""),
    # Not restricted, or in the care team: what every other rule of a client is limited by.
    ("clinicctl_restriction_allows(p_client integer)", "boolean", """
        SELECT NOT clinicctl_is_restricted(p_client) OR clinicctl_in_care_team(p_client)"""),
    # relations.has_active_clients(): whether a provider has a new or active client, seen by
    # the caller or not (staff roles and deactivate refuse on it), and how many of them the
    # caller may not see (staff reassign says they stay): a yes and a count, nothing more.
    ("clinicctl_has_active_clients(p_provider integer)", "boolean", """
        SELECT clinicctl_me() IS NOT NULL AND EXISTS (
            SELECT 1 FROM assignment a WHERE a.provider_id = p_provider
            AND a.status IN ('new', 'active'))"""),
    ("clinicctl_hidden_active_clients(p_provider integer)", "integer", """
        SELECT CASE WHEN clinicctl_me() IS NULL THEN NULL ELSE (
            SELECT count(*)::integer FROM assignment a WHERE a.provider_id = p_provider
            AND a.status IN ('new', 'active')
            AND NOT clinicctl_restriction_allows(a.client_id)) END"""),
    # groups.group_size(): a group's current members, whether or not the caller sees each.
    ("clinicctl_group_size(p_group integer)", "integer", """
        SELECT CASE WHEN clinicctl_me() IS NULL THEN NULL ELSE (
            SELECT count(*)::integer FROM client_group_member m
            WHERE m.group_id = p_group AND m.left_at IS NULL) END"""),
]
# Granted to staff logins (clinicctl_is_restricted is not: which ids are restricted is for
# the policies to know, not a question a login may ask of every id).
SIGNATURES = ["clinicctl_in_care_team(integer)", "clinicctl_restriction_allows(integer)",
              "clinicctl_has_active_clients(integer)",
              "clinicctl_hidden_active_clients(integer)",
              "clinicctl_group_size(integer)", "clinicctl_restrict_client(integer, boolean)",
              "clinicctl_restricted_session_guard()"]

# people.restriction.restrict(): the owner, or a records custodian in scope; returns whether
# the flag changed.
RESTRICT_CLIENT = """
CREATE FUNCTION clinicctl_restrict_client(p_client integer, p_restricted boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF NOT (clinicctl_has_role('owner') OR clinicctl_custodian_covers_client(p_client)) THEN
        RAISE EXCEPTION 'permission denied: only the owner and records custodians whose scope '
            'covers the client restrict it' USING ERRCODE = '42501';
    END IF;
    UPDATE client SET restricted = p_restricted
    WHERE id = p_client AND restricted IS DISTINCT FROM p_restricted;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    -- Its client.restrict event, in the same statement: no restriction changes off the record.
    PERFORM clinicctl_audit_append(
        ARRAY[clinicctl_me()], ARRAY['client.restrict'], ARRAY['client'], ARRAY[p_client],
        ARRAY[p_client], ARRAY['ok'],
        ARRAY['{"restricted":' || CASE WHEN p_restricted THEN 'true' ELSE 'false' END || '}']);
    RETURN true;
END
$fn$;

-- A session of a client outside the login's care team stays with its provider: moving it
-- would put another provider in that client's team, which only the team decides
-- (appointments.reschedule and staff reassign refuse it too).
CREATE FUNCTION clinicctl_restricted_session_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF NOT clinicctl_is_admin() AND NEW.provider_id IS DISTINCT FROM OLD.provider_id
       AND EXISTS (SELECT 1 FROM appointment_participant p WHERE p.appointment_id = NEW.id
                   AND NOT clinicctl_restriction_allows(p.client_id)) THEN
        RAISE EXCEPTION 'a restricted client''s session is moved only by their care team'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$fn$;

-- A new note waits for a co-signature only from a supervisor who will read it: for a
-- restricted client, one in the client's care team (relations.cosign_required).
CREATE OR REPLACE FUNCTION clinicctl_note_cosign() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    IF NOT clinicctl_is_admin() THEN
        NEW.cosign_status := CASE WHEN NEW.kind <> 'private' AND EXISTS (
            SELECT 1 FROM supervision s WHERE s.supervisee_id = NEW.author_id AND s.cosign
            AND s.ended_at IS NULL AND s.starts_on <= clinicctl_today()
            AND (s.ends_on IS NULL OR s.ends_on >= clinicctl_today())
            AND clinicctl_is_active_provider(s.supervisor_id)
            AND (NOT clinicctl_is_restricted(NEW.client_id)
                 OR clinicctl_is_assigned(s.supervisor_id, NEW.client_id)))
            THEN 'pending' END;
        NEW.cosigned_by_id := NULL;
        NEW.cosigned_at := NULL;
    END IF;
    RETURN NEW;
END
$fn$;
"""
# 0010's co-signature trigger function, restored on downgrade.
NOTE_COSIGN_0010 = """
CREATE OR REPLACE FUNCTION clinicctl_note_cosign() RETURNS trigger
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
"""

# Writes about a client outside the login's care team, refused whatever the other policies
# allow (restrictive policies, ANDed with them): (table, command, USING, WITH CHECK).
ALLOWS_CLIENT = "clinicctl_restriction_allows(client_id)"
RESTRICTIVE: list[tuple[str, str, str | None, str | None]] = [
    # Nobody but the care team changes, ends or takes away who has the client.
    ("assignment", "update", ALLOWS_CLIENT, ALLOWS_CLIENT),
    ("assignment", "delete", ALLOWS_CLIENT, None),
    ("client_group_member", "insert", None, ALLOWS_CLIENT),
    ("client_group_member", "update", ALLOWS_CLIENT, ALLOWS_CLIENT),
    # A chart share is started only from inside the team (ending one stays everyone's who
    # may: a provider deactivated by a manager has their shares ended).
    ("chart_share", "insert", None, ALLOWS_CLIENT),
    # A session of theirs is booked, joined, marked or left only by their team; the slot
    # itself is cancelled, completed or rescheduled with its provider by any booker.
    ("appointment", "insert", None, ALLOWS_CLIENT),
    ("appointment_participant", "insert", None, ALLOWS_CLIENT),
    ("appointment_participant", "update", ALLOWS_CLIENT, ALLOWS_CLIENT),
    ("appointment_participant", "delete", ALLOWS_CLIENT, None),
    # A client is restricted only through clinicctl_restrict_client.
    ("client", "insert", None, "NOT restricted"),
]

# clinicctl_merge_clients (0007-0010): a merge touches both records' care teams, so a login
# merges only clients it may see (clinicctl merges a restricted duplicate's restriction onto
# the kept record, through clinicctl_restrict_client).
MERGE_SIGNATURE = "clinicctl_merge_clients(integer, integer, integer)"
MERGE_ANCHOR = "    PERFORM 1 FROM client WHERE id IN (p_keep, p_duplicate) FOR UPDATE;"
MERGE_GUARD = """    IF NOT clinicctl_is_admin() AND NOT (clinicctl_restriction_allows(p_keep)
                                         AND clinicctl_restriction_allows(p_duplicate)) THEN
        RAISE EXCEPTION 'a restricted client is merged only by their care team'
            USING ERRCODE = '42501';
    END IF;
"""


def _rewrite_merge(change) -> None:  # type: ignore[no-untyped-def]
    definition = str(op.get_bind().execute(sa.text(
        f"SELECT pg_get_functiondef('{MERGE_SIGNATURE}'::regprocedure)")).scalar())
    changed = change(definition)
    if changed == definition:
        raise RuntimeError("clinicctl_merge_clients is not the function migration 0010 left")
    op.get_bind().exec_driver_sql(changed)

# --- functions: changed in this revision -----------------------------------------------------
# access.profile_grant(): as 0004 made it, then limited to a restricted client's care team.
PROFILE_ACCESS = "clinicctl_has_profile_access(p_client integer)"
PROFILE_ACCESS_0004 = """
        SELECT clinicctl_has_role('owner') OR clinicctl_has_role('manager')
            OR clinicctl_has_role('scheduler') OR clinicctl_has_role('biller')
            OR (clinicctl_has_role('provider')
                AND clinicctl_is_assigned(clinicctl_me(), p_client))
            OR clinicctl_custodian_covers_client(p_client)"""
PROFILE_ACCESS_0011 = """
        SELECT (clinicctl_has_role('owner') OR clinicctl_has_role('manager')
            OR clinicctl_has_role('scheduler') OR clinicctl_has_role('biller')
            OR (clinicctl_has_role('provider')
                AND clinicctl_is_assigned(clinicctl_me(), p_client))
            OR clinicctl_custodian_covers_client(p_client))
            -- restricted clients (0011): their care team only
            AND clinicctl_restriction_allows(p_client)"""

# 0010's paths to a chart besides the permission table's own, limited the same way
# (access.chart_access: supervision and emergency access stop at a restricted client's care
# team): (signature, body of 0010, body now).
PATHS_0010: list[tuple[str, str, str]] = [
    ("clinicctl_can_read_note(p_client integer, p_author integer, p_kind text)", """
        SELECT clinicctl_can_read_chart(p_client, p_author, p_kind)
            OR (p_kind <> 'private' AND (clinicctl_supervises(p_author, p_client)
                                         OR clinicctl_has_emergency_access(p_client)))""",
     """
        SELECT clinicctl_can_read_chart(p_client, p_author, p_kind)
            OR (p_kind <> 'private' AND clinicctl_restriction_allows(p_client)
                AND (clinicctl_supervises(p_author, p_client)
                     OR clinicctl_has_emergency_access(p_client)))"""),
    ("clinicctl_can_read_clinical_document(p_client integer, p_uploader integer)", """
        SELECT clinicctl_can_read_chart(p_client, p_uploader, 'progress')
            OR clinicctl_supervises(p_uploader, p_client)""", """
        SELECT clinicctl_can_read_chart(p_client, p_uploader, 'progress')
            OR (clinicctl_restriction_allows(p_client)
                AND clinicctl_supervises(p_uploader, p_client))"""),
    ("clinicctl_may_read_profile(p_client integer)", """
        SELECT clinicctl_has_profile_access(p_client)
            OR clinicctl_has_emergency_access(p_client)""", """
        SELECT clinicctl_has_profile_access(p_client)
            OR (clinicctl_restriction_allows(p_client)
                AND clinicctl_has_emergency_access(p_client))"""),
]

# --- policies: changed in this revision ------------------------------------------------------
ME = "clinicctl_me() IS NOT NULL"
# 0004's CLIENT_EDITOR, the client update policy.
CLIENT_EDITOR_0004 = ("clinicctl_any_role('owner', 'manager', 'scheduler') OR "
                      "(clinicctl_has_role('provider') AND "
                      "clinicctl_is_assigned(clinicctl_me(), id))")
# 0004's assignment insert policy (BOOKERS for the new row's client).
ASSIGNMENT_INSERT_0004 = (
    "created_by_id = clinicctl_me() AND (clinicctl_any_role('owner', 'manager', 'scheduler') "
    "OR (clinicctl_has_role('records-custodian') "
    "AND clinicctl_custodian_covers_client(client_id)) "
    "OR (clinicctl_has_role('provider') AND (provider_id = clinicctl_me() "
    "OR clinicctl_is_assigned(clinicctl_me(), client_id))))")
GROUP_MEMBER_SELECT_0008 = "clinicctl_may_read_group(group_id)"
# A restricted client's own row, by its column (no lookup), else the function.
CLIENT_SEEN = "(NOT restricted OR clinicctl_in_care_team(id))"
ALLOWS = "clinicctl_restriction_allows(client_id)"
# (table, policy, clause, before, after): USING for select and update, WITH CHECK for insert.
POLICIES: list[tuple[str, str, str, str, str]] = [
    ("client", "client_select", "USING", ME, f"{ME} AND {CLIENT_SEEN}"),
    ("client", "client_update", "USING", CLIENT_EDITOR_0004,
     f"({CLIENT_EDITOR_0004}) AND {CLIENT_SEEN}"),
    ("assignment", "assignment_select", "USING", ME, f"{ME} AND {ALLOWS}"),
    ("assignment", "assignment_insert", "WITH CHECK", ASSIGNMENT_INSERT_0004,
     f"{ASSIGNMENT_INSERT_0004} AND {ALLOWS}"),
    ("client_group_member", "client_group_member_select", "USING", GROUP_MEMBER_SELECT_0008,
     f"{GROUP_MEMBER_SELECT_0008} AND {ALLOWS}"),
]


def upgrade() -> None:
    op.add_column("client", sa.Column("restricted", sa.Boolean(), nullable=False,
                                      server_default=sa.text("false")))
    # The few restricted clients, found without reading every client.
    op.create_index("ix_client_restricted", "client", ["id"],
                    sqlite_where=sa.text("restricted = 1"),
                    postgresql_where=sa.text("restricted"))
    if op.get_bind().dialect.name == "postgresql":
        _install_row_security()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _remove_row_security()
    op.drop_index("ix_client_restricted", table_name="client")
    op.drop_column("client", "restricted")


def _search_path() -> str:
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    return f"pg_catalog, {bind.dialect.identifier_preparer.quote_identifier(str(schema))}, pg_temp"


def _function(signature: str, returns: str, body: str, *, replace: bool = False) -> None:
    op.execute(f"CREATE {'OR REPLACE ' if replace else ''}FUNCTION {signature} "
               f"RETURNS {returns} LANGUAGE sql STABLE SECURITY DEFINER "
               f"SET search_path = {_search_path()} AS $fn${body}$fn$")


def _install_row_security() -> None:
    for signature, returns, body in FUNCTIONS:
        _function(signature, returns, body)
    op.execute(RESTRICT_CLIENT.replace("@search_path@", _search_path()))
    op.execute("REVOKE ALL ON FUNCTION clinicctl_is_restricted(integer) FROM PUBLIC")
    for name in SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {STAFF_ROLE}")
    op.execute("CREATE TRIGGER appointment_restricted_move BEFORE UPDATE OF provider_id ON "
               "appointment FOR EACH ROW EXECUTE FUNCTION clinicctl_restricted_session_guard()")
    for table, command, using, check in RESTRICTIVE:
        clause = f" USING ({using})" if using else ""
        clause += f" WITH CHECK ({check})" if check else ""
        op.execute(f"CREATE POLICY {table}_{command}_restricted ON {table} AS RESTRICTIVE "
                   f"FOR {command.upper()} TO {STAFF_ROLE}{clause}")
    _rewrite_merge(lambda body: body.replace(MERGE_ANCHOR, MERGE_GUARD + MERGE_ANCHOR, 1))
    _function(PROFILE_ACCESS, "boolean", PROFILE_ACCESS_0011, replace=True)
    for signature, _, now in PATHS_0010:
        _function(signature, "boolean", now, replace=True)
    for table, policy, clause, _, after in POLICIES:
        op.execute(f"ALTER POLICY {policy} ON {table} {clause} ({after})")


def _remove_row_security() -> None:
    _rewrite_merge(lambda body: body.replace(MERGE_GUARD, "", 1))
    for table, command, _, _ in RESTRICTIVE:
        op.execute(f"DROP POLICY IF EXISTS {table}_{command}_restricted ON {table}")
    op.execute("DROP TRIGGER IF EXISTS appointment_restricted_move ON appointment")
    op.execute(NOTE_COSIGN_0010.replace("@search_path@", _search_path()))
    for table, policy, clause, before, _ in POLICIES:
        op.execute(f"ALTER POLICY {policy} ON {table} {clause} ({before})")
    _function(PROFILE_ACCESS, "boolean", PROFILE_ACCESS_0004, replace=True)
    for signature, before, _ in PATHS_0010:
        _function(signature, "boolean", before, replace=True)
    for name in reversed(SIGNATURES):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS clinicctl_is_restricted(integer)")
