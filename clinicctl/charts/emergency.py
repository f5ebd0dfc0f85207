"""Emergency access ("break the glass"): someone outside a client's care team reads the
profile and non-private notes now, for four hours, with the reason on record.

The access is a row of ``emergency_access``; ``access.chart_access`` and
``access.profile_grant`` honour it while it holds. The reason is kept in that row's own
column, never in the audit details (which stay free of PHI and carry its SHA-256), and only
the owner and records custodians covering the client read it (``audit list --emergency``).
On PostgreSQL the database writes the ``client.emergency`` event itself when the row is
inserted (migration 0010), so no login opens a chart this way off the record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import practice_zone
from clinicctl.db import is_postgresql
from clinicctl.errors import InvalidInput
from clinicctl.models import AuditEvent, Client, EmergencyAccess, Staff, utcnow
from clinicctl.oversight.logins import reads_through_functions
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


def event_details(expires_at: dt.datetime, reason: str) -> dict[str, str]:
    """The PHI-free details of the ``client.emergency`` event, exactly as migration 0010's
    trigger writes them on PostgreSQL."""
    return {"expires_at": expires_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "reason_sha256": hashlib.sha256(reason.encode("utf-8")).hexdigest()}


def open_emergency_access(session: Session, actor: Staff, client_ref: str, reason: str
                          ) -> tuple[Client, EmergencyAccess]:
    """Open emergency access to one client for ``access.EMERGENCY_HOURS`` hours: the actor
    reads the profile and non-private notes (not clinical documents, not private notes).
    Refused to roles without clinical access of their own (schedulers, billers, managers)."""
    reason = _reason(reason)
    client = resolve_client(session, client_ref)
    access.authorize_emergency_access(actor, client)
    now = utcnow()
    row = EmergencyAccess(staff_id=actor.id, client_id=client.id, reason=reason, started_at=now,
                          expires_at=now + dt.timedelta(hours=access.EMERGENCY_HOURS))
    session.add(row)
    session.flush()
    if is_postgresql(session):
        # The database set the times (and wrote the event): read back what it keeps.
        started, expires = session.execute(
            select(EmergencyAccess.started_at, EmergencyAccess.expires_at)
            .where(EmergencyAccess.id == row.id)).one()
        set_committed_value(row, "started_at", started)
        set_committed_value(row, "expires_at", expires)
    else:
        trail.record(session, actor_id=actor.id, action=Action.CLIENT_EMERGENCY,
                     object_type="emergency_access", object_id=row.id, client_id=client.id,
                     details=event_details(row.expires_at, reason))
    return client, row


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
    found: list[EmergencyEvent] = []
    zone = practice_zone(session)
    through_functions = reads_through_functions(session)
    for event in events:
        details = json.loads(event.details or "{}")
        reason: str | None = None
        if (event.outcome == "ok" and event.object_id is not None
                and event.client_id is not None):
            if through_functions:
                reason = session.scalar(text("SELECT clinicctl_emergency_reason(:id)"),
                                        {"id": event.object_id})
            elif actor.has_role("owner") or (
                    actor.has_role(access.CUSTODIAN)
                    and custodian_covers_client(session, actor, event.client_id)):
                reason = session.scalar(select(EmergencyAccess.reason)
                                        .where(EmergencyAccess.id == event.object_id))
        expires = details.get("expires_at")
        found.append(EmergencyEvent(
            event, dt.datetime.fromisoformat(expires).astimezone(zone) if expires else None,
            reason, reason_hidden=event.outcome == "ok" and reason is None))
    return found
