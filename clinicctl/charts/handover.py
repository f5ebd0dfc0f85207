"""Caseload handover: give a provider's active clients to one or more colleagues.

Every client goes through ``sharing.share``, the one path that checks who may share what, so
a handover grants exactly what the same ``client share`` commands would: demographics only
unless ``chart``. With ``appointments="future"`` the provider's future scheduled appointments
with those clients move to the client's new provider, each checked like a booking. The whole
handover is one transaction: any refusal or conflict leaves nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.charts import sharing
from clinicctl.choices import APPOINTMENT_SCOPES
from clinicctl.days import practice_zone
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput
from clinicctl.models import Appointment, Assignment, Client, Staff, utcnow
from clinicctl.people.names import is_stand_in, stand_in
from clinicctl.people.refs import resolve_provider
from clinicctl.scheduling.appointments import record_move
from clinicctl.scheduling.booking import check_occurrences, format_local
from clinicctl.scheduling.places import places_of, sessions_of
from clinicctl.scheduling.provider_lists import ClientPlace, ensure_place_in_list, place_messages

ACTIVE_STATUSES = ("new", "active")


@dataclass
class HandoverRow:
    """One client given to one colleague."""

    client_id: int
    to_id: int
    to: str
    assignment: str  # created | existing (from the ShareResult)
    chart_share: str  # none | started | active
    changed: bool
    appointments_moved: list[int] = field(default_factory=list)
    # for messages only; not part of the JSON document
    notes: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {"client_id": self.client_id, "to_id": self.to_id, "to": self.to,
                "assignment": self.assignment, "chart_share": self.chart_share,
                "changed": self.changed, "appointments_moved": list(self.appointments_moved)}


@dataclass
class HandoverResult:
    from_id: int
    from_name: str
    targets: list[tuple[int, str]]  # (id, name) in the order the --to options were given
    chart: bool
    move_appointments: bool
    rows: list[HandoverRow] = field(default_factory=list)
    # future scheduled appointments left with the from-provider (when not moving them)
    appointments_kept: int = 0
    # what the handover leaves with the from-provider besides, to be said
    kept: list[str] = field(default_factory=list, repr=False)

    @property
    def clients(self) -> int:
        return len(self.rows)

    @property
    def changed(self) -> int:
        return sum(row.changed for row in self.rows)

    @property
    def appointments_moved(self) -> int:
        return sum(len(row.appointments_moved) for row in self.rows)

    def clients_per_target(self) -> list[tuple[int, str, int]]:
        """(id, name, clients given) per target, in --to order."""
        return [(target_id, name, sum(row.to_id == target_id for row in self.rows))
                for target_id, name in self.targets]

    @property
    def notes(self) -> list[str]:
        return [note for row in self.rows for note in row.notes] + self.kept


def _targets(session: Session, source: Staff, to_refs: list[str]) -> list[Staff]:
    if not to_refs:
        raise InvalidInput("give at least one --to provider")
    targets: list[Staff] = []
    for ref in to_refs:
        target = resolve_provider(session, ref, what="to-provider")
        if target.id == source.id:
            raise InvalidInput(f"--to {ref.strip()!r} is {source.name}, whose clients are being "
                               "reassigned; name a colleague")
        if any(t.id == target.id for t in targets):
            raise InvalidInput(f"--to names {target.name} twice")
        if not target.active:
            raise InvalidInput(f"{target.name} is deactivated; reassign to an active provider")
        targets.append(target)
    return targets


def active_caseload(session: Session, provider: Staff) -> list[Client]:
    """The provider's clients with status new or active, by last name, first name, id.

    Sorted in Python, case-insensitively: SQLite and PostgreSQL collate names differently,
    and the spread across targets must not depend on the store.
    """
    found = session.scalars(
        select(Client).join(Assignment, Assignment.client_id == Client.id)
        .where(Assignment.provider_id == provider.id, Assignment.status.in_(ACTIVE_STATUSES))
    ).all()
    return sorted(found, key=lambda c: (c.last_name.casefold(), c.first_name.casefold(), c.id))


def plan(session: Session, clients: list[Client], targets: list[Staff]) -> dict[int, Staff]:
    """Which target gets which client (client id -> target).

    1. Continuity: a client already in a target's list goes to that target (one where the
       client is new or active before one where they are inactive or discharged; then the
       order of --to).
    2. Every other client, in last name, first name, id order, goes to the target with the
       fewest clients given so far in this handover (continuity clients included); ties go
       in the order of --to.

    Re-running a handover therefore keeps every client with the target they were given.
    """
    target_ids = [t.id for t in targets]
    by_id = {t.id: t for t in targets}
    known: dict[int, list[Assignment]] = {}
    if clients:
        for assignment in session.scalars(
            select(Assignment).where(Assignment.client_id.in_([c.id for c in clients]),
                                     Assignment.provider_id.in_(target_ids))
        ):
            known.setdefault(assignment.client_id, []).append(assignment)
    chosen: dict[int, Staff] = {}
    load = dict.fromkeys(target_ids, 0)
    for client in clients:
        existing = known.get(client.id)
        if existing:
            best = min(existing, key=lambda a: (a.status not in ACTIVE_STATUSES,
                                                target_ids.index(a.provider_id)))
            chosen[client.id] = by_id[best.provider_id]
            load[best.provider_id] += 1
    for client in clients:
        if client.id in chosen:
            continue
        target_id = min(target_ids, key=lambda t: (load[t], target_ids.index(t)))
        chosen[client.id] = by_id[target_id]
        load[target_id] += 1
    return chosen


def _future_appointments(session: Session, provider: Staff, client_ids: list[int]
                         ) -> list[Appointment]:
    if not client_ids:
        return []
    return list(session.scalars(
        select(Appointment).where(
            Appointment.provider_id == provider.id,
            sessions_of(client_ids),
            Appointment.status == "scheduled",
            Appointment.start_at > utcnow(),
        ).order_by(Appointment.start_at, Appointment.id)
    ))


def _say_hidden_clients(session: Session, actor: Staff, source: Staff,
                        result: HandoverResult) -> None:
    """Restricted clients outside the actor's care team are not theirs to hand over: they
    stay with the provider, and the handover says how many (nothing more of them)."""
    from clinicctl.relations import hidden_active_clients

    count = hidden_active_clients(session, source.id, access.hidden_clients(session, actor))
    if count:
        one = count == 1
        result.kept.append(
            f"{count} client{'' if one else 's'} of {source.name} outside your care team "
            f"(restricted) {'stays' if one else 'stay'} with them: their care team (the owner "
            "or a records custodian in scope) hands "
            f"{'it' if one else 'them'} over.")


def reassign(
    session: Session,
    actor: Staff,
    from_ref: str,
    to_refs: list[str],
    *,
    chart: bool = False,
    appointments: str | None = None,
) -> HandoverResult:
    """Give every active client of one provider to one or more colleagues.

    - The from-provider's active clients are those in their list with status new or active.
    - Who gets whom: see ``plan`` (continuity first, then the fewest clients so far, ties in
      the order of --to).
    - Each client is shared through ``sharing.share`` from the from-provider to their target:
      demographics only, or with a one-way chart share when ``chart`` (without private
      notes; an active chart share that includes them is kept as it is). The permission
      rules are those of ``client share``, client by client.
    - ``appointments="future"``: the from-provider's scheduled appointments with the client
      that start after now move to the client's target, after the checks of a booking
      (the target's appointments, the client's, time off, the target's availability) and
      against the other appointments moving to the same target. Every failing appointment
      is listed in one conflict and nothing is written. Series ids, times and locations stay.
    - The from-provider keeps their own assignments and chart: a handover takes nothing away.
      Deactivating them is a separate ``staff deactivate``.
    - Repeating a handover is a no-op: every client is already with their target, and no
      ``staff.reassign`` audit event is written when nothing changed.
    """
    if appointments is not None and appointments not in APPOINTMENT_SCOPES:
        raise InvalidChoice(f"invalid --appointments {appointments!r}: expected future",
                            value=appointments, choices=APPOINTMENT_SCOPES)
    source = resolve_provider(session, from_ref)
    targets = _targets(session, source, to_refs)
    # The handover is a batch of shares: refuse the roles that may never share before
    # looking at the caseload, so the answer does not depend on whether it is empty.
    access.require_roles(actor, Action.STAFF_REASSIGN, access.SHARERS, object_type="staff",
                         object_id=source.id)
    result = HandoverResult(source.id, source.name, [(t.id, t.name) for t in targets], chart,
                            appointments is not None)
    clients = active_caseload(session, source)
    _say_hidden_clients(session, actor, source, result)
    if not clients:
        return result
    chosen = plan(session, clients, targets)

    rows: dict[int, HandoverRow] = {}
    for client in clients:
        target = chosen[client.id]
        # No private-notes choice: a chart share that already includes private notes stays
        # as it is (a handover never takes access away), a new one leaves them out.
        shared = sharing.share(session, actor, f"#{client.id}", f"#{source.id}",
                               f"#{target.id}", chart=chart)
        rows[client.id] = HandoverRow(client.id, target.id, target.name, shared.assignment,
                                      shared.chart_share, shared.changed,
                                      notes=list(shared.notes))
    result.rows = [rows[c.id] for c in clients]

    upcoming = _future_appointments(session, source, [c.id for c in clients])
    if appointments is None:
        result.appointments_kept = len(upcoming)
    elif upcoming:
        _move(session, actor, source, {c.id: c for c in clients}, chosen, upcoming, rows)

    if result.changed:
        trail.record(session, actor_id=actor.id, action=Action.STAFF_REASSIGN, object_type="staff",
                     object_id=source.id,
                     details={"to_ids": [t.id for t in targets], "clients": result.clients,
                              "changed": result.changed,
                              "appointments_moved": result.appointments_moved,
                              "chart": chart})
    return result


def _move(session: Session, actor: Staff, source: Staff, clients: dict[int, Client],
          chosen: dict[int, Staff], upcoming: list[Appointment],
          rows: dict[int, HandoverRow]) -> None:
    """Check every appointment first; move them only if none fails.

    A session of several clients moves to the target of its first client in the caseload;
    each of its other clients is checked there too, and one new to that target gets the
    demographics-only assignment and its alert, as a booking would."""
    zone = practice_zone(session)
    failures: list[str] = []
    accepted: dict[int, list[Appointment]] = {}
    places = places_of(session, [a.id for a in upcoming])
    members = _members(session, clients, places)
    deciding: dict[int, Client] = {}
    for appointment in upcoming:
        in_session = members[appointment.id]
        client = next(c for c in in_session if c.id in clients)
        deciding[appointment.id] = client
        target = chosen[client.id]
        for member in in_session:
            if is_stand_in(member) and target.id != appointment.provider_id:
                # The new provider would join their care team, which only the team decides.
                raise access._deny(actor, Action.APPOINTMENT_REASSIGN,
                                   f"client #{member.id} is restricted: only their care team "
                                   "moves their sessions to another provider",
                                   client_id=member.id, object_type="appointment",
                                   object_id=appointment.id)
            access.authorize_booking(session, actor, member, target,
                                     Action.APPOINTMENT_REASSIGN)
        when = format_local(appointment.start_at, zone)
        reasons: list[str] = []
        try:
            check_occurrences(session, client=in_session[0], others=in_session[1:],
                              provider=target,
                              spans=[(appointment.start_at, appointment.end_at)], zone=zone,
                              outside_availability=False, exclude_appointment_id=appointment.id,
                              outside_hint=None)  # a handover has no way round it
        except Conflict as exc:
            reasons.append(exc.message.removeprefix(f"{when}: "))
        for other in accepted.get(target.id, []):
            if other.start_at < appointment.end_at and other.end_at > appointment.start_at:
                reasons.append(f"overlaps appointment #{other.id}, also moving to {target.name}")
        if reasons:
            failures.append(f"appointment #{appointment.id} ({when}) to {target.name}: "
                            f"{'; '.join(reasons)}")
        else:
            accepted.setdefault(target.id, []).append(appointment)
    if failures:
        total = len(upcoming)
        noun = "appointment" if total == 1 else "appointments"
        raise Conflict(f"{len(failures)} of {total} future {noun} cannot move to the new "
                       "provider; nothing was reassigned", details=failures)
    for appointment in upcoming:
        client = deciding[appointment.id]
        target = chosen[client.id]
        row = rows[client.id]
        for member in members[appointment.id]:
            if member.id != client.id and chosen.get(member.id) is not target:
                place = ClientPlace(member)
                ensure_place_in_list(session, actor, place, target,
                                     Action.APPOINTMENT_REASSIGN)
                row.notes += place_messages(place, target)
        appointment.provider_id = target.id
        appointment.provider = target  # keep a loaded relationship in step
        # It passed the target's availability check above.
        appointment.outside_availability = False
        session.flush()
        record_move(session, actor, appointment.id, source.id, target.id)
        trail.record(session, actor_id=actor.id, action=Action.APPOINTMENT_REASSIGN,
                     object_type="appointment", object_id=appointment.id,
                     client_id=appointment.client_id,
                     details={"from_id": source.id, "to_id": target.id,
                              **({"client_ids": [m.id for m in members[appointment.id]]}
                                 if len(members[appointment.id]) > 1 else {})})
        row.appointments_moved.append(appointment.id)
        row.changed = True


def _members(session: Session, caseload: dict[int, Client],
             places: dict[int, list[tuple[int, str | None]]]) -> dict[int, list[Client]]:
    """Appointment id -> the clients of the session (the first first), those outside the
    caseload loaded in one query."""
    wanted = {c for found in places.values() for c, _ in found} - set(caseload)
    known = dict(caseload)
    if wanted:
        known.update({c.id: c for c in session.scalars(
            select(Client).where(Client.id.in_(wanted)))})
    # A client the session may not read is a restricted client outside the actor's care team.
    return {appointment_id: [known.get(c) or stand_in(c) for c, _ in found]
            for appointment_id, found in places.items()}
