"""initial schema: practice, staff, clients, sharing, records, audit

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("outcome IN ('ok', 'denied')", name=op.f("ck_audit_event_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_index("ix_audit_event_client_id", "audit_event", ["client_id"], unique=False)

    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("preferred_name", sa.String(length=100), nullable=True),
        sa.Column("name_key", sa.String(length=201), nullable=False),
        sa.Column("dob", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=400), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("external_id", name=op.f("uq_client_external_id")),
    )
    op.create_index(op.f("ix_client_name_key"), "client", ["name_key"], unique=False)

    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("credentials", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("records_owner", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "records_owner IN ('group', 'provider')", name=op.f("ck_staff_records_owner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_email")),
    )
    op.create_index(op.f("ix_staff_name_key"), "staff", ["name_key"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("diagnosis", sa.String(length=400), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "origin IN ('intake', 'share', 'appointment', 'import')",
            name=op.f("ck_assignment_origin"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'active', 'inactive', 'discharged')",
            name=op.f("ck_assignment_status"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_assignment_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_assignment_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["staff.id"], name=op.f("fk_assignment_provider_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
        sa.UniqueConstraint(
            "client_id", "provider_id", name=op.f("uq_assignment_client_id_provider_id")
        ),
    )
    op.create_index(
        "ix_assignment_provider_id_status", "assignment", ["provider_id", "status"], unique=False
    )

    op.create_table(
        "chart_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("addendum_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('progress', 'intake', 'private')", name=op.f("ck_chart_note_kind")
        ),
        sa.ForeignKeyConstraint(
            ["addendum_to_id"],
            ["chart_note.id"],
            name=op.f("fk_chart_note_addendum_to_id_chart_note"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_chart_note_author_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_chart_note_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_note")),
    )
    op.create_index(
        "ix_chart_note_client_id_author_id", "chart_note", ["client_id", "author_id"], unique=False
    )

    op.create_table(
        "chart_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("from_provider_id", sa.Integer(), nullable=False),
        sa.Column("to_provider_id", sa.Integer(), nullable=False),
        sa.Column("include_private_notes", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "from_provider_id <> to_provider_id", name=op.f("ck_chart_share_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_chart_share_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["staff.id"], name=op.f("fk_chart_share_ended_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["from_provider_id"], ["staff.id"], name=op.f("fk_chart_share_from_provider_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["staff.id"], name=op.f("fk_chart_share_started_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["to_provider_id"], ["staff.id"], name=op.f("fk_chart_share_to_provider_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chart_share")),
    )
    op.create_index(
        "uq_chart_share_active",
        "chart_share",
        ["client_id", "from_provider_id", "to_provider_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "custodian_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("custodian_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["custodian_id"],
            ["staff.id"],
            name=op.f("fk_custodian_grant_custodian_id_staff"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["staff.id"], name=op.f("fk_custodian_grant_granted_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["staff.id"],
            name=op.f("fk_custodian_grant_provider_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custodian_grant")),
    )
    op.create_index(
        op.f("ix_custodian_grant_custodian_id"), "custodian_grant", ["custodian_id"], unique=False
    )

    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("clinical", sa.Boolean(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_document_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["staff.id"], name=op.f("fk_document_uploaded_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    op.create_index(op.f("ix_document_client_id"), "document", ["client_id"], unique=False)

    op.create_table(
        "staff_role",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'manager', 'provider', 'records-custodian', 'scheduler', 'biller')",
            name=op.f("ck_staff_role_role"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_role_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", "role", name=op.f("pk_staff_role")),
    )
    op.create_index(
        "uq_staff_role_single_owner",
        "staff_role",
        ["role"],
        unique=True,
        sqlite_where=sa.text("role = 'owner'"),
        postgresql_where=sa.text("role = 'owner'"),
    )


def downgrade() -> None:
    op.drop_index("uq_staff_role_single_owner", table_name="staff_role")

    op.drop_table("staff_role")
    op.drop_index(op.f("ix_document_client_id"), table_name="document")

    op.drop_table("document")
    op.drop_index(op.f("ix_custodian_grant_custodian_id"), table_name="custodian_grant")

    op.drop_table("custodian_grant")
    op.drop_index("uq_chart_share_active", table_name="chart_share")

    op.drop_table("chart_share")
    op.drop_index("ix_chart_note_client_id_author_id", table_name="chart_note")

    op.drop_table("chart_note")
    op.drop_index("ix_assignment_provider_id_status", table_name="assignment")

    op.drop_table("assignment")
    op.drop_index(op.f("ix_staff_name_key"), table_name="staff")

    op.drop_table("staff")
    op.drop_table("practice")
    op.drop_index(op.f("ix_client_name_key"), table_name="client")

    op.drop_table("client")
    op.drop_index("ix_audit_event_client_id", table_name="audit_event")

    op.drop_table("audit_event")
