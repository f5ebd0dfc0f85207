"""appointment moves: the former provider of an appointment handed to a colleague

Revision ID: 0006
Revises: 0005

``appointment reschedule --provider`` and ``staff reassign --appointments future`` move an
appointment to another provider. The row then names only the new provider, so the old
provider's ``export calendar`` lost the event and a calendar that had imported an earlier
file kept it for ever. ``appointment_move`` records each hand-over (appointment id, former
and new provider, who moved it and when: ids and an instant, no client data), and the former
provider's export keeps the event as CANCELLED under the same UID.

A new table only: no existing row is touched. On PostgreSQL it gets row-level security like
its neighbours (migration 0004). Staff logins never write it: the database records each
hand-over itself, in a trigger on ``appointment`` (the appointment, its old and new provider,
the login's staff member, the database's time), so a login cannot invent, back-date or
re-attribute a move, and holds no INSERT, UPDATE or DELETE on the table. The administrator
(who acts ``--as`` a staff member the database does not know) is trusted like the SQLite
file's owner: there, as on SQLite, clinicctl writes the row naming the acting staff member,
and the trigger stays out of the way, so every move has exactly one row. A move is read
only by those ``export calendar`` shows it to: the roles that export calendars (records
custodians for the providers in their scope) and the two providers involved; the counts
that feed a calendar's SEQUENCE come from ``clinicctl_move_counts``, for calendar exporters.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
# access.EXPORTERS["calendar"]: those who see where an appointment came from.
EXPORTERS = "clinicctl_any_role('owner', 'manager', 'scheduler', 'biller')"
POLICIES = {
    "select": ("SELECT",
               f"{EXPORTERS} OR from_provider_id = clinicctl_me() "
               "OR to_provider_id = clinicctl_me() "
               "OR (clinicctl_has_role('records-custodian') "
               "AND (clinicctl_custodian_covers(from_provider_id) "
               "OR clinicctl_custodian_covers(to_provider_id)))", None),
}

# The database's record of a hand-over by a staff login (fixed search_path, as 0004's).
RECORD_MOVE = """
CREATE FUNCTION clinicctl_record_move() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
BEGIN
    -- The administrator names the acting staff member: clinicctl writes its row
    -- (scheduling/appointments.py record_move), as it names the actor of audit events.
    IF clinicctl_is_admin() THEN
        RETURN NULL;
    END IF;
    INSERT INTO appointment_move (appointment_id, from_provider_id, to_provider_id,
                                  moved_by_id, moved_at)
    VALUES (NEW.id, OLD.provider_id, NEW.provider_id, clinicctl_me(), now());
    RETURN NULL;
END
$fn$;
"""
TRIGGER = ("CREATE TRIGGER appointment_move_record AFTER UPDATE OF provider_id ON appointment "
           "FOR EACH ROW WHEN (OLD.provider_id IS DISTINCT FROM NEW.provider_id) "
           "EXECUTE FUNCTION clinicctl_record_move()")
# How often each appointment changed provider (a calendar's SEQUENCE): counts only, for
# those who export calendars, so every exporter's file numbers an event the same way.
MOVE_COUNTS = """
CREATE FUNCTION clinicctl_move_counts(p_ids integer[])
RETURNS TABLE (appointment_id integer, moves bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
    SELECT m.appointment_id, count(*) FROM appointment_move m
    WHERE m.appointment_id = ANY (p_ids)
    AND clinicctl_any_role('owner', 'manager', 'scheduler', 'biller', 'records-custodian')
    GROUP BY m.appointment_id
$fn$;
"""


def upgrade() -> None:
    op.create_table(
        "appointment_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("from_provider_id", sa.Integer(), nullable=False),
        sa.Column("to_provider_id", sa.Integer(), nullable=False),
        sa.Column("moved_by_id", sa.Integer(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("from_provider_id <> to_provider_id",
                           name=op.f("ck_appointment_move_other_provider")),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"],
                                name=op.f("fk_appointment_move_appointment_id_appointment"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_provider_id"], ["staff.id"],
                                name=op.f("fk_appointment_move_from_provider_id_staff")),
        sa.ForeignKeyConstraint(["to_provider_id"], ["staff.id"],
                                name=op.f("fk_appointment_move_to_provider_id_staff")),
        sa.ForeignKeyConstraint(["moved_by_id"], ["staff.id"],
                                name=op.f("fk_appointment_move_moved_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_move")),
    )
    op.create_index("ix_appointment_move_appointment_id", "appointment_move",
                    ["appointment_id"], unique=False)
    op.create_index("ix_appointment_move_from_provider_id", "appointment_move",
                    ["from_provider_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _install_row_security()


def downgrade() -> None:
    # Dropping the table drops its policies and grants with it; the trigger is the
    # appointment table's.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS appointment_move_record ON appointment")
        op.execute("DROP FUNCTION IF EXISTS clinicctl_record_move()")
        op.execute("DROP FUNCTION IF EXISTS clinicctl_move_counts(integer[])")
    op.drop_index("ix_appointment_move_from_provider_id", table_name="appointment_move")
    op.drop_index("ix_appointment_move_appointment_id", table_name="appointment_move")
    op.drop_table("appointment_move")


def _install_row_security() -> None:
    op.execute("REVOKE ALL ON appointment_move FROM PUBLIC")
    op.execute("ALTER TABLE appointment_move ENABLE ROW LEVEL SECURITY")
    for command, (privilege, using, check) in POLICIES.items():
        op.execute(f"GRANT {privilege} ON appointment_move TO {STAFF_ROLE}")
        clause = f" USING ({using})" if using else ""
        clause += f" WITH CHECK ({check})" if check else ""
        op.execute(f"CREATE POLICY appointment_move_{command} ON appointment_move "
                   f"FOR {command.upper()} TO {STAFF_ROLE}{clause}")
    # No INSERT (nor the id sequence) for staff logins: the trigger writes as the owner.
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar()
    quoted = op.get_bind().dialect.identifier_preparer.quote_identifier(str(schema))
    search_path = f"pg_catalog, {quoted}, pg_temp"
    for template in (RECORD_MOVE, MOVE_COUNTS):
        op.execute(template.replace("@search_path@", search_path))
    op.execute(TRIGGER)
    op.execute("REVOKE ALL ON FUNCTION clinicctl_record_move() FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION clinicctl_move_counts(integer[]) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION clinicctl_move_counts(integer[]) TO {STAFF_ROLE}")
