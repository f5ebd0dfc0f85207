"""client groups: named groups of clients with one provider, and their membership history

Revision ID: 0008
Revises: 0007

``client_group`` holds a group's name (unique ignoring case and spaces: ``name_key``), its
provider, its service and when it was archived; ``client_group_member`` one stretch of a
client's membership (``joined_at``, ``left_at``; at most one open stretch per client and
group). A member new to the provider gets an assignment of the new origin ``group``, so the
assignment origin check gains that value (on SQLite by copying the table, which nothing
references). Going back to 0007 drops the groups and gives those assignments the origin
``appointment`` (added through scheduling), the nearest one 0007 knows.

On PostgreSQL both tables get row-level security stating the rules of ``access.py``
(``group_reader_scope``, ``authorize_group_edit``): the owner, managers, schedulers and
billers read every group, a provider their own, a records custodian those of the providers in
their scope; the owner, managers and schedulers write any group, a provider their own. A
group's provider never changes (no UPDATE of ``provider_id``), and a member is never deleted:
removal sets ``left_at``. ``clinicctl_merge_clients`` (0007) also moves the duplicate's group
memberships to the kept client (ending the duplicate's stretch in a group both are in).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
OLD_ORIGINS = ("intake", "share", "appointment", "import")
NEW_ORIGINS = (*OLD_ORIGINS, "group")

# access.group_reader_scope and access.authorize_group_edit, for one group's provider.
FUNCTIONS: list[tuple[str, str]] = [
    ("clinicctl_may_read_group_of(p_provider integer)", """
        SELECT clinicctl_any_role('owner', 'manager', 'scheduler', 'biller')
            OR (clinicctl_has_role('provider') AND p_provider = clinicctl_me())
            OR clinicctl_custodian_covers(p_provider)"""),
    ("clinicctl_may_edit_group_of(p_provider integer)", """
        SELECT clinicctl_any_role('owner', 'manager', 'scheduler')
            OR (clinicctl_has_role('provider') AND p_provider = clinicctl_me())"""),
    ("clinicctl_may_read_group(p_group integer)", """
        SELECT EXISTS (SELECT 1 FROM client_group g WHERE g.id = p_group
                       AND clinicctl_may_read_group_of(g.provider_id))"""),
    # Members are added only to a group that is not archived.
    ("clinicctl_may_add_member(p_group integer)", """
        SELECT EXISTS (SELECT 1 FROM client_group g WHERE g.id = p_group
                       AND g.archived_at IS NULL
                       AND clinicctl_may_edit_group_of(g.provider_id))"""),
    ("clinicctl_may_edit_group(p_group integer)", """
        SELECT EXISTS (SELECT 1 FROM client_group g WHERE g.id = p_group
                       AND clinicctl_may_edit_group_of(g.provider_id))"""),
]
SIGNATURES = ["clinicctl_may_read_group_of(integer)", "clinicctl_may_edit_group_of(integer)",
              "clinicctl_may_read_group(integer)", "clinicctl_may_add_member(integer)",
              "clinicctl_may_edit_group(integer)"]

POLICIES: dict[str, dict[str, tuple[str, str | None, str | None]]] = {
    "client_group": {
        "select": ("SELECT", "clinicctl_may_read_group_of(provider_id)", None),
        "insert": ("INSERT", None, "created_by_id = clinicctl_me() "
                   "AND clinicctl_may_edit_group_of(provider_id)"),
        "update": ("UPDATE (name, name_key, service_code, archived_at)",
                   "clinicctl_may_edit_group_of(provider_id)",
                   "clinicctl_may_edit_group_of(provider_id)"),
    },
    "client_group_member": {
        "select": ("SELECT", "clinicctl_may_read_group(group_id)", None),
        "insert": ("INSERT", None, "added_by_id = clinicctl_me() AND left_at IS NULL "
                   "AND removed_by_id IS NULL AND clinicctl_may_add_member(group_id)"),
        # Removal only: an open stretch is closed by whoever may edit the group.
        "update": ("UPDATE (left_at, removed_by_id)",
                   "left_at IS NULL AND clinicctl_may_edit_group(group_id)",
                   "left_at IS NOT NULL AND removed_by_id = clinicctl_me()"),
    },
}


# clinicctl_merge_clients (migration 0007) moves the duplicate's group memberships too; where
# both records are current members of one group, the duplicate's stretch ends. Inserted into
# the function as the database has it, before it re-points earlier merges.
MERGE_SIGNATURE = "clinicctl_merge_clients(integer, integer, integer)"
MERGE_ANCHOR = "    UPDATE client_merge SET kept_client_id = p_keep"
MERGE_GROUPS = """    UPDATE client_group_member d SET left_at = now(), removed_by_id = v_actor
    WHERE d.client_id = p_duplicate AND d.left_at IS NULL AND EXISTS (
        SELECT 1 FROM client_group_member k WHERE k.client_id = p_keep
        AND k.group_id = d.group_id AND k.left_at IS NULL);
    UPDATE client_group_member SET client_id = p_keep WHERE client_id = p_duplicate;
"""


def _rewrite_merge(change) -> None:  # type: ignore[no-untyped-def]
    definition = str(op.get_bind().execute(sa.text(
        f"SELECT pg_get_functiondef('{MERGE_SIGNATURE}'::regprocedure)")).scalar())
    changed = change(definition)
    if changed == definition:
        raise RuntimeError("clinicctl_merge_clients is not the function migration 0007 made")
    op.get_bind().exec_driver_sql(changed)


def _origin_check(origins: tuple[str, ...]) -> str:
    return f"origin IN ({', '.join(repr(o) for o in origins)})"


def upgrade() -> None:
    with op.batch_alter_table("assignment") as batch:
        batch.drop_constraint(op.f("ck_assignment_origin"), type_="check")
        batch.create_check_constraint("origin", _origin_check(NEW_ORIGINS))
    op.create_table(
        "client_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=10), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["staff.id"],
                                name=op.f("fk_client_group_provider_id_staff")),
        sa.ForeignKeyConstraint(["service_code"], ["service_code.code"],
                                name=op.f("fk_client_group_service_code_service_code")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff.id"],
                                name=op.f("fk_client_group_created_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_group")),
        sa.UniqueConstraint("name_key", name=op.f("uq_client_group_name_key")),
    )
    op.create_index(op.f("ix_client_group_provider_id"), "client_group", ["provider_id"],
                    unique=False)
    op.create_table(
        "client_group_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["client_group.id"],
                                name=op.f("fk_client_group_member_group_id_client_group"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"],
                                name=op.f("fk_client_group_member_client_id_client"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_id"], ["staff.id"],
                                name=op.f("fk_client_group_member_added_by_id_staff")),
        sa.ForeignKeyConstraint(["removed_by_id"], ["staff.id"],
                                name=op.f("fk_client_group_member_removed_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_group_member")),
    )
    op.create_index("uq_client_group_member_current", "client_group_member",
                    ["group_id", "client_id"], unique=True,
                    sqlite_where=sa.text("left_at IS NULL"),
                    postgresql_where=sa.text("left_at IS NULL"))
    op.create_index("ix_client_group_member_client_id", "client_group_member", ["client_id"],
                    unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _install_row_security()
        _rewrite_merge(lambda body: body.replace(MERGE_ANCHOR, MERGE_GROUPS + MERGE_ANCHOR, 1))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rewrite_merge(lambda body: body.replace(MERGE_GROUPS, "", 1))
    # Dropping the tables drops their policies and grants with them.
    op.drop_index("ix_client_group_member_client_id", table_name="client_group_member")
    op.drop_index("uq_client_group_member_current", table_name="client_group_member")
    op.drop_table("client_group_member")
    op.drop_index(op.f("ix_client_group_provider_id"), table_name="client_group")
    op.drop_table("client_group")
    if op.get_bind().dialect.name == "postgresql":
        for signature in reversed(SIGNATURES):
            op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("UPDATE assignment SET origin = 'appointment' WHERE origin = 'group'")
    with op.batch_alter_table("assignment") as batch:
        batch.drop_constraint(op.f("ck_assignment_origin"), type_="check")
        batch.create_check_constraint("origin", _origin_check(OLD_ORIGINS))


def _install_row_security() -> None:
    bind = op.get_bind()
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar()
    quoted = bind.dialect.identifier_preparer.quote_identifier(str(schema))
    search_path = f"pg_catalog, {quoted}, pg_temp"
    for (signature, body), name in zip(FUNCTIONS, SIGNATURES, strict=True):
        op.execute(f"CREATE FUNCTION {signature} RETURNS boolean LANGUAGE sql STABLE "
                   f"SECURITY DEFINER SET search_path = {search_path} AS $fn${body}$fn$")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {STAFF_ROLE}")
    for table, policies in POLICIES.items():
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for command, (privilege, using, check) in policies.items():
            op.execute(f"GRANT {privilege} ON {table} TO {STAFF_ROLE}")
            clause = f" USING ({using})" if using else ""
            clause += f" WITH CHECK ({check})" if check else ""
            op.execute(f"CREATE POLICY {table}_{command} ON {table} FOR {command.upper()} "
                       f"TO {STAFF_ROLE}{clause}")
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:table, 'id')"),
                                {"table": table}).scalar()
        if sequence:
            op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {STAFF_ROLE}")
