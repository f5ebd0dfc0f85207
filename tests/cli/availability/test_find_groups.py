"""``availability find`` for several clients: --client repeated or --group offers only the
times when the therapist and every client are free (a client's time is read from their
places, so a session they share with others counts), and --book / --book-first books one
session for all of them, with each new-to-provider client's alert."""

from __future__ import annotations

from tests.fixtures.bad_input import assert_error, assert_usage_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, LEE, MAYA, MON, OMAR, SAM, alert, at, iso

GROUP = ("availability", "find", "--group", "Tuesday DBT", "--from", str(MON), "--days", "1")


def make_group(cli, *clients: str, name: str = "Tuesday DBT") -> None:
    members = [arg for client in clients for arg in ("--client", client)]
    made = cli("-q", "group", "add", name, "--provider", ANA, *members)
    assert made.exit_code == 0, made.output


def starts(result) -> list[tuple[str, str]]:
    assert result.exit_code == 0, result.output
    return [(slot["start"], slot["end"]) for slot in result.json()]


def test_a_slot_where_one_member_is_busy_is_not_offered(cli, practice):
    make_group(cli, MAYA, OMAR)
    # Omar with Sam, MON 10:30-11:20: Ana's 90-minute group slot at 10:00 clashes with it.
    practice.book(OMAR, SAM, at(MON, "10:30"))
    # The group's provider (Ana, Mondays 09:00-12:00) and the group's service (90853, 90
    # minutes): 09:00-10:30 and 10:00-11:30 fit the block, and only Omar is busy at 10:00.
    assert starts(cli(*GROUP, "-o", "json")) == [(iso(MON, "09:00"), iso(MON, "10:30"))]
    # Maya alone is free for both.
    assert starts(cli("availability", "find", "--client", MAYA, "--therapist", ANA,
                      "--duration", "90", "--from", str(MON), "--days", "1", "-o", "json")) == [
        (iso(MON, "09:00"), iso(MON, "10:30")), (iso(MON, "10:00"), iso(MON, "11:30"))]
    # --client repeated is the same search.
    assert starts(cli("availability", "find", "--client", MAYA, "--client", OMAR,
                      "--therapist", ANA, "--duration", "90", "--from", str(MON), "--days",
                      "1", "-o", "json")) == [(iso(MON, "09:00"), iso(MON, "10:30"))]


def test_a_client_busy_in_a_session_shared_with_others_is_not_offered(cli, practice):
    # Omar is the second client of a couple session with Sam, MON 09:00-09:50.
    booked = cli("-q", "appointment", "book", "--client", MAYA, "--client", OMAR,
                 "--provider", SAM, "--at", at(MON, "09:00"), "-o", "json")
    assert booked.exit_code == 0, booked.output
    appointment_id = str(booked.json()["appointments"][0]["id"])
    found = cli("availability", "find", "--client", OMAR, "--therapist", ANA, "--from",
                str(MON), "--days", "1", "-o", "json")
    assert starts(found) == [(iso(MON, "10:00"), iso(MON, "10:50")),
                             (iso(MON, "11:00"), iso(MON, "11:50"))]
    # A cancelled place holds no time.
    marked = cli("-q", "appointment", "attendance", appointment_id, "--client", OMAR,
                 "--set", "cancelled")
    assert marked.exit_code == 0, marked.output
    assert starts(cli("availability", "find", "--client", OMAR, "--therapist", ANA, "--from",
                      str(MON), "--days", "1", "--limit", "1", "-o", "json")) == [
        (iso(MON, "09:00"), iso(MON, "09:50"))]


def test_the_group_is_booked_with_all_its_members(cli, practice):
    ids = practice.ids
    make_group(cli, MAYA, OMAR)
    practice.book(OMAR, SAM, at(MON, "10:30"))
    booked = cli("-q", *GROUP, "--book-first", "-o", "json")
    assert booked.exit_code == 0, booked.output
    [appointment] = booked.json()["appointments"]
    assert (appointment["provider"], appointment["service"]) == ("Ana Ruiz", "90853")
    assert (appointment["start"], appointment["end"]) == (iso(MON, "09:00"), iso(MON, "10:30"))
    assert appointment["clients"] == [{"client_id": ids["maya"], "attendance": None},
                                      {"client_id": ids["omar"], "attendance": None}]
    # The members joined Ana's list when the group was made: nothing more to say now.
    assert booked.stderr == ""
    with practice.session(write=False) as s:
        from clinicctl.models import Appointment, ClientGroup

        group = s.get(Appointment, appointment["id"]).group_id
        assert group is not None and s.get(ClientGroup, group).name == "Tuesday DBT"
    # The slot is taken now: the group's next search offers nothing that day.
    assert starts(cli(*GROUP, "-o", "json")) == []
    empty = cli(*GROUP)
    assert empty.exit_code == 0, empty.output
    assert f"No open slots with Ana Ruiz when all 2 clients are free from {MON}" in (
        empty.stdout + empty.stderr)


def test_several_clients_are_booked_together_each_new_one_alerted(cli, practice):
    ids = practice.ids
    # Lee (Mondays 09:30-11:30, Telehealth) is new to both.
    booked = cli("-q", "availability", "find", "--client", MAYA, "--client", OMAR,
                 "--therapist", LEE, "--from", str(MON), "--book", "2", "-o", "json")
    assert booked.exit_code == 0, booked.output
    [appointment] = booked.json()["appointments"]
    assert appointment["start"] == iso(MON, "10:30")
    assert [c["client_id"] for c in appointment["clients"]] == [ids["maya"], ids["omar"]]
    assert booked.stderr == (f"{alert(ids['maya'], 'Lee Park')}\n"
                             f"{alert(ids['omar'], 'Lee Park')}\n")
    assert practice.assignment(ids["omar"], ids["lee"]) == ("new", "appointment")


def test_a_dry_run_books_nothing(cli, practice):
    make_group(cli, MAYA, OMAR)
    before = snapshot(practice.url)
    tried = cli(*GROUP, "--book-first", "--dry-run", "-o", "json")
    assert tried.exit_code == 0, tried.output
    assert tried.json()["appointments"][0]["id"] is None
    assert snapshot(practice.url) == before


# --- bad input --------------------------------------------------------------------------------

def test_an_unknown_group_is_not_found(cli, practice):
    before = snapshot(practice.url)
    assert_error(cli(*GROUP[:2], "--group", "Nope", "--from", str(MON)), 3,
                 "no client group 'Nope' (see `clinicctl group list`)")
    assert snapshot(practice.url) == before


def test_an_archived_or_empty_group_is_refused(cli, practice):
    make_group(cli, MAYA, OMAR)
    archived = cli("-q", "group", "archive", "Tuesday DBT")
    assert archived.exit_code == 0, archived.output
    [group_id] = [g["id"] for g in cli("group", "list", "--archived", "-o", "json").json()]
    before = snapshot(practice.url)
    assert_error(cli(*GROUP, "--book-first"), 5,
                 "client group 'Tuesday DBT' is archived; restore it with `clinicctl group "
                 f"archive '#{group_id}' --restore` to book it")
    assert snapshot(practice.url) == before
    make_group(cli, name="Empty")
    before = snapshot(practice.url)
    assert_error(cli("availability", "find", "--group", "Empty", "--from", str(MON)), 5,
                 "client group 'Empty' has no members; add them with `clinicctl group "
                 f"members '#{group_id + 1}' --add CLIENT`")
    assert snapshot(practice.url) == before


def test_a_member_named_again_and_missing_clients_are_usage_errors(cli, practice):
    make_group(cli, MAYA, OMAR)
    before = snapshot(practice.url)
    assert_error(cli(*GROUP, "--client", MAYA), 2,
                 f"client #{practice.ids['maya']} (Maya Chen) is named twice; a session has "
                 "one place per client")
    assert_usage_error(cli("availability", "find", "--therapist", ANA),
                       "Missing option '--client'.", "availability find")
    assert snapshot(practice.url) == before
