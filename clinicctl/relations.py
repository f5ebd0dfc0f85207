"""What the permission rules look up: who has which client (assignments), which chart shares
are in force, which providers a records custodian covers today. Facts, not rules: the rules
are in ``access.py``."""

from __future__ import annotations

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session, load_only

from clinicctl.days import practice_today
from clinicctl.db import reads_through_functions
from clinicctl.models import (
    Assignment,
    ChartShare,
    Client,
    CustodianGrant,
    EmergencyAccess,
    Staff,
    Supervision,
    utcnow,
)


def is_assigned(session: Session, provider_id: int, client_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Assignment.client_id == client_id, Assignment.provider_id == provider_id
                )
            )
        )
    )



def custodian_scope(session: Session, custodian: Staff) -> set[int] | None:
    """Provider ids a records custodian covers; ``None`` means every provider."""
    grants = session.scalars(
        select(CustodianGrant).where(CustodianGrant.custodian_id == custodian.id)
    ).all()
    if not grants:
        return None
    day = practice_today(session)
    current = [g for g in grants if g.expires_on is None or g.expires_on >= day]
    if any(g.provider_id is None for g in current):
        return None
    return {g.provider_id for g in current if g.provider_id is not None}



def client_provider_ids(session: Session, client_id: int) -> set[int]:
    return set(
        session.scalars(select(Assignment.provider_id).where(Assignment.client_id == client_id))
    )



def custodian_covers_client(session: Session, custodian: Staff, client_id: int) -> bool:
    """The custodian's scope covers a provider who has the client (all providers: every
    client)."""
    scope = custodian_scope(session, custodian)
    return scope is None or bool(scope & client_provider_ids(session, client_id))



def restricted_outside(session: Session, provider_ids: set[int]) -> set[int]:
    """The restricted clients in none of these providers' lists. Read from the tables
    themselves (not the models), so that the rows a session hides do not hide the answer."""
    client, assignment = Client.__table__, Assignment.__table__
    listed = select(assignment.c.client_id).where(assignment.c.provider_id.in_(provider_ids))
    return set(session.scalars(select(client.c.id).where(
        client.c.restricted.is_(True), client.c.id.not_in(listed))))



ACTIVE_STATUSES = ("new", "active")


def has_active_clients(session: Session, provider_id: int) -> bool:
    """Whether the provider has a new or active client, whether or not the session sees
    each (a restricted client outside the actor's care team counts too)."""
    if reads_through_functions(session):
        return bool(session.scalar(text("SELECT clinicctl_has_active_clients(:provider)"),
                                   {"provider": provider_id}))
    assignment = Assignment.__table__
    return session.scalar(select(assignment.c.id).where(
        assignment.c.provider_id == provider_id,
        assignment.c.status.in_(ACTIVE_STATUSES)).limit(1)) is not None


def hidden_active_clients(session: Session, provider_id: int, hidden: set[int]) -> int:
    """How many of the provider's new or active clients are ``hidden`` (restricted clients
    outside the actor's care team; on PostgreSQL the database knows which)."""
    if reads_through_functions(session):
        return int(session.scalar(text("SELECT clinicctl_hidden_active_clients(:provider)"),
                                  {"provider": provider_id}) or 0)
    if not hidden:
        return 0
    assignment = Assignment.__table__
    return len(set(session.scalars(select(assignment.c.client_id).where(
        assignment.c.provider_id == provider_id, assignment.c.status.in_(ACTIVE_STATUSES),
        assignment.c.client_id.in_(hidden)))))


def custodian_covers_provider(session: Session, custodian: Staff, provider_id: int) -> bool:
    scope = custodian_scope(session, custodian)
    return scope is None or provider_id in scope



class Facts:
    """What the permission rules look up, asked of the database one question at a time.

    Batch commands pass a subclass that answers the same questions from a chunk of rows
    loaded in a few queries: the rules stay here, only where the facts come from changes.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._scopes: dict[int, set[int] | None] = {}

    def is_assigned(self, provider_id: int, client_id: int) -> bool:
        return is_assigned(self.session, provider_id, client_id)

    def custodian_scope(self, custodian: Staff) -> set[int] | None:
        if custodian.id not in self._scopes:
            self._scopes[custodian.id] = custodian_scope(self.session, custodian)
        return self._scopes[custodian.id]



def active_shares_to(session: Session, provider_id: int, client_id: int) -> list[ChartShare]:
    return list(
        session.scalars(
            select(ChartShare).where(
                ChartShare.client_id == client_id,
                ChartShare.to_provider_id == provider_id,
                ChartShare.ended_at.is_(None),
            ).order_by(ChartShare.id)
        )
    )


def open_supervisions_by(session: Session, supervisor_id: int) -> list[Supervision]:
    """The supervisions ``supervisor_id`` holds today (not ended, in their period)."""
    day = practice_today(session)
    return list(session.scalars(
        select(Supervision).where(
            Supervision.supervisor_id == supervisor_id, Supervision.ended_at.is_(None),
            Supervision.starts_on <= day,
            (Supervision.ends_on.is_(None)) | (Supervision.ends_on >= day),
        ).order_by(Supervision.id)))


def cosign_required(session: Session, author_id: int, client_id: int) -> bool:
    """A supervisor who is an active provider co-signs ``author_id``'s notes today, and
    will read this client's: for a restricted client, one in the client's care team (their
    list; migration 0011's trigger decides the same for a PostgreSQL login)."""
    day = practice_today(session)
    supervisors = session.scalars(
        select(Supervision.supervisor_id).where(
            Supervision.supervisee_id == author_id, Supervision.cosign.is_(True),
            Supervision.ended_at.is_(None), Supervision.starts_on <= day,
            (Supervision.ends_on.is_(None)) | (Supervision.ends_on >= day))).all()
    if not supervisors:
        return False
    restricted = session.scalar(select(Client.restricted).where(Client.id == client_id))
    for supervisor_id in supervisors:
        supervisor = session.get(Staff, supervisor_id)
        if supervisor is None or not supervisor.active or not supervisor.has_role("provider"):
            continue
        if not restricted or is_assigned(session, supervisor_id, client_id):
            return True
    return False


def emergency_access_in_force(session: Session, staff_id: int, client_id: int
                              ) -> EmergencyAccess | None:
    """The latest-expiring emergency access of ``staff_id`` to the client that holds now
    (without its reason). A PostgreSQL staff login asks the database (it reads nothing of
    the table itself), which answers for the login's own and, for who reads the client's
    audit, anyone's; the result is then a detached row, with no reason."""
    if reads_through_functions(session):
        row = session.execute(text(
            "SELECT id, started_at, expires_at FROM clinicctl_emergency_access_in_force("
            ":staff, :client)"), {"staff": staff_id, "client": client_id}).first()
        if row is None:
            return None
        return EmergencyAccess(id=row.id, staff_id=staff_id, client_id=client_id,
                               started_at=row.started_at, expires_at=row.expires_at)
    now = utcnow()
    return session.scalars(
        select(EmergencyAccess).options(load_only(
            EmergencyAccess.id, EmergencyAccess.staff_id, EmergencyAccess.client_id,
            EmergencyAccess.started_at, EmergencyAccess.expires_at)).where(
            EmergencyAccess.staff_id == staff_id, EmergencyAccess.client_id == client_id,
            EmergencyAccess.started_at <= now, EmergencyAccess.expires_at > now,
        ).order_by(EmergencyAccess.expires_at.desc()).limit(1)).first()
