"""Sharing by booking: an appointment with a provider new to the client puts the client in
that provider's list with demographics only (``appointment book``, ``availability find --book``,
``appointment reschedule --provider``), and reactivates an inactive assignment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.schedule_db import (
    ANA,
    LEE,
    MAYA,
    MON,
    SAM,
    SCHEDULER,
    THU,
    TUE,
    WED,
    alert,
    at,
    row,
)


@dataclass
class BookingPath:
    id: str
    argv: tuple[str, ...]
    day: dt.date
    start: str
    end: str
    location: str


BOOKING_PATHS = [
    # way 2: `appointment book` with a provider new to the client
    BookingPath("appointment-book", ("appointment", "book", "--provider", ANA, "--client", MAYA,
                                     "--at", at(MON, "10:00")), MON, "10:00", "10:50",
                "Main office"),
    # way 3: find open slots with several therapists, then book the Nth listed
    # (MON: 09:00 Ana, 09:30 Lee, 10:00 Ana, ...)
    BookingPath("find-book-n", ("availability", "find", "--client", MAYA, "--therapist", LEE,
                                "--therapist", ANA, "--from", MON.isoformat(), "--days", "1",
                                "--book", "3"), MON, "10:00", "10:50", "Main office"),
    BookingPath("find-book-first", ("availability", "find", "--client", MAYA, "--therapist",
                                    ANA, "--from", WED.isoformat(), "--book-first"),
                WED, "09:00", "09:50", "Telehealth"),
    # way 4: from the client's side
    BookingPath("client-side", ("appointment", "book", "--client", MAYA, "--provider", ANA,
                                "--at", at(WED, "11:00")), WED, "11:00", "11:50", "Telehealth"),
]


@pytest.mark.parametrize("path", BOOKING_PATHS, ids=lambda p: p.id)
def test_booking_with_a_new_provider_shares_demographics_only(
        cli, practice, tmp_path, path):
    maya, ana = practice.ids["maya"], practice.ids["ana"]
    result = cli(*path.argv, "-o", "json", actor=SCHEDULER)
    assert result.exit_code == 0, result.output
    [booked] = practice.appointments()
    assert result.json() == {
        "appointments": [row(practice, booked["id"], "maya", ANA, path.day, path.start,
                             path.end, location=path.location)],
        "series_id": None, "new_provider": True, "reactivated_from": None}
    assert result.stderr == (f"Booked appointment #{booked['id']} with Ana Ruiz.\n"
                             f"{alert(maya, 'Ana Ruiz')}\n")
    assert practice.assignment(maya, ana) == ("new", "appointment")

    # Ana now has Maya in her list, with the profile and non-clinical documents ...
    listed = cli("client", "list", "--provider", ANA, "-o", "json", actor=ANA)
    assert listed.exit_code == 0, listed.output
    assert [c["id"] for c in listed.json()] == [maya]
    docs = cli("doc", "list", MAYA, "-o", "json", actor=ANA)
    assert docs.exit_code == 0, docs.output
    assert [d["title"] for d in docs.json()] == ["Consent"]
    # ... and never Sam's chart notes or clinical documents.
    notes = cli("note", "list", MAYA, "-o", "json", actor=ANA)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == []
    for note_id in (practice.ids["progress_note"], practice.ids["private_note"]):
        shown = cli("note", "show", str(note_id), actor=ANA)
        assert shown.exit_code == 4, shown.output
        assert shown.stderr == "Error: note.read: no access to this chart note\n"
    got = cli("doc", "get", str(practice.ids["clinical_doc"]), "--output",
              str(tmp_path / "out.bin"), actor=ANA)
    assert got.exit_code == 4, got.output
    assert not (tmp_path / "out.bin").exists()


def test_booking_again_with_the_same_provider_is_not_new(cli, practice):
    first = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                at(MON, "10:00"), "-o", "json")
    assert first.exit_code == 0, first.output
    assert first.json()["new_provider"] is True

    again = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                at(WED, "10:00"), "-o", "json")
    assert again.exit_code == 0, again.output
    second_id = again.json()["appointments"][0]["id"]
    assert again.json()["new_provider"] is False
    assert again.stderr == f"Booked appointment #{second_id} with Ana Ruiz.\n"

    found = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                MON.isoformat(), "--book-first", "-o", "json")
    assert found.exit_code == 0, found.output
    assert found.json()["new_provider"] is False
    assert "Alert" not in found.stderr
    assert practice.assignment(practice.ids["maya"], practice.ids["ana"]) == (
        "new", "appointment")


def test_booking_with_the_clients_own_provider_says_nothing_new(
        cli, practice):
    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(TUE, "14:00"), "-o", "json")
    assert result.exit_code == 0, result.output
    [booked] = practice.appointments()
    assert result.json() == {
        "appointments": [row(practice, booked["id"], "maya", SAM, TUE, "14:00", "14:50")],
        "series_id": None, "new_provider": False, "reactivated_from": None}
    assert result.stderr == f"Booked appointment #{booked['id']} with Sam Okafor.\n"
    assert practice.assignment(practice.ids["maya"], practice.ids["sam"]) == (
        "new", "intake")


@pytest.mark.parametrize("status", ["inactive", "discharged"])
def test_booking_reactivates_an_inactive_assignment(cli, practice, status):
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff

    maya, sam = practice.ids["maya"], practice.ids["sam"]
    with practice.session() as s:
        clients.set_status(s, resolve_staff(s, OWNER_EMAIL), MAYA, SAM, status)
    mark = practice.last_event_id()

    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(TUE, "14:00"), "-o", "json")
    assert result.exit_code == 0, result.output
    [booked] = practice.appointments()
    assert result.json()["new_provider"] is False
    assert result.stderr == (f"Booked appointment #{booked['id']} with Sam Okafor.\n"
                             f"Client #{maya} was {status} in Sam Okafor's list; "
                             "reactivated.\n")
    assert practice.assignment(maya, sam) == ("active", "intake")
    owner = practice.ids["owner"]
    assert [(e[0], e[1], e[2]) for e in practice.events(mark)] == [
        (owner, "client.status", "ok"), (owner, "appointment.book", "ok")]
    assert practice.events(mark)[0][3] == {"provider_id": sam, "from": status, "to": "active",
                                           "by": "appointment.book"}

    # Already active: booking again says nothing about the list.
    again = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                at(THU, "14:00"))
    assert again.exit_code == 0, again.output
    assert "reactivated" not in again.stderr


def test_reschedule_to_a_provider_new_to_the_client(cli, practice):
    maya, lee = practice.ids["maya"], practice.ids["lee"]
    [appointment_id] = practice.book(MAYA, SAM, at(MON, "10:00"))
    result = cli("appointment", "reschedule", str(appointment_id), "--at", at(MON, "10:30"),
                 "--provider", LEE, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == row(practice, appointment_id, "maya", LEE, MON, "10:30", "11:20",
                                location="Telehealth") | {"new_provider": True,
                                                          "reactivated_from": None}
    assert result.stderr == (f"Appointment #{appointment_id} is now {MON} 10:30 with Lee Park.\n"
                             f"{alert(maya, 'Lee Park')}\n")
    assert practice.assignment(maya, lee) == ("new", "appointment")
    notes = cli("note", "list", MAYA, "-o", "json", actor=LEE)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == []


def test_reschedule_to_an_inactive_provider_reactivates(cli, practice):
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff

    maya, sam = practice.ids["maya"], practice.ids["sam"]
    [appointment_id] = practice.book(MAYA, ANA, at(MON, "10:00"))
    with practice.session() as s:
        clients.set_status(s, resolve_staff(s, OWNER_EMAIL), MAYA, SAM, "inactive")
    result = cli("appointment", "reschedule", str(appointment_id), "--at", at(TUE, "10:00"),
                 "--provider", SAM, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Appointment #{appointment_id} is now {TUE} 10:00 with "
                             "Sam Okafor.\n"
                             f"Client #{maya} was inactive in Sam Okafor's list; reactivated.\n")
    assert (result.json()["new_provider"], result.json()["reactivated_from"]) == (
        False, "inactive")
    assert practice.assignment(maya, sam) == ("active", "intake")
