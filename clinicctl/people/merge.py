"""Duplicate client records: the likely pairs, and merging one record into the other.

Imports from two systems, or a client added twice, leave one person with two records, each
with its own providers, notes and appointments. ``find_duplicates`` lists the pairs that look
like one person; ``merge_clients`` moves everything of the duplicate onto the kept record and
removes the duplicate's row, in the command's one transaction.

What a merge decides, it writes with the actor's own rights (on PostgreSQL, under the
policies of migration 0004): a provider who has both records keeps one assignment (the more
active status, both diagnoses); an active chart share that both records have between the
same two providers is kept once, the narrower one; the kept record's empty details are
filled from the duplicate's. The moves only a merge makes (a note, a document or an
appointment to another client, the duplicate's row gone) run in the database function of
migration 0007 on PostgreSQL, and as the same statements here on SQLite.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlalchemy import and_, delete, select, text, update
from sqlalchemy.orm import Session, aliased

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.charts.sharing import end_share
from clinicctl.days import practice_zone
from clinicctl.db import is_postgresql
from clinicctl.errors import Conflict, InvalidInput
from clinicctl.models import (
    Appointment,
    AppointmentParticipant,
    Assignment,
    ChartNote,
    ChartShare,
    Client,
    ClientGroupMember,
    ClientMerge,
    Document,
    EmergencyAccess,
    Staff,
    utcnow,
)
from clinicctl.people.names import staff_names
from clinicctl.people.refs import resolve_client, search_key
from clinicctl.people.restriction import set_restricted

# The more active of two statuses a provider had for the two records is the one kept.
STATUS_RANK = {"active": 3, "new": 2, "inactive": 1, "discharged": 0}
# Details the kept record takes from the duplicate when it has none of its own.
FILLED_FIELDS = ("preferred_name", "sex", "email", "phone", "address")
# An email or phone shared by more clients than this is a family's or an office's, not a
# sign of one person recorded twice: it is reported, not paired.
SHARED_CONTACT_LIMIT = 4
_DIGITS = re.compile(r"\D+")

REASON_NAME = "same name and date of birth"
REASON_LOOSE_NAME = "same date of birth, names differ only by accents or order"
REASON_EMAIL = "same email"
REASON_PHONE = "same phone"


# --- finding duplicates ---------------------------------------------------------------------

@dataclass
class DuplicatePair:
    client_id: int
    client: str
    dob: Any
    other_id: int
    other: str
    other_dob: Any
    reasons: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "client": self.client, "dob": self.dob,
                "other_id": self.other_id, "other": self.other, "other_dob": self.other_dob,
                "reasons": self.reasons}


@dataclass
class DuplicateReport:
    pairs: list[DuplicatePair]
    # "the email x is shared by 7 clients": contacts too common to pair on.
    shared_contacts: list[str] = field(default_factory=list)


def _phone_key(phone: str | None) -> str | None:
    """The digits of a phone number, the last ten (a country code aside); None when too
    short to tell one person from another."""
    digits = _DIGITS.sub("", phone or "")
    return digits[-10:] if len(digits) >= 7 else None


def _loose_name(first: str, last: str) -> str:
    """The name without case, accents or word order: "José García", "garcia jose"."""
    return " ".join(sorted(search_key(first, last).replace("-", " ").split()))


def find_duplicates(session: Session, actor: Staff) -> DuplicateReport:
    """The pairs of client records that look like one person: the same name and date of
    birth, names that differ only by accents or word order with the same date of birth,
    the same email, or the same phone number."""
    access.authorize_merge(actor, Action.CLIENT_DUPLICATES)
    rows = session.execute(select(Client.id, Client.first_name, Client.last_name, Client.dob,
                                  Client.name_key, Client.email, Client.phone
                                  ).order_by(Client.id)).all()
    by_id = {row.id: row for row in rows}
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for row in rows:
        groups[("name", row.name_key, row.dob.isoformat())].append(row.id)
        groups[("loose", _loose_name(row.first_name, row.last_name),
                row.dob.isoformat())].append(row.id)
        if row.email:
            groups[("email", row.email.strip().casefold())].append(row.id)
        phone = _phone_key(row.phone)
        if phone:
            groups[("phone", phone)].append(row.id)
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    shared: list[str] = []
    labels = {"name": REASON_NAME, "loose": REASON_LOOSE_NAME, "email": REASON_EMAIL,
              "phone": REASON_PHONE}
    for key, ids in groups.items():
        if len(ids) < 2:
            continue
        if key[0] in ("email", "phone") and len(ids) > SHARED_CONTACT_LIMIT:
            shared.append(f"{len(ids)} clients share one {key[0]} (#{ids[0]} and others); "
                          "not listed as duplicates")
            continue
        for pair in combinations(ids, 2):
            found = reasons[pair]
            if key[0] == "loose" and REASON_NAME in found:
                continue  # the exact match says more
            if key[0] == "name" and REASON_LOOSE_NAME in found:
                found.remove(REASON_LOOSE_NAME)
            found.append(labels[key[0]])
    order = list(labels.values())
    pairs = []
    for (first, second), found in sorted(reasons.items()):
        a, b = by_id[first], by_id[second]
        pairs.append(DuplicatePair(a.id, f"{a.first_name} {a.last_name}", a.dob, b.id,
                                   f"{b.first_name} {b.last_name}", b.dob,
                                   sorted(found, key=order.index)))
    return DuplicateReport(pairs, shared)


# --- merging ---------------------------------------------------------------------------------

@dataclass
class MergeResult:
    kept_id: int
    merged_id: int
    assignments_moved: int = 0
    assignments_combined: int = 0
    chart_shares_moved: int = 0
    chart_shares_ended: int = 0
    notes_moved: int = 0
    documents_moved: int = 0
    appointments_moved: int = 0
    external_id: str | None = None
    filled: list[str] = field(default_factory=list)
    # Lines for stderr even with --quiet: access that changed, a detail that was dropped.
    alerts: list[str] = field(default_factory=list)
    # What was kept where the two records disagreed.
    kept_details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kept_id": self.kept_id, "merged_id": self.merged_id,
                **{name: getattr(self, name) for name in COUNTED},
                "external_id": self.external_id, "filled": self.filled,
                "alerts": self.alerts}

    def counts(self) -> dict[str, int]:
        """The audit event's details: ids and counts only."""
        return {"merged_client_id": self.merged_id,
                **{name: getattr(self, name) for name in COUNTED}}


# What a merge counts, in the order of its JSON result and its audit event.
COUNTED = ("assignments_moved", "assignments_combined", "chart_shares_moved",
           "chart_shares_ended", "notes_moved", "documents_moved", "appointments_moved")


def merge_clients(session: Session, actor: Staff, keep_ref: str, duplicate_ref: str, *,
                  external_id: str | None = None) -> MergeResult:
    """Move the duplicate record's assignments, chart shares, notes, documents,
    appointments and external id onto the kept record, and remove the duplicate's row.

    Refused, with nothing written, when an appointment of one record overlaps one of the
    other's (each pair is listed), or when both have a different external id and
    ``external_id`` does not say which one stays."""
    keep = resolve_client(session, keep_ref)
    duplicate = resolve_client(session, duplicate_ref)
    access.authorize_merge(actor, Action.CLIENT_MERGE, keep=keep, duplicate=duplicate)
    if keep.id == duplicate.id:
        raise InvalidInput(f"{keep_ref!r} and {duplicate_ref!r} are the same client "
                           f"(#{keep.id}); name two records")
    # Both rows held until the end: a concurrent merge or edit of either waits for this one.
    session.execute(select(Client.id).where(Client.id.in_((keep.id, duplicate.id)))
                    .with_for_update())
    _refuse_overlaps(session, actor, keep, duplicate)
    result = MergeResult(kept_id=keep.id, merged_id=duplicate.id)
    _take_details(session, keep, duplicate, external_id, result)
    both_providers = _combine_assignments(session, actor, keep, duplicate, result)
    _combine_shares(session, actor, keep, duplicate, both_providers, result)
    _move_records(session, actor, keep, duplicate, result)
    trail.record_many(session, [
        {"actor_id": actor.id, "action": Action.CLIENT_MERGE, "object_type": "client",
         "object_id": keep.id, "client_id": keep.id, "details": result.counts()},
        # Under the old id too, so `audit list --client` of either id finds the merge.
        {"actor_id": actor.id, "action": Action.CLIENT_MERGE, "object_type": "client",
         "object_id": duplicate.id, "client_id": duplicate.id,
         "details": {"kept_client_id": keep.id}},
    ])
    return result


def _refuse_overlaps(session: Session, actor: Staff, keep: Client, duplicate: Client) -> None:
    """A client is in one session at a time: the two records' places in sessions must not
    overlap (cancelled ones aside), or the merge would break that rule. A session both
    records are in is no conflict: the duplicate's place there goes."""
    mine, theirs = aliased(AppointmentParticipant), aliased(AppointmentParticipant)
    my_session, their_session = aliased(Appointment), aliased(Appointment)
    pairs = session.execute(
        select(theirs.appointment_id, theirs.start_at, their_session.provider_id,
               mine.appointment_id, mine.start_at, my_session.provider_id)
        .where(their_session.id == theirs.appointment_id,
               my_session.id == mine.appointment_id,
               theirs.client_id == duplicate.id, mine.client_id == keep.id,
               theirs.active.is_(True), mine.active.is_(True),
               theirs.appointment_id != mine.appointment_id,
               and_(theirs.start_at < mine.end_at, mine.start_at < theirs.end_at))
        .order_by(theirs.start_at, mine.start_at)).all()
    if not pairs:
        return
    zone = practice_zone(session)
    names = staff_names(session, actor, [p[2] for p in pairs] + [p[5] for p in pairs])

    def when(start: Any) -> str:
        return start.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    raise Conflict(
        f"{len(pairs)} appointment{'s' if len(pairs) != 1 else ''} of #{duplicate.id} "
        f"overlap{'s' if len(pairs) == 1 else ''} appointments of #{keep.id}; cancel or "
        "reschedule one of each pair, then merge",
        details=[f"appointment #{d_id} ({when(d_start)}, {names.get(d_by, '?')}) overlaps "
                 f"#{k_id} ({when(k_start)}, {names.get(k_by, '?')})"
                 for d_id, d_start, d_by, k_id, k_start, k_by in pairs])


def _take_details(session: Session, keep: Client, duplicate: Client,
                  external_id: str | None, result: MergeResult) -> None:
    """The kept record's name and date of birth stay; its empty details are filled from the
    duplicate's; the external id is the one there is, or the one ``external_id`` names."""
    ids = [value for value in (keep.external_id, duplicate.external_id) if value]
    chosen: str | None
    if external_id is not None:
        if external_id not in ids:
            known = " or ".join(repr(value) for value in ids) or "none"
            raise InvalidInput(f"--external-id {external_id!r} is neither record's external "
                               f"id (they have {known})")
        chosen = external_id
    elif len(set(ids)) > 1:
        raise Conflict(f"both records have an external id ({keep.external_id!r} on "
                       f"#{keep.id}, {duplicate.external_id!r} on #{duplicate.id}); say "
                       "which one stays with --external-id")
    else:
        chosen = ids[0] if ids else None
    for dropped in sorted(set(ids) - {chosen}):
        result.alerts.append(f"The external id {dropped!r} is dropped: #{keep.id} keeps "
                             f"{chosen!r}; a later import that names {dropped!r} adds a new "
                             "client.")
    result.external_id = chosen
    if duplicate.external_id:
        duplicate.external_id = None
        session.flush()  # the id is unique: off the duplicate before it is on the kept one
    if keep.external_id != chosen:
        keep.external_id = chosen
    if (keep.name_key, keep.dob) != (duplicate.name_key, duplicate.dob):
        result.kept_details.append(
            f"#{keep.id} keeps its name and date of birth ({keep.name}, {keep.dob}); "
            f"#{duplicate.id} had {duplicate.name}, {duplicate.dob}")
    if duplicate.restricted and not keep.restricted:
        # One person: whoever the duplicate was hidden from must not find them in the kept
        # record.
        set_restricted(session, keep, True)
        result.alerts.append(f"Client #{keep.id} is restricted now, as #{duplicate.id} was: "
                             "only their care team sees them.")
    for name in FILLED_FIELDS:
        ours, theirs = getattr(keep, name), getattr(duplicate, name)
        if theirs and not ours:
            setattr(keep, name, theirs)
            result.filled.append(name)
        elif theirs and ours != theirs:
            result.kept_details.append(f"#{keep.id} keeps its {name.replace('_', ' ')} "
                                       f"({ours}); #{duplicate.id} had {theirs}")
    session.flush()


def _combine_assignments(session: Session, actor: Staff, keep: Client, duplicate: Client,
                         result: MergeResult) -> set[int]:
    """A provider who has both records keeps one assignment: the kept record's, with the
    more active status and the duplicate's diagnoses after its own. Returns those
    providers."""
    kept = {a.provider_id: a for a in session.scalars(
        select(Assignment).where(Assignment.client_id == keep.id))}
    both: set[int] = set()
    for theirs in session.scalars(select(Assignment).where(
            Assignment.client_id == duplicate.id).order_by(Assignment.id)).all():
        ours = kept.get(theirs.provider_id)
        if ours is None:
            continue
        both.add(theirs.provider_id)
        if STATUS_RANK[theirs.status] > STATUS_RANK[ours.status]:
            ours.status = theirs.status
        codes = ours.diagnosis_codes + [code for code in theirs.diagnosis_codes
                                        if code not in ours.diagnosis_codes]
        ours.diagnosis = ",".join(codes)
        session.delete(theirs)
        result.assignments_combined += 1
    session.flush()
    return both


def _combine_shares(session: Session, actor: Staff, keep: Client, duplicate: Client,
                    both_providers: set[int], result: MergeResult) -> None:
    """An active share between the same two providers on both records is kept once: the
    narrower (without private notes when either was), and the other ends. A share on one
    record only moves onto the kept one: when its provider had both records, the recipient
    now reads that provider's notes of both, which is said."""
    def active(client: Client) -> dict[tuple[int, int], ChartShare]:
        return {(s.from_provider_id, s.to_provider_id): s for s in session.scalars(
            select(ChartShare).where(ChartShare.client_id == client.id,
                                     ChartShare.ended_at.is_(None)))}

    ours, theirs = active(keep), active(duplicate)
    names = staff_names(session, actor, [p for pair in [*ours, *theirs] for p in pair])
    for pair in sorted(set(ours) & set(theirs)):
        first, second = ours[pair], theirs[pair]
        wider, narrower = ((first, second) if first.include_private_notes
                           and not second.include_private_notes else (second, first))
        end_share(session, actor, wider, reason="client merge")
        result.chart_shares_ended += 1
        if wider.include_private_notes and not narrower.include_private_notes:
            result.alerts.append(
                f"The chart share from {names[pair[0]]} to {names[pair[1]]} of #{keep.id} "
                "no longer includes private notes: one record's share did not.")
    for pair in sorted(set(ours) ^ set(theirs)):
        if pair[0] in both_providers:
            record = keep if pair in ours else duplicate
            other = duplicate if record is keep else keep
            result.alerts.append(
                f"{names[pair[1]]} now reads {names[pair[0]]}'s notes of #{other.id} too: "
                f"the chart share of #{record.id} covers the merged chart.")


def _move_records(session: Session, actor: Staff, keep: Client, duplicate: Client,
                  result: MergeResult) -> None:
    """Everything still on the duplicate moves to the kept record; its row goes."""
    session.flush()
    _end_emergency_accesses(session, actor, duplicate, result)
    if is_postgresql(session):
        moved = session.execute(text(
            "SELECT * FROM clinicctl_merge_clients(:keep, :duplicate, :actor)"),
            {"keep": keep.id, "duplicate": duplicate.id, "actor": actor.id}).one()
        counts: Iterable[int] = tuple(moved)
    else:
        _move_places(session, keep, duplicate)
        counts = [session.execute(  # type: ignore[attr-defined]
            update(model).where(model.client_id == duplicate.id)
            .values(client_id=keep.id).execution_options(synchronize_session=False)
        ).rowcount for model in (Assignment, ChartShare, ChartNote, Document, Appointment)]
        _move_group_memberships(session, actor, keep, duplicate)
        now = utcnow()
        for opened in session.scalars(select(EmergencyAccess).where(
                EmergencyAccess.client_id == duplicate.id)):
            opened.client_id = keep.id
            opened.expires_at = max(min(opened.expires_at, now),
                                    opened.started_at + dt.timedelta(microseconds=1))
        session.execute(update(ClientMerge).where(ClientMerge.kept_client_id == duplicate.id)
                        .values(kept_client_id=keep.id)
                        .execution_options(synchronize_session=False))
        session.add(ClientMerge(merged_client_id=duplicate.id, kept_client_id=keep.id,
                                merged_by_id=actor.id, merged_at=utcnow()))
        session.flush()
        session.execute(delete(Client).where(Client.id == duplicate.id)
                        .execution_options(synchronize_session=False))
    (result.assignments_moved, result.chart_shares_moved, result.notes_moved,
     result.documents_moved, result.appointments_moved) = counts
    session.expunge(duplicate)
    session.expire_all()



def _end_emergency_accesses(session: Session, actor: Staff, duplicate: Client,
                            result: MergeResult) -> None:
    """An emergency access opened on the duplicate moves with it, ended: it was opened for
    that record, not for the kept one's chart. Say whose ended."""
    from clinicctl.charts.emergency import accesses_of

    now = utcnow()
    running = sorted({staff_id for staff_id, expires in accesses_of(session, duplicate.id)
                      if expires > now})
    names = staff_names(session, actor, running)
    for staff_id in running:
        result.alerts.append(
            f"Ended {names.get(staff_id, f'#{staff_id}')}'s emergency access to "
            f"#{duplicate.id}: it does not reach the merged chart (open it again on the kept "
            "record if still needed).")


def _move_places(session: Session, keep: Client, duplicate: Client) -> None:
    """The duplicate's places in sessions move to the kept record (as
    ``clinicctl_merge_clients`` does on PostgreSQL, migration 0009); in a session both are
    in, the duplicate's place goes (its attendance kept where the kept place has none)."""
    Place = AppointmentParticipant
    both = select(Place.appointment_id).where(Place.client_id == keep.id)
    # In a session both are in, a mark on the duplicate's place only is kept.
    marks = dict(session.execute(select(Place.appointment_id, Place.attendance).where(
        Place.client_id == duplicate.id, Place.attendance.is_not(None),
        Place.appointment_id.in_(both))).all())
    for appointment_id, attendance in marks.items():
        session.execute(update(Place).where(
            Place.appointment_id == appointment_id, Place.client_id == keep.id,
            Place.attendance.is_(None)).values(attendance=attendance)
            .execution_options(synchronize_session=False))
    session.execute(delete(Place).where(Place.client_id == duplicate.id,
                                        Place.appointment_id.in_(both))
                    .execution_options(synchronize_session=False))
    session.execute(update(Place).where(Place.client_id == duplicate.id)
                    .values(client_id=keep.id).execution_options(synchronize_session=False))


def _move_group_memberships(session: Session, actor: Staff, keep: Client, duplicate: Client
                            ) -> None:
    """The duplicate's stretches in client groups move to the kept record (as
    ``clinicctl_merge_clients`` does on PostgreSQL, migration 0008); where both are current
    members of one group, the duplicate's stretch ends now and the kept one goes on."""
    kept_groups = select(ClientGroupMember.group_id).where(
        ClientGroupMember.client_id == keep.id, ClientGroupMember.left_at.is_(None))
    session.execute(update(ClientGroupMember).where(
        ClientGroupMember.client_id == duplicate.id, ClientGroupMember.left_at.is_(None),
        ClientGroupMember.group_id.in_(kept_groups))
        .values(left_at=utcnow(), removed_by_id=actor.id)
        .execution_options(synchronize_session=False))
    session.execute(update(ClientGroupMember).where(ClientGroupMember.client_id == duplicate.id)
                    .values(client_id=keep.id).execution_options(synchronize_session=False))
