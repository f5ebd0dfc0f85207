"""client merges: a duplicate client record merged into the one kept

Revision ID: 0007
Revises: 0006

``client merge KEEP DUPLICATE`` moves the duplicate's assignments, chart shares, notes,
documents and appointments onto the kept client and removes the duplicate's row.
``client_merge`` remembers where each merged id went (merged id, kept id, who merged and
when: ids and an instant, no client data), so ``client show '#OLD'`` names the kept client
and the audit events written before the merge keep the id they were written with.

A new table only: no existing row is touched. On PostgreSQL it gets row-level security like
its neighbours (migration 0004): every active staff member reads it (it says no more than
that two ids were one client), nobody writes it as a table. A staff login cannot move a note
or an appointment to another client (no UPDATE of ``client_id`` anywhere), nor delete a
client, so the moves that only a merge makes run in ``clinicctl_merge_clients``: it checks
the rule of ``access.authorize_merge`` (the owner and managers) itself, takes the actor from
the login, and refuses to merge a client into itself or into a client that is gone.
What clinicctl decides before the moves (combining two assignments of one provider, ending a
share that would repeat one, the kept client's demographics) it writes with the login's own
grants, under the policies of 0004.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
# access.MERGERS: who merges two client records.
MERGERS = "clinicctl_is_admin() OR clinicctl_any_role('owner', 'manager')"
# The administrator names the acting staff member (as for audit events); a login is itself.
MERGE_CLIENTS = f"""
CREATE FUNCTION clinicctl_merge_clients(p_keep integer, p_duplicate integer, p_actor integer)
RETURNS TABLE (assignments bigint, chart_shares bigint, notes bigint, documents bigint,
               appointments bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = @search_path@ AS $fn$
DECLARE
    v_actor integer := CASE WHEN clinicctl_is_admin() THEN p_actor ELSE clinicctl_me() END;
    v_assignments bigint;
    v_shares bigint;
    v_notes bigint;
    v_documents bigint;
    v_appointments bigint;
BEGIN
    IF NOT ({MERGERS}) OR v_actor IS NULL THEN
        RAISE EXCEPTION 'only the owner and managers merge clients' USING ERRCODE = '42501';
    END IF;
    IF p_keep = p_duplicate THEN
        RAISE EXCEPTION 'a client is not merged into itself' USING ERRCODE = '22023';
    END IF;
    -- Both rows locked: a concurrent merge of either waits, then finds the other gone.
    PERFORM 1 FROM client WHERE id IN (p_keep, p_duplicate) FOR UPDATE;
    IF (SELECT count(*) FROM client WHERE id IN (p_keep, p_duplicate)) <> 2 THEN
        RAISE EXCEPTION 'both clients must exist to be merged' USING ERRCODE = 'P0002';
    END IF;
    UPDATE assignment SET client_id = p_keep WHERE client_id = p_duplicate;
    GET DIAGNOSTICS v_assignments = ROW_COUNT;
    UPDATE chart_share SET client_id = p_keep WHERE client_id = p_duplicate;
    GET DIAGNOSTICS v_shares = ROW_COUNT;
    UPDATE chart_note SET client_id = p_keep WHERE client_id = p_duplicate;
    GET DIAGNOSTICS v_notes = ROW_COUNT;
    UPDATE document SET client_id = p_keep WHERE client_id = p_duplicate;
    GET DIAGNOSTICS v_documents = ROW_COUNT;
    UPDATE appointment SET client_id = p_keep WHERE client_id = p_duplicate;
    GET DIAGNOSTICS v_appointments = ROW_COUNT;
    UPDATE client_merge SET kept_client_id = p_keep WHERE kept_client_id = p_duplicate;
    INSERT INTO client_merge (merged_client_id, kept_client_id, merged_by_id, merged_at)
    VALUES (p_duplicate, p_keep, v_actor, now());
    DELETE FROM client WHERE id = p_duplicate;
    RETURN QUERY SELECT v_assignments, v_shares, v_notes, v_documents, v_appointments;
END
$fn$;
"""
SIGNATURE = "clinicctl_merge_clients(integer, integer, integer)"


def upgrade() -> None:
    op.create_table(
        "client_merge",
        sa.Column("merged_client_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kept_client_id", sa.Integer(), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["kept_client_id"], ["client.id"],
                                name=op.f("fk_client_merge_kept_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["merged_by_id"], ["staff.id"],
                                name=op.f("fk_client_merge_merged_by_id_staff")),
        sa.PrimaryKeyConstraint("merged_client_id", name=op.f("pk_client_merge")),
    )
    op.create_index(op.f("ix_client_merge_kept_client_id"), "client_merge",
                    ["kept_client_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _install_row_security()


def downgrade() -> None:
    # Dropping the table drops its policy and grant with it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.drop_index(op.f("ix_client_merge_kept_client_id"), table_name="client_merge")
    op.drop_table("client_merge")


def _install_row_security() -> None:
    op.execute("REVOKE ALL ON client_merge FROM PUBLIC")
    op.execute("ALTER TABLE client_merge ENABLE ROW LEVEL SECURITY")
    op.execute(f"GRANT SELECT ON client_merge TO {STAFF_ROLE}")
    op.execute(f"CREATE POLICY client_merge_select ON client_merge FOR SELECT TO {STAFF_ROLE} "
               "USING (clinicctl_me() IS NOT NULL)")
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar()
    quoted = op.get_bind().dialect.identifier_preparer.quote_identifier(str(schema))
    op.execute(MERGE_CLIENTS.replace("@search_path@", f"pg_catalog, {quoted}, pg_temp"))
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {STAFF_ROLE}")
