"""Chart notes and documents, and who may read them.

Visibility follows the permission table: a provider reads their own notes and the notes of
providers who have an active chart share to them (private notes only when the share includes
them); the owner and in-scope records custodians read every non-private note; nobody else
reads any. Invisible notes are neither listed nor counted. Every read is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clinicctl import access, days, trail
from clinicctl.access import Action
from clinicctl.db import reads_through_functions
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput, NotFound
from clinicctl.models import NOTE_KINDS, ChartNote, Client, Document, Staff
from clinicctl.people.refs import parse_date, resolve_client
from clinicctl.relations import cosign_required

# Documented limits (docs/records.md): a note of 100,000 characters is some 40
# pages; a document larger than 10 MiB belongs in the practice's document store, not here.
MAX_NOTE_CHARS = 100_000
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_TITLE_CHARS = 200




def add_note(
    session: Session,
    actor: Staff,
    client_ref: str,
    *,
    body: str,
    kind: str = "progress",
    date_of_service: str | None = None,
    addendum_to: int | None = None,
    appointment_id: int | None = None,
) -> ChartNote:
    """A note in one client's chart; with ``appointment_id`` tied to that session (its own
    provider writes it, for a client of the session; the date of service is the session's
    unless given). A group session's note is the one client's: nobody reads it through
    another member's chart."""
    if kind not in NOTE_KINDS:
        raise InvalidChoice(f"invalid note kind {kind!r}; expected {', '.join(NOTE_KINDS)}",
                            value=kind, choices=NOTE_KINDS)
    if not body.strip():
        raise InvalidInput("the note body is empty")
    if "\x00" in body:
        raise InvalidInput("the note body contains a NUL byte")
    if len(body) > MAX_NOTE_CHARS:
        raise InvalidInput(f"the note body has {len(body):,} characters; at most "
                           f"{MAX_NOTE_CHARS:,}")
    today = days.practice_today(session)
    client = resolve_client(session, client_ref)
    access.authorize_note_write(session, actor, client, Action.NOTE_ADD)
    session_day = (_session_day(session, actor, client, appointment_id)
                   if appointment_id is not None else None)
    when = (parse_date(date_of_service, "date of service") if date_of_service
            else session_day or today)
    if when > today:
        raise InvalidInput(f"date of service {when.isoformat()} is in the future")
    if addendum_to is not None:
        first = chart_note(session, addendum_to)
        # A missing note and an unreadable one get the same refusal, so note ids of a chart
        # the actor cannot read cannot be probed.
        if first is None or first.client_id != client.id or not access.chart_access(
                session, actor, client.id).reads_by_role(first.author_id, first.kind):
            raise access._deny(actor, Action.NOTE_ADD, "no access to the note being amended",
                               client_id=client.id, object_type="chart_note",
                               object_id=addendum_to)
        # An addendum is part of the note it amends: a private note's addendum is private.
        kind = first.kind
    # A supervisor who co-signs reads no private note, so a private note waits for nobody
    # (migration 0010's trigger decides the same for a PostgreSQL login).
    pending = kind != "private" and cosign_required(session, actor.id, client.id)
    note = ChartNote(client_id=client.id, author_id=actor.id, date_of_service=when, kind=kind,
                     body=body, addendum_to_id=addendum_to, appointment_id=appointment_id,
                     cosign_status="pending" if pending else None)
    session.add(note)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.NOTE_ADD, object_type="chart_note",
                 object_id=note.id, client_id=client.id,
                 details={"kind": kind, "addendum_to": addendum_to,
                          **({"appointment_id": appointment_id} if appointment_id else {}),
                          **({"cosign": "pending"} if pending else {})})
    return note


def _session_day(session: Session, actor: Staff, client: Client, appointment_id: int
                 ) -> dt.date:
    """The local date of the session a note is tied to, once the note may be tied to it."""
    from clinicctl.models import Appointment, AppointmentParticipant

    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    if appointment.provider_id != actor.id:
        raise access._deny(actor, Action.NOTE_ADD, "a session's notes are written by its "
                           "provider", client_id=client.id, object_type="appointment",
                           object_id=appointment_id)
    if session.get(AppointmentParticipant, (appointment_id, client.id)) is None:
        raise Conflict(f"client #{client.id} is not in appointment #{appointment_id}")
    return appointment.start_at.astimezone(days.practice_zone(session)).date()


# Where the rows come from. A PostgreSQL staff login may not read these tables: the
# database's functions return the rows its rule allows (migration 0004), and the checks
# below apply the same rule again. The administrator and SQLite read the tables.

def _from_function(entity: Any, call: str, **params: Any) -> Any:
    return select(entity).from_statement(text(f"SELECT * FROM {call}").bindparams(**params))


def chart_notes(session: Session, client_id: int) -> list[ChartNote]:
    if reads_through_functions(session):
        query = _from_function(ChartNote, "clinicctl_chart_notes(:client)", client=client_id)
    else:
        query = (select(ChartNote).where(ChartNote.client_id == client_id)
                 .order_by(ChartNote.date_of_service, ChartNote.id))
    return list(session.scalars(query))


def chart_note(session: Session, note_id: int) -> ChartNote | None:
    if reads_through_functions(session):
        return session.scalars(_from_function(ChartNote, "clinicctl_chart_note(:id)",
                                              id=note_id)).first()
    return session.get(ChartNote, note_id)


def documents_of(session: Session, client_id: int) -> list[Document]:
    if reads_through_functions(session):
        query = _from_function(Document, "clinicctl_documents(:client)", client=client_id)
    else:
        query = select(Document).where(Document.client_id == client_id).order_by(Document.id)
    return list(session.scalars(query))


def document_by_id(session: Session, document_id: int) -> Document | None:
    if reads_through_functions(session):
        return session.scalars(_from_function(Document, "clinicctl_document(:id)",
                                              id=document_id)).first()
    return session.get(Document, document_id)


def record_authors(session: Session, client_id: int) -> set[int]:
    """Who wrote the client's chart notes and clinical documents (those the session can
    see; callers keep only the authors their viewer may read)."""
    if reads_through_functions(session):
        return ({n.author_id for n in chart_notes(session, client_id)}
                | {d.uploaded_by_id for d in documents_of(session, client_id) if d.clinical})
    authors = set(session.scalars(select(ChartNote.author_id)
                                  .where(ChartNote.client_id == client_id).distinct()))
    authors |= set(session.scalars(select(Document.uploaded_by_id)
                                   .where(Document.client_id == client_id,
                                          Document.clinical.is_(True)).distinct()))
    return authors


def list_notes(session: Session, actor: Staff, client_ref: str, *, pending_only: bool = False
               ) -> list[ChartNote]:
    """The client's notes the actor may read (with ``pending_only``, those waiting for a
    co-signature); only the notes listed are audited as read."""
    client = resolve_client(session, client_ref)
    chart = access.authorize_chart_listing(session, actor, client, Action.NOTE_LIST)
    notes = [n for n in chart_notes(session, client.id) if chart.can_read(n.author_id, n.kind)
             and (not pending_only or n.cosign_status == "pending")]
    trail.record(session, actor_id=actor.id, action=Action.NOTE_LIST, object_type="client",
                 object_id=client.id, client_id=client.id,
                 details={"note_ids": [n.id for n in notes]})
    record_paths(session, actor, client.id, chart, Action.NOTE_LIST,
                 notes=[(n.id, n.author_id, n.kind) for n in notes])
    return notes


def record_paths(session: Session, actor: Staff, client_id: int, chart: access.ChartAccess,
                 read: Action, *, notes: Sequence[tuple[int, int, str]] = (),
                 documents: Sequence[tuple[int, int]] = ()) -> list[str]:
    """Audit the notes (id, author, kind) and clinical documents (id, uploader) a read
    reached through supervision or emergency access, one event per path beside the read's
    own. Returns the paths taken (the command warns of emergency access)."""
    reached: dict[str, dict[str, list[int]]] = {}
    for note_id, author_id, kind in notes:
        path = chart.via(author_id, kind)
        if path is not None:
            reached.setdefault(path, {}).setdefault("note_ids", []).append(note_id)
    for document_id, uploader_id in documents:
        path = chart.document_via(uploader_id)
        if path is not None:
            reached.setdefault(path, {}).setdefault("document_ids", []).append(document_id)
    for path, ids in reached.items():
        grant: dict[str, object]
        if path == access.SUPERVISION:
            action = Action.SUPERVISION_READ
            grant = {"supervision_ids": sorted(set(chart.supervised.values()))}
        else:
            action = Action.EMERGENCY_READ
            grant = {"emergency_access_id": chart.emergency}
        trail.record(session, actor_id=actor.id, action=action, object_type="client",
                     object_id=client_id, client_id=client_id,
                     details={"read": str(read), **grant, **ids})
    return sorted(reached)


def show_note(session: Session, actor: Staff, note_id: int) -> ChartNote:
    note = chart_note(session, note_id)
    client = session.get(Client, note.client_id) if note is not None else None
    if note is None or client is None:
        # The same answer as for a note the actor may not read, so ids cannot be probed
        # (on PostgreSQL row-level security hides such a note as if it were missing).
        raise _no_access(actor, Action.NOTE_READ, "chart_note", note_id)
    chart = access.authorize_clinical_read(session, actor, client, note.author_id, note.kind,
                                           Action.NOTE_READ, "chart_note", note.id)
    trail.record(session, actor_id=actor.id, action=Action.NOTE_READ, object_type="chart_note",
                 object_id=note.id, client_id=client.id)
    record_paths(session, actor, client.id, chart, Action.NOTE_READ,
                 notes=[(note.id, note.author_id, note.kind)])
    return note


def add_document(
    session: Session,
    actor: Staff,
    client_ref: str,
    *,
    title: str,
    content: bytes,
    clinical: bool,
) -> Document:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("the document title is empty")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidInput(f"the document title has {len(title)} characters; at most "
                           f"{MAX_TITLE_CHARS}")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    client = resolve_client(session, client_ref)
    access.authorize_document_add(session, actor, client, clinical=clinical, action=Action.DOC_ADD)
    document = Document(client_id=client.id, title=title, clinical=clinical, content=content,
                        sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=actor.id)
    session.add(document)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.DOC_ADD, object_type="document",
                 object_id=document.id, client_id=client.id,
                 details={"clinical": clinical, "bytes": len(content)})
    return document


def list_documents(session: Session, actor: Staff, client_ref: str) -> list[Document]:
    """Non-clinical documents for everyone with profile access; clinical ones only for those
    who may read the uploader's chart."""
    client = resolve_client(session, client_ref)
    chart, profile = access.authorize_document_listing(session, actor, client, Action.DOC_LIST)
    documents = [d for d in documents_of(session, client.id)
                 if (profile and not d.clinical)
                 or (d.clinical and chart.can_read_document(d.uploaded_by_id))]
    clinical = [d for d in documents if d.clinical]
    if clinical:
        trail.record(session, actor_id=actor.id, action=Action.DOC_LIST, object_type="client",
                     object_id=client.id, client_id=client.id,
                     details={"clinical_document_ids": [d.id for d in clinical]})
        record_paths(session, actor, client.id, chart, Action.DOC_LIST,
                     documents=[(d.id, d.uploaded_by_id) for d in clinical])
    return documents


def _no_access(actor: Staff, action: str, object_type: str, object_id: int) -> Exception:
    return access._deny(actor, action, f"no access to this {object_type.replace('_', ' ')}",
                        object_type=object_type, object_id=object_id)


def get_document(session: Session, actor: Staff, document_id: int) -> Document:
    document = document_by_id(session, document_id)
    client = session.get(Client, document.client_id) if document is not None else None
    if document is None or client is None:
        # As for notes: a missing document and a hidden clinical one get the same answer.
        raise _no_access(actor, Action.DOC_READ, "document", document_id)
    chart = None
    if document.clinical:
        chart = access.authorize_clinical_read(session, actor, client, document.uploaded_by_id,
                                               "progress", Action.DOC_READ, "document",
                                               document.id)
    else:
        access.authorize_client_profile(session, actor, client, Action.DOC_READ)
    trail.record(session, actor_id=actor.id, action=Action.DOC_READ, object_type="document",
                 object_id=document.id, client_id=client.id,
                 details={"clinical": document.clinical})
    if chart is not None:
        record_paths(session, actor, client.id, chart, Action.DOC_READ,
                     documents=[(document.id, document.uploaded_by_id)])
    return document
