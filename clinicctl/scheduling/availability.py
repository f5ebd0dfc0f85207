"""Providers' weekly availability, time off, and finding open slots.

Slots are computed set-wise: one query for the blocks of every therapist asked for, one for
their appointments, one for the places of every client asked for (a group's members
together), one for time off, then plain interval arithmetic in the practice's wall-clock
time, so slots stay correct across DST.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import day_start, practice_zone, today_in
from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.models import (
    CANCELLED_STATUSES,
    Appointment,
    AvailabilityBlock,
    Client,
    ClientGroup,
    Staff,
    TimeOff,
    utcnow,
)
from clinicctl.people.refs import parse_date, resolve_provider
from clinicctl.scheduling.catalog import get_service, resolve_location
from clinicctl.scheduling.places import busy_places, members_of, resolve_clients
from clinicctl.scheduling.time_off import add_time_off  # noqa: F401 (kept here for callers)
from clinicctl.scheduling.timeutil import (
    exists_locally,
    minutes,
    parse_time,
    parse_weekdays,
    weekday_names,
)

MAX_FIND_DAYS = 366


# One shape for `availability list` / `add` / `remove`, `export availability` and what
# `import availability` reads.
BLOCK_FIELDS = ("id", "provider_id", "provider", "provider_email", "weekdays", "start_time",
                "end_time", "location", "session_minutes", "break_minutes", "effective_from",
                "effective_until")


def block_record(block: AvailabilityBlock) -> dict[str, Any]:
    return {"id": block.id, "provider_id": block.provider_id, "provider": block.provider.name,
            "provider_email": block.provider.email, "weekdays": weekday_names(block.weekdays),
            "start_time": block.start_time.strftime("%H:%M"),
            "end_time": block.end_time.strftime("%H:%M"),
            "location": block.location.name if block.location else None,
            "session_minutes": block.session_minutes, "break_minutes": block.break_minutes,
            "effective_from": block.effective_from, "effective_until": block.effective_until}


def describe_block(block: AvailabilityBlock) -> str:
    """``#3 (mon,wed 09:00-12:00 at Main office, from 2026-12-01)``, for messages."""
    text = (f"#{block.id} ({','.join(weekday_names(block.weekdays))} "
            f"{block.start_time:%H:%M}-{block.end_time:%H:%M}")
    if block.location is not None:
        text += f" at {block.location.name}"
    if block.effective_from is not None:
        text += f", from {block.effective_from.isoformat()}"
    if block.effective_until is not None:
        text += f", until {block.effective_until.isoformat()}"
    return text + ")"


def overlapping_blocks(session: Session, provider_id: int, weekdays: int, start: dt.time,
                       end: dt.time, first: dt.date | None, last: dt.date | None, *,
                       exclude_id: int | None = None) -> list[AvailabilityBlock]:
    """The provider's blocks that share a weekday, some of the hours (half-open: 09:00-12:00
    and 12:00-15:00 may follow each other) and some days of the effective range."""
    query = select(AvailabilityBlock).where(
        AvailabilityBlock.provider_id == provider_id,
        AvailabilityBlock.start_time < end, AvailabilityBlock.end_time > start,
    ).order_by(AvailabilityBlock.id)
    if exclude_id is not None:
        query = query.where(AvailabilityBlock.id != exclude_id)
    found = []
    for block in session.scalars(query):
        if not block.weekdays & weekdays:
            continue
        if last is not None and block.effective_from is not None and block.effective_from > last:
            continue
        if first is not None and block.effective_until is not None \
                and block.effective_until < first:
            continue
        found.append(block)
    return found


def overlap_conflict(provider: Staff, blocks: list[AvailabilityBlock]) -> Conflict:
    named = ", ".join(describe_block(b) for b in blocks)
    one = len(blocks) == 1
    return Conflict(f"the block overlaps {provider.name}'s availability "
                    f"{'block' if one else 'blocks'} {named}; choose other days or hours, or "
                    f"remove {'that block' if one else 'those blocks'} first (clinicctl "
                    f"availability remove {blocks[0].id if one else 'ID'})")


def add_block(session: Session, actor: Staff, provider_ref: str, **options: Any
              ) -> AvailabilityBlock:
    """``ensure_block`` for callers that only need the block."""
    return ensure_block(session, actor, provider_ref, **options)[0]


def ensure_block(
    session: Session,
    actor: Staff,
    provider_ref: str,
    *,
    days: str,
    start: str,
    end: str,
    location_ref: str | None = None,
    session_minutes: int = 50,
    break_minutes: int = 10,
    effective_from: str | None = None,
    effective_until: str | None = None,
) -> tuple[AvailabilityBlock, bool]:
    """Add a weekly block; (the block, whether it was added). The same block again is a
    no-op; one that overlaps another block of the provider is refused (exit 5, naming it),
    so no time is offered twice. The writer lock of every writing command (BEGIN IMMEDIATE,
    PostgreSQL's advisory lock) makes the check and the insert one step for concurrent adds."""
    mask = parse_weekdays(days)
    start_time = parse_time(start, "start time")
    end_time = parse_time(end, "end time")
    if end_time <= start_time:
        raise InvalidInput(f"end time {end} is not after start time {start}")
    minutes(session_minutes, "--session")
    minutes(break_minutes, "--break", allow_zero=True)
    first = parse_date(effective_from, "--from date") if effective_from else None
    last = parse_date(effective_until, "--until date") if effective_until else None
    if first and last and last < first:
        raise InvalidInput(f"--until {last.isoformat()} is before --from {first.isoformat()}")
    provider = resolve_provider(session, provider_ref)
    access.authorize_availability(actor, provider, Action.AVAILABILITY_ADD)
    location = resolve_location(session, location_ref) if location_ref else None
    wanted = {"weekdays": mask, "start_time": start_time, "end_time": end_time,
              "location_id": location.id if location else None,
              "session_minutes": session_minutes, "break_minutes": break_minutes,
              "effective_from": first, "effective_until": last}
    overlapping = overlapping_blocks(session, provider.id, mask, start_time, end_time,
                                     first, last)
    for block in overlapping:
        if all(getattr(block, key) == value for key, value in wanted.items()):
            return block, False
    if overlapping:
        raise overlap_conflict(provider, overlapping)
    block = AvailabilityBlock(provider_id=provider.id, created_by_id=actor.id, **wanted)
    session.add(block)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.AVAILABILITY_ADD,
                 object_type="availability_block", object_id=block.id,
                 details={"provider_id": provider.id})
    return block, True


def list_blocks(session: Session, actor: Staff, provider_ref: str | None = None
                ) -> list[AvailabilityBlock]:
    access.require_active(actor, Action.AVAILABILITY_LIST, object_type="availability_block")
    query = select(AvailabilityBlock).order_by(AvailabilityBlock.provider_id,
                                               AvailabilityBlock.id)
    if provider_ref:
        query = query.where(
            AvailabilityBlock.provider_id == resolve_provider(session, provider_ref).id)
    return list(session.scalars(query))


def remove_block(session: Session, actor: Staff, block_id: int) -> AvailabilityBlock:
    block = session.get(AvailabilityBlock, block_id)
    if block is None:
        raise NotFound(f"no availability block with id {block_id}")
    access.authorize_availability(actor, block.provider, Action.AVAILABILITY_REMOVE)
    session.delete(block)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.AVAILABILITY_REMOVE,
                 object_type="availability_block", object_id=block_id,
                 details={"provider_id": block.provider_id})
    return block


# --- open slots ------------------------------------------------------------------------------

@dataclass
class Slot:
    provider_id: int
    provider: str
    start: dt.datetime
    end: dt.datetime
    location_id: int | None
    location: str | None


class Intervals:
    """Busy time as sorted, merged, half-open intervals with O(log n) overlap tests."""

    def __init__(self, spans: Iterable[tuple[dt.datetime, dt.datetime]]) -> None:
        merged: list[list[dt.datetime]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        i = bisect.bisect_left(self.starts, end)  # intervals that start before ``end``
        return i > 0 and self.ends[i - 1] > start


def block_applies(block: AvailabilityBlock, day: dt.date) -> bool:
    return bool(block.weekdays & (1 << day.weekday())) and (
        block.effective_from is None or day >= block.effective_from) and (
        block.effective_until is None or day <= block.effective_until)


def busy_intervals(
    session: Session,
    provider_ids: list[int],
    client_ids: Iterable[int] | None,
    window_start: dt.datetime,
    window_end: dt.datetime,
    *,
    exclude_appointment_id: int | None = None,
) -> tuple[dict[int, list[tuple[dt.datetime, dt.datetime]]],
           list[tuple[dt.datetime, dt.datetime]],
           dict[int, list[tuple[dt.datetime, dt.datetime]]]]:
    """(provider id -> appointments, the clients' busy time together, provider id -> time
    off), in at most three queries: the providers' appointments, the clients' active places
    (``AppointmentParticipant``: a group session holds the time of each of its clients, not
    only its first) and the providers' time off."""
    excluded = exclude_appointment_id is not None
    by_provider: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    if provider_ids:
        query = select(Appointment.provider_id, Appointment.start_at, Appointment.end_at).where(
            Appointment.provider_id.in_(provider_ids),
            Appointment.status.not_in(CANCELLED_STATUSES),
            Appointment.start_at < window_end,
            Appointment.end_at > window_start,
        )
        if excluded:
            query = query.where(Appointment.id != exclude_appointment_id)
        for provider_id, start, end in session.execute(query):
            by_provider[provider_id].append((start, end))
    by_client: list[tuple[dt.datetime, dt.datetime]] = []
    clients = list(dict.fromkeys(client_ids or ()))
    if clients:
        by_client = [(start, end) for _, _, start, end in busy_places(
            session, clients, window_start, window_end,
            exclude_appointment_id=exclude_appointment_id)]
    time_off: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for provider_id, start, end in session.execute(
        select(TimeOff.provider_id, TimeOff.start_at, TimeOff.end_at).where(
            TimeOff.provider_id.in_(provider_ids), TimeOff.start_at < window_end,
            TimeOff.end_at > window_start)
    ):
        time_off[provider_id].append((start, end))
    return by_provider, by_client, time_off


@dataclass
class SlotSearch:
    """What ``search_slots`` found: the clients (a group's current members first, then any
    named besides), the group if one was given, the therapists searched, and the slots."""

    clients: list[Client]
    group: ClientGroup | None
    member_ids: list[int]
    providers: list[Staff]
    slots: list[Slot]


def find_slots(session: Session, actor: Staff, **options: Any) -> tuple[Client, list[Slot]]:
    """``search_slots`` as (the first client, the slots)."""
    found = search_slots(session, actor, **options)
    return found.clients[0], found.slots


def search_slots(
    session: Session,
    actor: Staff,
    *,
    client_ref: str | Sequence[str] = (),
    group_ref: str | None = None,
    therapist_refs: Sequence[str] = (),
    start_date: str | None = None,
    days: int = 14,
    duration: int | None = None,
    service: str | None = None,
    location_ref: str | None = None,
    limit: int = 20,
) -> SlotSearch:
    """Open slots for one client or several (``client_ref`` a list, or a client group's
    current members with ``group_ref``) with one or more therapists, earliest first: times
    when the therapist and every client are free. With a group and no therapist, the group's
    provider. The length is ``duration``, else the minutes of ``service`` (a group's service
    unless told), else each block's session length."""
    refs = [client_ref] if isinstance(client_ref, str) else list(client_ref)
    if not refs and group_ref is None:
        raise InvalidInput("give --client (once per client of the session) or --group")
    if not therapist_refs and group_ref is None:
        raise InvalidInput("give at least one --therapist")
    if days < 1 or days > MAX_FIND_DAYS:
        raise InvalidInput(f"--days must be between 1 and {MAX_FIND_DAYS}, not {days}")
    if limit < 1:
        raise InvalidInput(f"--limit must be at least 1, not {limit}")
    if duration is not None:
        minutes(duration, "--duration")
    zone = practice_zone(session)
    first_day = parse_date(start_date, "--from date") if start_date else today_in(zone)
    group: ClientGroup | None = None
    members: list[int] = []
    if group_ref is not None:
        from clinicctl.scheduling.groups import group_session

        group, members = group_session(session, actor, group_ref, Action.AVAILABILITY_FIND)
        therapist_refs = therapist_refs or [f"#{group.provider_id}"]
        service = service or group.service_code

    clients = resolve_clients(session, refs, first=members_of(session, members))
    if duration is None and service is not None:
        duration = get_service(session, service).minutes
    providers = list({p.id: p for p in (resolve_provider(session, ref, what="therapist")
                                        for ref in therapist_refs)}.values())
    for provider in providers:
        if not provider.active:  # booking would refuse every slot offered
            raise InvalidInput(f"{provider.name} is deactivated; book with an active provider")
        for client in clients:
            access.authorize_booking(session, actor, client, provider,
                                     Action.AVAILABILITY_FIND)
    location = resolve_location(session, location_ref) if location_ref else None

    window_start = day_start(first_day, zone)
    window_end = day_start(first_day + dt.timedelta(days=days), zone)
    ids = [p.id for p in providers]
    blocks_query = select(AvailabilityBlock).where(AvailabilityBlock.provider_id.in_(ids))
    if location is not None:
        blocks_query = blocks_query.where(AvailabilityBlock.location_id == location.id)
    blocks = list(session.scalars(blocks_query))
    appointments, clients_busy, time_off = busy_intervals(
        session, ids, [c.id for c in clients], window_start, window_end)
    client_intervals = Intervals(clients_busy)
    names = {p.id: p.name for p in providers}
    location_names = {b.location_id: b.location.name for b in blocks if b.location is not None}
    now = utcnow()

    slots: list[Slot] = []
    for provider in providers:
        provider_busy = Intervals(appointments.get(provider.id, []) +
                                  time_off.get(provider.id, []))
        for block in (b for b in blocks if b.provider_id == provider.id):
            length = dt.timedelta(minutes=duration or block.session_minutes)
            step = dt.timedelta(minutes=block.session_minutes + block.break_minutes)
            for offset in range(days):
                day = first_day + dt.timedelta(days=offset)
                if not block_applies(block, day):
                    continue
                start_local = dt.datetime.combine(day, block.start_time)
                block_end = dt.datetime.combine(day, block.end_time)
                while start_local + length <= block_end:
                    if exists_locally(start_local, zone):
                        start = start_local.replace(tzinfo=zone)
                        # Elapsed minutes, as booking counts them: on a DST day the
                        # wall-clock end is an hour off start + length.
                        end = (start.astimezone(dt.UTC) + length).astimezone(zone)
                        if (end.replace(tzinfo=None) <= block_end and start > now
                                and not provider_busy.overlaps(start, end)
                                and not client_intervals.overlaps(start, end)):
                            slots.append(Slot(provider.id, names[provider.id], start, end,
                                              block.location_id,
                                              location_names.get(block.location_id)))
                    start_local += step
    slots.sort(key=lambda s: (s.start, s.provider, s.provider_id))
    unique: list[Slot] = []
    seen: set[tuple[int, dt.datetime]] = set()
    for slot in slots:  # two overlapping blocks of one provider offer a time once
        if (slot.provider_id, slot.start) not in seen:
            seen.add((slot.provider_id, slot.start))
            unique.append(slot)
    return SlotSearch(clients, group, members, providers, unique[:limit])


def fits_availability(
    blocks: list[AvailabilityBlock], start: dt.datetime, end: dt.datetime, zone: ZoneInfo
) -> AvailabilityBlock | None:
    """The block an appointment lies in (same local day, inside its hours), if any."""
    local_start = start.astimezone(zone)
    local_end = end.astimezone(zone)
    if local_end.date() != local_start.date() and local_end.time() != dt.time():
        return None
    for block in blocks:
        if not block_applies(block, local_start.date()):
            continue
        end_time = local_end.time() if local_end.date() == local_start.date() else dt.time.max
        if block.start_time <= local_start.time() and end_time <= block.end_time:
            return block
    return None
