"""Restricted clients across commands (SPEC section 9): Maya Chen, restricted, is seen by her
care team (the owner, Sam Okafor whose client she is, Rae Quinn the custodian of every
provider) as before, and by nobody else: no listing, search, reference, export, group or
duplicate report has her, a reference to her is "not found" in the words of one to nobody,
and scheduling shows her slot as "restricted client". Sharing her, or booking her with a
new provider, adds that provider to the team and says so (``client restrict`` itself is in
``tests/cli/client/test_restrict.py``; the PostgreSQL policies in
``tests/test_row_security.py``).

The practice is built once; the tests that only read or are refused share it, the others
get a clone.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.bad_input import assert_error
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.schedule_db import (
    ANA,
    BILLER,
    CUSTODIAN,
    IVY,
    LEE,
    MANAGER,
    MAYA,
    MON,
    OMAR,
    SAM,
    SCHEDULER,
    TUE,
    Practice,
    alert,
    at,
    build_schedule,
    clone,
)

TEAM = [OWNER_EMAIL, SAM, CUSTODIAN]
# The manager, scheduler and biller lose her by role; Ana is a provider without her, Ivy a
# custodian of Lee Park only.
OUTSIDERS = [MANAGER, SCHEDULER, BILLER, ANA, IVY]
RESTRICTED = "restricted client"
GROUP = "Tuesday DBT"


def restricted_alert(client_id: int, provider: str) -> str:
    return (f"Alert: client #{client_id} is restricted: {provider} joins their care team and "
            "sees their profile and appointments.")


@pytest.fixture(scope="module")
def _restricted(backend) -> Practice:
    """The scheduling practice with Maya restricted, her appointment with Sam on MON 10:00
    (``a1``) and Sam's group "Tuesday DBT" of Maya and Omar (Omar is Kim's client, and now
    Sam's)."""
    from clinicctl.people import restriction
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import groups

    practice = build_schedule(backend)
    [practice.ids["a1"]] = practice.book(MAYA, SAM, at(MON, "10:00"))
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        groups.add_group(s, owner, GROUP, provider_ref=SAM, client_refs=[MAYA, OMAR])
        restriction.restrict(s, owner, MAYA)
    return practice


@pytest.fixture
def restricted(_restricted: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    """Shared by the tests that only read or are refused."""
    monkeypatch.setenv("CLINICCTL_DB", _restricted.url)
    return _restricted


@pytest.fixture
def restricted_copy(backend, _restricted: Practice, monkeypatch: pytest.MonkeyPatch
                    ) -> Practice:
    fresh = clone(backend, _restricted)
    monkeypatch.setenv("CLINICCTL_DB", fresh.url)
    return fresh


def json_of(cli, *args: str, actor: str) -> Any:
    result = cli(*args, "-o", "json", actor=actor)
    assert result.exit_code == 0, (actor, result.output)
    return result.json()


# --- the directory and references ------------------------------------------------------------

@pytest.mark.parametrize("viewer", TEAM + OUTSIDERS)
def test_the_directory_leaves_her_out_for_outsiders_only(cli, restricted, viewer):
    maya, omar = restricted.ids["maya"], restricted.ids["omar"]
    seen = viewer in TEAM

    def ids(*args: str) -> set[int]:
        return {row["id"] for row in json_of(cli, "client", "list", *args, actor=viewer)}

    assert (maya in ids()) is seen and omar in ids()
    assert ids("--search", "chen") == ({maya} if seen else set())
    assert ids("--provider", SAM, "--status", "all") == ({maya, omar} if seen else {omar})


@pytest.mark.parametrize("viewer", OUTSIDERS)
def test_a_reference_to_her_is_not_found_as_one_to_nobody(cli, restricted, viewer):
    """By name, by #ID, or close to her name (no suggestion names her): the same words as
    for a client who does not exist, in every command that takes a client."""
    maya = restricted.ids["maya"]
    for command in (("client", "show"), ("doc", "list"), ("note", "list"),
                    ("client", "access"), ("client", "sharing")):
        assert_error(cli(*command, MAYA, actor=viewer), 3, "no client matches 'Maya Chen'")
        assert_error(cli(*command, "Mayaa Chen", actor=viewer), 3,
                     "no client matches 'Mayaa Chen'")
        assert_error(cli(*command, f"#{maya}", actor=viewer), 3, f"no client with id {maya}")
    listed = cli("appointment", "list", "--client", MAYA, actor=viewer)
    assert_error(listed, 3, "no client matches 'Maya Chen'")


def test_her_care_team_finds_her_by_a_close_name(cli, restricted):
    for viewer in TEAM:
        assert_error(cli("client", "show", "Mayaa Chen", actor=viewer), 3,
                     "no client matches 'Mayaa Chen' (did you mean: Maya Chen?)")
        shown = json_of(cli, "client", "show", MAYA, actor=viewer)
        assert (shown["id"], shown["restricted"]) == (restricted.ids["maya"], True)


def test_her_documents_are_read_by_her_care_team_only(cli, restricted):
    document = str(restricted.ids["plain_doc"])
    for viewer in OUTSIDERS:
        refused = cli("doc", "get", document, "--output", "-", actor=viewer)
        assert_error(refused, 4, "doc.read: no access to this document")
    for viewer in TEAM:
        got = cli("doc", "get", document, "--output", "-", actor=viewer)
        assert got.exit_code == 0, (viewer, got.output)
        assert got.stdout == "consent"


def test_client_access_says_who_the_restriction_leaves_out(cli, restricted):
    rows = {row["staff"]: row for row in json_of(cli, "client", "access", MAYA,
                                                 actor=OWNER_EMAIL)}
    for name in ("Morgan Blake", "Jo Diaz", "Bo Grant", "Ana Ruiz", "Ivy Stone"):
        assert (rows[name]["profile"], rows[name]["profile_reason"]) == (
            False, "restricted client: not in their care team"), name
    assert (rows["Dana Reyes"]["profile"], rows["Dana Reyes"]["profile_reason"]) == (
        True, "role owner")
    assert (rows["Rae Quinn"]["profile"], rows["Rae Quinn"]["profile_reason"]) == (
        True, "records custodian in scope")
    assert rows["Sam Okafor"]["profile"] is True


# --- scheduling ------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", [SCHEDULER, MANAGER, BILLER])
def test_scheduling_shows_her_slot_without_her_name(cli, restricted, viewer):
    a1, maya = restricted.ids["a1"], restricted.ids["maya"]
    listed = cli("appointment", "list", "--provider", SAM, "-o", "json", actor=viewer)
    assert listed.exit_code == 0, listed.output
    [row] = [r for r in listed.json() if r["id"] == a1]
    assert (row["client_id"], row["client"], row["clients"]) == (
        maya, RESTRICTED, [{"client_id": maya, "attendance": None}])
    assert "Chen" not in listed.stdout and "Maya" not in listed.stdout
    table = cli("appointment", "list", "--provider", SAM, actor=viewer)
    assert table.exit_code == 0, table.output
    assert RESTRICTED in table.stdout and "Chen" not in table.stdout
    shown = json_of(cli, "appointment", "show", str(a1), actor=viewer)
    assert (shown["client_id"], shown["client"]) == (maya, RESTRICTED)


def test_her_care_team_sees_her_name_in_scheduling(cli, restricted):
    for viewer in (OWNER_EMAIL, SAM, CUSTODIAN):
        shown = json_of(cli, "appointment", "show", str(restricted.ids["a1"]), actor=viewer)
        assert shown["client"] == MAYA, viewer


def test_providers_outside_her_team_see_nothing_of_her_slot(cli, restricted):
    for viewer in (ANA, IVY):
        listed = json_of(cli, "appointment", "list", actor=viewer)
        assert restricted.ids["a1"] not in {row["id"] for row in listed}, viewer


def test_a_scheduler_moves_and_cancels_her_slot_by_its_id(cli, restricted_copy):
    a1, maya = str(restricted_copy.ids["a1"]), restricted_copy.ids["maya"]
    moved = cli("appointment", "reschedule", a1, "--at", at(TUE, "11:00"), "-o", "json",
                actor=SCHEDULER)
    assert moved.exit_code == 0, moved.output
    assert (moved.json()["client"], moved.json()["client_id"]) == (RESTRICTED, maya)
    assert moved.stderr.startswith(f"Appointment #{a1} is now {TUE.isoformat()} 11:00 with "
                                   "Sam Okafor.")
    # Another provider would join her care team: only the team decides that.
    away = cli("appointment", "reschedule", a1, "--at", at(MON, "09:30"), "--provider", LEE,
               actor=SCHEDULER)
    assert_error(away, 4, f"appointment.reschedule: client #{maya} is restricted: only their "
                 "care team moves their sessions to another provider")
    cancelled = json_of(cli, "appointment", "cancel", a1, actor=SCHEDULER)
    assert [(r["status"], r["client"]) for r in cancelled] == [("cancelled", RESTRICTED)]


def test_a_new_booking_for_her_needs_her_in_view(cli, restricted_copy):
    maya = restricted_copy.ids["maya"]
    booked = cli("appointment", "book", "--client", f"#{maya}", "--provider", SAM, "--at",
                 at(TUE, "10:00"), actor=SCHEDULER)
    assert_error(booked, 3, f"no client with id {maya}")
    group = cli("appointment", "book", "--group", GROUP, "--at", at(TUE, "10:00"),
                actor=SCHEDULER)
    assert_error(group, 4, f"appointment.book: client group {GROUP!r} has restricted members "
                 "outside your care team; their provider, the owner or a records custodian "
                 "in scope books its sessions")
    found = cli("availability", "find", "--group", GROUP, actor=SCHEDULER)
    assert found.exit_code == 4, found.output
    by_sam = cli("appointment", "book", "--group", GROUP, "--at", at(TUE, "10:00"), "-o",
                 "json", actor=SAM)
    assert by_sam.exit_code == 0, by_sam.output
    assert [c["client_id"] for c in by_sam.json()["appointments"][0]["clients"]] == [
        maya, restricted_copy.ids["omar"]]


def test_booking_her_with_a_new_provider_says_they_join_her_team(cli, restricted_copy):
    maya = restricted_copy.ids["maya"]
    booked = cli("--quiet", "appointment", "book", "--client", MAYA, "--provider", LEE,
                 "--at", at(MON + dt.timedelta(days=7), "09:30"), actor=SAM)
    assert booked.exit_code == 0, booked.output
    assert booked.stderr == (f"{alert(maya, 'Lee Park')}\n"
                             f"{restricted_alert(maya, 'Lee Park')}\n")
    shown = json_of(cli, "client", "show", MAYA, actor=LEE)
    assert shown["id"] == maya


# --- groups, duplicates, exports -------------------------------------------------------------

def test_a_group_shows_outsiders_only_the_members_they_may_see(cli, restricted):
    maya, omar = restricted.ids["maya"], restricted.ids["omar"]
    for viewer, members in ((SCHEDULER, [omar]), (MANAGER, [omar]), (BILLER, [omar]),
                            (OWNER_EMAIL, [maya, omar]), (SAM, [maya, omar])):
        shown = json_of(cli, "group", "show", GROUP, actor=viewer)
        assert [m["client_id"] for m in shown["members"]] == members, viewer
        [listed] = json_of(cli, "group", "list", actor=viewer)
        assert listed["member_count"] == len(members), viewer
    table = cli("group", "show", GROUP, actor=SCHEDULER)
    assert table.exit_code == 0, table.output
    assert "Chen" not in table.stdout


def test_duplicates_pair_her_only_for_her_team(cli, restricted_copy):
    maya = restricted_copy.ids["maya"]
    added = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--new", "-o", "json")
    assert added.exit_code == 0, added.output
    other = added.json()["id"]
    pairs = json_of(cli, "client", "duplicates", actor=OWNER_EMAIL)
    assert [(p["client_id"], p["other_id"]) for p in pairs] == [(maya, other)]
    assert json_of(cli, "client", "duplicates", actor=MANAGER) == []
    # And the namesake the manager does see is the one a reference finds.
    assert json_of(cli, "client", "show", MAYA, actor=MANAGER)["id"] == other


def test_a_merge_keeps_the_restriction_of_either_record(cli, restricted_copy):
    maya = restricted_copy.ids["maya"]
    added = cli("client", "add", "Maya", "Chen", "--dob", "1990-04-12", "--new", "-o", "json")
    other = added.json()["id"]
    merged = cli("client", "merge", f"#{other}", f"#{maya}", "-o", "json")
    assert merged.exit_code == 0, merged.output
    assert (f"Client #{other} is restricted now, as #{maya} was: only their care team sees "
            "them.") in merged.json()["alerts"]
    assert json_of(cli, "client", "show", f"#{other}", actor=OWNER_EMAIL)["restricted"] is True
    assert_error(cli("client", "show", f"#{other}", actor=MANAGER), 3,
                 f"no client with id {other}")
    # The merged id says where the client went only to those who may see them.
    assert_error(cli("client", "show", f"#{maya}", actor=MANAGER), 3,
                 f"no client with id {maya}")


def exported(cli, kind: str, actor: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json_of(cli, "export", kind, actor=actor)
    return rows


@pytest.mark.parametrize("viewer", [OWNER_EMAIL, CUSTODIAN, MANAGER])
def test_exports_leave_her_out_for_outsiders(cli, restricted, viewer, tmp_path):
    maya, a1 = restricted.ids["maya"], restricted.ids["a1"]
    seen = viewer in TEAM
    assert (maya in {r["id"] for r in exported(cli, "clients", viewer)}) is seen
    assert (maya in {r["client_id"] for r in exported(cli, "assignments", viewer)}) is seen
    assert (a1 in {r["id"] for r in exported(cli, "appointments", viewer)}) is seen
    target = tmp_path / "bundle.json"
    done = cli("export", "fhir", "--output", str(target), actor=viewer)
    assert done.exit_code == 0, done.output
    bundle = json.loads(target.read_text())
    resources = {entry["resource"]["id"] for entry in bundle["entry"]}
    assert (f"patient-{maya}" in resources) is seen
    assert (f"appointment-{a1}" in resources) is seen
    assert ("Chen" in target.read_text()) is seen


def test_appointment_exports_of_schedulers_and_billers_leave_her_out(cli, restricted):
    for viewer in (SCHEDULER, BILLER):
        rows = exported(cli, "appointments", viewer)
        assert restricted.ids["a1"] not in {r["id"] for r in rows}, viewer


def test_a_calendar_keeps_her_slot_for_everyone(cli, restricted, tmp_path):
    """The calendar names no client anyway: her session is a busy slot in Sam's calendar,
    whoever exports it."""
    import icalendar

    for viewer in (OWNER_EMAIL, SCHEDULER, BILLER):
        target = tmp_path / "sam.ics"
        done = cli("export", "calendar", "--provider", SAM, "--output", str(target),
                   actor=viewer)
        assert done.exit_code == 0, done.output
        uids = [str(e["UID"]) for e in
                icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT")]
        assert [u for u in uids if u.startswith(f"appointment-{restricted.ids['a1']}@")], viewer
        assert "Chen" not in target.read_text()


def test_chart_share_exports_leave_her_out_for_outsiders(cli, restricted_copy):
    shared = cli("client", "share", MAYA, "--from", SAM, "--to", ANA, "--chart")
    assert shared.exit_code == 0, shared.output
    maya = restricted_copy.ids["maya"]
    assert maya in {r["client_id"] for r in exported(cli, "shares", OWNER_EMAIL)}
    assert maya not in {r["client_id"] for r in exported(cli, "shares", MANAGER)}


# --- sharing adds to the team ----------------------------------------------------------------

def test_sharing_her_adds_the_recipient_to_her_team_and_says_so(cli, restricted_copy):
    maya = restricted_copy.ids["maya"]
    assert_error(cli("client", "show", MAYA, actor=ANA), 3, "no client matches 'Maya Chen'")
    shared = cli("--quiet", "client", "share", MAYA, "--from", SAM, "--to", ANA, "-o", "json")
    assert shared.exit_code == 0, shared.output
    assert shared.json()["restricted"] is True
    assert shared.json()["assignment"] == "created"
    assert shared.stderr == restricted_alert(maya, "Ana Ruiz") + "\n"
    assert json_of(cli, "client", "show", MAYA, actor=ANA)["id"] == maya
    listed = json_of(cli, "appointment", "show", str(restricted_copy.ids["a1"]), actor=ANA)
    assert listed["client"] == MAYA
    # Already in the team: nothing to say.
    again = cli("client", "share", MAYA, "--from", SAM, "--to", ANA)
    assert again.exit_code == 0, again.output
    assert again.stderr == "Already shared with Ana Ruiz; nothing changed.\n"


def test_a_batch_share_says_it_of_each_restricted_client(cli, restricted_copy, tmp_path):
    maya = restricted_copy.ids["maya"]
    path: Path = tmp_path / "shares.csv"
    path.write_text(f"client,from,to\n#{maya},{SAM},{ANA}\n{OMAR},{SAM},{ANA}\n")
    shared = cli("--quiet", "client", "share", "--csv", str(path), "-o", "json")
    assert shared.exit_code == 0, shared.output
    assert [r.get("restricted", False) for r in shared.json()] == [True, False]
    assert shared.stderr == f"row 2: {restricted_alert(maya, 'Ana Ruiz')}\n"


def test_a_handover_outside_her_team_leaves_her_and_her_sessions_with_her_provider(
        cli, restricted_copy):
    """The manager hands over what they see of Sam's caseload: Omar, not Maya; a session
    Maya is in does not move to a provider outside her team."""
    maya, omar = restricted_copy.ids["maya"], restricted_copy.ids["omar"]
    booked = cli("appointment", "book", "--group", GROUP, "--at", at(TUE, "10:00"), actor=SAM)
    assert booked.exit_code == 0, booked.output
    moving = cli("staff", "reassign", SAM, "--to", ANA, "--appointments", "future",
                 actor=MANAGER)
    assert moving.exit_code == 4, moving.output
    assert moving.stderr == (f"Error: appointment.reassign: client #{maya} is restricted: "
                             "only their care team moves their sessions to another "
                             "provider\n")
    handed = cli("staff", "reassign", SAM, "--to", ANA, "-o", "json", "--quiet", actor=MANAGER)
    assert handed.exit_code == 0, handed.output
    assert [row["client_id"] for row in handed.json()] == [omar]
    # Nothing silent, nothing more: how many stay, not who.
    assert handed.stderr.splitlines()[0] == (
        "1 client of Sam Okafor outside your care team (restricted) stays with them: their "
        "care team (the owner or a records custodian in scope) hands it over.")
    providers = json_of(cli, "client", "show", MAYA, actor=OWNER_EMAIL)["providers"]
    assert [p["provider"] for p in providers] == ["Sam Okafor"]


def test_a_group_session_she_is_first_in_stays_in_outsiders_exports(cli, restricted_copy):
    """Her one-client session leaves an outsider's export; a group session she is the first
    client of stays, for its other members (its one-client columns are empty anyway)."""
    booked = cli("appointment", "book", "--group", GROUP, "--at", at(TUE, "10:00"), "-o",
                 "json", actor=SAM)
    assert booked.exit_code == 0, booked.output
    session = booked.json()["appointments"][0]["id"]
    for viewer in (SCHEDULER, BILLER):
        rows = {r["id"]: r for r in exported(cli, "appointments", viewer)}
        assert restricted_copy.ids["a1"] not in rows, viewer
        assert session in rows, viewer
        assert rows[session]["client_id"] in ("", None), viewer


def test_a_provider_with_only_a_hidden_client_keeps_the_provider_role(cli, restricted_copy):
    """The guard counts every client of the provider, one hidden from the actor too."""
    maya, tess = restricted_copy.ids["maya"], "tess@riverside.example"
    added = cli("staff", "add", "Tess Ward", "--email", tess, "--role", "provider")
    assert added.exit_code == 0, added.output
    shared = cli("client", "share", f"#{maya}", "--from", SAM, "--to", tess)
    assert shared.exit_code == 0, shared.output
    refused = cli("staff", "roles", tess, "--remove", "provider", "--add", "scheduler",
                  actor=MANAGER)
    assert refused.exit_code == 5, refused.output
    assert "still has clients" in refused.stderr
