"""Sessions of several clients (group, couple, family): booking with --client repeated and
with --group, each client checked and alerted on their own, a session's clients changed,
attendance per client, and what completing, cancelling, leaving a group and merging do to
the places."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    BILLER,
    MAYA,
    MON,
    OMAR,
    SAM,
    SCHEDULER,
    TODAY,
    alert,
    at,
    when,
)

COUPLE = ("appointment", "book", "--client", MAYA, "--client", OMAR, "--provider", ANA,
          "--at", at(MON, "10:00"))


def places(url: str, appointment_id: int) -> list[tuple[int, str | None, bool]]:
    """(client id, attendance, active) of a session's places, by client id."""
    from sqlalchemy import text

    from clinicctl.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1], bool(r[2])) for r in conn.execute(text(
                "SELECT client_id, attendance, active FROM appointment_participant "
                "WHERE appointment_id = :a ORDER BY client_id"), {"a": appointment_id})]
    finally:
        engine.dispose()


def add_client(cli, first: str, last: str, dob: str) -> int:
    added = cli("client", "add", first, last, "--dob", dob, "--new", "-o", "json")
    assert added.exit_code == 0, added.output
    return int(added.json()["id"])


def test_a_couple_session_is_one_appointment_with_a_place_and_an_alert_per_client(
        cli, practice):
    ids = practice.ids
    before = practice.last_event_id()
    booked = cli("-q", *COUPLE, "-o", "json")
    assert booked.exit_code == 0, booked.output
    data = booked.json()
    [appointment] = data["appointments"]
    assert appointment["client_id"] is None  # a session of several clients has no one client
    assert appointment["client"] == "Maya Chen, Omar Haddad"
    assert appointment["clients"] == [{"client_id": ids["maya"], "attendance": None},
                                      {"client_id": ids["omar"], "attendance": None}]
    assert data["new_provider"] is True and data["new_to_provider"] == [ids["maya"],
                                                                        ids["omar"]]
    # Each client new to Ana gets their own alert, even with --quiet.
    assert booked.stderr == f"{alert(ids['maya'], 'Ana Ruiz')}\n{alert(ids['omar'], 'Ana Ruiz')}\n"
    assert places(practice.url, appointment["id"]) == [(ids["maya"], None, True),
                                                       (ids["omar"], None, True)]
    assert practice.assignment(ids["omar"], ids["ana"]) == ("new", "appointment")
    [(_, action, outcome, details)] = [e for e in practice.events(before)
                                       if e[1] == "appointment.book"]
    assert (action, outcome) == ("appointment.book", "ok")
    assert details["client_ids"] == [ids["maya"], ids["omar"]]
    assert details["new_to_provider"] == [ids["maya"], ids["omar"]]
    csv = cli("appointment", "show", str(appointment["id"]), "-o", "csv")
    assert csv.stdout.splitlines()[1].endswith(
        f',"Maya Chen, Omar Haddad",{ids["maya"]}:;{ids["omar"]}:')


def test_a_series_for_a_couple_gives_both_a_place_in_every_session(cli, practice):
    booked = cli(*COUPLE, "--repeat", "weekly", "--count", "3", "-o", "json")
    assert booked.exit_code == 0, booked.output
    sessions = booked.json()["appointments"]
    assert len(sessions) == 3
    for session in sessions:
        assert [p[0] for p in places(practice.url, session["id"])] == sorted(
            [practice.ids["maya"], practice.ids["omar"]])


def test_a_dry_run_of_a_group_booking_writes_nothing(cli, practice):
    before = snapshot(practice.url)
    tried = cli(*COUPLE, "--dry-run", "-o", "json")
    assert tried.exit_code == 0, tried.output
    assert tried.json()["appointments"][0]["id"] is None
    assert "would book 1 appointment" in tried.stderr
    assert snapshot(practice.url) == before


def test_a_member_booked_elsewhere_blocks_the_booking_and_is_named(cli, practice):
    [other] = practice.book(OMAR, SAM, at(MON, "10:30"))
    before = snapshot(practice.url)
    refused = cli(*COUPLE)
    assert refused.exit_code == 5, refused.output
    assert refused.stderr == (
        f"Error: {when(MON, '10:00')}: overlaps Omar Haddad's (client #{practice.ids['omar']}) "
        f"appointment #{other} ({when(MON, '10:30')}-11:20)\n")
    assert snapshot(practice.url) == before


def test_a_client_named_twice_is_refused(cli, practice):
    refused = cli("appointment", "book", "--client", MAYA, "--client", f"#{practice.ids['maya']}",
                  "--provider", ANA, "--at", at(MON, "10:00"))
    assert_error(refused, 2, f"client #{practice.ids['maya']} (Maya Chen) is named twice; a "
                 "session has one place per client")


def test_an_inactive_member_is_reactivated_with_the_alert(cli, practice):
    ids = practice.ids
    first = cli("appointment", "book", "--client", OMAR, "--provider", SAM, "--at",
                at(MON, "14:00"))
    assert first.exit_code == 0, first.output
    made_inactive = cli("client", "status", OMAR, "--provider", SAM, "--set", "inactive")
    assert made_inactive.exit_code == 0, made_inactive.output
    booked = cli("-q", "appointment", "book", "--client", MAYA, "--client", OMAR,
                 "--provider", SAM, "--at", at(MON, "15:00"))
    assert booked.exit_code == 0, booked.output
    assert booked.stderr == (f"Client #{ids['omar']} was inactive in Sam Okafor's list; "
                             "reactivated.\n")
    assert practice.assignment(ids["omar"], ids["sam"])[0] == "active"
    # Maya is Sam's own client already: nothing is said about her.
    assert f"#{ids['maya']}" not in booked.stderr


def test_booking_a_group_books_its_members_with_its_provider_and_service(cli, practice):
    ids = practice.ids
    made = cli("group", "add", "Tuesday DBT", "--provider", ANA, "--client", MAYA,
               "--client", OMAR)
    assert made.exit_code == 0, made.output
    booked = cli("appointment", "book", "--group", "Tuesday DBT", "--at", at(MON, "09:00"),
                 "-o", "json")
    assert booked.exit_code == 0, booked.output
    [appointment] = booked.json()["appointments"]
    assert (appointment["provider"], appointment["service"]) == ("Ana Ruiz", "90853")
    assert [c["client_id"] for c in appointment["clients"]] == [ids["maya"], ids["omar"]]
    # The members were new to Ana when the group was made: nothing more to say now.
    assert "Alert" not in booked.stderr
    with practice.session(write=False) as s:
        from clinicctl.models import Appointment

        assert s.get(Appointment, appointment["id"]).group_id is not None


def test_an_archived_or_empty_group_is_refused(cli, practice):
    cli("group", "add", "Empty", "--provider", ANA)
    refused = cli("appointment", "book", "--group", "Empty", "--at", at(MON, "09:00"))
    assert refused.exit_code == 5, refused.output
    assert "has no members" in refused.stderr
    missing = cli("appointment", "book", "--at", at(MON, "09:00"))
    assert missing.exit_code == 2 and "Missing option '--client'" in missing.stderr


def test_clients_added_and_removed_and_the_first_client_handed_on(cli, practice):
    ids = practice.ids
    zoe = add_client(cli, "Zoe", "Park", "1993-02-02")
    booked = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"), "-o", "json")
    appointment_id = booked.json()["appointments"][0]["id"]
    added = cli("-q", "appointment", "clients", str(appointment_id), "--add", OMAR,
                "--add", f"#{zoe}", "-o", "json")
    assert added.exit_code == 0, added.output
    assert [c["client_id"] for c in added.json()["clients"]] == [ids["maya"], ids["omar"], zoe]
    assert added.stderr == f"{alert(ids['omar'], 'Ana Ruiz')}\n{alert(zoe, 'Ana Ruiz')}\n"
    again = cli("appointment", "clients", str(appointment_id), "--add", OMAR)
    assert again.exit_code == 0
    assert again.stderr == (f"Appointment #{appointment_id}: #{ids['omar']} is already in it; "
                            "nothing changed.\n")
    removed = cli("appointment", "clients", str(appointment_id), "--remove", MAYA, "-o",
                  "json")
    assert removed.exit_code == 0, removed.output
    # The first client left: the session is now the next client's.
    with practice.session(write=False) as s:
        from clinicctl.models import Appointment

        assert s.get(Appointment, appointment_id).client_id == ids["omar"]
    cli("appointment", "clients", str(appointment_id), "--remove", f"#{zoe}")
    last = cli("appointment", "clients", str(appointment_id), "--remove", OMAR)
    assert_error(last, 5, f"appointment #{appointment_id} would have no client left; cancel "
                 f"it with `clinicctl appointment cancel {appointment_id}`")


def test_an_added_client_booked_elsewhere_is_refused_and_named(cli, practice):
    [other] = practice.book(OMAR, SAM, at(MON, "10:30"))
    [session] = practice.book(MAYA, ANA, at(MON, "10:00"))
    before = snapshot(practice.url)
    refused = cli("appointment", "clients", str(session), "--add", OMAR)
    assert refused.exit_code == 5, refused.output
    assert f"overlaps the client's appointment #{other}" in refused.stderr
    assert snapshot(practice.url) == before


def test_a_second_session_of_the_provider_at_that_time_is_refused(cli, practice):
    booked = cli(*COUPLE, "-o", "json")
    first = booked.json()["appointments"][0]["id"]
    zoe = add_client(cli, "Zoe", "Park", "1993-02-02")
    refused = cli("appointment", "book", "--client", f"#{zoe}", "--provider", ANA, "--at",
                  at(MON, "10:00"))
    assert refused.exit_code == 5
    assert f"overlaps the provider's appointment #{first}" in refused.stderr
    joined = cli("appointment", "clients", str(first), "--add", f"#{zoe}")
    assert joined.exit_code == 0, joined.output


def test_attendance_is_per_client_idempotent_and_audited(cli, practice):
    ids = practice.ids
    booked = cli(*COUPLE, "-o", "json")
    session = booked.json()["appointments"][0]["id"]
    before = practice.last_event_id()
    cancelled = cli("appointment", "attendance", str(session), "--client", OMAR, "--set",
                    "cancelled", "-o", "json")
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.json()["clients"][1] == {"client_id": ids["omar"],
                                              "attendance": "cancelled"}
    assert cancelled.stderr == f"Appointment #{session}: client #{ids['omar']} cancelled.\n"
    again = cli("appointment", "attendance", str(session), "--client", OMAR, "--set",
                "cancelled")
    assert again.exit_code == 0
    assert "already cancelled; nothing changed" in again.stderr
    events = [e for e in practice.events(before) if e[1] == "appointment.attendance"]
    assert [e[3] for e in events] == [{"from": None, "to": "cancelled"}]
    # Omar's place no longer holds his time: he can be booked elsewhere then.
    assert places(practice.url, session)[1] == (ids["omar"], "cancelled", False)
    elsewhere = cli("appointment", "book", "--client", OMAR, "--provider", SAM, "--at",
                    at(MON, "10:00"))
    assert elsewhere.exit_code == 0, elsewhere.output
    # Not started yet: nobody can have attended.
    early = cli("appointment", "attendance", str(session), "--client", MAYA, "--set",
                "attended")
    assert_error(early, 5, f"appointment #{session} has not started yet; a client cannot "
                 "have attended")
    bad = cli("appointment", "attendance", str(session), "--client", MAYA, "--set", "late")
    assert bad.exit_code == 2 and "invalid attendance 'late'" in bad.stderr


def test_completing_marks_the_unmarked_attended_and_cancelling_marks_all(cli, practice):
    ids = practice.ids
    yesterday = TODAY.fromordinal(TODAY.toordinal() - 1)
    booked = cli("appointment", "book", "--client", MAYA, "--client", OMAR, "--provider",
                 SAM, "--at", at(yesterday, "09:00"), "--force", "-o", "json")
    assert booked.exit_code == 0, booked.output
    past = booked.json()["appointments"][0]["id"]
    marked = cli("appointment", "attendance", str(past), "--client", OMAR, "--set", "no-show")
    assert marked.exit_code == 0, marked.output
    done = cli("appointment", "complete", str(past))
    assert done.exit_code == 0, done.output
    assert places(practice.url, past) == [(ids["maya"], "attended", True),
                                          (ids["omar"], "no-show", True)]
    upcoming = cli(*COUPLE, "-o", "json").json()["appointments"][0]["id"]
    cancelled = cli("appointment", "cancel", str(upcoming), "--late")
    assert cancelled.exit_code == 0, cancelled.output
    assert places(practice.url, upcoming) == [(ids["maya"], "late-cancelled", False),
                                              (ids["omar"], "late-cancelled", False)]
    refused = cli("appointment", "clients", str(upcoming), "--add", SAM)
    assert refused.exit_code != 0


def test_a_provider_who_sees_a_session_through_one_member_sees_only_that_member(
        cli, practice):
    ids = practice.ids
    booked = cli(*COUPLE, "-o", "json")
    session = booked.json()["appointments"][0]["id"]
    # Sam has Maya in his list, not Omar.
    listed = cli("--as", SAM, "appointment", "list", "--provider", ANA, "-o", "json")
    assert listed.exit_code == 0, listed.output
    [row] = [r for r in listed.json() if r["id"] == session]
    assert row["clients"] == [{"client_id": ids["maya"], "attendance": None}]
    assert row["client"] == "Maya Chen"
    by_client = cli("appointment", "list", "--client", OMAR, "-o", "json")
    assert [r["id"] for r in by_client.json()] == [session]


def test_a_member_leaving_the_group_leaves_its_future_sessions_only(cli, practice):
    ids = practice.ids
    zoe = add_client(cli, "Zoe", "Park", "1993-02-02")
    cli("group", "add", "Grief", "--provider", SAM, "--client", MAYA, "--client", OMAR,
        "--client", f"#{zoe}")
    yesterday = TODAY.fromordinal(TODAY.toordinal() - 1)
    past = cli("appointment", "book", "--group", "Grief", "--at", at(yesterday, "09:00"),
               "--force", "-o", "json").json()["appointments"][0]["id"]
    future = cli("appointment", "book", "--group", "Grief", "--at", at(MON, "14:00"),
                 "--repeat", "weekly", "--count", "2", "-o", "json").json()["appointments"]
    left = cli("-q", "group", "members", "Grief", "--remove", OMAR)
    assert left.exit_code == 0, left.output
    assert left.stderr == "".join(
        f"Client #{ids['omar']} left the group's future appointment #{a['id']}.\n"
        for a in future)
    assert [p[0] for p in places(practice.url, past)] == sorted([ids["maya"], ids["omar"], zoe])
    for appointment in future:
        assert [p[0] for p in places(practice.url, appointment["id"])] == sorted(
            [ids["maya"], zoe])


@pytest.mark.parametrize("both_in_one_session", [True, False])
def test_a_merge_moves_the_duplicates_places(cli, practice, both_in_one_session):
    ids = practice.ids
    twin = add_client(cli, "Maya", "Chen", "1990-04-12")
    clients = ["--client", f"#{ids['maya']}", "--client", f"#{twin}"] if both_in_one_session else [
        "--client", f"#{twin}", "--client", OMAR]
    booked = cli("appointment", "book", *clients, "--provider", ANA, "--at",
                 at(MON, "10:00"), "-o", "json")
    assert booked.exit_code == 0, booked.output
    session = booked.json()["appointments"][0]["id"]
    merged = cli("client", "merge", f"#{ids['maya']}", f"#{twin}")
    assert merged.exit_code == 0, merged.output
    expected = [ids["maya"]] if both_in_one_session else sorted([ids["maya"], ids["omar"]])
    assert [p[0] for p in places(practice.url, session)] == expected
    with practice.session(write=False) as s:
        from clinicctl.models import Appointment

        assert s.get(Appointment, session).client_id == ids["maya"]


def test_notes_tied_to_a_group_session_are_each_clients_own(cli, practice):
    ids = practice.ids
    yesterday = TODAY.fromordinal(TODAY.toordinal() - 1)
    booked = cli("appointment", "book", "--client", MAYA, "--client", OMAR, "--provider", SAM,
                 "--at", at(yesterday, "11:00"), "--force", "-o", "json")
    session = booked.json()["appointments"][0]["id"]
    added = cli("--as", SAM, "note", "add", MAYA, "--appointment", str(session), "--body",
                "Maya in group: engaged", "-o", "json")
    assert added.exit_code == 0, added.output
    note = added.json()
    assert (note["appointment_id"], note["date"], note["client_id"]) == (
        session, yesterday.isoformat(), ids["maya"])
    # Omar's chart never shows Maya's note of the session, to his providers or Sam.
    for viewer in (SAM, "kim@riverside.example"):
        listed = cli("--as", viewer, "note", "list", OMAR, "-o", "json")
        assert listed.exit_code == 0, listed.output
        assert note["id"] not in [n["id"] for n in listed.json()]
    # Only the session's provider ties notes to it, and only for its clients.
    other = cli("--as", "kim@riverside.example", "note", "add", OMAR, "--appointment",
                str(session), "--body", "x")
    assert other.exit_code == 4, other.output
    zoe = cli("client", "add", "Zoe", "Park", "--dob", "1993-02-02", "--provider", SAM,
              "-o", "json").json()["id"]
    outside = cli("--as", SAM, "note", "add", f"#{zoe}", "--appointment", str(session),
                  "--body", "x")
    assert_error(outside, 5, f"client #{zoe} is not in appointment #{session}")
    missing = cli("--as", SAM, "note", "add", MAYA, "--appointment", "999999", "--body", "x")
    assert missing.exit_code == 3


@pytest.mark.parametrize(("actor", "code"), [
    (SCHEDULER, 0),
    (BILLER, 4),
    # Sam may book his own sessions, Omar included (new to him); Ana may not book Sam's.
    (SAM, 0),
    (ANA, 4),
])
def test_who_may_book_a_group_session(cli, practice, actor, code):
    result = cli("--as", actor, "appointment", "book", "--client", MAYA, "--client", OMAR,
                 "--provider", SAM, "--at", at(MON, "14:00"))
    assert result.exit_code == code, result.output
    assert len(practice.appointments()) == (0 if code else 1)


def test_a_provider_cannot_learn_through_their_client_who_else_is_in_a_session(cli, practice):
    # Sam has Maya in his list, not Omar: asking for Omar's sessions finds none of Ana's.
    booked = cli(*COUPLE)
    assert booked.exit_code == 0, booked.output
    probed = cli("--as", SAM, "appointment", "list", "--client", OMAR, "-o", "json")
    assert probed.exit_code == 0, probed.output
    assert probed.json() == []
    own = cli("--as", SAM, "appointment", "list", "--client", MAYA, "-o", "json")
    assert [r["client_id"] for r in own.json()] == [practice.ids["maya"]]


def test_the_first_client_leaving_hands_the_session_on_and_the_last_never_leaves(
        cli, practice):
    from sqlalchemy import delete

    from clinicctl.models import Appointment, AppointmentParticipant

    ids = practice.ids
    session = cli(*COUPLE, "-o", "json").json()["appointments"][0]["id"]
    # Sam may take his own client Maya out of Ana's session; the session is Omar's now.
    left = cli("--as", SAM, "appointment", "clients", str(session), "--remove", MAYA)
    assert left.exit_code == 0, left.output
    with practice.session(write=False) as s:
        assert s.get(Appointment, session).client_id == ids["omar"]
    with pytest.raises(Exception, match="keeps at least one client"), \
            practice.session() as s:
        s.execute(delete(AppointmentParticipant).where(
            AppointmentParticipant.appointment_id == session))
    assert [p[0] for p in places(practice.url, session)] == [ids["omar"]]


def test_a_series_is_cancelled_only_by_whoever_may_book_every_occurrences_clients(
        cli, practice):
    kim = "kim@riverside.example"
    series = cli("appointment", "book", "--client", OMAR, "--provider", ANA, "--at",
                 at(MON, "10:00"), "--repeat", "weekly", "--count", "2", "-o", "json")
    first, second = (a["id"] for a in series.json()["appointments"])
    assert cli("appointment", "clients", str(second), "--add", MAYA).exit_code == 0
    before = practice.appointments()
    # Kim may book her client Omar with Ana, not Maya, who is in the second session.
    refused = cli("--as", kim, "appointment", "cancel", str(first), "--scope", "series")
    assert refused.exit_code == 4, refused.output
    assert practice.appointments() == before
    alone = cli("--as", kim, "appointment", "cancel", str(first))
    assert alone.exit_code == 0, alone.output


def test_a_session_reopened_frees_no_one_and_the_marks_are_said(cli, practice):
    from clinicctl.models import Appointment

    ids = practice.ids
    session = cli(*COUPLE, "-o", "json").json()["appointments"][0]["id"]
    cancelled = cli("-q", "appointment", "cancel", str(session), "--late")
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stderr == ("2 client place(s) marked late-cancelled (those not marked "
                                "before; see `clients`).\n")
    # Re-opened (as an import of the other system's record does): every client's time is
    # held again.
    with practice.session() as s:
        s.get(Appointment, session).status = "scheduled"
    assert places(practice.url, session) == [(ids["maya"], None, True),
                                             (ids["omar"], None, True)]
