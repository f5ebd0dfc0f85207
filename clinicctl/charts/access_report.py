"""``client access``: who of the staff can see what of one client, and why, in the words of
the grants ``access.chart_access`` itself uses, so the report never claims an access the
checks would refuse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access
from clinicctl.actions import Action
from clinicctl.days import practice_zone
from clinicctl.models import Assignment, Client, Staff
from clinicctl.people.clients import assignments_of
from clinicctl.people.refs import resolve_client


@dataclass
class StaffAccess:
    staff_id: int
    staff: str
    roles: list[str]
    profile: bool
    profile_reason: str
    chart_notes: str  # "none", "own only", or the names of the authors they may read
    chart_reason: str
    readable_authors: list[int]


def staff_access(session: Session, actor: Staff, client_ref: str,
                  staff_ref: str | None = None) -> tuple[Client, list[StaffAccess]]:
    """Who can see what of this client, and why."""
    from clinicctl.charts.records import record_authors
    from clinicctl.people.refs import resolve_staff

    client = resolve_client(session, client_ref)
    access.authorize_client_profile(session, actor, client, Action.CLIENT_ACCESS)
    if staff_ref:
        people = [resolve_staff(session, staff_ref)]
    else:
        people = list(session.scalars(select(Staff).where(Staff.active.is_(True))
                                      .order_by(Staff.name_key, Staff.id)))
    assignments = {a.provider_id: a for a in assignments_of(session, client.id)}
    # Only authors whose notes the viewer may read count: the report must not tell a
    # scheduler which providers have written notes they cannot see.
    viewer = access.chart_access(session, actor, client.id)
    written = {a for a in record_authors(session, client.id) if viewer.can_read(a)}
    authors = sorted(set(assignments) | written)
    names = {s.id: s.name for s in session.scalars(select(Staff).where(Staff.id.in_(authors)))}
    others_emergency = access.sees_emergency_access_of_others(session, actor, client)
    report = []
    for person in people:
        report.append(_describe(session, person, client, assignments, authors, written, names,
                                emergency=others_emergency or person.id == actor.id))
    return client, report


def _describe(session: Session, person: Staff, client: Client,
              assignments: dict[int, Assignment], authors: list[int], written: set[int],
              names: dict[int, str], *, emergency: bool) -> StaffAccess:
    if not person.active:
        return StaffAccess(person.id, person.name, person.roles, False, "deactivated", "none",
                           "deactivated", [])
    grant = access.profile_grant(session, person, client, emergency=emergency)
    own = assignments.get(person.id)
    if own is not None:
        profile_reason = (f"in their list since {own.created_at.date().isoformat()} "
                          f"(origin {own.origin})")
    else:
        profile_reason = grant or ("restricted client: not in their care team"
                                   if client.restricted
                                   else "not in their list, no role that grants it")

    chart = access.chart_access(session, person, client.id, emergency=emergency)
    readable = [a for a in authors if chart.can_read(a)]
    # The reasons are the grants chart_access itself used, so the report never claims an
    # access the checks would refuse.
    reasons: list[str] = []
    for reason in chart.grants:
        if reason.why == "own notes":
            if person.id in written:
                reasons.append("their own notes")
        elif reason.why == "chart share":
            private = " incl. private notes" if reason.private_notes else ""
            since = (reason.since.date().isoformat()
                     if isinstance(reason.since, dt.datetime) else "?")
            author = names.get(reason.author_id or 0, f"#{reason.author_id}")
            reasons.append(f"chart share from {author} since {since}{private}")
        elif reason.why == "owner":
            reasons.append("owner (not private notes)")
        elif reason.why == "records custodian":
            reasons.append("records custodian in scope (not private notes)")
        elif reason.why == access.SUPERVISION:
            supervisee = names.get(reason.author_id or 0, f"#{reason.author_id}")
            until = f" until {reason.until.isoformat()}" if reason.until else ""
            reasons.append(f"supervisor of {supervisee}{until} (not private notes; each "
                           "read audited)")
        elif reason.why == access.EMERGENCY:
            until = (reason.until.astimezone(practice_zone(session)).strftime("%Y-%m-%d %H:%M %Z")
                     if isinstance(reason.until, dt.datetime) else "?")
            reasons.append(f"emergency access until {until} (not private notes; each read "
                           "audited)")
    others = [a for a in readable if a != person.id]
    if not readable:
        summary = "none"
    elif not others:
        summary = "own only"
    else:
        summary = ", ".join(names.get(a, f"#{a}") for a in readable)
    if reasons:
        chart_reason = "; ".join(reasons)
    else:
        chart_reason = "demographics only" if grant else "none"
    return StaffAccess(person.id, person.name, person.roles, grant is not None, profile_reason,
                       summary, chart_reason, readable)
