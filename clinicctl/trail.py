"""The audit trail: append-only, hash-chained, no PHI.

Each event's hash covers its own fields and the previous event's hash, so editing or deleting
any event breaks the chain at that point; ``verify`` names the first broken link. Details
hold ids and field names only, never names, dates of birth or note text.

This module depends only on the models and the store (``db``): every service appends through
it, and who may read the trail is decided in ``oversight/audit_log.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from clinicctl.db import is_postgresql
from clinicctl.models import AuditEvent, utcnow

GENESIS_HASH = "0" * 64


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


def _chain_head(session: Session) -> str:
    """The hash the next event chains onto (SQLite: writers are serialised already)."""
    last = session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    return last or GENESIS_HASH


def _details_text(details: dict[str, Any] | None) -> str:
    # ensure_ascii (json's default) keeps every event printable ASCII, which is what lets
    # PostgreSQL compute the very same hash (migration 0004, clinicctl_audit_payload).
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"))


def _append_in_database(session: Session, events: list[dict[str, Any]]) -> None:
    """PostgreSQL: the database appends the events (``clinicctl_audit_append``): it takes the
    actor from the login (only the administrator names one), takes the chain lock and
    computes every hash itself. Staff logins cannot write the table in any other way."""
    session.flush()  # events queued before these are written first, so the chain is in order
    encoded: dict[int, str] = {}  # events of one batch often share one details object
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [])
    for event in events:
        details = event.get("details") or {}
        if id(details) not in encoded:
            encoded[id(details)] = _details_text(details)
        for column, value in zip(columns, (
                event.get("actor_id"), str(event["action"]), event["object_type"],
                event.get("object_id"), event.get("client_id"), event.get("outcome", "ok"),
                encoded[id(details)]), strict=True):
            column.append(value)
    # The text arrays go in binary (%b, psycopg's own placeholder, hence a driver statement):
    # its text form quotes every element with a regular expression, which for a
    # 100,000-event import cost more than the append itself.
    session.connection().exec_driver_sql(
        "SELECT clinicctl_audit_append(%s::integer[], %b::text[], %b::text[], "
        "%s::integer[], %s::integer[], %b::text[], %b::text[])", columns)


def record_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Append many events at once, chained in the order given (one bulk statement).

    Each event has the keyword arguments of ``record``. Batch commands use it so that ten
    thousand shares cost one bulk insert of their events, not ten thousand round trips. The
    events of one call carry one time, the moment they are written.
    """
    if not events:
        return
    if is_postgresql(session):
        _append_in_database(session, events)
        return
    from clinicctl.db import insert_many

    session.flush()  # events queued before these are written first, so the chain is in order
    prev = _chain_head(session)
    at = utcnow()
    at_text = at.isoformat(timespec="microseconds")
    columns = ("actor_id", "action", "object_type", "object_id", "client_id", "outcome",
               "details", "prev_hash", "hash")
    rows = []
    encoded: dict[int, str] = {}  # events of one batch often share one details object
    for event in events:
        details = event.get("details") or {}
        if id(details) not in encoded:
            encoded[id(details)] = _details_text(details)
        fields = {
            "at": at_text,
            "actor_id": event["actor_id"],
            "action": str(event["action"]),
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
) -> None:
    """Append one event to the chain."""
    event = {"actor_id": actor_id, "action": action, "object_type": object_type,
             "object_id": object_id, "client_id": client_id, "outcome": outcome,
             "details": details}
    if is_postgresql(session):
        _append_in_database(session, [event])
        return
    row = AuditEvent(
        at=utcnow(),
        actor_id=actor_id,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        outcome=outcome,
        details=_details_text(details),
        prev_hash=_chain_head(session),
    )
    row.hash = _event_hash(row.prev_hash, _fields(row))
    session.add(row)
    session.flush()


@dataclass
class ChainLink:
    """One event as the chain check sees it: its links and the hash its content gives."""

    id: int
    prev_hash: str
    hash: str
    computed_hash: str


def chain(session: Session) -> Iterator[ChainLink]:
    """Every event in order, streamed, with the hash its content gives (SQLite: on
    PostgreSQL the database checks the chain itself, see ``verify``)."""
    events = session.execute(select(AuditEvent).order_by(AuditEvent.id),
                             execution_options={"yield_per": 5000}).scalars()
    for event in events:
        yield ChainLink(event.id, event.prev_hash, event.hash,
                        _event_hash(event.prev_hash, _fields(event)))
        session.expunge(event)  # memory stays flat however long the chain


@dataclass
class Anchor:
    """The chain's head at one moment, kept outside the database (``audit anchor``)."""

    event_id: int
    hash: str
    at: str
    count: int
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "hash": self.hash, "at": self.at,
                "count": self.count}


def head(session: Session, zone: dt.tzinfo | None = None) -> Anchor | None:
    """The newest event and how many there are; None for an empty trail."""
    if is_postgresql(session):
        row = session.execute(text("SELECT id, at, hash, events FROM clinicctl_audit_head()")
                              ).first()
        if row is None:
            return None
        event_id, at, hash_, count = row.id, row.at, row.hash, row.events
    else:
        last = session.execute(select(AuditEvent.id, AuditEvent.at, AuditEvent.hash)
                               .order_by(AuditEvent.id.desc()).limit(1)).first()
        if last is None:
            return None
        event_id, at, hash_ = last
        count = session.scalar(select(func.count()).select_from(AuditEvent))
    at = at.astimezone(zone) if zone is not None else at
    return Anchor(int(event_id), str(hash_), at.isoformat(), int(count or 0))


def load_anchor(path: str) -> Anchor:
    """An anchor file written by ``audit anchor`` (``-`` reads standard input)."""
    import sys
    from pathlib import Path

    from clinicctl.errors import InvalidInput

    try:
        text_ = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read anchor {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"anchor {path} is not UTF-8 text") from None
    try:
        data = json.loads(text_)
    except ValueError:
        raise InvalidInput(f"anchor {path} is not JSON (write it with `clinicctl audit "
                           "anchor --output FILE`)") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"anchor {path} is not a JSON object")
    event_id, hash_, count = data.get("event_id"), data.get("hash"), data.get("count")
    if (not isinstance(event_id, int) or isinstance(event_id, bool) or event_id < 1
            or not isinstance(count, int) or isinstance(count, bool) or count < 1
            or not isinstance(hash_, str) or len(hash_) != 64):
        raise InvalidInput(f"anchor {path} needs event_id, hash and count as `audit anchor` "
                           "writes them")
    return Anchor(event_id, hash_, str(data.get("at", "")), count, source=path)


@dataclass
class AnchorCheck:
    anchor: Anchor
    ok: bool
    events_after: int | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.anchor.event_id, "source": self.anchor.source,
                "ok": self.ok, "events_after": self.events_after, "reason": self.reason}


@dataclass
class VerifyResult:
    events: int
    broken_at: int | None
    reason: str | None
    anchors: list[AnchorCheck] = field(default_factory=list)

    @property
    def chain_ok(self) -> bool:
        return self.broken_at is None

    @property
    def ok(self) -> bool:
        return self.chain_ok and all(check.ok for check in self.anchors)

    @property
    def first_broken_anchor(self) -> AnchorCheck | None:
        failed = [check for check in self.anchors if not check.ok]
        return min(failed, key=lambda check: check.anchor.event_id) if failed else None


def verify(session: Session, anchors: list[Anchor] | None = None) -> VerifyResult:
    """Check every link of the chain and, for each anchor, that its event is still there with
    the anchored hash and the anchored number of events up to it."""
    anchors = anchors or []
    if is_postgresql(session):
        return _verify_in_database(session, anchors)
    wanted = {anchor.event_id for anchor in anchors}
    seen: dict[int, tuple[int, str]] = {}  # event id -> (position, hash)
    prev = GENESIS_HASH
    count = 0
    broken: tuple[int, int, str] | None = None  # (position, event id, reason)
    for link in chain(session):
        count += 1
        if broken is None:
            if link.prev_hash != prev:
                broken = (count, link.id, "previous-hash link does not match")
            elif link.computed_hash != link.hash:
                broken = (count, link.id, "event content does not match its hash")
            if broken is not None and not wanted:
                break
        if link.id in wanted:
            seen[link.id] = (count, link.hash)
        prev = link.hash
    checks = [_check_anchor(anchor, seen.get(anchor.event_id), count) for anchor in anchors]
    if broken is None:
        return VerifyResult(count, None, None, checks)
    return VerifyResult(broken[0], broken[1], broken[2], checks)


def _verify_in_database(session: Session, anchors: list[Anchor]) -> VerifyResult:
    """PostgreSQL: the database walks the chain (``clinicctl_audit_verify``) and checks each
    anchor (``clinicctl_audit_anchor_check``), handing out verdicts, never hashes."""
    row = session.execute(text("SELECT events, broken_at, broken_position, reason "
                               "FROM clinicctl_audit_verify()")).one()
    checks = []
    for anchor in anchors:
        found, matches, position, total = session.execute(
            text("SELECT found, hash_matches, event_position, events "
                 "FROM clinicctl_audit_anchor_check(:id, :hash)"),
            {"id": anchor.event_id, "hash": anchor.hash}).one()
        # The event's own hash, as far as the check needs it: the anchored one when it
        # matches, anything else when it does not.
        seen = (int(position), anchor.hash if matches else "") if found else None
        checks.append(_check_anchor(anchor, seen, int(total)))
    if row.broken_at is None:
        return VerifyResult(int(row.events), None, None, checks)
    return VerifyResult(int(row.broken_position), int(row.broken_at), str(row.reason), checks)


def _check_anchor(anchor: Anchor, found: tuple[int, str] | None, total: int) -> AnchorCheck:
    event = f"event #{anchor.event_id}"
    if found is None:
        return AnchorCheck(anchor, False, None, f"{event} is gone: the trail was truncated or "
                           "emptied")
    position, hash_ = found
    if hash_ != anchor.hash:
        return AnchorCheck(anchor, False, None, f"{event} no longer has the anchored hash: the "
                           "chain was rewritten up to it")
    if position != anchor.count:
        return AnchorCheck(anchor, False, None, f"{position} events up to {event}, the anchor "
                           f"counted {anchor.count}: events before it were removed or added")
    return AnchorCheck(anchor, True, total - position, None)
