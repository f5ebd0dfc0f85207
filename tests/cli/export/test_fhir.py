"""``export fhir``: a FHIR R4 Bundle the fhir.resources models validate, with every reference
inside it, stable ids, the export roles and scopes, and never a note's text."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.exchange_db import rows_of
from tests.fixtures.schedule_db import (
    ANA,
    BILLER,
    CUSTODIAN,
    IVY,
    LEE,
    MAYA,
    MON,
    OMAR,
    SAM,
    SCHEDULER,
    TUE,
    WED,
)


def bundle_of(cli: Any, tmp_path: Path, *args: str, actor: str | None = None) -> dict[str, Any]:
    from fhir.resources.R4B.bundle import Bundle

    target = tmp_path / "bundle.json"
    extra = {"actor": actor} if actor else {}
    result = cli("export", "fhir", *args, "--output", str(target), **extra)
    assert result.exit_code == 0, result.output
    assert os.stat(target).st_mode & 0o777 == 0o600
    text = target.read_text()
    Bundle.model_validate_json(text)  # every resource, by the library's R4B models
    data: dict[str, Any] = json.loads(text)
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    return data


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


def test_bundle_validates_and_every_reference_resolves(cli, exchange_practice, tmp_path):
    bundle = bundle_of(cli, tmp_path)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    refs = references([e["resource"] for e in bundle["entry"]])
    assert refs and set(refs) <= urls


def test_resource_counts_match_the_practice(cli, exchange_practice, tmp_path):
    bundle = bundle_of(cli, tmp_path)
    clients = rows_of(cli("export", "clients").stdout)
    shares = [r for r in rows_of(cli("export", "shares").stdout) if not r["ended_at"]]
    appointments = rows_of(cli("export", "appointments").stdout)
    staff = rows_of(cli("export", "staff").stdout)
    providers = [r for r in staff if "provider" in r["roles"]]
    assert len(resources(bundle, "Organization")) == 1
    assert len(resources(bundle, "Practitioner")) == len(providers)
    assert len(resources(bundle, "PractitionerRole")) == len(providers)
    assert {p["id"] for p in resources(bundle, "Patient")} == {
        f"patient-{c['id']}" for c in clients}
    assert len(resources(bundle, "CareTeam")) == len(clients)
    assert {c["id"] for c in resources(bundle, "Consent")} == {
        f"consent-{s['id']}" for s in shares}
    assert {a["id"] for a in resources(bundle, "Appointment")} == {
        f"appointment-{a['id']}" for a in appointments}
    zoe = next(p for p in resources(bundle, "Patient") if p.get("identifier"))
    assert zoe["identifier"][0]["value"] == "EXT-7"
    assert zoe["birthDate"] == "2001-02-03"
    assert {t["value"] for t in zoe["telecom"]} == {"+1 555 0100", "zoe@example.org"}
    cancelled = [a for a in resources(bundle, "Appointment") if a["status"] == "cancelled"]
    assert len(cancelled) == 1
    assert all(a["start"][19:] in ("-05:00", "-04:00")
               for a in resources(bundle, "Appointment"))


def test_consent_is_one_way_with_private_notes_as_a_provision(cli, exchange_practice,
                                                              tmp_path):
    staff = {r["email"]: r["id"] for r in rows_of(cli("export", "staff").stdout)}
    bundle = bundle_of(cli, tmp_path)
    from clinicctl.exchange.fhir_bundle import url_of

    (consent,) = resources(bundle, "Consent")
    assert consent["performer"] == [{"reference": url_of(f"practitioner-{staff[SAM]}")}]
    (actor,) = consent["provision"]["actor"]
    assert actor["reference"] == {"reference": url_of(f"practitioner-{staff[LEE]}")}
    share = rows_of(cli("export", "shares").stdout)[0]
    private = [p["code"][0]["text"] for p in consent["provision"].get("provision", [])]
    assert private == (["private notes"] if share["include_private_notes"] == "True" else [])


def test_ids_are_stable_across_exports(cli, exchange_practice, tmp_path):
    first = bundle_of(cli, tmp_path)
    second = bundle_of(cli, tmp_path)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert [e["resource"] for e in first["entry"]] == [e["resource"] for e in second["entry"]]
    assert any(e["resource"]["id"].startswith("patient-") for e in first["entry"])


def test_no_note_text_or_document_anywhere(cli, exchange_practice, tmp_path):
    text = json.dumps(bundle_of(cli, tmp_path))
    for secret in ("A's progress note", "A's private note", "Assessment", "F41.1", "F32.0",
                   "sick"):
        assert secret not in text


def test_from_to_days_are_inclusive(cli, exchange_practice, tmp_path):
    monday = bundle_of(cli, tmp_path, "--from", MON.isoformat(), "--to", MON.isoformat())
    starts = [a["start"] for a in resources(monday, "Appointment")]
    assert starts and all(s.startswith(MON.isoformat()) for s in starts)
    expected = rows_of(cli("export", "appointments", "--from", MON.isoformat(), "--to",
                           MON.isoformat()).stdout)
    assert len(starts) == len(expected)
    tuesday = bundle_of(cli, tmp_path, "--from", TUE.isoformat(), "--to", TUE.isoformat())
    assert all(a["start"].startswith(TUE.isoformat())
               for a in resources(tuesday, "Appointment"))
    bad = cli("export", "fhir", "--from", TUE.isoformat(), "--to", MON.isoformat())
    assert bad.exit_code == 2 and bad.stderr == f"Error: --to {MON} is before --from {TUE}\n"
    bad = cli("export", "fhir", "--from", "2026-13-01")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: ")


@pytest.mark.parametrize("actor", [SAM, SCHEDULER, BILLER])
def test_who_may_not_export_gets_exit_4_and_no_file(cli, exchange_practice, tmp_path, actor):
    target = tmp_path / "bundle.json"
    result = cli("export", "fhir", "--output", str(target), actor=actor)
    assert result.exit_code == 4, result.output
    assert result.stderr.startswith("Error: ") and not target.exists()


def test_custodian_scope_and_provider_filter(cli, exchange_practice, tmp_path):
    everyone = bundle_of(cli, tmp_path, actor=CUSTODIAN)
    assert len(resources(everyone, "Patient")) == len(rows_of(cli("export", "clients").stdout))
    scoped = bundle_of(cli, tmp_path, actor=IVY)
    lee = rows_of(cli("export", "clients", "--provider", LEE).stdout)
    assert {p["id"] for p in resources(scoped, "Patient")} == {f"patient-{c['id']}" for c in lee}
    refused = cli("export", "fhir", "--provider", ANA, actor=IVY)
    assert refused.exit_code == 4, refused.output
    ana = bundle_of(cli, tmp_path, "--provider", ANA)
    patients = resources(ana, "Patient")
    assert [p["identifier"][0]["value"] for p in patients] == ["EXT-7"]
    assert MAYA.split()[0] not in json.dumps(ana)
    missing = cli("export", "fhir", "--provider", "nobody@riverside.example")
    assert missing.exit_code == 3, missing.output


def test_stdout_by_default(cli, exchange_practice):
    result = cli("export", "fhir")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resourceType"] == "Bundle"
    assert json.loads(cli("export", "fhir", "--output", "-").stdout)["type"] == "collection"


def test_export_is_audited(cli, exchange_practice, tmp_path):
    bundle_of(cli, tmp_path, "--from", MON.isoformat())
    events = cli("audit", "list", "--action", "export.fhir", "-o", "json").json()
    assert events and events[-1]["details"]["kind"] == "fhir"
    assert events[-1]["details"]["rows"] > 0


def test_a_session_of_several_clients_has_a_patient_participant_per_client(
        cli, exchange_practice, tmp_path):
    ids = exchange_practice.ids
    booked = cli("-q", "appointment", "book", "--client", OMAR, "--client", "EXT-7",
                 "--provider", ANA, "--at", f"{TUE.isoformat()} 15:00",
                 "--outside-availability", "-o", "json")
    assert booked.exit_code == 0, booked.output
    [session] = booked.json()["appointments"]
    zoe = session["clients"][1]["client_id"]
    marked = cli("appointment", "attendance", str(session["id"]), "--client", "EXT-7",
                 "--set", "cancelled")
    assert marked.exit_code == 0, marked.output
    bundle = bundle_of(cli, tmp_path)
    [appointment] = [a for a in resources(bundle, "Appointment")
                     if a["id"] == f"appointment-{session['id']}"]
    from clinicctl.exchange.fhir_bundle import url_of

    assert [(p["actor"]["reference"], p["status"]) for p in appointment["participant"]] == [
        (url_of(f"patient-{ids['omar']}"), "accepted"),
        (url_of(f"patient-{zoe}"), "declined"),
        (url_of(f"practitioner-{ids['ana']}"), "accepted")]
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert set(references(appointment)) <= urls
    # A custodian sees the session through its client in scope, and only that client (Zoë
    # is Ana's alone).
    book_lee = cli("-q", "appointment", "book", "--client", OMAR, "--provider", LEE, "--at",
                   f"{WED.isoformat()} 15:00", "--outside-availability")
    assert book_lee.exit_code == 0, book_lee.output
    scoped = bundle_of(cli, tmp_path, actor=IVY)
    [seen] = [a for a in resources(scoped, "Appointment")
              if a["id"] == f"appointment-{session['id']}"]
    assert [p["actor"]["reference"] for p in seen["participant"]] == [
        url_of(f"patient-{ids['omar']}"), url_of(f"practitioner-{ids['ana']}")]
