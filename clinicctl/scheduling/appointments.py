"""The appointment life cycle: who sees which appointments, cancelling (one, the rest of a
series, all of it), completing and rescheduling; the clients of a session and their
attendance. Booking is ``booking.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clinicctl import access, relations, trail
from clinicctl.actions import Action
from clinicctl.choices import ATTENDANCE, CANCEL_SCOPES
from clinicctl.days import day_window, practice_zone
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput, NotFound
from clinicctl.models import (
    APPOINTMENT_STATUSES,
    CANCELLED_STATUSES,
    Appointment,
    AppointmentMove,
    AppointmentParticipant,
    Client,
    Location,
    Staff,
    utcnow,
)
from clinicctl.people.names import is_stand_in, stand_in
from clinicctl.people.refs import parse_date, resolve_client, resolve_provider
from clinicctl.scheduling.booking import (
    BookingResult,
    check_occurrences,
    ensure_in_list,
    refuse_past,
)
from clinicctl.scheduling.places import (
    add_places,
    places_of,
    remove_places,
    resolve_clients,
    session_size,
    sessions_of,
)
from clinicctl.scheduling.provider_lists import ClientPlace, ensure_place_in_list, place_messages
from clinicctl.scheduling.timeutil import (
    parse_local_datetime,
)

# --- life cycle ------------------------------------------------------------------------------

def get_appointment(session: Session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    return appointment


def place_scope(session: Session, actor: Staff, client_ids: Iterable[int]
                ) -> set[int] | None:
    """Of ``client_ids``, those whose place in a session ``actor`` may see when the session
    is not their own; None for all. Who is in a group session with whom is clinical
    information: the practice's schedule roles see it, a provider only for the clients in
    their list, a records custodian for those in their scope (a session's own provider sees
    all its clients, who are all in their list)."""
    from clinicctl.models import Assignment

    if actor.has_role("owner", "manager", "scheduler", "biller"):
        return None
    wanted = list(set(client_ids))
    providers: list[Any] = []
    if actor.has_role(access.CUSTODIAN):
        scope = relations.custodian_scope(session, actor)
        if scope is None:
            return None
        providers += list(scope)
    if actor.has_role("provider"):
        providers.append(actor.id)
    if not providers or not wanted:
        return set()
    return set(session.scalars(select(Assignment.client_id).where(
        Assignment.provider_id.in_(providers), Assignment.client_id.in_(wanted))))


def session_clients(session: Session, appointment: Appointment, *,
                    holding: bool = False) -> list[Client]:
    """The clients of one session, the first client first; with ``holding`` only those
    still coming (a place cancelled holds no time)."""
    ids = [client_id for client_id, attendance
           in places_of(session, [appointment.id])[appointment.id]
           if not holding or attendance not in CANCELLED_STATUSES]
    clients = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(ids)))}
    # A place's client the session may not read is a restricted client outside the actor's
    # care team: their slot is still the actor's to change if they may book it.
    return [clients.get(i) or stand_in(i) for i in ids]


def _authorize_existing(session: Session, actor: Staff, appointment: Appointment,
                        action: str) -> Client:
    """A whole session is changed by whoever may book each of its clients with its
    provider; returns the first client."""
    clients = session_clients(session, appointment)
    for client in clients:
        access.authorize_booking(session, actor, client, appointment.provider, action)
    if session_size(session, appointment.id) > len(clients):
        # Clients the actor may not even see (a PostgreSQL login reads only the places it
        # may): they may not book them either.
        raise access._deny(actor, action, "the session has clients you may not book",
                           client_id=clients[0].id if clients else None,
                           object_type="appointment", object_id=appointment.id)
    return clients[0]


def visible_filter(session: Session, actor: Staff):  # type: ignore[no-untyped-def]
    """Providers see their own appointments and those of clients in their list; a records
    custodian the appointments of the clients in their scope (as their exports); the other
    roles see the practice's schedule."""
    from sqlalchemy import ColumnElement, false

    from clinicctl.models import Assignment

    access.require_active(actor, Action.APPOINTMENT_LIST, object_type="appointment")
    if actor.has_role("owner", "manager", "scheduler", "biller"):
        return None
    conditions: list[ColumnElement[bool]] = []
    if actor.has_role(access.CUSTODIAN):
        scope = relations.custodian_scope(session, actor)
        if scope is None:
            return None
        conditions.append(sessions_of(
            select(Assignment.client_id).where(Assignment.provider_id.in_(scope))))
    if actor.has_role("provider"):
        assigned = select(Assignment.client_id).where(Assignment.provider_id == actor.id)
        conditions += [Appointment.provider_id == actor.id, sessions_of(assigned)]
    return or_(*conditions) if conditions else false()


def list_appointments(
    session: Session,
    actor: Staff,
    *,
    provider_ref: str | None = None,
    client_ref: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[Appointment]:
    zone = practice_zone(session)
    query = select(Appointment).order_by(Appointment.start_at, Appointment.id)
    if status:
        wanted = [s.strip() for s in status.split(",") if s.strip()]
        for s in wanted:
            if s not in APPOINTMENT_STATUSES:
                raise InvalidChoice(f"invalid status {s!r}; expected "
                                    f"{', '.join(APPOINTMENT_STATUSES)}",
                                    value=s, choices=APPOINTMENT_STATUSES)
        query = query.where(Appointment.status.in_(wanted))
    first = parse_date(start_date, "--from date") if start_date else None
    last = parse_date(end_date, "--to date") if end_date else None
    if first and last and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    start, end = day_window(first, last, zone)
    if start:
        query = query.where(Appointment.start_at >= start)
    if end:
        query = query.where(Appointment.start_at < end)
    if provider_ref:
        query = query.where(
            Appointment.provider_id == resolve_provider(session, provider_ref).id)
    if client_ref:
        searched = resolve_client(session, client_ref).id
        query = query.where(sessions_of([searched]))
        scope = place_scope(session, actor, [searched])
        if scope is not None and searched not in scope:
            # Whose sessions a client is in is not the actor's to learn through the
            # sessions of their own clients: only the actor's own sessions are searched.
            query = query.where(Appointment.provider_id == actor.id)
    restriction = visible_filter(session, actor)
    if restriction is not None:
        query = query.where(restriction)
    return list(session.scalars(query))


def show_appointment(session: Session, actor: Staff, appointment_id: int) -> Appointment:
    appointment = get_appointment(session, appointment_id)
    restriction = visible_filter(session, actor)
    if restriction is not None and session.scalar(
        select(Appointment.id).where(Appointment.id == appointment_id, restriction)
    ) is None:
        why = ("outside your records-custodian scope" if not actor.has_role("provider")
               else "not your appointment or client")
        raise access._deny(actor, Action.APPOINTMENT_SHOW, why,
                           client_id=appointment.client_id, object_type="appointment",
                           object_id=appointment_id)
    return appointment




def cancel(session: Session, actor: Staff, appointment_id: int, *, reason: str | None = None,
           late: bool = False, no_show: bool = False, scope: str = "this"
           ) -> tuple[list[Appointment], bool, list[list[int]]]:
    """Cancel (or mark late-cancelled / no-show) one appointment or part of its series.

    Returns the appointments changed, whether anything changed, and the [appointment id,
    client id] places of sessions of several clients that the new status marked (those not
    marked before). Every occurrence is changed only by whoever may book each of its
    clients."""
    if late and no_show:
        raise InvalidInput("give either --late or --no-show, not both")
    if scope not in CANCEL_SCOPES:
        raise InvalidChoice(f"invalid --scope {scope!r}: expected this, future or series",
                            value=scope, choices=CANCEL_SCOPES)
    new_status = "late-cancelled" if late else "no-show" if no_show else "cancelled"
    appointment = get_appointment(session, appointment_id)
    _authorize_existing(session, actor, appointment, Action.APPOINTMENT_CANCEL)
    if scope != "this" and appointment.series_id is None:
        raise InvalidInput(f"appointment #{appointment.id} is not part of a series")
    if no_show and scope != "this":
        raise InvalidInput("--no-show applies to one appointment: use --scope this")
    if appointment.status == new_status and scope == "this":
        return [appointment], False, []
    if appointment.status != "scheduled" and scope == "this":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only scheduled "
                       "appointments can be cancelled")
    if no_show and appointment.start_at > utcnow():
        raise Conflict(f"appointment #{appointment.id} has not started yet; it cannot be a "
                       "no-show")
    targets = [appointment]
    if scope != "this":
        # The scheduled rest of the series: the appointment named may itself be cancelled
        # already, and repeating a series cancellation is a no-op.
        query = select(Appointment).where(Appointment.series_id == appointment.series_id,
                                          Appointment.status == "scheduled")
        if scope == "future":
            query = query.where(Appointment.start_at >= appointment.start_at)
        targets = list(session.scalars(query.order_by(Appointment.start_at)))
        if not targets:
            return [appointment], False, []
        for target in targets:
            # An occurrence may have other clients than the one named (appointment clients).
            if target.id != appointment.id:
                _authorize_existing(session, actor, target, Action.APPOINTMENT_CANCEL)
    marked = unmarked_places(session, [t.id for t in targets])
    for target in targets:
        target.status = new_status
        target.cancellation_reason = (reason or "").strip() or None
    session.flush()  # the database marks each unmarked client's place (migration 0009)
    trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_CANCEL,
                 object_type="appointment", object_id=appointment.id,
                 client_id=appointment.client_id,
                 details={"status": new_status, "scope": scope,
                          "appointment_ids": [t.id for t in targets],
                          **({"attendance_marked": marked} if _grouped(marked) else {})})
    return targets, True, marked if _grouped(marked) else []


def unmarked_places(session: Session, appointment_ids: Sequence[int]) -> list[list[int]]:
    """[appointment id, client id] of the places not yet marked: what completing or
    cancelling the sessions marks."""
    Place = AppointmentParticipant
    return [[a, c] for a, c in session.execute(
        select(Place.appointment_id, Place.client_id).where(
            Place.appointment_id.in_(appointment_ids), Place.attendance.is_(None))
        .order_by(Place.appointment_id, Place.client_id))]


def _grouped(marked: list[list[int]]) -> bool:
    """Whether a session of several clients is among those marked (a one-client session's
    attendance is its status, said already)."""
    return len({a for a, _ in marked}) != len(marked)


def complete(session: Session, actor: Staff, appointment_id: int
             ) -> tuple[Appointment, bool, list[int]]:
    """Mark a session that has started completed; its clients not marked yet attended.
    Returns the appointment, whether it changed, and those clients (for a session of
    several clients)."""
    appointment = get_appointment(session, appointment_id)
    _authorize_existing(session, actor, appointment, Action.APPOINTMENT_COMPLETE)
    if appointment.status == "completed":
        return appointment, False, []
    if appointment.status != "scheduled":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only scheduled "
                       "appointments can be completed")
    if appointment.start_at > utcnow():
        raise Conflict(f"appointment #{appointment.id} has not started yet")
    marked = unmarked_places(session, [appointment.id])
    appointment.status = "completed"
    session.flush()  # the database marks the unmarked clients attended (migration 0009)
    trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_COMPLETE,
                 object_type="appointment", object_id=appointment.id,
                 client_id=appointment.client_id,
                 details={"attendance_marked": marked} if _grouped(marked) else None)
    return appointment, True, [c for _, c in marked] if _grouped(marked) else []


def reschedule(session: Session, actor: Staff, appointment_id: int, *, at: str,
               provider_ref: str | None = None, outside_availability: bool = False,
               force: bool = False) -> BookingResult:
    """Move a scheduled appointment (optionally to another provider) with booking's checks;
    to a time in the past only with ``force``, as booking."""
    zone = practice_zone(session)
    start = parse_local_datetime(at, zone, "--at")
    appointment = get_appointment(session, appointment_id)
    client = _authorize_existing(session, actor, appointment, Action.APPOINTMENT_RESCHEDULE)
    provider = resolve_provider(session, provider_ref) if provider_ref else appointment.provider
    if not provider.active:
        raise InvalidInput(f"{provider.name} is deactivated; book with an active provider")
    if provider.id != appointment.provider_id:
        for each in session_clients(session, appointment):
            if is_stand_in(each):
                # Moving a session to another provider adds them to the client's care team,
                # which only the team may do (as sharing).
                raise access._deny(actor, Action.APPOINTMENT_RESCHEDULE,
                                   f"client #{each.id} is restricted: only their care team "
                                   "moves their sessions to another provider",
                                   client_id=each.id, object_type="appointment",
                                   object_id=appointment.id)
        access.authorize_booking(session, actor, client, provider, Action.APPOINTMENT_RESCHEDULE)
    if appointment.status != "scheduled":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only scheduled "
                       "appointments can be rescheduled")
    length = appointment.end_at - appointment.start_at
    begin = start.astimezone(dt.UTC)
    if begin == appointment.start_at and provider.id == appointment.provider_id:
        return BookingResult(client, provider, [appointment], appointment.series_id, False,
                             changed=False)
    past = refuse_past([(begin, begin + length)], zone, force=force)
    # The clients still coming: a place cancelled holds no time and asks no list.
    others = [c for c in session_clients(session, appointment, holding=True)
              if c.id != client.id]
    fitted = check_occurrences(session, client=client, provider=provider,
                               spans=[(begin, begin + length)], zone=zone,
                               outside_availability=outside_availability,
                               exclude_appointment_id=appointment.id, others=others)
    result = BookingResult(client, provider, [appointment], appointment.series_id, False,
                           past=past, others=[ClientPlace(other) for other in others])
    ensure_in_list(session, actor, result, Action.APPOINTMENT_RESCHEDULE)
    old = {"start": appointment.start_at.isoformat(), "provider_id": appointment.provider_id}
    former_provider_id = appointment.provider_id
    appointment.start_at = begin
    appointment.end_at = begin + length
    appointment.provider_id = provider.id
    appointment.outside_availability = fitted[0] is None
    if fitted[0] is not None and fitted[0].location is not None and provider_ref:
        # The place of service follows the new location (office vs telehealth is billed).
        appointment.location_id = fitted[0].location.id
        appointment.pos_code = fitted[0].location.pos_code
    session.flush()
    session.refresh(appointment)
    if provider.id != former_provider_id:
        record_move(session, actor, appointment.id, former_provider_id, provider.id)
    result.outside_availability = fitted[0] is None
    trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_RESCHEDULE,
                 object_type="appointment", object_id=appointment.id, client_id=client.id,
                 details={"from": old, "provider_id": provider.id,
                          "new_provider": result.new_provider,
                          "outside_availability": result.outside_availability})
    return result


@dataclass
class ClientsChange:
    """What ``appointment clients`` did: the clients added and removed (ids), those asked for
    that were already so, and the alerts for each client new to the provider."""

    appointment: Appointment
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    already_in: list[int] = field(default_factory=list)
    not_in: list[int] = field(default_factory=list)
    new_to_provider: list[int] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def change_clients(session: Session, actor: Staff, appointment_id: int, *,
                   add: Sequence[str] = (), remove: Sequence[str] = ()) -> ClientsChange:
    """Add clients to one scheduled session and remove others. Each added client is checked
    like a booking (their other appointments; the provider's time is this session's) and
    gets the new-provider alert when new to the provider; the last client is never removed
    (cancel the session instead)."""
    appointment = get_appointment(session, appointment_id)
    if not add and not remove:
        raise InvalidInput("give --add or --remove (each may be repeated)")
    if appointment.status != "scheduled":
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; only a "
                       "scheduled session changes its clients (mark attendance with "
                       "`clinicctl appointment attendance`)")
    adding, removing = resolve_clients(session, add), resolve_clients(session, remove)
    both = {c.id for c in adding} & {c.id for c in removing}
    if both:
        raise InvalidInput(f"client #{min(both)} is both added and removed")
    provider = appointment.provider
    for client in (*adding, *removing):
        access.authorize_booking(session, actor, client, provider, Action.APPOINTMENT_CLIENTS)
    current = [client_id for client_id, _ in places_of(session, [appointment.id])[appointment.id]]
    result = ClientsChange(appointment)
    new = [c for c in adding if c.id not in current]
    result.already_in = [c.id for c in adding if c.id in current]
    result.not_in = [c.id for c in removing if c.id not in current]
    leaving = [c for c in removing if c.id in current]
    # Counted whole: a PostgreSQL login sees only the places it may.
    staying = session_size(session, appointment.id) - len(leaving)
    if staying < 1 and not new:
        raise Conflict(f"appointment #{appointment.id} would have no client left; cancel it "
                       f"with `clinicctl appointment cancel {appointment.id}`")
    zone = practice_zone(session)
    if new:
        check_occurrences(session, client=new[0], others=new[1:], provider=provider,
                          spans=[(appointment.start_at, appointment.end_at)], zone=zone,
                          outside_availability=True, provider_free=False,
                          exclude_appointment_id=appointment.id)
        for client in new:
            place = ClientPlace(client)
            ensure_place_in_list(session, actor, place, provider, Action.APPOINTMENT_CLIENTS)
            result.alerts += place_messages(place, provider)
            if place.new_provider:
                result.new_to_provider.append(client.id)
        add_places(session, [appointment], new)
        result.added = [c.id for c in new]
    if leaving:
        result.removed = [c.id for c in leaving]
        remove_places(session, appointment, result.removed)
    if result.changed:
        changed = [*result.added, *result.removed]
        trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_CLIENTS,
                     object_type="appointment", object_id=appointment.id,
                     client_id=changed[0] if len(changed) == 1 else None,
                     details={"provider_id": provider.id, "added": result.added,
                              "removed": result.removed,
                              "new_to_provider": result.new_to_provider})
    return result


def set_attendance(session: Session, actor: Staff, appointment_id: int, *, client_ref: str,
                   attendance: str) -> tuple[Appointment, int, str | None, bool]:
    """Mark one client's attendance of a session (``attended``, ``no-show``,
    ``late-cancelled``, ``cancelled``). Returns the appointment, the client's id, the
    attendance before and whether it changed (marking it again changes nothing and writes
    no event). A client's place marked cancelled frees their time; the session stays."""
    if attendance not in ATTENDANCE:
        raise InvalidChoice(f"invalid attendance {attendance!r}; expected "
                            f"{', '.join(ATTENDANCE)}", value=attendance, choices=ATTENDANCE)
    appointment = get_appointment(session, appointment_id)
    client = resolve_client(session, client_ref)
    access.authorize_booking(session, actor, client, appointment.provider,
                             Action.APPOINTMENT_ATTENDANCE)
    place = session.get(AppointmentParticipant, (appointment.id, client.id))
    if place is None:
        raise NotFound(f"client #{client.id} is not in appointment #{appointment.id}",
                       hint=f"see `clinicctl appointment show {appointment.id}`")
    if appointment.status in ("cancelled", "late-cancelled"):
        raise Conflict(f"appointment #{appointment.id} is {appointment.status}; its clients' "
                       "attendance is that")
    if attendance in ("attended", "no-show") and appointment.start_at > utcnow():
        raise Conflict(f"appointment #{appointment.id} has not started yet; a client cannot "
                       f"have {'attended' if attendance == 'attended' else 'not come'}")
    before = place.attendance
    if before == attendance:
        return appointment, client.id, before, False
    place.attendance = attendance
    session.flush()
    session.expire(place)
    trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_ATTENDANCE,
                 object_type="appointment", object_id=appointment.id, client_id=client.id,
                 details={"from": before, "to": attendance})
    return appointment, client.id, before, True


def record_move(session: Session, actor: Staff, appointment_id: int, from_provider_id: int,
                to_provider_id: int) -> None:
    """Remember the former provider of a moved appointment: their calendar export keeps the
    event, cancelled, so calendars that imported it drop it (``scheduling/calendar.py``).

    Call it after the provider change is flushed. For a staff login on PostgreSQL the
    database has already recorded the move itself (migration 0006's trigger: the login may
    not write the table); on SQLite and for the administrator, who acts ``--as`` a staff
    member the database does not know, clinicctl writes the row."""
    from clinicctl.db import reads_through_functions

    if reads_through_functions(session):  # a staff login: the trigger wrote it
        return
    session.add(AppointmentMove(appointment_id=appointment_id,
                                from_provider_id=from_provider_id,
                                to_provider_id=to_provider_id, moved_by_id=actor.id))
    session.flush()


def upcoming_with(session: Session, client_id: int, provider_id: int) -> Appointment | None:
    """The next scheduled appointment of a client with a provider, if any."""
    return session.scalar(
        select(Appointment).where(
            sessions_of([client_id]), Appointment.provider_id == provider_id,
            Appointment.status == "scheduled", Appointment.start_at > utcnow(),
        ).order_by(Appointment.start_at).limit(1)
    )


def location_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Location id -> name, for a listing's locations in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Location.id, Location.name).where(Location.id.in_(wanted)))
    return dict(rows.all())
