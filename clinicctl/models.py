"""The practice's data: SQLAlchemy 2.0 declarative models with named constraints.

The schema itself is built by the Alembic migrations in ``clinicctl/migrations``; a test
compares these models with the migrated schema on SQLite and PostgreSQL so they never drift.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# The vocabularies live in a module without SQLAlchemy (shell completion reads them); the
# check constraints below are built from them.
from clinicctl.choices import (  # noqa: F401 - re-exported for the services
    APPOINTMENT_STATUSES,
    ASSIGNMENT_ORIGINS,
    ASSIGNMENT_STATUSES,
    ATTENDANCE,
    AUDIT_OUTCOMES,
    NOTE_KINDS,
    RECORDS_OWNERS,
    ROLES,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Statuses that free the slot; every other status occupies it (a no-show took the time).
CANCELLED_STATUSES = ("cancelled", "late-cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC instants on both databases.

    SQLite has no time zone type and hands back naive values; storing UTC and re-attaching
    the zone on the way out keeps comparisons and ISO output identical on both stores.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if getattr(dialect, "name", "") == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Practice(Base):
    __tablename__ = "practice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(_in("records_owner", RECORDS_OWNERS), name="records_owner"),
        # One staff member per login (several NULLs: unbound).
        Index("uq_staff_db_login", "db_login", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, whitespace-collapsed name: references by name are case-insensitive.
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    # name_key without accents (people.refs.search_key): loose matching on both databases.
    search_key: Mapped[str] = mapped_column(String(400), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    credentials: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    records_owner: Mapped[str] = mapped_column(String(16), default="group")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # PostgreSQL: the database login that *is* this staff member (``staff login``); set
    # explicitly, never inferred from the email.
    db_login: Mapped[str | None] = mapped_column(String(63))

    role_rows: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="StaffRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return sorted((r.role for r in self.role_rows), key=ROLES.index)

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.role_rows)


class StaffRole(Base):
    __tablename__ = "staff_role"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        # The practice has exactly one owner; the service keeps "at least one".
        Index(
            "uq_staff_role_single_owner",
            "role",
            unique=True,
            sqlite_where=text("role = 'owner'"),
            postgresql_where=text("role = 'owner'"),
        ),
    )

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    staff: Mapped[Staff] = relationship(back_populates="role_rows")


class CustodianGrant(Base):
    """Scope of a records custodian. No rows: all providers, no expiry.

    A row with ``provider_id`` NULL covers all providers; ``expires_on`` is the last day the
    grant holds.
    """

    __tablename__ = "custodian_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    custodian_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Client(Base):
    __tablename__ = "client"
    __table_args__ = (
        # The few restricted clients, found without reading every client (each command
        # asks which of them the actor may not see: access.hidden_clients).
        Index("ix_client_restricted", "id", sqlite_where=text("restricted = 1"),
              postgresql_where=text("restricted")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(201), index=True)
    search_key: Mapped[str] = mapped_column(String(400), index=True)  # see Staff.search_key
    dob: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(400))
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A restricted client (``client restrict``, SPEC section 9) is seen only by their care
    # team: their assigned providers, the owner and records custodians whose scope covers
    # them (``access.care_team_grant``; migration 0011 states it again for PostgreSQL logins).
    restricted: Mapped[bool] = mapped_column(Boolean, default=False,
                                             server_default=text("false"))

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Assignment(Base):
    """A client in one provider's list, with that provider's own status and diagnosis."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("client_id", "provider_id"),
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status"),
        CheckConstraint(_in("origin", ASSIGNMENT_ORIGINS), name="origin"),
        Index("ix_assignment_provider_id_status", "provider_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    # ICD-10 codes, comma-separated, in the order the provider gave them.
    diagnosis: Mapped[str] = mapped_column(String(400), default="")
    origin: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Staff] = relationship(foreign_keys=[provider_id])
    client: Mapped[Client] = relationship()

    @property
    def diagnosis_codes(self) -> list[str]:
        return [code for code in self.diagnosis.split(",") if code]


class ChartShare(Base):
    """A one-way grant: ``to_provider`` may read ``from_provider``'s notes on one client."""

    __tablename__ = "chart_share"
    __table_args__ = (
        CheckConstraint("from_provider_id <> to_provider_id", name="not_self"),
        Index(
            "uq_chart_share_active",
            "client_id",
            "from_provider_id",
            "to_provider_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    from_provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    to_provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    include_private_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class ChartNote(Base):
    """A clinical note. Never edited: an addendum is a new note pointing at the first."""

    __tablename__ = "chart_note"
    __table_args__ = (
        CheckConstraint(_in("kind", NOTE_KINDS), name="kind"),
        Index("ix_chart_note_client_id_author_id", "client_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="progress")
    body: Mapped[str] = mapped_column(Text)
    addendum_to_id: Mapped[int | None] = mapped_column(ForeignKey("chart_note.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The session the note records (``note add --appointment``); the note is this client's
    # alone, whoever else was in the session.
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    # Co-signature (``staff supervise --cosign``): None when nobody co-signs the note,
    # "pending" until the supervisor signs it (``note sign``), then "signed".
    cosign_status: Mapped[str | None] = mapped_column(String(16))
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cosigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("client.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    clinical: Mapped[bool] = mapped_column(Boolean, default=False)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Append-only, hash-chained. ``details`` holds ids and field names only, never PHI."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(_in("outcome", AUDIT_OUTCOMES), name="outcome"),
        Index("ix_audit_event_client_id", "client_id"),
        Index("ix_audit_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(8))
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Location(Base):
    __tablename__ = "location"
    __table_args__ = (CheckConstraint("length(pos_code) = 2", name="pos_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    pos_code: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceCode(Base):
    """A billable service (CPT code) with its default length."""

    __tablename__ = "service_code"
    __table_args__ = (CheckConstraint("minutes > 0", name="minutes"),)

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(Integer)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)


class AvailabilityBlock(Base):
    """A weekly block of a provider's time, in the practice's wall-clock time."""

    __tablename__ = "availability_block"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="end_after_start"),
        CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays"),
        CheckConstraint("session_minutes > 0 AND break_minutes >= 0", name="minutes"),
        CheckConstraint(
            "effective_until IS NULL OR effective_from IS NULL "
            "OR effective_until >= effective_from",
            name="effective_range",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    # Bit 0 is Monday ... bit 6 is Sunday (date.weekday()).
    weekdays: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    session_minutes: Mapped[int] = mapped_column(Integer, default=50)
    break_minutes: Mapped[int] = mapped_column(Integer, default=10)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_until: Mapped[dt.date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Staff] = relationship(foreign_keys=[provider_id])
    location: Mapped[Location | None] = relationship()


class TimeOff(Base):
    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        Index("ix_time_off_provider_id_start_at", "provider_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppointmentSeries(Base):
    __tablename__ = "appointment_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Appointment(Base):
    """One session. Stored in UTC; statuses change, rows are never deleted.

    No two non-cancelled appointments of one provider overlap, nor two places of one client
    (half-open intervals; ``AppointmentParticipant``). PostgreSQL enforces both with exclusion
    constraints (migrations 0002 and 0009); SQLite with BEGIN IMMEDIATE around the service's
    check and insert. ``client_id`` is the first client of the session, always one of its
    participants.
    """

    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="status"),
        CheckConstraint("length(pos_code) = 2", name="pos_code"),
        Index("ix_appointment_provider_id_start_at", "provider_id", "start_at"),
        Index("ix_appointment_client_id_start_at", "client_id", "start_at"),
        Index("ix_appointment_series_id", "series_id"),
        Index("ix_appointment_start_at", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    service_code: Mapped[str] = mapped_column(ForeignKey("service_code.code"))
    pos_code: Mapped[str] = mapped_column(String(2))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id"))
    cancellation_reason: Mapped[str | None] = mapped_column(String(200))
    outside_availability: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The client group the session was booked for (``--group``), if any.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("client_group.id"))

    provider: Mapped[Staff] = relationship(foreign_keys=[provider_id])
    location: Mapped[Location | None] = relationship()


class AppointmentParticipant(Base):
    """One client's place in a session, with their attendance (none until marked).

    ``start_at``, ``end_at`` and ``active`` (the place holds the client's time: neither the
    session nor the place is cancelled) are copies the database keeps (migration 0009's
    triggers), so a client's no-overlap rule is a constraint on this table.
    """

    __tablename__ = "appointment_participant"
    __table_args__ = (
        CheckConstraint(_in("attendance", ATTENDANCE), name="attendance"),
        Index("ix_appointment_participant_client_id_start_at", "client_id", "start_at"),
    )

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    attendance: Mapped[str | None] = mapped_column(String(16))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AppointmentMove(Base):
    """An appointment handed from one provider to another (``appointment reschedule
    --provider``, ``staff reassign --appointments future``).

    The former provider's calendar export keeps the event, cancelled, under the same UID, so a
    calendar that imported an earlier file drops it instead of keeping a stale copy. Ids and
    an instant only: nothing about the client beyond the appointment's id.
    """

    __tablename__ = "appointment_move"
    __table_args__ = (
        CheckConstraint("from_provider_id <> to_provider_id", name="other_provider"),
        Index("ix_appointment_move_appointment_id", "appointment_id"),
        Index("ix_appointment_move_from_provider_id", "from_provider_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"))
    from_provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    to_provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    moved_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    moved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClientMerge(Base):
    """A duplicate client record merged into the one kept (``client merge``).

    The duplicate's row is gone, its records now the kept client's; this row lets a
    reference to the old id say where the client went, and ``audit list`` keeps the old id in
    the events written before the merge. Ids and an instant only.
    """

    __tablename__ = "client_merge"

    merged_client_id: Mapped[int] = mapped_column(Integer, primary_key=True,
                                                  autoincrement=False)
    kept_client_id: Mapped[int] = mapped_column(
        ForeignKey("client.id", ondelete="CASCADE"), index=True)
    merged_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    merged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClientGroup(Base):
    """A named group of clients who meet with one provider (``group add``).

    The name is unique in the practice, ignoring case and spaces (``name_key``). An archived
    group keeps its members and history but takes no new members.
    """

    __tablename__ = "client_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("service_code.code"))
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Staff] = relationship(foreign_keys=[provider_id])


class ClientGroupMember(Base):
    """One stretch of a client's membership of a group: removal sets ``left_at``, adding the
    client again opens a new row, so the past stays what it was."""

    __tablename__ = "client_group_member"
    __table_args__ = (
        Index("uq_client_group_member_current", "group_id", "client_id", unique=True,
              sqlite_where=text("left_at IS NULL"), postgresql_where=text("left_at IS NULL")),
        Index("ix_client_group_member_client_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("client_group.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    client: Mapped[Client] = relationship()


class Supervision(Base):
    """A supervisor reads a supervisee's non-private notes and clinical documents (for the
    supervisee's clients) from ``starts_on`` to ``ends_on`` (practice days, both included)
    until ``ended_at``; with ``cosign`` the supervisee's new notes wait for their signature.
    """

    __tablename__ = "supervision"
    __table_args__ = (
        CheckConstraint("supervisee_id <> supervisor_id", name="not_self"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        Index("uq_supervision_open", "supervisee_id", "supervisor_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_supervision_supervisor_id", "supervisor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    cosign: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))

    def holds_on(self, day: dt.date) -> bool:
        return (self.ended_at is None and self.starts_on <= day
                and (self.ends_on is None or self.ends_on >= day))


class EmergencyAccess(Base):
    """Break-the-glass: one staff member reads one client's profile and non-private notes
    until ``expires_at``. The reason stays here, never in the audit details (PHI-free); the
    ``client.emergency`` event carries its salted SHA-256."""

    __tablename__ = "emergency_access"
    __table_args__ = (
        CheckConstraint("expires_at > started_at", name="period"),
        Index("ix_emergency_access_staff_id_client_id", "staff_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    # Salts the reason's SHA-256 in the audit event: nobody confirms a guess of the reason
    # from the trail (no staff login reads this column).
    reason_salt: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
