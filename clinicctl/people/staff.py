"""Staff members, their roles and records-custodian scopes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinicctl import access, days, relations, trail
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput
from clinicctl.models import (
    RECORDS_OWNERS,
    ROLES,
    Appointment,
    ChartShare,
    CustodianGrant,
    Staff,
    StaffRole,
    utcnow,
)
from clinicctl.people.refs import name_key, resolve_staff, search_key

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_roles(roles: list[str]) -> list[str]:
    if not roles:
        raise InvalidInput("at least one --role is required")
    for role in roles:
        if role not in ROLES:
            raise InvalidChoice(f"unknown role {role!r}; roles are {', '.join(ROLES)}",
                                value=role, choices=ROLES)
    return sorted(set(roles), key=ROLES.index)


def validate_email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email):
        raise InvalidInput(f"invalid email {email!r}")
    return email


def validate_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("a name is required")
    return name


def _email_taken(session: Session, email: str) -> bool:
    # Exactly, ignoring case: LIKE would read "_" and "%" in an address as wildcards.
    return session.scalar(select(Staff.id).where(func.lower(Staff.email) == email.lower())
                          ) is not None


def create_staff(
    session: Session,
    *,
    name: str,
    email: str,
    roles: list[str],
    credentials: str | None = None,
    records_owner: str = "group",
    created_by: Staff | None,
) -> Staff:
    """Create a staff member. ``created_by`` is None only for the owner made by ``init``."""
    roles = validate_roles(roles)
    email = validate_email(email)
    name = validate_name(name)
    if records_owner not in RECORDS_OWNERS:
        raise InvalidChoice(f"invalid records owner {records_owner!r}; expected group or "
                            "provider", value=records_owner, choices=RECORDS_OWNERS)
    if created_by is not None:
        access.authorize_staff_admin(created_by, Action.STAFF_ADD, roles=roles)
        if "owner" in roles:
            raise Conflict("the practice already has its owner; there is exactly one")
    if _email_taken(session, email):
        raise Conflict(f"a staff member with email {email} already exists")
    staff = Staff(
        name=name,
        name_key=name_key(name),
        search_key=search_key(name),
        email=email,
        credentials=credentials,
        records_owner=records_owner,
        active=True,
        role_rows=[StaffRole(role=r) for r in roles],
    )
    session.add(staff)
    session.flush()
    trail.record(
        session,
        actor_id=created_by.id if created_by else staff.id,
        action=Action.STAFF_ADD,
        object_type="staff",
        object_id=staff.id,
        details={"roles": roles, "records_owner": records_owner},
    )
    return staff


def list_staff(session: Session, actor: Staff, *, role: str | None, include_inactive: bool
               ) -> list[Staff]:
    access.require_active(actor, Action.STAFF_LIST, object_type="staff")
    query = select(Staff)
    if role:
        validate_roles([role])
        query = query.join(StaffRole).where(StaffRole.role == role)
    if not include_inactive:
        query = query.where(Staff.active.is_(True))
    return sorted(session.scalars(query), key=by_last_name)


def by_last_name(member: Staff) -> tuple[str, str, int]:
    """Last name first, as the client directory sorts (a staff member has one name field:
    its last word is taken as the last name), accents aside."""
    key = member.search_key or search_key(member.name)
    return key.rsplit(" ", 1)[-1], key, member.id


def show_staff(session: Session, actor: Staff, ref: str) -> Staff:
    access.require_active(actor, Action.STAFF_SHOW, object_type="staff")
    return resolve_staff(session, ref)


@dataclass
class RoleChange:
    staff: Staff
    added: list[str]
    removed: list[str]
    # Chart shares from or to them that ended because they lost the provider role.
    ended_shares: list[ChartShare] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def change_roles(
    session: Session, actor: Staff, ref: str, *, add: list[str], remove: list[str]
) -> RoleChange:
    if not add and not remove:
        raise InvalidInput("nothing to change: give --add ROLE or --remove ROLE")
    add = validate_roles(add) if add else []
    remove = validate_roles(remove) if remove else []
    both = set(add) & set(remove)
    if both:
        raise InvalidInput(f"role {sorted(both)[0]!r} is both added and removed")
    access.authorize_staff_admin(actor, Action.STAFF_ROLES, roles=add + remove)
    staff = resolve_staff(session, ref)
    if "owner" in add and not staff.has_role("owner"):
        raise Conflict("the practice already has its owner; there is exactly one")
    if "owner" in remove and staff.has_role("owner"):
        raise Conflict("the owner role cannot be removed; the practice needs exactly one owner")
    current = set(staff.roles)
    added = [r for r in add if r not in current]
    removed = [r for r in remove if r in current]
    if added and staff.id == actor.id and not actor.has_role("owner"):
        # Nobody but the owner raises their own rights (a manager who made themselves a
        # provider could then be given clinical access by nobody's decision but their own).
        raise access._deny(actor, Action.STAFF_ROLES, "you cannot add roles to yourself; the owner "
                           "or another manager must", object_type="staff", object_id=staff.id)
    if not (current | set(added)) - set(removed):
        raise Conflict(f"{staff.name} would have no role left; deactivate them instead")
    if "provider" in removed and _has_clients(session, staff.id):
        raise Conflict(f"{staff.name} still has clients; hand them over before removing provider")
    for role in added:
        staff.role_rows.append(StaffRole(role=role))
    staff.role_rows = [r for r in staff.role_rows if r.role not in removed]
    session.flush()
    if added or removed:
        trail.record(session, actor_id=actor.id, action=Action.STAFF_ROLES, object_type="staff",
                     object_id=staff.id, details={"added": added, "removed": removed})
    ended: list[ChartShare] = []
    if "provider" in removed:
        from clinicctl.charts.sharing import end_chart_shares_of

        ended = end_chart_shares_of(session, actor, staff, reason="provider role removed")
    return RoleChange(staff, added, removed, ended)


def _has_clients(session: Session, provider_id: int) -> bool:
    """New or active clients, a restricted one outside the actor's view included."""
    from clinicctl.relations import has_active_clients

    return has_active_clients(session, provider_id)


@dataclass
class Deactivation:
    staff: Staff
    changed: bool
    # Chart shares from or to them, ended with the deactivation.
    ended_shares: list[ChartShare] = field(default_factory=list)
    # Their future scheduled appointments, left booked (with force): the lines to print.
    future_appointments: list[str] = field(default_factory=list)
    future_count: int = 0


def future_appointments(session: Session, provider_id: int) -> list[Appointment]:
    return list(session.scalars(select(Appointment).where(
        Appointment.provider_id == provider_id, Appointment.status == "scheduled",
        Appointment.start_at > utcnow()).order_by(Appointment.start_at, Appointment.id)))


def deactivate(session: Session, actor: Staff, ref: str, *, force: bool = False
               ) -> Deactivation:
    """Deactivate a staff member and end every chart share from or to them: coming back
    (``staff roles``, ``import staff``) restores no access to anyone's notes.

    A provider with future scheduled appointments is refused (exit 5, listing them, pointing
    to ``staff reassign``) unless ``force``: the appointments would stay booked with someone
    who can no longer see anyone."""
    from clinicctl.days import practice_zone
    from clinicctl.scheduling.time_off import appointment_lines

    access.authorize_staff_admin(actor, Action.STAFF_DEACTIVATE)
    staff = resolve_staff(session, ref)
    if staff.has_role("owner"):
        raise Conflict("the owner cannot be deactivated")
    if staff.id == actor.id:
        raise Conflict("you cannot deactivate yourself")
    if not staff.active:
        return Deactivation(staff, False)
    upcoming = future_appointments(session, staff.id)
    lines = appointment_lines(upcoming, practice_zone(session), shown=5)
    if upcoming and not force:
        count = len(upcoming)
        noun = "future appointment" if count == 1 else "future appointments"
        them = "it" if count == 1 else "them"
        raise Conflict(f"{staff.name} has {count} {noun}; move {them} first (clinicctl staff "
                       f"reassign {staff.email} --to COLLEAGUE --appointments future) or "
                       f"cancel {them}, or add --force to deactivate anyway", details=lines)
    staff.active = False
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.STAFF_DEACTIVATE, object_type="staff",
                 object_id=staff.id)
    from clinicctl.charts.sharing import end_chart_shares_of

    ended = end_chart_shares_of(session, actor, staff, reason="deactivated")
    return Deactivation(staff, True, ended, lines, len(upcoming))


@dataclass
class CustodianScope:
    custodian: Staff
    all_providers: bool
    providers: list[Staff]
    expires_on: dt.date | None


def set_custodian_scope(
    session: Session,
    actor: Staff,
    ref: str,
    *,
    provider_refs: list[str],
    all_providers: bool,
    expires_on: dt.date | None,
) -> CustodianScope:
    """Replace a records custodian's scope with the given providers (or all of them)."""
    if bool(provider_refs) == all_providers:
        raise InvalidInput("give either --provider P (one or more) or --all-providers")
    if expires_on is not None and expires_on < days.practice_today(session):
        raise InvalidInput(f"expiry date {expires_on.isoformat()} is in the past")
    access.authorize_custodian_grant(actor, Action.STAFF_CUSTODIAN)
    custodian = resolve_staff(session, ref)
    if not custodian.has_role(access.CUSTODIAN):
        raise Conflict(f"{custodian.name} is not a records custodian; add the role first")
    from clinicctl.people.refs import resolve_provider

    providers = [resolve_provider(session, p) for p in provider_refs]
    for grant in session.scalars(
        select(CustodianGrant).where(CustodianGrant.custodian_id == custodian.id)
    ):
        session.delete(grant)
    targets: list[int | None] = [None]
    if not all_providers:
        targets = [*sorted({p.id for p in providers})]
    for provider_id in targets:
        session.add(CustodianGrant(custodian_id=custodian.id, provider_id=provider_id,
                                   expires_on=expires_on, granted_by_id=actor.id))
    session.flush()
    trail.record(
        session, actor_id=actor.id, action=Action.STAFF_CUSTODIAN, object_type="staff",
        object_id=custodian.id,
        details={"provider_ids": [t for t in targets if t is not None],
                 "all_providers": all_providers,
                 "expires_on": expires_on.isoformat() if expires_on else None},
    )
    unique = {p.id: p for p in providers}
    return CustodianScope(custodian, all_providers, list(unique.values()), expires_on)


def custodian_description(session: Session, staff: Staff) -> str | None:
    if not staff.has_role(access.CUSTODIAN):
        return None
    grants = session.scalars(
        select(CustodianGrant).where(CustodianGrant.custodian_id == staff.id)
    ).all()
    if not grants:
        return "all providers"
    scope = relations.custodian_scope(session, staff)
    expiry = {g.expires_on for g in grants}
    until = f" until {max(e for e in expiry if e)}" if None not in expiry else ""
    if scope is None:
        return f"all providers{until}"
    if not scope:
        return "expired"
    names = sorted(session.get(Staff, pid).name for pid in scope)  # type: ignore[union-attr]
    return ", ".join(names) + until
