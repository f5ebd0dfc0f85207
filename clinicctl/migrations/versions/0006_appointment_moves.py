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
its neighbours (migration 0004): every active staff member reads it (as they read the
schedule), and a login records a move only as itself, only after the appointment really is
the new provider's, and never changes or deletes one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
ME = "clinicctl_me() IS NOT NULL"
# Who may move an appointment at all (booking's roles, 0004's BOOKERS); the update of the
# appointment itself is checked by that table's policy.
MOVERS = ("clinicctl_any_role('owner', 'manager', 'scheduler', 'records-custodian', "
          "'provider')")
POLICIES = {
    "select": ("SELECT", ME, None),
    "insert": ("INSERT", None,
               f"moved_by_id = clinicctl_me() AND {MOVERS} AND EXISTS (SELECT 1 FROM appointment a "
               "WHERE a.id = appointment_id AND a.provider_id = to_provider_id)"),
}


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
    # Dropping the table drops its policies and grants with it.
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
    sequence = op.get_bind().execute(
        sa.text("SELECT pg_get_serial_sequence('appointment_move', 'id')")).scalar()
    if sequence:
        op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {STAFF_ROLE}")
