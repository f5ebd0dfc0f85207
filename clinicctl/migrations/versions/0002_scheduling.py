"""scheduling

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The behavioural-health CPT codes a practice bills, with their usual session length.
# Frozen here as of this revision; practices add their own with `clinicctl service add`.
BEHAVIOURAL_HEALTH_CPT = [
    ("90791", "Psychiatric diagnostic evaluation", 60),
    ("90792", "Psychiatric diagnostic evaluation with medical services", 60),
    ("90832", "Psychotherapy, 30 minutes", 30),
    ("90834", "Psychotherapy, 45 minutes", 50),
    ("90837", "Psychotherapy, 60 minutes", 60),
    ("90839", "Psychotherapy for crisis, first 60 minutes", 60),
    ("90840", "Psychotherapy for crisis, each additional 30 minutes", 30),
    ("90845", "Psychoanalysis", 50),
    ("90846", "Family psychotherapy without the patient", 50),
    ("90847", "Family psychotherapy with the patient", 50),
    ("90849", "Multiple-family group psychotherapy", 90),
    ("90853", "Group psychotherapy", 90),
    ("96127", "Brief emotional/behavioral assessment", 15),
    ("99404", "Preventive counseling, 60 minutes", 60),
    ("H0031", "Mental health assessment by a non-physician", 60),
]


def upgrade() -> None:
    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("pos_code", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(pos_code) = 2", name=op.f("ck_location_pos_code")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
        sa.UniqueConstraint("name_key", name=op.f("uq_location_name_key")),
    )
    op.create_table(
        "service_code",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_service_code_minutes")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_code")),
    )
    op.create_table(
        "appointment_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_appointment_series_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_series")),
    )
    op.create_table(
        "availability_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("break_minutes", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "effective_until IS NULL OR effective_from IS NULL "
            "OR effective_until >= effective_from",
            name=op.f("ck_availability_block_effective_range"),
        ),
        sa.CheckConstraint(
            "end_time > start_time", name=op.f("ck_availability_block_end_after_start")
        ),
        sa.CheckConstraint(
            "session_minutes > 0 AND break_minutes >= 0", name=op.f("ck_availability_block_minutes")
        ),
        sa.CheckConstraint(
            "weekdays BETWEEN 1 AND 127", name=op.f("ck_availability_block_weekdays")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_availability_block_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_availability_block_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["staff.id"], name=op.f("fk_availability_block_provider_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_block")),
    )
    op.create_index(
        op.f("ix_availability_block_provider_id"),
        "availability_block",
        ["provider_id"],
        unique=False,
    )

    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_time_off_end_after_start")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_time_off_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["staff.id"], name=op.f("fk_time_off_provider_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_index(
        "ix_time_off_provider_id_start_at", "time_off", ["provider_id", "start_at"], unique=False
    )

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_code", sa.String(length=10), nullable=False),
        sa.Column("pos_code", sa.String(length=2), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("cancellation_reason", sa.String(length=200), nullable=True),
        sa.Column("outside_availability", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('scheduled', 'completed', 'cancelled', 'late-cancelled', 'no-show')",
            name=op.f("ck_appointment_status"),
        ),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_appointment_end_after_start")),
        sa.CheckConstraint("length(pos_code) = 2", name=op.f("ck_appointment_pos_code")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_appointment_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_appointment_created_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_appointment_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["staff.id"], name=op.f("fk_appointment_provider_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["appointment_series.id"],
            name=op.f("fk_appointment_series_id_appointment_series"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["service_code.code"],
            name=op.f("fk_appointment_service_code_service_code"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    op.create_index(
        "ix_appointment_client_id_start_at", "appointment", ["client_id", "start_at"], unique=False
    )
    op.create_index(
        "ix_appointment_provider_id_start_at",
        "appointment",
        ["provider_id", "start_at"],
        unique=False,
    )
    op.create_index("ix_appointment_series_id", "appointment", ["series_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # No two non-cancelled appointments of one provider, or of one client, overlap, even
        # under concurrent writers. Half-open ranges: 10:00-11:00 and 11:00-12:00 may touch.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for column in ("provider_id", "client_id"):
            op.execute(
                f"ALTER TABLE appointment ADD CONSTRAINT ex_appointment_{column}_overlap "
                f"EXCLUDE USING gist ({column} WITH =, "
                "tstzrange(start_at, end_at, '[)') WITH &&) "
                "WHERE (status NOT IN ('cancelled', 'late-cancelled'))"
            )

    service_code = sa.table(
        "service_code",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("minutes", sa.Integer),
        sa.column("builtin", sa.Boolean),
    )
    op.bulk_insert(
        service_code,
        [
            {"code": code, "name": name, "minutes": minutes, "builtin": True}
            for code, name, minutes in BEHAVIOURAL_HEALTH_CPT
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_series_id", table_name="appointment")
    op.drop_index("ix_appointment_provider_id_start_at", table_name="appointment")
    op.drop_index("ix_appointment_client_id_start_at", table_name="appointment")

    op.drop_table("appointment")
    op.drop_index("ix_time_off_provider_id_start_at", table_name="time_off")

    op.drop_table("time_off")
    op.drop_index(op.f("ix_availability_block_provider_id"), table_name="availability_block")

    op.drop_table("availability_block")
    op.drop_table("appointment_series")
    op.drop_table("service_code")
    op.drop_table("location")
