"""``export fhir``: the practice as a FHIR R4 ``Bundle`` of type ``collection``.

It holds the practice (Organization), each provider (Practitioner and PractitionerRole),
each client (Patient: name, birth date, telecom and the external id; nothing clinical), each
client's providers (CareTeam), each active chart share (Consent) and the appointments that
start in the --from/--to days (Appointment). Never chart-note bodies, notes or documents:
no query here reads those tables. Resource ids come from clinicctl's ids (``patient-12``)
and each ``fullUrl`` is a ``urn:uuid:`` derived from that id, so a later export names the
same resources the same way; every reference points at an entry of the same bundle.

The bundle is validated with the ``fhir.resources`` R4B models before it is returned; the
library is imported here only, so no other command loads it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.days import day_window, practice_zone
from clinicctl.errors import InvalidInput
from clinicctl.models import (
    Appointment,
    Assignment,
    ChartShare,
    Client,
    Practice,
    ServiceCode,
    Staff,
    StaffRole,
)
from clinicctl.people.refs import parse_date, resolve_provider
from clinicctl.scheduling.places import places_of

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:clinicctl:fhir")
EXTERNAL_ID_SYSTEM = "urn:clinicctl:client-external-id"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
APPOINTMENT_STATUS = {"scheduled": "booked", "completed": "fulfilled",
                      "cancelled": "cancelled", "late-cancelled": "cancelled",
                      "no-show": "noshow"}
# A client's attendance as their participation status (FHIR participationstatus).
PARTICIPANT_STATUS = {"cancelled": "declined", "late-cancelled": "declined"}
ACTIVE_ASSIGNMENTS = ("new", "active")


@dataclass
class FhirExport:
    json: str
    counts: dict[str, int]


def url_of(resource_id: str) -> str:
    """The bundle's fullUrl (and every reference) for one resource id."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, resource_id)}"


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": url_of(resource_id)}


def _instant(value: dt.datetime, zone: dt.tzinfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def export_fhir(session: Session, actor: Staff, *, provider_ref: str | None = None,
                first_day: str | None = None, last_day: str | None = None) -> FhirExport:
    """The bundle as JSON text, validated; the export is audited with its resource counts."""
    first = parse_date(first_day, "--from date") if first_day else None
    last = parse_date(last_day, "--to date") if last_day else None
    if first and last and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    zone = practice_zone(session)
    start, end = day_window(first, last, zone)
    scope = access.authorize_export(session, actor, "fhir")
    provider = None
    if provider_ref:
        provider = resolve_provider(session, provider_ref)
        scope = access.authorize_export(session, actor, "fhir", provider=provider)
    wanted = scope if provider is None else {provider.id}

    assignments = session.execute(
        select(Assignment.client_id, Assignment.provider_id, Assignment.status,
               Assignment.created_at).order_by(Assignment.id)).all()
    if wanted is not None:
        assignments = [a for a in assignments if a.provider_id in wanted]
    if scope is not None:
        assignments = [a for a in assignments if a.provider_id in scope]
    client_ids = {a.client_id for a in assignments} if wanted is not None else None
    clients = session.scalars(select(Client).order_by(Client.id)).all()
    if client_ids is not None:
        clients = [c for c in clients if c.id in client_ids]
    shown = {c.id for c in clients}

    shares = [s for s in session.scalars(
        select(ChartShare).where(ChartShare.ended_at.is_(None)).order_by(ChartShare.id))
        if s.client_id in shown
        and (scope is None or s.from_provider_id in scope)
        and (provider is None or provider.id in (s.from_provider_id, s.to_provider_id))]
    query = select(Appointment).order_by(Appointment.start_at, Appointment.id)
    if start is not None:
        query = query.where(Appointment.start_at >= start.astimezone(dt.UTC))
    if end is not None:
        query = query.where(Appointment.start_at < end.astimezone(dt.UTC))
    if provider is not None:
        query = query.where(Appointment.provider_id == provider.id)
    # A session is in when any of its clients is; its participants are the clients shown.
    found = list(session.scalars(query))
    places = places_of(session, [a.id for a in found])
    attendees = {a.id: [(c, attendance) for c, attendance in places.get(a.id, [])
                        if c in shown] for a in found}
    appointments = [a for a in found if attendees[a.id]]

    provider_ids = set(session.scalars(
        select(StaffRole.staff_id).where(StaffRole.role == "provider")))
    if wanted is not None:
        provider_ids &= wanted
    provider_ids |= {a.provider_id for a in assignments}
    provider_ids |= {s.from_provider_id for s in shares} | {s.to_provider_id for s in shares}
    provider_ids |= {a.provider_id for a in appointments}
    staff = session.scalars(select(Staff).where(Staff.id.in_(provider_ids))
                            .order_by(Staff.id)).all()
    services = {s.code: s.name for s in session.scalars(select(ServiceCode))}
    practice = session.scalars(select(Practice).order_by(Practice.id).limit(1)).first()

    resources: list[dict[str, Any]] = [_organization(practice)]
    for person in staff:
        resources += _practitioner(person)
    resources += [_patient(c) for c in clients]
    teams: dict[int, list[Any]] = {}
    for row in assignments:
        teams.setdefault(row.client_id, []).append(row)
    resources += [_care_team(cid, rows, zone) for cid, rows in sorted(teams.items())]
    resources += [_consent(s, zone) for s in shares]
    resources += [_appointment(a, attendees[a.id], services, zone) for a in appointments]

    text = _validated({
        "resourceType": "Bundle", "type": "collection",
        "timestamp": _instant(dt.datetime.now(dt.UTC), zone),
        "entry": [{"fullUrl": url_of(r["id"]), "resource": r} for r in resources]})
    counts: dict[str, int] = {}
    for r in resources:
        counts[r["resourceType"]] = counts.get(r["resourceType"], 0) + 1
    filters: dict[str, Any] = {k: v for k, v in
                               (("from", first_day), ("to", last_day)) if v is not None}
    if provider is not None:
        filters["provider"] = provider.id
    trail.record(session, actor_id=actor.id, action=Action.EXPORT_FHIR, object_type="export",
                 details={"kind": "fhir", "rows": len(resources), **filters})
    return FhirExport(text, counts)


def _validated(bundle: dict[str, Any]) -> str:
    from fhir.resources.R4B.bundle import Bundle

    return str(Bundle.model_validate(bundle).model_dump_json(indent=2)) + "\n"


def _organization(practice: Practice | None) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": "organization",
            "active": True, "name": practice.name if practice else "Practice"}


def _practitioner(person: Staff) -> list[dict[str, Any]]:
    key = f"practitioner-{person.id}"
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner", "id": key, "active": person.active,
        "name": [{"text": person.name}],
        "telecom": [{"system": "email", "value": person.email, "use": "work"}]}
    if person.credentials:
        practitioner["qualification"] = [{"code": {"text": person.credentials}}]
    role = {"resourceType": "PractitionerRole", "id": f"practitionerrole-{person.id}",
            "active": person.active, "practitioner": _ref(key),
            "organization": _ref("organization"), "code": [{"text": "provider"}]}
    return [practitioner, role]


def _patient(client: Client) -> dict[str, Any]:
    names: list[dict[str, Any]] = [{"use": "official", "family": client.last_name,
                                    "given": [client.first_name]}]
    if client.preferred_name:
        names.append({"use": "usual", "family": client.last_name,
                      "given": [client.preferred_name]})
    patient: dict[str, Any] = {"resourceType": "Patient", "id": f"patient-{client.id}",
                               "name": names, "birthDate": client.dob.isoformat(),
                               "managingOrganization": _ref("organization")}
    telecom = [{"system": system, "value": value} for system, value in
               (("phone", client.phone), ("email", client.email)) if value]
    if telecom:
        patient["telecom"] = telecom
    if client.external_id:
        patient["identifier"] = [{"system": EXTERNAL_ID_SYSTEM, "value": client.external_id}]
    return patient


def _care_team(client_id: int, rows: list[Any], zone: dt.tzinfo) -> dict[str, Any]:
    statuses = {row.status for row in rows}
    status = ("active" if "active" in statuses else "proposed" if "new" in statuses
              else "inactive")
    return {"resourceType": "CareTeam", "id": f"careteam-{client_id}", "status": status,
            "subject": _ref(f"patient-{client_id}"),
            "managingOrganization": [_ref("organization")],
            "participant": [{"member": _ref(f"practitioner-{row.provider_id}"),
                             "role": [{"text": row.status}],
                             "period": {"start": _instant(row.created_at, zone)}}
                            for row in rows]}


def _consent(share: ChartShare, zone: dt.tzinfo) -> dict[str, Any]:
    provision: dict[str, Any] = {
        "type": "permit", "period": {"start": _instant(share.started_at, zone)},
        "actor": [{"role": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
            "code": "IRCP", "display": "information recipient"}]},
            "reference": _ref(f"practitioner-{share.to_provider_id}")}],
        "action": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction",
                                "code": "access"}]}]}
    if share.include_private_notes:
        provision["provision"] = [{"type": "permit", "code": [{"text": "private notes"}]}]
    return {"resourceType": "Consent", "id": f"consent-{share.id}", "status": "active",
            "scope": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": _ref(f"patient-{share.client_id}"),
            "dateTime": _instant(share.started_at, zone),
            "performer": [_ref(f"practitioner-{share.from_provider_id}")],
            "organization": [_ref("organization")],
            "policyRule": {"text": "chart share"},
            "provision": provision}


def _appointment(appointment: Appointment, attendees: list[tuple[int, str | None]],
                 services: dict[str, str], zone: dt.tzinfo) -> dict[str, Any]:
    """One Patient participant per client (the first client first), ``declined`` for a
    client marked cancelled or late-cancelled, else ``accepted``."""
    service = {"system": CPT_SYSTEM, "code": appointment.service_code}
    if services.get(appointment.service_code):
        service["display"] = services[appointment.service_code]
    return {"resourceType": "Appointment", "id": f"appointment-{appointment.id}",
            "status": APPOINTMENT_STATUS[appointment.status],
            "serviceType": [{"coding": [service]}],
            "start": _instant(appointment.start_at, zone),
            "end": _instant(appointment.end_at, zone),
            "participant": [
                *({"actor": _ref(f"patient-{client_id}"),
                   "status": PARTICIPANT_STATUS.get(attendance or "", "accepted")}
                  for client_id, attendance in attendees),
                {"actor": _ref(f"practitioner-{appointment.provider_id}"),
                 "status": "accepted"}]}
