"""Scheduling (issue 3): the three sharing-by-booking paths, open-slot arithmetic, recurrence,
conflicts, the appointment life cycle, permissions, and ``unshare --remove`` with upcoming
appointments.

Each test that writes gets a clone of one module-wide practice (see ``schedule_db``); tests
that only read, dry-run or are refused share one database per module. Slot arithmetic runs
the service inside a transaction that is rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import OWNER_EMAIL
from tests.practice_db import snapshot
from tests.schedule_db import (
    ANA,
    BILLER,
    CUSTODIAN,
    LEE,
    MANAGER,
    MAYA,
    MON,
    OMAR,
    SAM,
    SCHEDULER,
    THU,
    TUE,
    WED,
    ZONE,
    Practice,
    alert,
    at,
    build_schedule,
    clone,
    dst_changes,
    iso,
    local,
)

KIM = "kim@riverside.example"
IVY = "ivy@riverside.example"
TODAY = dt.datetime.now(ZONE).date()
STAFF_KEYS = {OWNER_EMAIL: "owner", MANAGER: "manager", SAM: "sam", ANA: "ana", LEE: "lee",
              KIM: "kim", CUSTODIAN: "rae", IVY: "scoped", SCHEDULER: "scheduler",
              BILLER: "biller"}
NAMES = {SAM: "Sam Okafor", ANA: "Ana Ruiz", LEE: "Lee Park"}
PLACES = {"Main office": "11", "Telehealth": "10", None: "11"}


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def row(practice: Practice, appointment_id: int, client: str, provider: str, day: dt.date,
        start: str, end: str, *, location: str | None = "Main office", status: str = "scheduled",
        service: str = "90834", pos: str | None = None, series_id: int | None = None
        ) -> dict[str, Any]:
    """An appointment as ``appointment list/show`` and ``book`` print it in JSON."""
    return {"id": appointment_id, "client_id": practice.ids[client],
            "provider_id": practice.ids[STAFF_KEYS[provider]], "provider": NAMES[provider],
            "start": iso(day, start), "end": iso(day, end), "status": status,
            "service": service, "pos": pos or PLACES[location], "location": location,
            "series_id": series_id}


def zone_name(day: dt.date, hhmm: str) -> str:
    return local(day, hhmm).strftime("%Z")


def when(day: dt.date, hhmm: str) -> str:
    """How error messages name a local time."""
    return f"{day.isoformat()} {hhmm} {zone_name(day, hhmm)}"


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def _template(backend) -> Practice:  # type: ignore[no-untyped-def]
    return build_schedule(backend)


@pytest.fixture
def practice(backend, _template: Practice, monkeypatch: pytest.MonkeyPatch
             ) -> Practice:  # type: ignore[no-untyped-def]
    """A fresh clone of the scheduling practice for a test that writes, as CLINICCTL_DB."""
    fresh = clone(backend, _template)
    monkeypatch.setenv("CLINICCTL_DB", fresh.url)
    return fresh


@pytest.fixture(scope="module")
def _scratch(backend, _template: Practice) -> Practice:  # type: ignore[no-untyped-def]
    """Shared by the service-level slot tests, which roll back everything they do."""
    return clone(backend, _template)


@pytest.fixture
def scratch(_scratch: Practice) -> Iterator[Any]:
    """A session on the shared practice that is rolled back at the end."""
    with _scratch.session(dry_run=True) as s:
        yield s


@pytest.fixture(scope="module")
def _agenda(backend, _template: Practice) -> Practice:  # type: ignore[no-untyped-def]
    """A practice with a few appointments, shared by tests that only read, dry-run or are
    refused (a refusal adds only its audit event):

    - past: Maya with Sam two days ago, completed; past2: three days ago, still scheduled;
    - a1: Maya with Sam, MON 10:00; a2: Omar with Ana (new to him), MON 10:00;
    - a3: Maya with Sam, TUE 10:00, cancelled.
    """
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments

    agenda = clone(backend, _template)
    ids = agenda.ids
    [ids["past"]] = agenda.book(MAYA, SAM, at(TODAY - days(2), "10:00"),
                                outside_availability=True, force=True)
    [ids["past2"]] = agenda.book(MAYA, SAM, at(TODAY - days(3), "10:00"),
                                 outside_availability=True, force=True)
    [ids["a1"]] = agenda.book(MAYA, SAM, at(MON, "10:00"))
    [ids["a2"]] = agenda.book(OMAR, ANA, at(MON, "10:00"))
    [ids["a3"]] = agenda.book(MAYA, SAM, at(TUE, "10:00"))
    with agenda.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        appointments.complete(s, owner, ids["past"])
        appointments.cancel(s, owner, ids["a3"], reason="moved away")
    return agenda


@pytest.fixture
def agenda(_agenda: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    monkeypatch.setenv("CLINICCTL_DB", _agenda.url)
    return _agenda


# --- 1. sharing by booking ------------------------------------------------------------------

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
        cli, practice, tmp_path, path):  # type: ignore[no-untyped-def]
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


def test_booking_again_with_the_same_provider_is_not_new(cli, practice
                                                         ):  # type: ignore[no-untyped-def]
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
        cli, practice):  # type: ignore[no-untyped-def]
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
def test_booking_reactivates_an_inactive_assignment(cli, practice, status
                                                    ):  # type: ignore[no-untyped-def]
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


def test_reschedule_to_a_provider_new_to_the_client(cli, practice
                                                    ):  # type: ignore[no-untyped-def]
    maya, lee = practice.ids["maya"], practice.ids["lee"]
    [appointment_id] = practice.book(MAYA, SAM, at(MON, "10:00"))
    result = cli("appointment", "reschedule", str(appointment_id), "--at", at(MON, "10:30"),
                 "--provider", LEE, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == row(practice, appointment_id, "maya", LEE, MON, "10:30", "11:20",
                                location="Telehealth")
    assert result.stderr == (f"Appointment #{appointment_id} is now {MON} 10:30 with Lee Park.\n"
                             f"{alert(maya, 'Lee Park')}\n")
    assert practice.assignment(maya, lee) == ("new", "appointment")
    notes = cli("note", "list", MAYA, "-o", "json", actor=LEE)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == []


def test_reschedule_to_an_inactive_provider_reactivates(cli, practice
                                                        ):  # type: ignore[no-untyped-def]
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff

    maya, sam = practice.ids["maya"], practice.ids["sam"]
    [appointment_id] = practice.book(MAYA, ANA, at(MON, "10:00"))
    with practice.session() as s:
        clients.set_status(s, resolve_staff(s, OWNER_EMAIL), MAYA, SAM, "inactive")
    result = cli("appointment", "reschedule", str(appointment_id), "--at", at(TUE, "10:00"),
                 "--provider", SAM)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Appointment #{appointment_id} is now {TUE} 10:00 with "
                             "Sam Okafor.\n"
                             f"Client #{maya} was inactive in Sam Okafor's list; reactivated.\n")
    assert practice.assignment(maya, sam) == ("active", "intake")


# --- 2. open slots --------------------------------------------------------------------------

def find(s, *, therapists: tuple[str, ...] = (ANA,), client: str = MAYA,
         start: dt.date = MON, span: int = 1, actor: str = OWNER_EMAIL,
         **options: Any) -> list[tuple[str, str, str, str | None]]:  # type: ignore[no-untyped-def]
    """(therapist, local start, local end, location) of each open slot, via the service."""
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    _, slots = availability.find_slots(
        s, resolve_staff(s, actor), client_ref=client, therapist_refs=list(therapists),
        start_date=start.isoformat(), days=span, **options)
    return [(slot.provider.split()[0], f"{slot.start:%Y-%m-%d %H:%M}", f"{slot.end:%H:%M}",
             slot.location) for slot in slots]


def slot(who: str, day: dt.date, start: str, end: str, location: str | None = "Main office"
         ) -> tuple[str, str, str, str | None]:
    return (who, f"{day.isoformat()} {start}", end, location)


def add_block(s, provider: str, days_: str, start: str, end: str,
              **options: Any) -> int:  # type: ignore[no-untyped-def]
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    return availability.add_block(s, resolve_staff(s, OWNER_EMAIL), provider, days=days_,
                                  start=start, end=end, **options).id


def book_in(s, client: str, provider: str, when_: str,
            **options: Any) -> list[int]:  # type: ignore[no-untyped-def]
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import booking

    result = booking.book(s, resolve_staff(s, OWNER_EMAIL), client_ref=client,
                               provider_ref=provider, at=when_, **options)
    return [a.id for a in result.appointments]


def time_off(s, provider: str, start: str, end: str) -> None:  # type: ignore[no-untyped-def]
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    availability.add_time_off(s, resolve_staff(s, OWNER_EMAIL), provider, start=start, end=end)


ANA_MONDAY = [slot("Ana", MON, "09:00", "09:50"), slot("Ana", MON, "10:00", "10:50"),
              slot("Ana", MON, "11:00", "11:50")]


def test_slots_step_by_session_plus_break(scratch):  # type: ignore[no-untyped-def]
    assert find(scratch) == ANA_MONDAY
    # 30-minute sessions with 15-minute breaks: the last slot ends exactly at the block's end.
    add_block(scratch, LEE, "tue", "13:00", "15:00", session_minutes=30, break_minutes=15)
    assert find(scratch, therapists=(LEE,), start=TUE) == [
        slot("Lee", TUE, "13:00", "13:30", None), slot("Lee", TUE, "13:45", "14:15", None),
        slot("Lee", TUE, "14:30", "15:00", None)]


@pytest.mark.parametrize(("duration", "expected"), [
    (30, [("09:00", "09:30"), ("10:00", "10:30"), ("11:00", "11:30")]),
    (90, [("09:00", "10:30"), ("10:00", "11:30")]),
    (180, [("09:00", "12:00")]),
    (181, []),
])
def test_slots_for_a_duration(scratch, duration, expected):  # type: ignore[no-untyped-def]
    assert find(scratch, duration=duration) == [slot("Ana", MON, a, b) for a, b in expected]


def test_slots_at_a_location(scratch):  # type: ignore[no-untyped-def]
    week = find(scratch, span=7)
    assert [s[1][:10] for s in week] == [MON.isoformat()] * 3 + [WED.isoformat()] * 3
    assert find(scratch, span=7, location_ref="Telehealth") == [
        slot("Ana", WED, "09:00", "09:50", "Telehealth"),
        slot("Ana", WED, "10:00", "10:50", "Telehealth"),
        slot("Ana", WED, "11:00", "11:50", "Telehealth")]
    assert find(scratch, span=7, location_ref="main OFFICE") == ANA_MONDAY


def test_slots_limit(scratch):  # type: ignore[no-untyped-def]
    assert find(scratch, span=7, limit=2) == ANA_MONDAY[:2]
    assert find(scratch, span=7, limit=1) == ANA_MONDAY[:1]


def test_slots_of_several_therapists_earliest_first(scratch):  # type: ignore[no-untyped-def]
    expected = [slot("Ana", MON, "09:00", "09:50"), slot("Sam", MON, "09:00", "09:50"),
                slot("Lee", MON, "09:30", "10:20", "Telehealth"),
                slot("Ana", MON, "10:00", "10:50"), slot("Sam", MON, "10:00", "10:50"),
                slot("Lee", MON, "10:30", "11:20", "Telehealth"),
                slot("Ana", MON, "11:00", "11:50"), slot("Sam", MON, "11:00", "11:50")]
    assert find(scratch, therapists=(SAM, LEE, ANA), limit=8) == expected
    assert find(scratch, therapists=(ANA, LEE, SAM, "Ana Ruiz"), limit=8) == expected


def test_slots_skip_the_therapists_appointments(scratch):  # type: ignore[no-untyped-def]
    book_in(scratch, OMAR, ANA, at(MON, "10:00"))
    assert find(scratch) == [ANA_MONDAY[0], ANA_MONDAY[2]]


def test_slots_skip_the_clients_appointments_with_anyone(scratch
                                                         ):  # type: ignore[no-untyped-def]
    # Maya sees Sam 10:30-11:00: Ana's 10:00-10:50 overlaps; 11:00 only touches it.
    book_in(scratch, MAYA, SAM, at(MON, "10:30"), duration=30)
    assert find(scratch) == [ANA_MONDAY[0], ANA_MONDAY[2]]
    # Omar is not affected by Maya's appointment.
    assert find(scratch, client=OMAR) == ANA_MONDAY


def test_slots_skip_time_off(scratch):  # type: ignore[no-untyped-def]
    time_off(scratch, ANA, at(MON, "09:30"), at(MON, "10:15"))
    time_off(scratch, ANA, WED.isoformat(), WED.isoformat())  # the whole day
    assert find(scratch, span=7) == [ANA_MONDAY[2]]
    assert find(scratch, therapists=(ANA, LEE), limit=3) == [
        slot("Lee", MON, "09:30", "10:20", "Telehealth"),
        slot("Lee", MON, "10:30", "11:20", "Telehealth"), ANA_MONDAY[2]]


@pytest.mark.parametrize("how", ["cancelled", "late-cancelled"])
def test_a_cancelled_appointment_frees_its_slot(scratch, how):  # type: ignore[no-untyped-def]
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments

    [appointment_id] = book_in(scratch, OMAR, ANA, at(MON, "10:00"))
    assert find(scratch) == [ANA_MONDAY[0], ANA_MONDAY[2]]
    appointments.cancel(scratch, resolve_staff(scratch, OWNER_EMAIL), appointment_id,
                        late=how == "late-cancelled")
    assert find(scratch) == ANA_MONDAY


def test_slots_are_half_open(scratch):  # type: ignore[no-untyped-def]
    # Omar with Ana 09:50-10:00 and 10:50-11:00: every 50-minute slot still fits.
    book_in(scratch, OMAR, ANA, at(MON, "09:50"), duration=10)
    book_in(scratch, OMAR, ANA, at(MON, "10:50"), duration=10)
    assert find(scratch) == ANA_MONDAY
    book_in(scratch, OMAR, ANA, at(MON, "11:49"), duration=1)
    assert find(scratch) == ANA_MONDAY[:2]


def test_slots_respect_effective_dates(scratch):  # type: ignore[no-untyped-def]
    add_block(scratch, LEE, "thu", "14:00", "15:00", effective_from=(THU + days(7)).isoformat(),
              effective_until=(THU + days(14)).isoformat())
    found = find(scratch, therapists=(LEE,), start=TUE, span=28)
    assert [s[1] for s in found if s[1].endswith("14:00")] == [
        f"{THU + days(7)} 14:00", f"{THU + days(14)} 14:00"]


def test_overlapping_blocks_offer_a_time_once(scratch):  # type: ignore[no-untyped-def]
    # `availability add` refuses an overlapping block now; a database may hold some from
    # before, written here directly.
    from clinicctl.models import AvailabilityBlock
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling.catalog import resolve_location

    ana = resolve_staff(scratch, ANA)
    scratch.add(AvailabilityBlock(provider_id=ana.id, weekdays=1, start_time=dt.time(11),
                                  end_time=dt.time(13),
                                  location_id=resolve_location(scratch, "Main office").id,
                                  created_by_id=ana.id))
    scratch.flush()
    assert find(scratch) == [*ANA_MONDAY, slot("Ana", MON, "12:00", "12:50")]


def test_no_slot_in_the_past(scratch):  # type: ignore[no-untyped-def]
    add_block(scratch, KIM, "mon,tue,wed,thu,fri,sat,sun", "00:00", "23:59",
              session_minutes=30, break_minutes=0)
    from clinicctl.models import utcnow

    earlier = find(scratch, therapists=(KIM,), start=TODAY - days(2), span=4, limit=300)
    now = utcnow()
    assert any(s[1].startswith(str(TODAY + days(1))) for s in earlier)
    assert all(dt.datetime.fromisoformat(s[1]).replace(tzinfo=ZONE) > now for s in earlier)
    assert not any(s[1].startswith((str(TODAY - days(2)), str(TODAY - days(1))))
                   for s in earlier)


def test_find_json_and_table(cli, agenda):  # type: ignore[no-untyped-def]
    # a1 (Maya with Sam, MON 10:00-10:50) rules out Ana's 10:00 (also a2's) and Lee's
    # 09:30 and 10:30.
    result = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--therapist",
                 LEE, "--from", MON.isoformat(), "--days", "7", "--limit", "3", "-o", "json")
    assert result.exit_code == 0, result.output
    ana = agenda.ids["ana"]
    assert result.json() == [
        {"provider_id": ana, "provider": "Ana Ruiz", "start": iso(MON, "09:00"),
         "end": iso(MON, "09:50"), "location": "Main office"},
        {"provider_id": ana, "provider": "Ana Ruiz", "start": iso(MON, "11:00"),
         "end": iso(MON, "11:50"), "location": "Main office"},
        {"provider_id": ana, "provider": "Ana Ruiz", "start": iso(WED, "09:00"),
         "end": iso(WED, "09:50"), "location": "Telehealth"},
    ]
    assert result.stderr == ""
    table = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                MON.isoformat(), "--days", "1")
    assert table.exit_code == 0, table.output
    lines = [line for line in table.stdout.splitlines() if "Ana Ruiz" in line]
    assert [line.split("│")[1].strip() for line in lines] == ["1", "2"]
    assert f"{MON} 11:00 {zone_name(MON, '11:00')}" in lines[1]
    csv = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
              MON.isoformat(), "--limit", "1", "-o", "csv")
    assert csv.exit_code == 0, csv.output
    # (The runner's stdout turns CRLF into LF; test_cli checks the raw bytes.)
    assert csv.stdout == ("provider_id,provider,start,end,location\n"
                          f"{ana},Ana Ruiz,{iso(MON, '09:00')},{iso(MON, '09:50')},"
                          "Main office\n")
    empty = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                TUE.isoformat(), "--days", "1", "-o", "json")
    assert empty.exit_code == 0, empty.output
    assert empty.json() == []


# --- 3. recurrence --------------------------------------------------------------------------

def series(s, first: str, provider: str = SAM, client: str = MAYA,
           **rule: Any) -> list[str]:  # type: ignore[no-untyped-def]
    """Book a series through the service; the local start of each occurrence."""
    from sqlalchemy import select

    from clinicctl.models import Appointment
    from clinicctl.scheduling.recurrence import make_recurrence

    ids = book_in(s, client, provider, first, outside_availability=True,
                  recurrence=make_recurrence(**rule))
    rows = list(s.scalars(select(Appointment).where(Appointment.id.in_(ids))
                          .order_by(Appointment.start_at)))
    assert len({r.series_id for r in rows}) == 1 and rows[0].series_id is not None
    return [f"{r.start_at.astimezone(ZONE):%Y-%m-%d %H:%M}" for r in rows]


def on(*dates: dt.date, time: str = "10:00") -> list[str]:
    return [f"{d.isoformat()} {time}" for d in dates]


def add_months(day: dt.date, n: int) -> dt.date:
    month = day.month - 1 + n
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


FIRST_OF_MONTH = add_months(MON.replace(day=10), 1)  # a day every month has


@pytest.mark.parametrize(("rule", "expected"), [
    ({"repeat": "weekly", "count": 3}, on(MON, MON + days(7), MON + days(14))),
    ({"repeat": "biweekly", "count": 3}, on(MON, MON + days(14), MON + days(28))),
    ({"repeat": "weekly", "until": str(MON + days(21))},
     on(MON, MON + days(7), MON + days(14), MON + days(21))),
    ({"repeat": "weekly", "until": str(MON + days(20))}, on(MON, MON + days(7), MON + days(14))),
    ({"repeat": "weekly", "count": 1}, on(MON)),
    ({"every": 3, "unit": "days", "count": 4}, on(MON, THU, MON + days(6), MON + days(9))),
    ({"every": 2, "unit": "weeks", "on": "mon,thu", "count": 5},
     on(MON, THU, MON + days(14), THU + days(14), MON + days(28))),
    ({"repeat": "weekly", "on": "tue,thu", "count": 3}, on(TUE, THU, TUE + days(7))),
    ({"every": 1, "unit": "weeks", "on": "monday,wed", "until": str(WED + days(7))},
     on(MON, WED, MON + days(7), WED + days(7))),
], ids=["weekly", "biweekly", "until-inclusive", "until-before", "count-1", "every-3-days",
        "every-2-weeks-on", "weekly-on-later-days", "until-on"])
def test_recurrence_rules(scratch, rule, expected):  # type: ignore[no-untyped-def]
    first = at(TUE if rule.get("on") == "tue,thu" else MON, "10:00")
    assert series(scratch, first, **rule) == expected


@pytest.mark.parametrize(("rule", "months"), [
    ({"repeat": "monthly", "count": 3}, [0, 1, 2]),
    ({"every": 2, "unit": "months", "until": None}, [0, 2, 4]),
], ids=["monthly", "every-2-months-until"])
def test_monthly_recurrence(scratch, rule, months):  # type: ignore[no-untyped-def]
    if "until" in rule:
        rule = {**rule, "until": str(add_months(FIRST_OF_MONTH, 5) - days(1))}
    assert series(scratch, at(FIRST_OF_MONTH, "10:00"), **rule) == on(
        *(add_months(FIRST_OF_MONTH, n) for n in months))


def test_series_json_shares_one_series_id(cli, practice):  # type: ignore[no-untyped-def]
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:00"), "--repeat", "weekly", "--on", "mon,wed", "--count", "3",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    booked = practice.appointments()
    series_id = booked[0]["series_id"]
    assert series_id is not None
    assert data == {"appointments": [
        row(practice, booked[0]["id"], "maya", ANA, MON, "09:00", "09:50", series_id=series_id),
        row(practice, booked[1]["id"], "maya", ANA, WED, "09:00", "09:50", series_id=series_id,
            location="Telehealth"),
        row(practice, booked[2]["id"], "maya", ANA, MON + days(7), "09:00", "09:50",
            series_id=series_id),
    ], "series_id": series_id, "new_provider": True, "reactivated_from": None}
    assert result.stderr == (f"Booked 3 appointments (series #{series_id}) with Ana Ruiz.\n"
                             f"{alert(practice.ids['maya'], 'Ana Ruiz')}\n")


def test_a_series_with_failing_occurrences_books_nothing(cli, practice
                                                          ):  # type: ignore[no-untyped-def]
    [ana_busy] = practice.book(OMAR, ANA, at(MON + days(7), "10:00"))
    [maya_busy] = practice.book(MAYA, SAM, at(MON + days(14), "10:30"), duration=30)
    with practice.session() as s:
        time_off(s, ANA, str(MON + days(28)), str(MON + days(28)))
    before = snapshot(practice.url)

    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"), "--repeat", "weekly", "--count", "5", "-o", "json")
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    w1, w2, w4 = MON + days(7), MON + days(14), MON + days(28)
    assert result.stderr == (
        "Error: 3 of 5 occurrences cannot be booked; nothing was booked\n"
        f"  {when(w1, '10:00')}: overlaps the provider's appointment #{ana_busy} "
        f"({when(w1, '10:00')}-10:50)\n"
        f"  {when(w2, '10:00')}: overlaps the client's appointment #{maya_busy} "
        f"({when(w2, '10:30')}-11:00)\n"
        f"  {when(w4, '10:00')}: Ana Ruiz has time off\n")
    assert snapshot(practice.url) == before


def test_a_series_partly_outside_availability_books_nothing(cli, practice
                                                             ):  # type: ignore[no-untyped-def]
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"), "--every", "1", "--unit", "days", "--count", "3")
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 1 of 3 occurrences cannot be booked; nothing was booked\n"
        f"  {when(TUE, '10:00')}: outside Ana Ruiz's availability "
        "(add --outside-availability to book anyway)\n")
    assert snapshot(practice.url) == before
    # Anyway: three rows, the Tuesday flagged, and the audit event says so.
    mark = practice.last_event_id()
    forced = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"), "--every", "1", "--unit", "days", "--count", "3",
                 "--outside-availability", "-o", "json")
    assert forced.exit_code == 0, forced.output
    assert [a["location"] for a in forced.json()["appointments"]] == [
        "Main office", None, "Telehealth"]
    assert [a["outside_availability"] for a in practice.appointments()] == [False, True, False]
    assert forced.stderr.endswith("Booked outside the provider's availability (recorded in "
                                  "the audit trail).\n")
    [booked_event] = [e for e in practice.events(mark) if e[1] == "appointment.book"]
    assert booked_event[3]["outside_availability"] is True


def test_series_keep_wall_clock_time_across_both_dst_changes(cli, practice
                                                              ):  # type: ignore[no-untyped-def]
    spring, fall = dst_changes(MON)
    first = spring - days(6)  # the Monday before the clocks spring forward
    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(first, "10:00"), "--repeat", "weekly", "--until", str(fall + days(1)),
                 "-o", "json")
    assert result.exit_code == 0, result.output
    starts = [dt.datetime.fromisoformat(a["start"]) for a in result.json()["appointments"]]
    assert len(starts) == (fall + days(1) - first).days // 7 + 1
    assert {s.strftime("%H:%M %a") for s in starts} == {"10:00 Mon"}
    offsets = {s.date(): s.utcoffset() for s in starts}
    standard, summer = offsets[first], offsets[first + days(7)]
    assert summer - standard == dt.timedelta(hours=1)
    assert all(o == (summer if spring < d < fall else standard) for d, o in offsets.items())
    # Stored in UTC, one hour apart in summer.
    utc_hours = {a["start"][:10]: dt.datetime.fromisoformat(a["start"]).astimezone(dt.UTC).hour
                 for a in result.json()["appointments"]}
    assert utc_hours[str(first)] == utc_hours[str(first + days(7))] + 1


def test_an_ambiguous_fall_back_time_is_its_first_occurrence(cli, practice
                                                             ):  # type: ignore[no-untyped-def]
    _, fall = dst_changes(MON)
    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(fall, "01:30"), "--outside-availability", "-o", "json")
    assert result.exit_code == 0, result.output
    [booked] = result.json()["appointments"]
    # 01:30 daylight time; 50 minutes later the clocks read 01:20 standard time.
    summer = dt.datetime.combine(fall - days(1), dt.time(12), tzinfo=ZONE).utcoffset()
    start = dt.datetime.fromisoformat(booked["start"])
    end = dt.datetime.fromisoformat(booked["end"])
    assert (start.strftime("%H:%M"), start.utcoffset()) == ("01:30", summer)
    assert end.strftime("%H:%M") == "01:20"
    assert end - start == dt.timedelta(minutes=50)


# --- 4. conflicts ---------------------------------------------------------------------------

def test_conflict_with_the_providers_appointment(cli, practice):  # type: ignore[no-untyped-def]
    [other] = practice.book(OMAR, ANA, at(MON, "10:00"))
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:30"), "-o", "json")
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (f"Error: {when(MON, '10:30')}: overlaps the provider's appointment "
                             f"#{other} ({when(MON, '10:00')}-10:50)\n")
    assert snapshot(practice.url) == before
    assert practice.assignment(practice.ids["maya"], practice.ids["ana"]) is None


def test_conflict_with_the_clients_appointment(cli, practice):  # type: ignore[no-untyped-def]
    [other] = practice.book(MAYA, SAM, at(MON, "10:00"))
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:30"))
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (f"Error: {when(MON, '09:30')}: overlaps the client's appointment "
                             f"#{other} ({when(MON, '10:00')}-10:50)\n")
    assert snapshot(practice.url) == before


def test_conflict_lists_every_reason(cli, practice):  # type: ignore[no-untyped-def]
    [theirs] = practice.book(OMAR, ANA, at(MON, "10:00"))
    [hers] = practice.book(MAYA, SAM, at(MON, "11:00"))
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:30"), "--duration", "60")
    assert result.exit_code == 5, result.output
    assert result.stderr == (
        f"Error: {when(MON, '10:30')}: overlaps the provider's appointment #{theirs} "
        f"({when(MON, '10:00')}-10:50); overlaps the client's appointment #{hers} "
        f"({when(MON, '11:00')}-11:50)\n")


def test_touching_appointments_are_fine(cli, practice):  # type: ignore[no-untyped-def]
    practice.book(OMAR, ANA, at(MON, "10:00"), duration=60)
    after = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                at(MON, "11:00"), "--duration", "60")
    assert after.exit_code == 0, after.output
    before = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:10"), "--duration", "50")
    assert before.exit_code == 0, before.output
    assert len(practice.appointments()) == 3


def test_a_cancelled_appointment_does_not_conflict(cli, practice
                                                   ):  # type: ignore[no-untyped-def]
    [other] = practice.book(OMAR, ANA, at(MON, "10:00"))
    cancelled = cli("appointment", "cancel", str(other))
    assert cancelled.exit_code == 0, cancelled.output
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("start", "duration"), [("13:00", "50"), ("11:30", "50"),
                                                 ("08:30", "50"), ("09:00", "181")],
                         ids=["after", "runs-past-the-end", "starts-before", "too-long"])
def test_outside_availability_is_refused(cli, practice, start, duration
                                         ):  # type: ignore[no-untyped-def]
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, start), "--duration", duration)
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (f"Error: {when(MON, start)}: outside Ana Ruiz's availability "
                             "(add --outside-availability to book anyway)\n")
    assert snapshot(practice.url) == before


def test_outside_availability_when_asked_is_audited(cli, practice
                                                    ):  # type: ignore[no-untyped-def]
    mark = practice.last_event_id()
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "13:00"), "--outside-availability", "-o", "json")
    assert result.exit_code == 0, result.output
    [booked] = practice.appointments()
    assert result.json()["appointments"] == [
        row(practice, booked["id"], "maya", ANA, MON, "13:00", "13:50", location=None)]
    assert booked["outside_availability"] is True
    assert result.stderr == (
        f"Booked appointment #{booked['id']} with Ana Ruiz.\n"
        f"{alert(practice.ids['maya'], 'Ana Ruiz')}\n"
        "Booked outside the provider's availability (recorded in the audit trail).\n")
    events = practice.events(mark)
    assert [e[1] for e in events] == ["assignment.create", "appointment.book"]
    assert events[1][3] == {"provider_id": practice.ids["ana"], "appointment_ids": [booked["id"]],
                            "series_id": None, "new_provider": True,
                            "outside_availability": True}


def test_inside_availability_is_audited_as_such(cli, practice):  # type: ignore[no-untyped-def]
    mark = practice.last_event_id()
    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(MON, "13:00"), "--outside-availability")
    assert result.exit_code == 0, result.output
    assert "outside" not in result.stderr
    assert practice.events(mark)[-1][3]["outside_availability"] is False


@pytest.mark.parametrize("flag", [(), ("--outside-availability",)], ids=["plain", "anyway"])
def test_time_off_is_refused(cli, practice, flag):  # type: ignore[no-untyped-def]
    with practice.session() as s:
        time_off(s, ANA, at(MON, "09:00"), at(MON, "12:00"))
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"), *flag)
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {when(MON, '10:00')}: Ana Ruiz has time off\n"
    assert snapshot(practice.url) == before


def test_booking_options(cli, practice):  # type: ignore[no-untyped-def]
    """--service sets the default length, --location the default POS, --pos overrides it."""
    added = cli("service", "add", "x100", "--name", "Check-in", "--minutes", "20")
    assert added.exit_code == 0, added.output
    cases = [
        (("--service", "90837"), row(practice, 0, "maya", SAM, MON, "09:00", "10:00",
                                     service="90837")),
        (("--service", "X100", "--location", "Telehealth"),
         row(practice, 0, "maya", SAM, TUE, "09:00", "09:20", service="X100",
             location="Telehealth")),
        (("--pos", "02", "--duration", "45"),
         row(practice, 0, "maya", SAM, WED, "09:00", "09:45", pos="02")),
    ]
    for (options, expected), day in zip(cases, (MON, TUE, WED), strict=True):
        result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                     at(day, "09:00"), *options, "-o", "json")
        assert result.exit_code == 0, result.output
        [got] = result.json()["appointments"]
        assert got == {**expected, "id": got["id"]}


# --- 5. life cycle --------------------------------------------------------------------------

def test_list_and_filters(cli, agenda):  # type: ignore[no-untyped-def]
    ids = agenda.ids

    def listed(*options: str) -> list[int]:
        result = cli("appointment", "list", *options, "-o", "json")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        return [a["id"] for a in result.json()]

    everything = [ids["past2"], ids["past"], ids["a1"], ids["a2"], ids["a3"]]
    assert listed() == everything
    assert listed("--provider", SAM) == [ids["past2"], ids["past"], ids["a1"], ids["a3"]]
    assert listed("--provider", ANA) == [ids["a2"]]
    assert listed("--client", OMAR) == [ids["a2"]]
    assert listed("--client", MAYA, "--provider", ANA) == []
    assert listed("--from", str(MON), "--to", str(MON)) == [ids["a1"], ids["a2"]]
    assert listed("--from", str(TUE)) == [ids["a3"]]
    assert listed("--to", str(TODAY)) == [ids["past2"], ids["past"]]
    assert listed("--status", "completed") == [ids["past"]]
    assert listed("--status", "cancelled,completed") == [ids["past"], ids["a3"]]
    assert listed("--status", "no-show") == []
    csv = cli("appointment", "list", "--client", OMAR, "-o", "csv")
    assert csv.exit_code == 0, csv.output
    assert csv.stdout == (
        "id,client_id,provider_id,provider,start,end,status,service,pos,location,series_id\n"
        f"{ids['a2']},{ids['omar']},{ids['ana']},Ana Ruiz,{iso(MON, '10:00')},"
        f"{iso(MON, '10:50')},scheduled,90834,11,Main office,\n")
    # A provider sees their own appointments and those of clients in their list.
    result = cli("appointment", "list", "-o", "json", actor=ANA)
    assert [a["id"] for a in result.json()] == [ids["a2"]]
    result = cli("appointment", "list", "-o", "json", actor=LEE)
    assert result.json() == []


def test_show(cli, agenda):  # type: ignore[no-untyped-def]
    ids = agenda.ids
    result = cli("appointment", "show", str(ids["a1"]), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == row(agenda, ids["a1"], "maya", SAM, MON, "10:00", "10:50")
    assert result.stderr == ""
    cancelled = cli("appointment", "show", str(ids["a3"]), "-o", "json", actor=SAM)
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.json()["status"] == "cancelled"
    denied = cli("appointment", "show", str(ids["a1"]), actor=LEE)
    assert denied.exit_code == 4, denied.output
    assert denied.stderr == "Error: appointment.show: not your appointment or client\n"
    missing = cli("appointment", "show", "999")
    assert missing.exit_code == 3, missing.output
    assert missing.stderr == "Error: no appointment with id 999\n"


def test_cancel_with_a_reason_then_again_is_a_no_op(cli, practice
                                                    ):  # type: ignore[no-untyped-def]
    [appointment_id] = practice.book(MAYA, SAM, at(MON, "10:00"))
    mark = practice.last_event_id()
    result = cli("appointment", "cancel", str(appointment_id), "--reason", "client asked",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == [row(practice, appointment_id, "maya", SAM, MON, "10:00", "10:50",
                                 status="cancelled")]
    assert result.stderr == "1 appointment(s) now cancelled.\n"
    [stored] = practice.appointments()
    assert (stored["status"], stored["reason"]) == ("cancelled", "client asked")

    again = cli("appointment", "cancel", str(appointment_id), "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json()[0]["status"] == "cancelled"
    assert again.stderr == f"Appointment #{appointment_id} is already cancelled; nothing changed.\n"
    assert practice.appointments() == [stored]
    assert [(e[1], e[3]) for e in practice.events(mark)] == [
        ("appointment.cancel", {"status": "cancelled", "scope": "this",
                                "appointment_ids": [appointment_id]})]


def test_cancel_late_and_no_show(cli, practice):  # type: ignore[no-untyped-def]
    [future] = practice.book(MAYA, SAM, at(MON, "10:00"))
    [past] = practice.book(MAYA, SAM, at(TODAY - days(1), "10:00"), outside_availability=True,
                           force=True)
    late = cli("appointment", "cancel", str(future), "--late", "--reason", "an hour before")
    assert late.exit_code == 0, late.output
    assert late.stderr == "1 appointment(s) now late-cancelled.\n"

    early = cli("appointment", "cancel", str(future), "--no-show")
    assert early.exit_code == 5, early.output
    assert early.stderr == (f"Error: appointment #{future} is late-cancelled; only scheduled "
                            "appointments can be cancelled\n")
    [other] = practice.book(MAYA, SAM, at(TUE, "10:00"))
    not_yet = cli("appointment", "cancel", str(other), "--no-show")
    assert not_yet.exit_code == 5, not_yet.output
    assert not_yet.stderr == (f"Error: appointment #{other} has not started yet; it cannot be "
                              "a no-show\n")

    missed = cli("appointment", "cancel", str(past), "--no-show", "-o", "json")
    assert missed.exit_code == 0, missed.output
    assert missed.json()[0]["status"] == "no-show"
    assert [(a["id"], a["status"], a["reason"]) for a in practice.appointments()] == [
        (future, "late-cancelled", "an hour before"), (past, "no-show", None),
        (other, "scheduled", None)]


def test_cancel_scopes(cli, practice):  # type: ignore[no-untyped-def]
    from clinicctl.scheduling.recurrence import make_recurrence

    ids = practice.book(MAYA, SAM, at(MON, "10:00"),
                        recurrence=make_recurrence(repeat="weekly", count=5))
    this = cli("appointment", "cancel", str(ids[1]), "--scope", "this", "-o", "json")
    assert this.exit_code == 0, this.output
    assert [a["id"] for a in this.json()] == [ids[1]]

    future = cli("appointment", "cancel", str(ids[2]), "--scope", "future", "-o", "json")
    assert future.exit_code == 0, future.output
    assert [a["id"] for a in future.json()] == ids[2:]
    assert future.stderr == "3 appointment(s) now cancelled.\n"
    assert [a["status"] for a in practice.appointments()] == ["scheduled"] + ["cancelled"] * 4

    # Repeating a scope that is already in effect is a no-op.
    repeat = cli("appointment", "cancel", str(ids[2]), "--scope", "future")
    assert repeat.exit_code == 0, repeat.output
    assert repeat.stderr == f"Appointment #{ids[2]} is already cancelled; nothing changed.\n"

    # The series from any of its appointments, even a cancelled one: what is left of it.
    whole = cli("appointment", "cancel", str(ids[4]), "--scope", "series", "--late", "-o",
                "json")
    assert whole.exit_code == 0, whole.output
    assert [a["id"] for a in whole.json()] == [ids[0]]
    assert [a["status"] for a in practice.appointments()] == (
        ["late-cancelled"] + ["cancelled"] * 4)
    single = cli("appointment", "cancel", str(ids[0]), "--scope", "future")
    assert single.exit_code == 0, single.output


def test_complete(cli, practice):  # type: ignore[no-untyped-def]
    [future] = practice.book(MAYA, SAM, at(MON, "10:00"))
    [past] = practice.book(MAYA, SAM, at(TODAY - days(1), "10:00"), outside_availability=True,
                           force=True)
    early = cli("appointment", "complete", str(future))
    assert early.exit_code == 5, early.output
    assert early.stderr == f"Error: appointment #{future} has not started yet\n"

    done = cli("appointment", "complete", str(past), "-o", "json")
    assert done.exit_code == 0, done.output
    assert done.json()["status"] == "completed"
    assert done.stderr == f"Appointment #{past} completed.\n"
    again = cli("appointment", "complete", str(past))
    assert again.exit_code == 0, again.output
    assert again.stderr == f"Appointment #{past} is already completed; nothing changed.\n"
    cancel = cli("appointment", "cancel", str(past))
    assert cancel.exit_code == 5, cancel.output
    assert cancel.stderr == (f"Error: appointment #{past} is completed; only scheduled "
                             "appointments can be cancelled\n")
    assert [a["status"] for a in practice.appointments()] == ["scheduled", "completed"]


def test_reschedule(cli, practice):  # type: ignore[no-untyped-def]
    [moving] = practice.book(MAYA, SAM, at(MON, "10:00"))
    [fixed] = practice.book(MAYA, SAM, at(TUE, "10:00"))
    mark = practice.last_event_id()
    result = cli("appointment", "reschedule", str(moving), "--at", at(TUE, "11:00"), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == row(practice, moving, "maya", SAM, TUE, "11:00", "11:50")
    assert result.stderr == f"Appointment #{moving} is now {TUE} 11:00 with Sam Okafor.\n"
    [event] = practice.events(mark)
    assert event[1] == "appointment.reschedule"

    clash = cli("appointment", "reschedule", str(moving), "--at", at(TUE, "10:30"))
    assert clash.exit_code == 5, clash.output
    assert clash.stderr == (f"Error: {when(TUE, '10:30')}: overlaps the provider's appointment "
                            f"#{fixed} ({when(TUE, '10:00')}-10:50)\n")
    late = cli("appointment", "reschedule", str(moving), "--at", at(TUE, "18:00"))
    assert late.exit_code == 5, late.output
    assert late.stderr == (f"Error: {when(TUE, '18:00')}: outside Sam Okafor's availability "
                           "(add --outside-availability to book anyway)\n")
    assert practice.appointments()[0]["start"] == iso(TUE, "11:00")

    forced = cli("appointment", "reschedule", str(moving), "--at", at(TUE, "18:00"),
                 "--outside-availability")
    assert forced.exit_code == 0, forced.output
    assert practice.appointments()[0]["outside_availability"] is True

    same = cli("appointment", "reschedule", str(moving), "--at", at(TUE, "18:00"))
    assert same.exit_code == 0, same.output
    assert same.stderr == (f"Appointment #{moving} is already at {TUE} 18:00 with Sam Okafor; "
                           "nothing changed.\n")

    cli("appointment", "cancel", str(fixed))
    gone = cli("appointment", "reschedule", str(fixed), "--at", at(THU, "10:00"))
    assert gone.exit_code == 5, gone.output
    assert gone.stderr == (f"Error: appointment #{fixed} is cancelled; only scheduled "
                           "appointments can be rescheduled\n")


def test_reschedule_into_its_own_old_time_is_fine(cli, practice
                                                  ):  # type: ignore[no-untyped-def]
    [appointment_id] = practice.book(MAYA, SAM, at(MON, "10:00"))
    result = cli("appointment", "reschedule", str(appointment_id), "--at", at(MON, "10:20"))
    assert result.exit_code == 0, result.output
    assert practice.appointments()[0]["start"] == iso(MON, "10:20")


DRY_RUNS: list[tuple[str, tuple[str, ...]]] = [
    ("book", ("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
              at(MON, "09:30"), "--duration", "30")),
    ("book-series", ("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                     at(WED, "09:00"), "--repeat", "weekly", "--count", "3")),
    ("find-book", ("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                   str(MON), "--book-first")),
    ("cancel", ("appointment", "cancel", "{a1}", "--late")),
    ("cancel-no-show", ("appointment", "cancel", "{past2}", "--no-show")),
    ("complete", ("appointment", "complete", "{past2}")),
    ("reschedule", ("appointment", "reschedule", "{a1}", "--at", at(THU, "10:00"),
                    "--provider", ANA, "--outside-availability")),
    ("availability-add", ("availability", "add", ANA, "--days", "fri", "--start", "09:00",
                          "--end", "12:00")),
    ("availability-remove", ("availability", "remove", "{ana_mon}")),
    ("timeoff", ("availability", "timeoff", ANA, "--start", str(MON), "--end", str(MON),
                 "--force")),
    ("location-add", ("location", "add", "Annex", "--pos", "22")),
    ("service-add", ("service", "add", "X200", "--name", "Walk and talk", "--minutes", "40")),
]


@pytest.mark.parametrize(("name", "args"), DRY_RUNS, ids=[d[0] for d in DRY_RUNS])
def test_dry_run_writes_nothing(cli, agenda, name, args):  # type: ignore[no-untyped-def]
    before = snapshot(agenda.url)
    result = cli(*(a.format(**agenda.ids) for a in args), "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(("{", "[")), result.stdout
    assert result.stderr.startswith("Dry run (nothing written): "), result.stderr
    assert snapshot(agenda.url) == before


def test_dry_run_says_what_would_happen(cli, agenda):  # type: ignore[no-untyped-def]
    result = cli("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
                 at(MON, "09:30"), "--duration", "30", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    [would] = result.json()["appointments"]
    assert result.json()["new_provider"] is True
    assert (would["id"], result.json()["series_id"]) == (None, None)
    assert result.stderr == ("Dry run (nothing written): would book 1 appointment with Lee Park "
                             f"on {when(MON, '09:30')}.\n"
                             f"{alert(agenda.ids['maya'], 'Lee Park')}\n")
    assert agenda.assignment(agenda.ids["maya"], agenda.ids["lee"]) is None


# --- 6. permissions (SPEC section 5) --------------------------------------------------------

BOOKERS_DENIED = "requires one of the roles owner, manager, records-custodian, scheduler, provider"
NOT_YOURS = "providers book for themselves, or for a client in their list"
SCHEDULE_DENIED = "requires one of the roles owner, manager, scheduler, provider"

# (id, actor, command, action, refusal or None)
PERMISSION_CASES: list[tuple[str, str, tuple[str, ...], str, str | None]] = []
_BOOK = ("appointment", "book", "--client", MAYA, "--provider", ANA, "--at", at(MON, "11:00"))
for _actor, _why in [(OWNER_EMAIL, None), (MANAGER, None), (CUSTODIAN, None),
                     (IVY, "the client is outside your records-custodian scope"),
                     (SCHEDULER, None), (SAM, None), (ANA, None), (LEE, NOT_YOURS),
                     (KIM, NOT_YOURS), (BILLER, BOOKERS_DENIED)]:
    PERMISSION_CASES.append((f"book-{STAFF_KEYS[_actor]}", _actor, _BOOK, "appointment.book",
                             _why))
PERMISSION_CASES += [
    ("book-self-kim", KIM, ("appointment", "book", "--client", MAYA, "--provider", KIM, "--at",
                            at(MON, "11:00"), "--outside-availability"), "appointment.book",
     None),
    ("find-biller", BILLER, ("availability", "find", "--client", MAYA, "--therapist", ANA),
     "availability.find", BOOKERS_DENIED),
    ("find-lee-for-ana", LEE, ("availability", "find", "--client", MAYA, "--therapist", ANA),
     "availability.find", NOT_YOURS),
]
for _actor, _why in [(SCHEDULER, None), (CUSTODIAN, None), (SAM, None), (MANAGER, None),
                     (ANA, NOT_YOURS), (LEE, NOT_YOURS), (BILLER, BOOKERS_DENIED)]:
    key = STAFF_KEYS[_actor]
    PERMISSION_CASES += [
        (f"cancel-{key}", _actor, ("appointment", "cancel", "{a1}"), "appointment.cancel",
         _why),
        (f"reschedule-{key}", _actor, ("appointment", "reschedule", "{a1}", "--at",
                                       at(THU, "10:00")), "appointment.reschedule", _why),
    ]
PERMISSION_CASES += [
    # Omar is in Kim's list, so Kim may cancel his appointment with Ana; Ana may, it is hers.
    ("cancel-colleague-kim", KIM, ("appointment", "cancel", "{a2}"), "appointment.cancel",
     None),
    ("cancel-own-ana", ANA, ("appointment", "cancel", "{a2}"), "appointment.cancel", None),
    ("reschedule-to-colleague-sam", SAM, ("appointment", "reschedule", "{a1}", "--at",
                                          at(MON, "11:00"), "--provider", ANA),
     "appointment.reschedule", None),
    ("complete-biller", BILLER, ("appointment", "complete", "{past2}"), "appointment.complete",
     BOOKERS_DENIED),
    ("complete-sam", SAM, ("appointment", "complete", "{past2}"), "appointment.complete", None),
]
for _verb, _args in [("add", ("availability", "add", ANA, "--days", "fri", "--start", "09:00",
                              "--end", "12:00")),
                     ("timeoff", ("availability", "timeoff", ANA, "--start", at(MON, "13:00"),
                                  "--end", at(MON, "15:00"))),
                     ("remove", ("availability", "remove", "{ana_mon}"))]:
    for _actor, _why in [(OWNER_EMAIL, None), (MANAGER, None), (SCHEDULER, None), (ANA, None),
                         (LEE, "providers manage only their own availability"),
                         (CUSTODIAN, SCHEDULE_DENIED), (BILLER, SCHEDULE_DENIED)]:
        PERMISSION_CASES.append((f"availability-{_verb}-{STAFF_KEYS[_actor]}", _actor, _args,
                                 f"availability.{_verb}", _why))
for _what, _args in [("location", ("location", "add", "Annex", "--pos", "22")),
                     ("service", ("service", "add", "X200", "--name", "Walk", "--minutes",
                                  "40"))]:
    for _actor, _why in [(OWNER_EMAIL, None), (MANAGER, None),
                         (SCHEDULER, "requires one of the roles owner, manager"),
                         (SAM, "requires one of the roles owner, manager"),
                         (CUSTODIAN, "requires one of the roles owner, manager"),
                         (BILLER, "requires one of the roles owner, manager")]:
        PERMISSION_CASES.append((f"{_what}-add-{STAFF_KEYS[_actor]}", _actor, _args,
                                 f"{_what}.add", _why))
PERMISSION_CASES.append(
    ("scheduler-cannot-share", SCHEDULER, ("client", "share", MAYA, "--from", SAM, "--to", ANA),
     "client.share", "requires one of the roles owner, manager, records-custodian, provider"))


@pytest.mark.parametrize(("actor", "args", "action", "why"),
                         [c[1:] for c in PERMISSION_CASES], ids=[c[0] for c in PERMISSION_CASES])
def test_permissions(cli, agenda, actor, args, action, why):  # type: ignore[no-untyped-def]
    """Allowed: the command runs (as a dry run, so the shared practice stays as it was).
    Refused: exit 4, one line, and only a ``denied`` audit event is added."""
    before = snapshot(agenda.url)
    mark = agenda.last_event_id()
    argv = [a.format(**agenda.ids) for a in args]
    read_only = args[:2] == ("availability", "find")
    result = cli(*argv, *(() if read_only else ("--dry-run",)), "-o", "json", actor=actor)
    after = snapshot(agenda.url)
    if why is None:
        assert result.exit_code == 0, result.output
        assert read_only or result.stderr.startswith("Dry run (nothing written): "), \
            result.stderr
        assert after == before
        return
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {action}: {why}\n"
    assert "Traceback" not in result.output
    del before["audit_event"], after["audit_event"]
    assert after == before
    actor_id = agenda.ids[STAFF_KEYS[actor]]
    assert [e[:3] for e in agenda.events(mark)] == [(actor_id, action, "denied")]


def test_scheduler_books_a_new_provider_but_cannot_share(cli, practice
                                                         ):  # type: ignore[no-untyped-def]
    booked = cli("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
                 at(MON, "09:30"), actor=SCHEDULER)
    assert booked.exit_code == 0, booked.output
    assert alert(practice.ids["maya"], "Lee Park") in booked.stderr
    shared = cli("client", "share", MAYA, "--from", SAM, "--to", ANA, actor=SCHEDULER)
    assert shared.exit_code == 4, shared.output
    assert shared.stderr == ("Error: client.share: requires one of the roles owner, manager, "
                             "records-custodian, provider\n")
    chart = cli("client", "share", MAYA, "--from", LEE, "--to", ANA, "--chart",
                actor=SCHEDULER)
    assert chart.exit_code == 4, chart.output
    assert practice.assignment(practice.ids["maya"], practice.ids["ana"]) is None


def test_provider_books_their_client_with_a_colleague(cli, practice
                                                      ):  # type: ignore[no-untyped-def]
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:00"), "-o", "json", actor=SAM)
    assert result.exit_code == 0, result.output
    assert result.json()["new_provider"] is True
    assert practice.assignment(practice.ids["maya"], practice.ids["ana"]) == (
        "new", "appointment")
    # Ana, now assigned, may book Maya with Lee; Lee, not assigned, may not book her with Ana.
    colleague = cli("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
                    at(MON, "10:30"), actor=ANA)
    assert colleague.exit_code == 0, colleague.output
    refused = cli("appointment", "book", "--client", OMAR, "--provider", ANA, "--at",
                  at(MON, "11:00"), actor=LEE)
    assert refused.exit_code == 4, refused.output


# --- 7. unshare --remove with upcoming appointments ------------------------------------------

def test_unshare_remove_waits_for_upcoming_appointments(cli, practice
                                                        ):  # type: ignore[no-untyped-def]
    from clinicctl.scheduling.recurrence import make_recurrence

    maya, ana = practice.ids["maya"], practice.ids["ana"]
    practice.book(MAYA, ANA, at(TODAY - days(1), "10:00"), outside_availability=True,
                  force=True)
    [first, _] = practice.book(MAYA, ANA, at(MON, "10:00"),
                               recurrence=make_recurrence(repeat="weekly", count=2))
    before = snapshot(practice.url)
    refused = cli("client", "unshare", MAYA, "--from", SAM, "--to", ANA, "--remove")
    assert refused.exit_code == 5, refused.output
    assert refused.stdout == ""
    assert refused.stderr == (f"Error: Ana Ruiz has upcoming appointments with client #{maya} "
                              f"(next: #{first}); cancel them before removing the client from "
                              "the list\n")
    assert snapshot(practice.url) == before

    cancelled = cli("appointment", "cancel", str(first), "--scope", "series")
    assert cancelled.exit_code == 0, cancelled.output
    removed = cli("client", "unshare", MAYA, "--from", SAM, "--to", ANA, "--remove", "-o",
                  "json")
    assert removed.exit_code == 0, removed.output
    assert removed.json()["assignment"] == "removed"
    assert practice.assignment(maya, ana) is None
    # The past appointment stays on record.
    assert [a["status"] for a in practice.appointments()] == ["scheduled", "cancelled",
                                                             "cancelled"]


# --- availability set-up through the CLI ----------------------------------------------------

def test_availability_list_add_remove_timeoff(cli, practice):  # type: ignore[no-untyped-def]
    ids = practice.ids
    listed = cli("availability", "list", ANA, "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert listed.json() == [
        {"id": ids["ana_mon"], "provider_id": ids["ana"], "provider": "Ana Ruiz",
         "provider_email": ANA, "weekdays": ["mon"], "start_time": "09:00",
         "end_time": "12:00", "location": "Main office", "session_minutes": 50,
         "break_minutes": 10, "effective_from": None, "effective_until": None},
        {"id": ids["ana_wed"], "provider_id": ids["ana"], "provider": "Ana Ruiz",
         "provider_email": ANA, "weekdays": ["wed"], "start_time": "09:00",
         "end_time": "12:00", "location": "Telehealth", "session_minutes": 50,
         "break_minutes": 10, "effective_from": None, "effective_until": None}]
    everyone = cli("availability", "list", "-o", "json")
    assert [b["id"] for b in everyone.json()] == sorted(
        [ids["ana_mon"], ids["ana_wed"], ids["lee_mon"], ids["sam_week"]],
        key=lambda i: ({ids["sam_week"]: ids["sam"], ids["lee_mon"]: ids["lee"]}
                       .get(i, ids["ana"]), i))

    added = cli("availability", "add", ANA, "--days", "tue,thu", "--start", "13:00", "--end",
                "16:00", "--session", "45", "--break", "0", "--from", str(TUE), "--until",
                str(THU + days(7)), "-o", "json", actor=ANA)
    assert added.exit_code == 0, added.output
    block = added.json()
    assert {k: v for k, v in block.items() if k != "id"} == {
        "provider_id": ids["ana"], "provider": "Ana Ruiz", "provider_email": ANA,
        "weekdays": ["tue", "thu"], "start_time": "13:00", "end_time": "16:00",
        "location": None, "session_minutes": 45, "break_minutes": 0,
        "effective_from": str(TUE), "effective_until": str(THU + days(7))}
    assert added.stderr == f"Added availability block #{block['id']} for Ana Ruiz.\n"
    slots = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                str(TUE), "--days", "1", "-o", "json")
    assert [s["start"][11:16] for s in slots.json()] == ["13:00", "13:45", "14:30", "15:15"]

    off = cli("availability", "timeoff", ANA, "--start", str(TUE), "--end", str(TUE),
              "--reason", "holiday", "-o", "json")
    assert off.exit_code == 0, off.output
    assert {k: v for k, v in off.json().items() if k != "id"} == {
        "provider_id": ids["ana"], "provider": "Ana Ruiz", "provider_email": ANA,
        "start": iso(TUE, "00:00"), "end": iso(WED, "00:00"), "reason": "holiday",
        "booked_appointments": []}
    slots = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                str(TUE), "--days", "1", "-o", "json")
    assert slots.json() == []

    removed = cli("availability", "remove", str(ids["ana_mon"]), "-o", "json")
    assert removed.exit_code == 0, removed.output
    assert removed.stderr == f"Removed availability block #{ids['ana_mon']}.\n"
    refused = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                  at(MON, "10:00"))
    assert refused.exit_code == 5, refused.output
    assert "outside Ana Ruiz's availability" in refused.stderr


def test_locations_and_services(cli, practice):  # type: ignore[no-untyped-def]
    added = cli("location", "add", "  North   annex ", "--pos", "22", "-o", "json")
    assert added.exit_code == 0, added.output
    assert {k: v for k, v in added.json().items() if k != "id"} == {"name": "North annex",
                                                                    "pos": "22"}
    again = cli("location", "add", "north ANNEX", "--pos", "22")
    assert again.exit_code == 0, again.output
    assert again.stderr == "Location 'North annex' already exists; nothing changed.\n"
    clash = cli("location", "add", "North annex", "--pos", "11")
    assert clash.exit_code == 5, clash.output
    assert clash.stderr == "Error: location 'North annex' exists with POS 22\n"
    listed = cli("location", "list", "-o", "json", actor=BILLER)
    assert [(loc["name"], loc["pos"]) for loc in listed.json()] == [
        ("Main office", "11"), ("North annex", "22"), ("Telehealth", "10")]

    services = cli("service", "list", "-o", "json")
    assert services.exit_code == 0, services.output
    minutes = {s["code"]: s["minutes"] for s in services.json()}
    assert {code: minutes[code] for code in ("90791", "90832", "90834", "90837", "90839",
                                             "90846", "90847", "90853")} == {
        "90791": 60, "90832": 30, "90834": 50, "90837": 60, "90839": 60, "90846": 50,
        "90847": 50, "90853": 90}
    added = cli("service", "add", "g0001", "--name", "Walk and talk", "--minutes", "40",
                "-o", "json")
    assert added.exit_code == 0, added.output
    assert added.json() == {"code": "G0001", "name": "Walk and talk", "minutes": 40,
                            "builtin": False}
    again = cli("service", "add", "G0001", "--name", "Walk and talk", "--minutes", "40")
    assert again.exit_code == 0, again.output
    assert again.stderr == "Service G0001 already exists; nothing changed.\n"


@pytest.mark.parametrize(("first", "expected"), [
    ("2027-01-31", ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]),
    ("2028-01-30", ["2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30", "2028-05-30"]),
    ("2027-01-15", ["2027-01-15", "2027-02-15", "2027-03-15", "2027-04-15", "2027-05-15"]),
])
def test_monthly_series_late_in_the_month_fall_on_the_last_day_of_short_months(first,
                                                                                expected):
    from clinicctl.scheduling.recurrence import Recurrence, occurrences

    start = dt.datetime.fromisoformat(f"{first} 10:00")
    dates = [d.date().isoformat() for d in occurrences(start, Recurrence(1, "months", count=5))]
    assert dates == expected
    assert all(d.time() == dt.time(10) for d in occurrences(start, Recurrence(1, "months",
                                                                               count=5)))
