"""Emergency access ("break the glass"): someone outside a client's care team reads the
profile and non-private notes now, for four hours, with the reason on record.

The access is a row of ``emergency_access``; ``access.chart_access`` and
``access.profile_grant`` honour it while it holds. The reason is kept in that row's own
column, never in the audit details (which stay free of PHI and carry its SHA-256), and only
the owner and records custodians covering the client read it (``audit list --emergency``).
On PostgreSQL a staff login opens it through the database's function and the database
writes the ``client.emergency`` event itself when the row is inserted (migration 0010), so
no login opens a chart this way off the record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import practice_zone
from clinicctl.db import is_postgresql, reads_through_functions
from clinicctl.errors import InvalidInput
from clinicctl.models import AuditEvent, Client, EmergencyAccess, Staff, utcnow
from clinicctl.people.refs import resolve_client
from clinicctl.relations import custodian_covers_client

MAX_REASON_CHARS = 500


def _reason(value: str) -> str:
    reason = " ".join(value.split())
    if not reason:
        raise InvalidInput("the reason is empty: say why the chart must be opened now")
    if "\x00" in reason:
        raise InvalidInput("the reason contains a NUL byte")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"the reason has {len(reason)} characters; at most "
                           f"{MAX_REASON_CHARS}")
    return reason


def event_details(expires_at: dt.datetime, reason: str, salt: str) -> dict[str, str]:
    """The PHI-free details of the ``client.emergency`` event, exactly as migration 0010's
    trigger writes them on PostgreSQL: the reason only as its salted SHA-256."""
    return {"expires_at": expires_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "reason_sha256": hashlib.sha256((salt + reason).encode("utf-8")).hexdigest()}


def open_emergency_access(session: Session, actor: Staff, client_ref: str, reason: str
                          ) -> tuple[Client, EmergencyAccess]:
    """Open emergency access to one client for ``access.EMERGENCY_HOURS`` hours: the actor
    reads the profile and non-private notes (not clinical documents, not private notes).
    Refused to roles without clinical access of their own (schedulers, billers, managers)."""
    reason = _reason(reason)
    client = resolve_client(session, client_ref)
    access.authorize_emergency_access(actor, client)
    if reads_through_functions(session):
        # The database opens it for the login, with its own clock, and writes the event.
        row = session.execute(text(
            "SELECT id, started_at, expires_at FROM clinicctl_open_emergency_access("
            ":client, :reason)"), {"client": client.id, "reason": reason}).one()
        return client, EmergencyAccess(id=row.id, staff_id=actor.id, client_id=client.id,
                                       started_at=row.started_at, expires_at=row.expires_at)
    now = utcnow()
    opened = EmergencyAccess(staff_id=actor.id, client_id=client.id, reason=reason,
                             reason_salt=secrets.token_hex(16), started_at=now,
                             expires_at=now + dt.timedelta(hours=access.EMERGENCY_HOURS))
    session.add(opened)
    session.flush()
    if not is_postgresql(session):
        # (On PostgreSQL the database's trigger appends it, for the administrator too.)
        trail.record(session, actor_id=actor.id, action=Action.CLIENT_EMERGENCY,
                     object_type="emergency_access", object_id=opened.id, client_id=client.id,
                     details=event_details(opened.expires_at, reason, opened.reason_salt))
    return client, opened


def accesses_of(session: Session, client_id: int) -> list[tuple[int, dt.datetime]]:
    """(staff id, expires at) of every emergency access to the client, for those who read
    its audit (a PostgreSQL staff login through the database's function)."""
    if reads_through_functions(session):
        return [(r.staff_id, r.expires_at) for r in session.execute(text(
            "SELECT staff_id, expires_at FROM clinicctl_emergency_accesses(:client)"),
            {"client": client_id})]
    return [(r.staff_id, r.expires_at) for r in session.execute(
        select(EmergencyAccess.staff_id, EmergencyAccess.expires_at)
        .where(EmergencyAccess.client_id == client_id).order_by(EmergencyAccess.id))]


@dataclass
class EmergencyEvent:
    """One ``client.emergency`` event of ``audit list --emergency``, with its reason for
    those who may read it (None for the others)."""

    event: AuditEvent
    expires_at: dt.datetime | None
    reason: str | None
    reason_hidden: bool


def reasons_for(session: Session, actor: Staff, events: list[AuditEvent]
                ) -> list[EmergencyEvent]:
    """The reasons behind emergency events: the owner reads every one, a records custodian
    those of the clients in their scope; managers see that there was one, not why."""
    zone = practice_zone(session)
    opened = {e.object_id: e.client_id for e in events
              if e.outcome == "ok" and e.object_id is not None and e.client_id is not None}
    reasons: dict[int, str | None] = {}
    if opened and reads_through_functions(session):
        # The database applies the rule to each (one statement for the whole listing).
        reasons = {row[0]: row[1] for row in session.execute(text(
            "SELECT id, clinicctl_emergency_reason(id) FROM unnest(CAST(:ids AS integer[])) "
            "AS u(id)"), {"ids": sorted(opened)})}
    elif opened:
        readable = [access_id for access_id, client_id in opened.items()
                    if actor.has_role("owner") or (
                        actor.has_role(access.CUSTODIAN)
                        and custodian_covers_client(session, actor, client_id))]
        if readable:
            reasons = {row[0]: row[1] for row in session.execute(
                select(EmergencyAccess.id, EmergencyAccess.reason)
                .where(EmergencyAccess.id.in_(readable)))}
    found: list[EmergencyEvent] = []
    for event in events:
        expires = json.loads(event.details or "{}").get("expires_at")
        reason = reasons.get(event.object_id) if event.object_id in opened else None
        found.append(EmergencyEvent(
            event, dt.datetime.fromisoformat(expires).astimezone(zone) if expires else None,
            reason, reason_hidden=event.object_id in opened and reason is None))
    return found
