"""Supervision: a supervisor reads a supervisee's notes, and with co-signature signs them.

``staff supervise SUPERVISEE --by SUPERVISOR`` lets the supervisor (an active provider other
than the supervisee) read the supervisee's non-private chart notes and clinical documents for
the supervisee's clients while the period holds; every such read is audited as
``supervision.read`` (``records.record_paths``). With ``--cosign`` the supervisee's new
non-private notes are ``pending`` until the supervisor signs them (``note sign``). The rule
itself is ``access.chart_access``; this module keeps the supervisions and the signatures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from clinicctl import access, days, trail
from clinicctl.actions import Action
from clinicctl.db import reads_through_functions
from clinicctl.errors import Conflict, InvalidInput, NotFound
from clinicctl.models import ChartNote, Client, Staff, Supervision, utcnow
from clinicctl.people.refs import resolve_staff


@dataclass
class SupervisionChange:
    supervision: Supervision
    supervisee: Staff
    supervisor: Staff
    created: bool
    changed: bool
    # The supervisee's notes still waiting for a co-signature (said when co-signing stops).
    pending_notes: int = 0


def _people(session: Session, actor: Staff, supervisee_ref: str, supervisor_ref: str
            ) -> tuple[Staff, Staff]:
    supervisee = resolve_staff(session, supervisee_ref, what="supervisee")
    supervisor = resolve_staff(session, supervisor_ref, what="supervisor")
    access.authorize_supervision_admin(actor, supervisee, supervisor)
    return supervisee, supervisor


def open_supervision(session: Session, supervisee_id: int, supervisor_id: int
                     ) -> Supervision | None:
    return session.scalars(select(Supervision).where(
        Supervision.supervisee_id == supervisee_id, Supervision.supervisor_id == supervisor_id,
        Supervision.ended_at.is_(None))).first()


def pending_notes_of(session: Session, author_id: int) -> int:
    """How many of the author's notes wait for a co-signature (a count, no content; for the
    owner and managers, who set up supervision)."""
    if reads_through_functions(session):
        return int(session.scalar(text("SELECT clinicctl_pending_note_count(:author)"),
                                  {"author": author_id}) or 0)
    return int(session.scalar(select(func.count()).select_from(ChartNote).where(
        ChartNote.author_id == author_id, ChartNote.cosign_status == "pending")) or 0)


def supervise(session: Session, actor: Staff, supervisee_ref: str, supervisor_ref: str, *,
              starts_on: dt.date | None = None, ends_on: dt.date | None = None,
              cosign: bool | None = None) -> SupervisionChange:
    """Start the supervision of one provider by another, or change its period or
    co-signature (one open supervision per pair). Owner and managers only."""
    supervisee, supervisor = _people(session, actor, supervisee_ref, supervisor_ref)
    if supervisee.id == supervisor.id:
        raise InvalidInput(f"{supervisee.name} cannot supervise themselves")
    if not supervisee.has_role("provider"):
        raise InvalidInput(f"{supervisee.name} is not a provider: only providers write the "
                           "notes a supervisor reads")
    if not (supervisor.active and supervisor.has_role("provider")):
        raise InvalidInput(f"{supervisor.name} is not an active provider: a supervisor must "
                           "be one")
    today = days.practice_today(session)
    current = open_supervision(session, supervisee.id, supervisor.id)
    if current is not None and current.ends_on is not None and current.ends_on < today:
        # Its last day has passed: it holds no more, and asking again starts a new one.
        _end(session, actor, current)
        current = None
    start = starts_on or (current.starts_on if current else today)
    end = ends_on if ends_on is not None else (current.ends_on if current else None)
    if end is not None and end < today:
        raise InvalidInput(f"--until {end.isoformat()} is in the past")
    if end is not None and end < start:
        raise InvalidInput(f"--until {end.isoformat()} is before --from {start.isoformat()}")
    with_cosign = cosign if cosign is not None else (current.cosign if current else False)
    if current is not None and (current.starts_on, current.ends_on, current.cosign) == (
            start, end, with_cosign):
        return SupervisionChange(current, supervisee, supervisor, created=False, changed=False)
    stopped_cosign = current is not None and current.cosign and not with_cosign
    if current is None:
        current = Supervision(supervisee_id=supervisee.id, supervisor_id=supervisor.id,
                              starts_on=start, ends_on=end, cosign=with_cosign,
                              created_by_id=actor.id, created_at=utcnow())
        session.add(current)
        created = True
    else:
        current.starts_on, current.ends_on, current.cosign = start, end, with_cosign
        created = False
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.STAFF_SUPERVISE,
                 object_type="supervision", object_id=current.id,
                 details={"supervisee_id": supervisee.id, "supervisor_id": supervisor.id,
                          "starts_on": start.isoformat(),
                          "ends_on": end.isoformat() if end else None,
                          "cosign": with_cosign, "change": "start" if created else "update"})
    pending = pending_notes_of(session, supervisee.id) if stopped_cosign else 0
    return SupervisionChange(current, supervisee, supervisor, created=created, changed=True,
                             pending_notes=pending)


def end_supervision(session: Session, actor: Staff, supervisee_ref: str, supervisor_ref: str
                    ) -> SupervisionChange | None:
    """End the open supervision of the pair (None: there is none). The supervisor reads
    nothing more through it; notes waiting for their signature keep waiting."""
    supervisee, supervisor = _people(session, actor, supervisee_ref, supervisor_ref)
    current = open_supervision(session, supervisee.id, supervisor.id)
    if current is None:
        return None
    _end(session, actor, current)
    pending = pending_notes_of(session, supervisee.id) if current.cosign else 0
    return SupervisionChange(current, supervisee, supervisor, created=False, changed=True,
                             pending_notes=pending)


def _end(session: Session, actor: Staff, supervision: Supervision) -> None:
    supervision.ended_at = utcnow()
    supervision.ended_by_id = actor.id
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.STAFF_SUPERVISE,
                 object_type="supervision", object_id=supervision.id,
                 details={"supervisee_id": supervision.supervisee_id,
                          "supervisor_id": supervision.supervisor_id, "change": "end"})


@dataclass
class SupervisionLine:
    """One supervision as ``staff show`` lists it, from one side."""

    id: int
    staff_id: int  # the other side
    staff: str
    starts_on: dt.date
    ends_on: dt.date | None
    cosign: bool
    holds_today: bool
    ended_at: dt.datetime | None

    def as_dict(self, side: str) -> dict[str, object]:
        return {"id": self.id, f"{side}_id": self.staff_id, side: self.staff,
                "from": self.starts_on, "until": self.ends_on, "cosign": self.cosign,
                "active": self.holds_today, "ended_at": self.ended_at}


def supervisions_of(session: Session, member: Staff) -> tuple[list[SupervisionLine],
                                                               list[SupervisionLine]]:
    """Whom ``member`` supervises and who supervises them, open ones (ended ones are in the
    audit trail)."""
    today = days.practice_today(session)
    rows = session.scalars(select(Supervision).where(
        Supervision.ended_at.is_(None),
        (Supervision.supervisor_id == member.id) | (Supervision.supervisee_id == member.id),
    ).order_by(Supervision.starts_on, Supervision.id)).all()
    others = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(
        {r.supervisee_id for r in rows} | {r.supervisor_id for r in rows})))}

    def line(row: Supervision, other_id: int) -> SupervisionLine:
        return SupervisionLine(row.id, other_id, others[other_id].name, row.starts_on,
                               row.ends_on, row.cosign, row.holds_on(today), row.ended_at)

    supervises = [line(r, r.supervisee_id) for r in rows if r.supervisor_id == member.id]
    supervised_by = [line(r, r.supervisor_id) for r in rows if r.supervisee_id == member.id]
    return supervises, supervised_by


# --- co-signature ------------------------------------------------------------------------------

def sign_note(session: Session, actor: Staff, note_id: int) -> tuple[ChartNote, bool]:
    """Co-sign a pending note as its author's supervisor. Returns the note and whether this
    signed it (False: it was signed already)."""
    from clinicctl.charts import records

    note = records.chart_note(session, note_id)
    client = session.get(Client, note.client_id) if note is not None else None
    # A note the actor may not read answers as a missing one, so ids cannot be probed.
    if note is None or client is None or not access.chart_access(
            session, actor, client.id).can_read(note.author_id, note.kind):
        raise records._no_access(actor, Action.NOTE_SIGN, "chart_note", note_id)
    author = session.get(Staff, note.author_id)
    if author is None:
        raise NotFound(f"no author of note #{note_id}")
    supervision = access.authorize_cosign(session, actor, client, author, note.id)
    if note.cosign_status == "signed":
        return note, False
    if note.cosign_status != "pending":
        raise Conflict(f"note #{note.id} needs no co-signature (it was written without one "
                       "due)")
    if reads_through_functions(session):
        # A login signs only through the database, which checks again and writes the event.
        at = session.scalar(text("SELECT clinicctl_sign_note(:note, :supervision)"),
                            {"note": note.id, "supervision": supervision})
        for key, value in (("cosign_status", "signed"), ("cosigned_by_id", actor.id),
                           ("cosigned_at", at)):
            set_committed_value(note, key, value)
        return note, True
    note.cosign_status = "signed"
    note.cosigned_by_id = actor.id
    note.cosigned_at = utcnow()
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.NOTE_SIGN, object_type="chart_note",
                 object_id=note.id, client_id=client.id,
                 details={"author_id": author.id, "supervision_id": supervision})
    return note, True


def unsigned_visible(session: Session) -> list[ChartNote]:
    """Every pending note the session's login may read (PostgreSQL: the database's rule)."""
    from clinicctl.charts import records

    if reads_through_functions(session):
        return list(session.scalars(records._from_function(
            ChartNote, "clinicctl_unsigned_notes()")))
    return list(session.scalars(select(ChartNote).where(ChartNote.cosign_status == "pending")
                                .order_by(ChartNote.date_of_service, ChartNote.id)))


def unsigned_notes(session: Session, actor: Staff, client_ref: str | None) -> list[ChartNote]:
    """``note list --unsigned``: the pending notes of one client, or of every client, that the
    actor may read: a supervisor's to sign, a supervisee's waiting. Audited as reads."""
    from clinicctl.charts import records

    if client_ref is not None:
        return records.list_notes(session, actor, client_ref, pending_only=True)
    access.require_roles(actor, Action.NOTE_LIST, ("owner", access.CUSTODIAN, "provider"),
                         object_type="chart_note")
    by_client: dict[int, list[ChartNote]] = {}
    for note in unsigned_visible(session):
        by_client.setdefault(note.client_id, []).append(note)
    shown: list[ChartNote] = []
    for client_id, notes in sorted(by_client.items()):
        chart = access.chart_access(session, actor, client_id)
        readable = [n for n in notes if chart.can_read(n.author_id, n.kind)]
        if not readable:
            continue
        trail.record(session, actor_id=actor.id, action=Action.NOTE_LIST, object_type="client",
                     object_id=client_id, client_id=client_id,
                     details={"note_ids": [n.id for n in readable], "unsigned": True})
        records.record_paths(session, actor, client_id, chart, Action.NOTE_LIST,
                             notes=[(n.id, n.author_id, n.kind) for n in readable])
        shown.extend(readable)
    return sorted(shown, key=lambda n: (n.date_of_service, n.id))
