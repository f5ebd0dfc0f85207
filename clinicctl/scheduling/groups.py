"""Named client groups: a provider's clients who meet together (``group add``, ``list``,
``show``, ``members``, ``archive``).

A group has one provider and one service (90853, group psychotherapy, unless told). A member
new to the provider gets them in their list exactly as a booking does (demographics only,
origin ``group``; an inactive or discharged assignment is reactivated), with the same alert.
Membership keeps its history: removing a member sets ``left_at``, adding them again opens a
new row. Group names and members are clinical information: who may see which group is
``access.group_reader_scope``; the audit trail holds ids only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.models import Appointment, Client, ClientGroup, ClientGroupMember, Staff, utcnow
from clinicctl.people.refs import bare_id_hint, id_ref, name_key, resolve_client, resolve_provider
from clinicctl.scheduling.catalog import get_service
from clinicctl.scheduling.places import places_of, remove_places, sessions_of
from clinicctl.scheduling.provider_lists import ClientPlace, ensure_place_in_list, place_messages

GROUP_SERVICE = "90853"  # group psychotherapy
NAME_LENGTH = 100


@dataclass
class GroupChange:
    """What a group command did: the group, whether it changed, the clients added and
    removed (ids), those asked for that were already so, and the alerts for each member new
    to the provider (``provider_lists.place_messages``)."""

    group: ClientGroup
    changed: bool = False
    created: bool = False
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    already_members: list[int] = field(default_factory=list)
    not_members: list[int] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    # [appointment id, client id, ...] of the future sessions the removed members left.
    left_sessions: list[list[int]] = field(default_factory=list)


def _group_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("the group name is empty")
    if len(name) > NAME_LENGTH:
        raise InvalidInput(f"the group name is longer than {NAME_LENGTH} characters")
    if name.startswith("#"):
        raise InvalidInput(f"a group name cannot start with '#' ({name!r}): '#ID' refers to "
                           "a group by its id")
    return name


def _named(session: Session, name: str) -> ClientGroup | None:
    return session.scalar(select(ClientGroup).where(ClientGroup.name_key == name_key(name)))


def resolve_group(session: Session, actor: Staff, ref: str, action: str) -> ClientGroup:
    """A group by ``#ID`` or name, if ``actor`` may see it; one they may not see is not found,
    in the same words as one that does not exist (its name tells who is in it)."""
    group_id = id_ref(ref)
    found = session.get(ClientGroup, group_id) if group_id is not None else _named(session, ref)
    scope = access.group_reader_scope(session, actor, action)
    if found is None or (scope is not None and found.provider_id not in scope):
        raise NotFound(f"no client group {ref.strip()!r}",
                       hint=bare_id_hint(ref) or "see `clinicctl group list`")
    return found


def current_members(session: Session, group_id: int) -> list[ClientGroupMember]:
    return list(session.scalars(
        select(ClientGroupMember).where(ClientGroupMember.group_id == group_id,
                                        ClientGroupMember.left_at.is_(None))
        .order_by(ClientGroupMember.joined_at, ClientGroupMember.id)))


def group_session(session: Session, actor: Staff, ref: str, action: str
                  ) -> tuple[ClientGroup, list[int]]:
    """A group to book a session for (``--group``) and its current members' ids, in the
    order they joined; an archived group or one without members is refused."""
    group = resolve_group(session, actor, ref, action)
    if group.archived_at is not None:
        raise Conflict(f"client group {group.name!r} is archived; restore it with "
                       f"`clinicctl group archive '#{group.id}' --restore` to book it")
    members = [member.client_id for member in current_members(session, group.id)]
    if group_size(session, group.id) > len(members):
        # Restricted members outside the actor's care team: a session without them would
        # drop them silently, one with them would book clients the actor may not name.
        raise access._deny(actor, action, f"client group {group.name!r} has restricted "
                           "members outside your care team; their provider, the owner or a "
                           "records custodian in scope books its sessions",
                           object_type="client_group", object_id=group.id)
    if not members:
        raise Conflict(f"client group {group.name!r} has no members; add them with "
                       f"`clinicctl group members '#{group.id}' --add CLIENT`")
    return group, members


def group_size(session: Session, group_id: int) -> int:
    """How many current members a group has, whether or not the actor may see each (a
    PostgreSQL login asks ``clinicctl_group_size``, migration 0011)."""
    from sqlalchemy import text

    from clinicctl.db import reads_through_functions

    if reads_through_functions(session):
        return int(session.execute(text("SELECT clinicctl_group_size(:g)"), {"g": group_id}
                                   ).scalar() or 0)
    member = ClientGroupMember.__table__  # the table: the rows the session hides count too
    return int(session.scalar(select(func.count()).select_from(member).where(
        member.c.group_id == group_id, member.c.left_at.is_(None))) or 0)


def _add_member(session: Session, actor: Staff, group: ClientGroup, client: Client,
                result: GroupChange, action: str, members: set[int]) -> None:
    """``client`` into the group unless among its current ``members`` (which it joins)."""
    if client.id in members:
        result.already_members.append(client.id)
        return
    members.add(client.id)
    listed = ClientPlace(client)
    ensure_place_in_list(session, actor, listed, group.provider, action, origin="group")
    result.alerts.extend(place_messages(listed, group.provider))
    member = ClientGroupMember(group_id=group.id, client_id=client.id, added_by_id=actor.id,
                               joined_at=utcnow())
    session.add(member)
    session.flush()
    result.added.append(client.id)
    result.changed = True


def _resolve_clients(session: Session, refs: list[str]) -> list[Client]:
    """Each client once, in the order given (the same client twice is asked for once)."""
    clients: dict[int, Client] = {}
    for ref in refs:
        client = resolve_client(session, ref)
        clients.setdefault(client.id, client)
    return list(clients.values())


def add_group(session: Session, actor: Staff, name: str, *, provider_ref: str,
              client_refs: list[str] = (), service: str | None = None  # type: ignore[assignment]
              ) -> GroupChange:
    """Create a group with its first members. The same name with the same provider again is
    nothing to do; with another provider (or another service) a conflict."""
    name = _group_name(name)
    service_code = get_service(session, service or GROUP_SERVICE)
    provider = resolve_provider(session, provider_ref)
    access.authorize_group_edit(actor, provider, Action.GROUP_ADD)
    existing = _named(session, name)
    if existing is not None:
        # Another provider's group is refused in the same words whether or not the actor may
        # see it: the name is taken either way.
        if existing.provider_id != provider.id:
            raise Conflict(f"a client group named {name!r} already exists with another "
                           "provider", hint="choose another name")
        if service is not None and existing.service_code != service_code.code:
            raise Conflict(f"client group {existing.name!r} exists with service "
                           f"{existing.service_code}")
        result = GroupChange(existing)
        members = {m.client_id for m in current_members(session, existing.id)}
        for client in _resolve_clients(session, list(client_refs)):
            (result.already_members if client.id in members else result.not_members
             ).append(client.id)
        return result
    if not provider.active:
        raise InvalidInput(f"{provider.name} is deactivated; a group needs an active provider")
    clients = _resolve_clients(session, list(client_refs))
    group = ClientGroup(name=name, name_key=name_key(name), provider_id=provider.id,
                        service_code=service_code.code, created_by_id=actor.id)
    session.add(group)
    session.flush()
    result = GroupChange(group, changed=True, created=True)
    joined: set[int] = set()
    for client in clients:
        _add_member(session, actor, group, client, result, Action.GROUP_ADD, joined)
    trail.record(session, actor_id=actor.id, action=Action.GROUP_ADD, object_type="client_group",
                 object_id=group.id,
                 details={"provider_id": provider.id, "service_code": service_code.code,
                          "client_ids": result.added})
    return result


def change_members(session: Session, actor: Staff, ref: str, *, add: list[str] = (),  # type: ignore[assignment]
                   remove: list[str] = ()) -> GroupChange:  # type: ignore[assignment]
    """Add and remove members. Adding a member or removing a non-member changes nothing
    (both are listed); an archived group takes no new members; a client both added and
    removed in one command is refused."""
    if not add and not remove:
        raise InvalidInput("nothing to change: give --add or --remove")
    group = resolve_group(session, actor, ref, Action.GROUP_MEMBERS)
    access.authorize_group_edit(actor, group.provider, Action.GROUP_MEMBERS, group.id)
    adding = _resolve_clients(session, list(add))
    removing = _resolve_clients(session, list(remove))
    both = {c.id for c in adding} & {c.id for c in removing}
    if both:
        raise InvalidInput(f"client #{min(both)} is both added and removed")
    if adding and group.archived_at is not None:
        raise Conflict(f"client group {group.name!r} is archived and takes no new members",
                       hint=f"restore it first: clinicctl group archive '#{group.id}' "
                       "--restore")
    result = GroupChange(group)
    current = {m.client_id: m for m in current_members(session, group.id)}
    members = set(current)
    for client in adding:
        _add_member(session, actor, group, client, result, Action.GROUP_MEMBERS, members)
    now = utcnow()
    for client in removing:
        member = current.get(client.id)
        if member is None:
            result.not_members.append(client.id)
            continue
        member.left_at, member.removed_by_id = now, actor.id
        result.removed.append(client.id)
        result.changed = True
    session.flush()
    if result.removed:
        _leave_future_sessions(session, group, result, now)
    if result.changed:
        trail.record(session, actor_id=actor.id, action=Action.GROUP_MEMBERS,
                     object_type="client_group", object_id=group.id,
                     details={"provider_id": group.provider_id, "added": result.added,
                              "removed": result.removed,
                              **({"left_sessions": result.left_sessions}
                                 if result.left_sessions else {})})
    return result


def _leave_future_sessions(session: Session, group: ClientGroup, result: GroupChange,
                           now: dt.datetime) -> None:
    """Members who left leave the group's scheduled sessions that have not started (the
    past ones keep them). A session that would be left without anyone keeps its last
    client, and the command says so."""
    upcoming = list(session.scalars(select(Appointment).where(
        Appointment.group_id == group.id, Appointment.status == "scheduled",
        Appointment.start_at > now, sessions_of(result.removed))
        .order_by(Appointment.start_at)))
    places = places_of(session, [a.id for a in upcoming])
    for appointment in upcoming:
        clients = [client_id for client_id, _ in places.get(appointment.id, [])]
        leaving = [c for c in clients if c in result.removed]
        if len(leaving) == len(clients):
            result.alerts.append(
                f"Appointment #{appointment.id} of {group.name!r} has no other client: client "
                f"#{leaving[0]} stays in it; cancel it with `clinicctl appointment cancel "
                f"{appointment.id}` if it is not to take place.")
            leaving = leaving[1:]
        if leaving:
            remove_places(session, appointment, leaving)
            result.left_sessions.append([appointment.id, *leaving])


def archive_group(session: Session, actor: Staff, ref: str, *, restore: bool = False
                  ) -> GroupChange:
    """Archive a group (or restore it); one already so is nothing to do."""
    action = Action.GROUP_RESTORE if restore else Action.GROUP_ARCHIVE
    group = resolve_group(session, actor, ref, action)
    access.authorize_group_edit(actor, group.provider, action, group.id)
    result = GroupChange(group)
    if restore == (group.archived_at is None):
        return result
    group.archived_at = None if restore else utcnow()
    session.flush()
    result.changed = True
    trail.record(session, actor_id=actor.id, action=action, object_type="client_group",
                 object_id=group.id, details={"provider_id": group.provider_id})
    return result


@dataclass
class GroupView:
    group: ClientGroup
    members: list[ClientGroupMember]


def show_group(session: Session, actor: Staff, ref: str) -> GroupView:
    group = resolve_group(session, actor, ref, Action.GROUP_SHOW)
    return GroupView(group, current_members(session, group.id))


def list_groups(session: Session, actor: Staff, *, provider_ref: str | None = None,
                archived: bool = False) -> list[tuple[ClientGroup, int]]:
    """The groups ``actor`` may see, with their current member counts, by name; archived
    ones only when asked for."""
    scope = access.group_reader_scope(session, actor, Action.GROUP_LIST)
    query = select(ClientGroup)
    if scope is not None:
        query = query.where(ClientGroup.provider_id.in_(sorted(scope)))
    if provider_ref is not None:
        provider = resolve_provider(session, provider_ref)
        query = query.where(ClientGroup.provider_id == provider.id)
    if not archived:
        query = query.where(ClientGroup.archived_at.is_(None))
    groups = list(session.scalars(query.order_by(ClientGroup.name_key)))
    counts: dict[int, int] = dict(session.execute(
        select(ClientGroupMember.group_id, func.count())
        .where(ClientGroupMember.group_id.in_([g.id for g in groups]),
               ClientGroupMember.left_at.is_(None))
        .group_by(ClientGroupMember.group_id)).all())
    return [(group, counts.get(group.id, 0)) for group in groups]


def joined_on(member: ClientGroupMember, zone: dt.tzinfo) -> str:
    return member.joined_at.astimezone(zone).date().isoformat()
