"""Reading the audit trail: who may list which events, anchors of its head, and the check of
the chain for those who may run it. The chain itself (append, verify) is ``clinicctl.trail``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clinicctl import access, relations
from clinicctl.actions import Action
from clinicctl.days import day_window, practice_zone
from clinicctl.db import reads_through_functions
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput
from clinicctl.models import AUDIT_OUTCOMES, Assignment, AuditEvent, Staff
from clinicctl.people.refs import parse_date, resolve_client, resolve_staff
from clinicctl.trail import Anchor, VerifyResult, head, record, verify


@dataclass
class AuditFilter:
    actor_id: int | None = None
    client_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int | None = None



def events_through_function(flt: AuditFilter) -> Any:
    """A PostgreSQL staff login's view of the trail (``clinicctl_audit_events``: the rule is
    applied in the database before the filters)."""
    call = text("SELECT * FROM clinicctl_audit_events(CAST(:actor AS integer), "
                "CAST(:client AS integer), CAST(:action AS text), CAST(:outcome AS text), "
                "CAST(:since AS timestamptz), CAST(:until AS timestamptz), "
                "CAST(:limit AS integer))").bindparams(
        actor=flt.actor_id, client=flt.client_id,
        action=flt.action.replace("*", "%") if flt.action else None, outcome=flt.outcome,
        since=flt.since, until=flt.until, limit=flt.limit)
    return select(AuditEvent).from_statement(call)



def list_events(session: Session, flt: AuditFilter, *, client_ids: set[int] | None = None,
                about_clients_only: bool = False
                ) -> list[AuditEvent]:
    if reads_through_functions(session):
        return list(session.scalars(events_through_function(flt)))
    query = select(AuditEvent).order_by(AuditEvent.id)
    if flt.actor_id is not None:
        query = query.where(AuditEvent.actor_id == flt.actor_id)
    if flt.client_id is not None:
        query = query.where(AuditEvent.client_id == flt.client_id)
    if flt.action:
        query = query.where(AuditEvent.action.like(flt.action.replace("*", "%")))
    if flt.outcome:
        query = query.where(AuditEvent.outcome == flt.outcome)
    if flt.since:
        query = query.where(AuditEvent.at >= flt.since)
    if flt.until:
        query = query.where(AuditEvent.at < flt.until)
    if client_ids is not None:
        query = query.where(AuditEvent.client_id.in_(client_ids))
    if about_clients_only:
        query = query.where(AuditEvent.client_id.is_not(None))
    if flt.limit:
        query = query.order_by(None).order_by(AuditEvent.id.desc()).limit(flt.limit)
        return list(reversed(session.scalars(query).all()))
    return list(session.scalars(query))



def anchor_for(session: Session, actor: Staff, zone: dt.tzinfo | None = None) -> Anchor:
    # The head's hash is for those who may read every event: a hash of an event the reader
    # may not list could be reversed by guessing its (low-entropy) content.
    access.require_roles(actor, Action.AUDIT_ANCHOR, ("owner", "manager"), object_type="audit")
    found = head(session, zone)
    if found is None:
        raise Conflict("the audit trail is empty: there is nothing to anchor")
    return found



def event_row(event: AuditEvent, zone: dt.tzinfo | None = None) -> dict[str, Any]:
    """One event for output; ``zone`` (the practice's) sets the UTC offset shown."""
    at = event.at.astimezone(zone) if zone is not None else event.at
    return {"id": event.id, "at": at, "actor_id": event.actor_id, "action": event.action,
            "object_type": event.object_type, "object_id": event.object_id,
            "client_id": event.client_id, "outcome": event.outcome,
            "details": json.loads(event.details or "{}")}



def list_for(
    session: Session,
    actor: Staff,
    *,
    actor_ref: str | None = None,
    client_ref: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    first_day: tuple[str | None, str] = (None, "--from"),
    last_day: tuple[str | None, str] = (None, "--to"),
    limit: int | None = None,
) -> list[AuditEvent]:
    """Audit events the actor may read: all for owner and managers; for a records custodian,
    the events about clients in their scope. ``first_day`` and ``last_day`` are (the day as
    typed, the option's name): days of the practice, both included."""
    if outcome is not None and outcome not in AUDIT_OUTCOMES:
        raise InvalidChoice(f"invalid outcome {outcome!r}; expected ok or denied",
                            value=outcome, choices=AUDIT_OUTCOMES)
    flt = AuditFilter(action=action, outcome=outcome, limit=limit)
    zone = practice_zone(session)  # the days asked for are the practice's
    (first_text, first_name), (last_text, last_name) = first_day, last_day
    first = parse_date(first_text, f"{first_name} date") if first_text else None
    last = parse_date(last_text, f"{last_name} date") if last_text else None
    if first and last and last < first:
        raise InvalidInput(f"{last_name} {last} is before {first_name} {first}")
    flt.since, flt.until = day_window(first, last, zone)
    if actor_ref:
        flt.actor_id = resolve_staff(session, actor_ref).id
    if client_ref:
        flt.client_id = resolve_client(session, client_ref).id
    access.authorize_audit_read(actor, Action.AUDIT_LIST)
    client_ids = None
    about_clients_only = not actor.has_role("owner", "manager")
    if about_clients_only:
        client_ids = _custodian_client_ids(session, actor)
    events = list_events(session, flt, client_ids=client_ids,
                         about_clients_only=about_clients_only)
    record(session, actor_id=actor.id, action=Action.AUDIT_LIST, object_type="audit",
           details={"events": len(events)})
    return events




def _custodian_client_ids(session: Session, custodian: Staff) -> set[int] | None:
    """The clients whose events a records custodian reads: those a provider in their scope
    has (None: every event about a client, for a custodian of all providers). The policy
    on ``audit_event`` (migration 0004) says the same."""
    scope = relations.custodian_scope(session, custodian)
    if scope is None:
        return None
    return set(session.scalars(select(Assignment.client_id).distinct()
                               .where(Assignment.provider_id.in_(scope))))



def verify_for(session: Session, actor: Staff, anchors: list[Anchor] | None = None
               ) -> VerifyResult:
    access.authorize_audit_read(actor, Action.AUDIT_VERIFY)
    return verify(session, anchors)
