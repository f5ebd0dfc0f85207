"""Clients (group level) and their assignments (a client in one provider's list)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from clinicctl import access, days, relations, trail
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidChoice, InvalidInput, NotFound
from clinicctl.models import ASSIGNMENT_STATUSES, Assignment, Client, Staff
from clinicctl.people.refs import (
    name_key,
    parse_date,
    resolve_client,
    resolve_provider,
    search_clause,
    search_key,
)

# ICD-10-CM shape: a letter, two characters, then an optional dot and up to four more.
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
DEFAULT_LIST_STATUSES = ("new", "active")
EDITABLE_FIELDS = ("first_name", "last_name", "preferred_name", "dob", "sex", "email",
                   "phone", "address", "external_id")


def validate_diagnosis(codes: list[str]) -> list[str]:
    cleaned: list[str] = []
    for code in codes:
        normal = code.strip().upper()
        if not _ICD10.match(normal):
            raise InvalidInput(
                f"invalid diagnosis code {code!r}: expected an ICD-10 code such as F41.1"
            )
        if normal not in cleaned:
            cleaned.append(normal)
    return cleaned


def validate_dob(value: str | dt.date, *, today: dt.date) -> dt.date:
    """A real date, not after the practice's ``today``, not before 1900."""
    dob = value if isinstance(value, dt.date) else parse_date(value, "date of birth")
    if dob > today:
        raise InvalidInput(f"date of birth {dob.isoformat()} is in the future")
    if dob.year < 1900:
        raise InvalidInput(f"date of birth {dob.isoformat()} is before 1900")
    return dob


def length_limits() -> dict[str, int]:
    """The longest text each client detail may hold, from the model."""
    lengths = {column.name: getattr(column.type, "length", None)
               for column in Client.__table__.columns}
    return {name: length for name, length in lengths.items() if length is not None}


def check_lengths(values: dict[str, Any]) -> None:
    """Refuse a detail longer than its column holds (PostgreSQL would refuse it at the end of
    the command; SQLite would keep it), naming the field."""
    limits = length_limits()
    for name, value in values.items():
        limit = limits.get(name)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise InvalidInput(f"{name.replace('_', ' ')} is longer than {limit} characters")


def clean_email(value: str | None) -> str | None:
    email = _clean_optional(value)
    if email is not None and "@" not in email:
        raise InvalidInput(f"invalid email {email!r}")
    return email


def clean_name(value: str, what: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise InvalidInput(f"{what} is empty")
    return value


def _clean_optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass
class AddResult:
    client: Client
    created: bool
    assignment: Assignment | None = None
    # Clients added before who share the new client's name and date of birth (``--new``).
    namesakes: list[int] = field(default_factory=list)


def add_client(
    session: Session,
    actor: Staff,
    *,
    first_name: str,
    last_name: str,
    dob: str | dt.date,
    sex: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    external_id: str | None = None,
    preferred_name: str | None = None,
    provider_ref: str | None = None,
    diagnosis: list[str] | None = None,
    new_person: bool = False,
) -> AddResult:
    """Add a client, optionally straight into a first provider's list (origin ``intake``).

    Adding the same person again (same name and date of birth, or the same external id, with
    the same details) is a no-op. ``new_person`` adds a different person who shares a name and
    date of birth with a client already there (an external id stays unique).
    """
    first_name = clean_name(first_name, "first name")
    last_name = clean_name(last_name, "last name")
    born = validate_dob(dob, today=days.practice_today(session))
    codes = validate_diagnosis(diagnosis or [])
    external_id = _clean_optional(external_id)
    if codes and not provider_ref and not _acts_as_provider_only(actor):
        raise InvalidInput("--diagnosis needs --provider: a diagnosis belongs to one provider")
    access.authorize_client_edit(session, actor, None, Action.CLIENT_ADD)
    provider = _first_provider(session, actor, provider_ref)

    key = name_key(first_name, last_name)
    existing = None
    if external_id:
        existing = session.scalar(select(Client).where(Client.external_id == external_id))
        if existing is not None and (existing.name_key != key or existing.dob != born):
            raise Conflict(f"external id {external_id!r} already belongs to client "
                           f"#{existing.id}, who has another name or date of birth")
    if existing is None and not new_person:
        existing = session.scalar(
            select(Client).where(Client.name_key == key, Client.dob == born).limit(1)
        )
        if existing is not None and external_id and existing.external_id != external_id:
            has = (f"external id {existing.external_id!r}" if existing.external_id
                   else "no external id")
            raise Conflict(
                f"client #{existing.id} has this name and date of birth, and {has}",
                hint=f"to record {external_id!r} for them: clinicctl client edit "
                f"'#{existing.id}' --external-id {external_id}; to add a different person: "
                "add --new")
    if existing is not None:
        if provider is not None and not relations.is_assigned(session, provider.id, existing.id):
            raise Conflict(
                f"client #{existing.id} already exists; use `client share` to add them to "
                f"{provider.name}'s list"
            )
        return AddResult(existing, created=False)

    check_lengths({"first_name": first_name, "last_name": last_name,
                   "preferred_name": preferred_name, "sex": sex, "email": email,
                   "phone": phone, "address": address, "external_id": external_id})
    client = Client(
        first_name=first_name,
        last_name=last_name,
        preferred_name=_clean_optional(preferred_name),
        name_key=key,
        search_key=search_key(first_name, last_name),
        dob=born,
        sex=_clean_optional(sex),
        email=clean_email(email),
        phone=_clean_optional(phone),
        address=_clean_optional(address),
        external_id=external_id,
    )
    session.add(client)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.CLIENT_ADD, object_type="client",
                 object_id=client.id, client_id=client.id)
    assignment = None
    if provider is not None:
        assignment = assign(session, actor, client, provider, origin="intake", diagnosis=codes)
    namesakes = list(session.scalars(select(Client.id).where(
        Client.name_key == key, Client.dob == born, Client.id != client.id).order_by(Client.id)))
    return AddResult(client, created=True, assignment=assignment, namesakes=namesakes)


def _acts_as_provider_only(actor: Staff) -> bool:
    return actor.has_role("provider") and not actor.has_role("owner", "manager", "scheduler")


def _first_provider(session: Session, actor: Staff, provider_ref: str | None) -> Staff | None:
    if _acts_as_provider_only(actor):
        # A provider adds clients to their own list; otherwise they could not see them.
        provider = resolve_provider(session, provider_ref) if provider_ref else actor
        if provider.id != actor.id:
            raise access._deny(actor, Action.CLIENT_ADD, "providers add clients to their own list",
                               object_type="client")
        return provider
    if provider_ref is None:
        return None
    provider = resolve_provider(session, provider_ref)
    if not provider.active:
        raise InvalidInput(f"{provider.name} is deactivated")
    return provider


def assign(
    session: Session,
    actor: Staff,
    client: Client,
    provider: Staff,
    *,
    origin: str,
    diagnosis: list[str] | None = None,
) -> Assignment:
    """Put a client in a provider's list. Callers have authorised the action."""
    assignment = Assignment(
        client_id=client.id,
        provider_id=provider.id,
        status="new",
        diagnosis=",".join(diagnosis or []),
        origin=origin,
        created_by_id=actor.id,
    )
    session.add(assignment)
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.ASSIGNMENT_CREATE,
                 object_type="assignment",
                 object_id=assignment.id, client_id=client.id,
                 details={"provider_id": provider.id, "origin": origin})
    return assignment


def get_assignment(session: Session, client_id: int, provider_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(
            Assignment.client_id == client_id, Assignment.provider_id == provider_id
        )
    )


def list_clients(
    session: Session,
    actor: Staff,
    *,
    provider_ref: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> list[Client]:
    """The client directory (name, id, date of birth), which every role may read."""
    return [entry.client for entry in directory(session, actor, provider_ref=provider_ref,
                                                status=status, search=search)]


@dataclass
class DirectoryEntry:
    client: Client
    status: str | None = None  # in the provider's list, when the listing is of one provider


def directory(
    session: Session,
    actor: Staff,
    *,
    provider_ref: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> list[DirectoryEntry]:
    """``list_clients`` with, for one provider's list, each client's status in it."""
    access.require_active(actor, Action.CLIENT_LIST, object_type="client")
    statuses: tuple[str, ...] | None
    if status is None:
        statuses = DEFAULT_LIST_STATUSES if provider_ref else None
    elif status == "all":
        statuses = None
    else:
        wanted = tuple(s.strip() for s in status.split(",") if s.strip())
        for s in wanted:
            if s not in ASSIGNMENT_STATUSES:
                raise InvalidChoice(
                    f"invalid status {s!r}; expected all or {', '.join(ASSIGNMENT_STATUSES)}",
                    value=s, choices=("all", *ASSIGNMENT_STATUSES),
                )
        statuses = wanted
    order = (Client.last_name, Client.first_name, Client.id)
    found = search_clause(search) if search else true()
    if provider_ref is None:
        query = select(Client).where(found).order_by(*order)
        if statuses is not None:  # in anyone's list with one of these statuses
            query = query.where(Client.id.in_(select(Assignment.client_id).where(
                Assignment.status.in_(statuses))))
        return [DirectoryEntry(client) for client in session.scalars(query)]
    provider = resolve_provider(session, provider_ref)
    listed = (select(Client, Assignment.status)
              .join(Assignment, Assignment.client_id == Client.id)
              .where(Assignment.provider_id == provider.id, found).order_by(*order))
    if statuses is not None:
        listed = listed.where(Assignment.status.in_(statuses))
    return [DirectoryEntry(client, in_list) for client, in_list in session.execute(listed)]


@dataclass
class ClientProfile:
    client: Client
    assignments: list[Assignment] = field(default_factory=list)


def client_profile(session: Session, actor: Staff, ref: str) -> ClientProfile:
    client = resolve_client(session, ref)
    access.authorize_client_profile(session, actor, client, Action.CLIENT_SHOW)
    return ClientProfile(client, assignments_of(session, client.id))


def assignments_of(session: Session, client_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.client_id == client_id).order_by(Assignment.id)
        )
    )


def edit_client(session: Session, actor: Staff, ref: str, changes: dict[str, Any]
                ) -> tuple[Client, list[str]]:
    """Change demographics; returns the client and the names of the fields that changed."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise InvalidInput("nothing to change: give at least one field option")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}")
    if "dob" in changes:
        changes["dob"] = validate_dob(changes["dob"], today=days.practice_today(session))
    for what in ("first_name", "last_name"):
        if what in changes:
            changes[what] = clean_name(changes[what], what.replace("_", " "))
    if "email" in changes:
        changes["email"] = clean_email(changes["email"])
    for what in ("preferred_name", "sex", "phone", "address", "external_id"):
        if what in changes:
            changes[what] = _clean_optional(changes[what])
    check_lengths(changes)
    client = resolve_client(session, ref)
    access.authorize_client_edit(session, actor, client, Action.CLIENT_EDIT)
    if changes.get("external_id"):
        other = session.scalar(
            select(Client.id).where(Client.external_id == changes["external_id"],
                                    Client.id != client.id)
        )
        if other is not None:
            raise Conflict(f"external id {changes['external_id']!r} belongs to client #{other}")
    changed = [k for k, v in changes.items() if getattr(client, k) != v]
    for k in changed:
        setattr(client, k, changes[k])
    if {"first_name", "last_name"} & set(changed):
        client.name_key = name_key(client.first_name, client.last_name)
        client.search_key = search_key(client.first_name, client.last_name)
    session.flush()
    if changed:
        trail.record(session, actor_id=actor.id, action=Action.CLIENT_EDIT, object_type="client",
                     object_id=client.id, client_id=client.id, details={"fields": changed})
    return client, changed


def _assignment_for(session: Session, client: Client, provider: Staff) -> Assignment:
    assignment = get_assignment(session, client.id, provider.id)
    if assignment is None:
        raise NotFound(f"client #{client.id} is not in {provider.name}'s list")
    return assignment


def set_status(session: Session, actor: Staff, ref: str, provider_ref: str, status: str
               ) -> tuple[Assignment, bool]:
    if status not in ASSIGNMENT_STATUSES:
        raise InvalidChoice(f"invalid status {status!r}; expected "
                            f"{', '.join(ASSIGNMENT_STATUSES)}",
                            value=status, choices=ASSIGNMENT_STATUSES)
    client = resolve_client(session, ref)
    provider = resolve_provider(session, provider_ref)
    assignment = _assignment_for(session, client, provider)
    access.authorize_assignment_edit(session, actor, assignment, Action.CLIENT_STATUS,
                                     clinical=False)
    if assignment.status == status:
        return assignment, False
    old = assignment.status
    assignment.status = status
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.CLIENT_STATUS, object_type="assignment",
                 object_id=assignment.id, client_id=client.id,
                 details={"provider_id": provider.id, "from": old, "to": status})
    return assignment, True


def set_diagnosis(session: Session, actor: Staff, ref: str, provider_ref: str, codes: list[str]
                  ) -> tuple[Assignment, bool]:
    cleaned = validate_diagnosis(codes)
    client = resolve_client(session, ref)
    provider = resolve_provider(session, provider_ref)
    assignment = _assignment_for(session, client, provider)
    access.authorize_assignment_edit(session, actor, assignment, Action.CLIENT_DIAGNOSIS,
                                     clinical=True)
    value = ",".join(cleaned)
    if assignment.diagnosis == value:
        return assignment, False
    assignment.diagnosis = value
    session.flush()
    trail.record(session, actor_id=actor.id, action=Action.CLIENT_DIAGNOSIS,
                 object_type="assignment",
                 object_id=assignment.id, client_id=client.id,
                 details={"provider_id": provider.id, "count": len(cleaned)})
    return assignment, True
