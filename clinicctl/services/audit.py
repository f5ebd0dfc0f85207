"""The audit trail: append-only, hash-chained, no PHI.

Each event's hash covers its own fields and the previous event's hash, so editing or deleting
any event breaks the chain at that point; ``verify`` names the first broken link. Details
hold ids and field names only, never names, dates of birth or note text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clinicctl.models import AuditEvent, Staff, utcnow

GENESIS_HASH = "0" * 64
# Serialises appends on PostgreSQL so two writers never chain onto the same event.
# (SQLite writers are already serialised by BEGIN IMMEDIATE.)
PG_AUDIT_LOCK = 0x636C696E  # "clin"


def _event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return _hashed_fields({name: getattr(event, name) for name in _HASHED})


_HASHED = ("at", "actor_id", "action", "object_type", "object_id", "client_id", "outcome",
           "details")


def _hashed_fields(values: dict[str, Any]) -> dict[str, Any]:
    """What an event's hash covers (``details`` as its stored JSON text)."""
    fields = {name: values[name] for name in _HASHED}
    fields["at"] = values["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    return fields


def _lock_chain(session: Session) -> str:
    """Serialise appends (PostgreSQL) and return the hash the next event chains onto."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_AUDIT_LOCK})
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    return last or GENESIS_HASH


def record_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Append many events at once, chained in the order given (one bulk statement).

    Each event has the keyword arguments of ``record``. Batch commands use it so that ten
    thousand shares cost one bulk insert of their events, not ten thousand round trips. The
    events of one call carry one time, the moment they are written.
    """
    if not events:
        return
    from clinicctl.db import insert_many

    session.flush()  # events queued before these are written first, so the chain is in order
    prev = _lock_chain(session)
    at = utcnow()
    at_text = at.isoformat(timespec="microseconds")
    columns = ("actor_id", "action", "object_type", "object_id", "client_id", "outcome",
               "details", "prev_hash", "hash")
    rows = []
    encoded: dict[int, str] = {}  # events of one batch often share one details object
    for event in events:
        details = event.get("details") or {}
        if id(details) not in encoded:
            encoded[id(details)] = json.dumps(details, sort_keys=True, separators=(",", ":"))
        fields = {
            "at": at_text,
            "actor_id": event["actor_id"],
            "action": event["action"],
            "object_type": event["object_type"],
            "object_id": event.get("object_id"),
            "client_id": event.get("client_id"),
            "outcome": event.get("outcome", "ok"),
            "details": encoded[id(details)],
        }
        new_hash = _event_hash(prev, fields)
        rows.append((fields["actor_id"], fields["action"], fields["object_type"],
                     fields["object_id"], fields["client_id"], fields["outcome"],
                     fields["details"], prev, new_hash))
        prev = new_hash
    insert_many(session, AuditEvent.__table__,  # type: ignore[arg-type]
                columns, rows, same={"at": at})


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None = None,
    client_id: int | None = None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    last = _lock_chain(session)
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        outcome=outcome,
        details=json.dumps(details or {}, sort_keys=True, separators=(",", ":")),
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = _event_hash(event.prev_hash, _fields(event))
    session.add(event)
    session.flush()
    return event


@dataclass
class AuditFilter:
    actor_id: int | None = None
    client_id: int | None = None
    action: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int | None = None


def list_events(session: Session, flt: AuditFilter, *, client_ids: set[int] | None = None
                ) -> list[AuditEvent]:
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
    if flt.limit:
        query = query.order_by(None).order_by(AuditEvent.id.desc()).limit(flt.limit)
        return list(reversed(session.scalars(query).all()))
    return list(session.scalars(query))


@dataclass
class VerifyResult:
    events: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(session: Session) -> VerifyResult:
    prev = GENESIS_HASH
    count = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        count += 1
        if event.prev_hash != prev:
            return VerifyResult(count, event.id, "previous-hash link does not match")
        if _event_hash(prev, _fields(event)) != event.hash:
            return VerifyResult(count, event.id, "event content does not match its hash")
        prev = event.hash
    return VerifyResult(count, None, None)


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
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Audit events the actor may read: all for owner and managers; for a records custodian,
    the events about clients in their scope."""
    from clinicctl.errors import InvalidInput
    from clinicctl.services import access
    from clinicctl.services.refs import parse_date, resolve_client, resolve_staff

    if outcome is not None and outcome not in ("ok", "denied"):
        raise InvalidInput(f"invalid outcome {outcome!r}; expected ok or denied")
    flt = AuditFilter(action=action, outcome=outcome, limit=limit)
    if since:
        flt.since = _start_of(parse_date(since, "--since date"))
    if until:
        flt.until = _start_of(parse_date(until, "--until date"))
    if actor_ref:
        flt.actor_id = resolve_staff(session, actor_ref).id
    if client_ref:
        flt.client_id = resolve_client(session, client_ref).id
    access.authorize_audit_read(actor, "audit.list")
    client_ids = None
    if not actor.has_role("owner", "manager"):
        client_ids = _custodian_client_ids(session, actor)
    events = list_events(session, flt, client_ids=client_ids)
    record(session, actor_id=actor.id, action="audit.list", object_type="audit",
           details={"events": len(events)})
    return events


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _custodian_client_ids(session: Session, custodian: Staff) -> set[int]:
    from clinicctl.models import Assignment
    from clinicctl.services import access

    scope = access.custodian_scope(session, custodian)
    query = select(Assignment.client_id).distinct()
    if scope is not None:
        query = query.where(Assignment.provider_id.in_(scope))
    return set(session.scalars(query))


def verify_for(session: Session, actor: Staff) -> VerifyResult:
    from clinicctl.services import access

    access.authorize_audit_read(actor, "audit.verify")
    return verify(session)
