"""``appointment book``: conflicts with the provider's and the client's appointments, the
provider's availability and time off, the options that set the length and place, and bad input
(the series are in ``tests/scheduling/test_recurrence.py``, the new provider's list in
``tests/scheduling/test_sharing_by_booking.py``)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    GONE,
    LEE,
    MAYA,
    MON,
    OMAR,
    POS_HINT,
    SAM,
    SPRING,
    TODAY,
    TUE,
    WED,
    WEEKDAY_HINT,
    alert,
    at,
    row,
    time_off,
    when,
)

BOOK = ("appointment", "book", "--client", MAYA, "--provider", ANA)
BOOK_MON = (*BOOK, "--at", at(MON, "10:00"))


def test_conflict_with_the_providers_appointment(cli, practice):
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


def test_conflict_with_the_clients_appointment(cli, practice):
    [other] = practice.book(MAYA, SAM, at(MON, "10:00"))
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:30"))
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (f"Error: {when(MON, '09:30')}: overlaps the client's appointment "
                             f"#{other} ({when(MON, '10:00')}-10:50)\n")
    assert snapshot(practice.url) == before


def test_conflict_lists_every_reason(cli, practice):
    [theirs] = practice.book(OMAR, ANA, at(MON, "10:00"))
    [hers] = practice.book(MAYA, SAM, at(MON, "11:00"))
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:30"), "--duration", "60")
    assert result.exit_code == 5, result.output
    assert result.stderr == (
        f"Error: {when(MON, '10:30')}: overlaps the provider's appointment #{theirs} "
        f"({when(MON, '10:00')}-10:50); overlaps the client's appointment #{hers} "
        f"({when(MON, '11:00')}-11:50)\n")


def test_touching_appointments_are_fine(cli, practice):
    practice.book(OMAR, ANA, at(MON, "10:00"), duration=60)
    after = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                at(MON, "11:00"), "--duration", "60")
    assert after.exit_code == 0, after.output
    before = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "09:10"), "--duration", "50")
    assert before.exit_code == 0, before.output
    assert len(practice.appointments()) == 3


def test_a_cancelled_appointment_does_not_conflict(cli, practice):
    [other] = practice.book(OMAR, ANA, at(MON, "10:00"))
    cancelled = cli("appointment", "cancel", str(other))
    assert cancelled.exit_code == 0, cancelled.output
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("start", "duration"), [("13:00", "50"), ("11:30", "50"),
                                                 ("08:30", "50"), ("09:00", "181")],
                         ids=["after", "runs-past-the-end", "starts-before", "too-long"])
def test_outside_availability_is_refused(cli, practice, start, duration):
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, start), "--duration", duration)
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == (f"Error: {when(MON, start)}: outside Ana Ruiz's availability "
                             "(add --outside-availability to book anyway)\n")
    assert snapshot(practice.url) == before


def test_outside_availability_when_asked_is_audited(cli, practice):
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


def test_inside_availability_is_audited_as_such(cli, practice):
    mark = practice.last_event_id()
    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(MON, "13:00"), "--outside-availability")
    assert result.exit_code == 0, result.output
    assert "outside" not in result.stderr
    assert practice.events(mark)[-1][3]["outside_availability"] is False


@pytest.mark.parametrize("flag", [(), ("--outside-availability",)], ids=["plain", "anyway"])
def test_time_off_is_refused(cli, practice, flag):
    with practice.session() as s:
        time_off(s, ANA, at(MON, "09:00"), at(MON, "12:00"))
    before = snapshot(practice.url)
    result = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                 at(MON, "10:00"), *flag)
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {when(MON, '10:00')}: Ana Ruiz has time off\n"
    assert snapshot(practice.url) == before


def test_booking_options(cli, practice):
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


def test_dry_run_says_what_would_happen(cli, agenda):
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


# --- bad input --------------------------------------------------------------------------------

CASES = [
    # --- appointment book: places, services, durations
    Case("book-unknown-pos", (*BOOK_MON, "--pos", "28"), 2,
         f"unknown place of service code '28': {POS_HINT}"),
    Case("book-one-digit-pos", (*BOOK_MON, "--pos", "1"), 2,
         f"unknown place of service code '1': {POS_HINT}"),
    Case("book-unknown-service", (*BOOK_MON, "--service", "99999"), 2,
         "unknown service code '99999' (see `clinicctl service list`)"),
    Case("book-unknown-location", (*BOOK_MON, "--location", "Moon base"), 3,
         "no location 'Moon base' (locations: Main office, Telehealth)"),
    Case("book-zero-duration", (*BOOK_MON, "--duration", "0"), 2,
         "--duration must be a positive number of minutes, not 0"),
    Case("book-negative-duration", (*BOOK_MON, "--duration", "-50"), 2,
         "--duration must be a positive number of minutes, not -50"),
    Case("book-duration-over-a-day", (*BOOK_MON, "--duration", "1441"), 2,
         "--duration of 1441 minutes is longer than a day"),
    # --- appointment book: the time
    Case("book-at-words", (*BOOK, "--at", "tomorrow 10am"), 2,
         "invalid --at 'tomorrow 10am': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("book-at-date-only", (*BOOK, "--at", str(MON)), 2,
         f"invalid --at '{MON}': give a time too, e.g. {MON} 10:00"),
    Case("book-at-feb-30", (*BOOK, "--at", "2027-02-30 10:00"), 2,
         "invalid --at '2027-02-30 10:00': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("book-at-hour-25", (*BOOK, "--at", f"{MON} 25:00"), 2,
         f"invalid --at '{MON} 25:00': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("book-at-us-date", (*BOOK, "--at", "01/04/2027 10:00"), 2,
         "invalid --at '01/04/2027 10:00': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("book-in-the-dst-gap", (*BOOK, "--at", at(SPRING, "02:30"),
                                 "--outside-availability"), 2,
         f"{SPRING} 02:30 does not exist in America/New_York: the clocks skip it "
         "(daylight saving time starts)"),
    Case("book-series-into-the-dst-gap", (*BOOK, "--at", at(SPRING - dt.timedelta(days=2),
                                                             "02:30"),
                                          "--every", "1", "--unit", "days", "--count", "3",
                                          "--outside-availability"), 2,
         f"{SPRING} 02:30 does not exist in America/New_York: the clocks skip it "
         "(daylight saving time starts)"),
    Case("book-over-a-year-ago", (*BOOK, "--at", at(TODAY - dt.timedelta(days=400), "10:00"),
                                  "--outside-availability"), 2,
         "the appointment is more than a year in the past"),
    # --- appointment book: recurrence
    Case("count-and-until", (*BOOK_MON, "--repeat", "weekly", "--count", "3", "--until",
                             str(MON + dt.timedelta(days=30))), 2,
         "give either --count or --until, not both"),
    Case("repeat-and-every", (*BOOK_MON, "--repeat", "weekly", "--every", "2", "--unit",
                              "weeks", "--count", "3"), 2,
         "give either --repeat or --every N --unit U, not both"),
    Case("unit-without-every", (*BOOK_MON, "--unit", "weeks", "--count", "3"), 2,
         "--unit needs --every N"),
    Case("every-without-unit", (*BOOK_MON, "--every", "2", "--count", "3"), 2,
         "--every needs --unit days, weeks or months"),
    Case("on-without-repeat", (*BOOK_MON, "--on", "mon,thu"), 2,
         "--on, --count and --until need --repeat or --every"),
    Case("count-without-repeat", (*BOOK_MON, "--count", "3"), 2,
         "--on, --count and --until need --repeat or --every"),
    Case("until-without-repeat", (*BOOK_MON, "--until", str(WED)), 2,
         "--on, --count and --until need --repeat or --every"),
    Case("repeat-without-end", (*BOOK_MON, "--repeat", "weekly"), 2,
         "a repeating booking needs --count N or --until DATE"),
    Case("every-without-end", (*BOOK_MON, "--every", "1", "--unit", "days"), 2,
         "a repeating booking needs --count N or --until DATE"),
    Case("repeat-daily", (*BOOK_MON, "--repeat", "daily", "--count", "3"), 2,
         "invalid --repeat 'daily': expected weekly, biweekly or monthly"),
    Case("unit-years", (*BOOK_MON, "--every", "1", "--unit", "years", "--count", "3"), 2,
         "invalid --unit 'years': expected days, weeks or months"),
    Case("every-zero", (*BOOK_MON, "--every", "0", "--unit", "days", "--count", "3"), 2,
         "--every must be at least 1, not 0"),
    Case("every-negative", (*BOOK_MON, "--every", "-1", "--unit", "weeks", "--count", "3"), 2,
         "--every must be at least 1, not -1"),
    Case("count-zero", (*BOOK_MON, "--repeat", "weekly", "--count", "0"), 2,
         "--count must be between 1 and 260, not 0"),
    Case("count-too-many", (*BOOK_MON, "--repeat", "weekly", "--count", "261"), 2,
         "--count must be between 1 and 260, not 261"),
    Case("on-monthly", (*BOOK_MON, "--repeat", "monthly", "--on", "mon", "--count", "3"), 2,
         "--on applies to weekly repeats only"),
    Case("on-every-days", (*BOOK_MON, "--every", "2", "--unit", "days", "--on", "mon",
                           "--count", "3"), 2, "--on applies to weekly repeats only"),
    Case("on-bad-weekday", (*BOOK_MON, "--repeat", "weekly", "--on", "mon,funday", "--count",
                            "3"), 2,
         f"invalid weekday 'funday': {WEEKDAY_HINT} (did you mean 'sunday'?)"),
    Case("on-no-weekday", (*BOOK_MON, "--repeat", "weekly", "--on", " , ", "--count", "3"), 2,
         "no weekdays given: expected e.g. mon,tue"),
    Case("on-misses-the-first-day", (*BOOK_MON, "--repeat", "weekly", "--on", "tue,thu",
                                     "--count", "3"), 2,
         f"--at {MON} is a Monday, not one of --on tue,thu; start the series on one of "
         "those days"),
    Case("until-bad-date", (*BOOK_MON, "--repeat", "weekly", "--until", "2027-13-01"), 2,
         "invalid --until date '2027-13-01': expected YYYY-MM-DD"),
    Case("until-before-first", (*BOOK_MON, "--repeat", "weekly", "--until",
                                str(MON - dt.timedelta(days=1))), 2,
         f"--until {MON - dt.timedelta(days=1)} is before the first appointment"),
    Case("until-too-far", (*BOOK_MON, "--every", "1", "--unit", "days", "--until",
                           str(MON + dt.timedelta(days=400))), 2,
         "the series has more than 260 occurrences; choose an earlier --until"),
    # --- appointment book: who
    Case("book-unknown-client", ("appointment", "book", "--client", "Zed Quux", "--provider",
                                 ANA, "--at", at(MON, "10:00")), 3, "no client matches 'Zed Quux'"),
    Case("book-unknown-provider", ("appointment", "book", "--client", MAYA, "--provider",
                                   "nobody@riverside.example", "--at", at(MON, "10:00")), 3,
         "no provider with email 'nobody@riverside.example'"),
    Case("book-not-a-provider", ("appointment", "book", "--client", MAYA, "--provider",
                                 OWNER_EMAIL, "--at", at(MON, "10:00")), 2,
         "Dana Reyes (#{owner}) is not a provider"),
    Case("book-deactivated-provider", ("appointment", "book", "--client", MAYA, "--provider",
                                       GONE, "--at", at(MON, "10:00")), 2,
         "Pat Gone is deactivated; book with an active provider"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


# --dry-run validates exactly as a real run does: these cases again, as dry runs.
DRY_RUN_CASES = [c for c in CASES if c.id in {
    "book-unknown-pos", "book-negative-duration", "book-at-feb-30",
    "book-series-into-the-dst-gap", "unit-without-every", "until-without-repeat",
    "unit-years", "count-too-many", "on-no-weekday", "until-too-far"
}]


@pytest.mark.parametrize("case", DRY_RUN_CASES, ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, scheduled, case):
    """--dry-run validates exactly as a real run does."""
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


def test_a_failing_series_lists_every_occurrence(cli, scheduled):
    """The one error that spans lines: the failing occurrences, indented, after it."""
    before = snapshot(scheduled.url)
    series = scheduled.ids["series"]
    result = cli("appointment", "book", "--client", MAYA, "--provider", SAM, "--at",
                 at(TUE, "10:30"), "--repeat", "weekly", "--count", "3")
    assert result.exit_code == 5, result.output
    assert result.stdout == ""
    week = TUE + dt.timedelta(days=7)
    assert result.stderr == (
        "Error: 2 of 3 occurrences cannot be booked; nothing was booked\n"
        f"  {when(TUE, '10:30')}: overlaps the provider's appointment #{series} "
        f"({when(TUE, '10:00')}-10:50)\n"
        f"  {when(week, '10:30')}: overlaps the provider's appointment #{series + 1} "
        f"({when(week, '10:00')}-10:50)\n")
    assert snapshot(scheduled.url) == before


USAGE_CASES = [
    ((*BOOK, "--at", at(MON, "10:00"), "--duration", "fifty"), "Invalid value for '--duration':",
     "appointment book"),
    ((*BOOK_MON, "--repeat", "weekly", "--count", "three"), "Invalid value for '--count':",
     "appointment book"),
    ((*BOOK_MON, "--every", "two", "--unit", "weeks", "--count", "3"),
     "Invalid value for '--every':", "appointment book"),
    (BOOK, "Missing option '--at'.", "appointment book"),
    (("appointment", "book", "--provider", ANA, "--at", at(MON, "10:00")),
     "Missing option '--client'.", "appointment book"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, scheduled, args, starts, command):
    before = snapshot(scheduled.url)
    result = cli(*args)
    assert_usage_error(result, starts, command)
    assert snapshot(scheduled.url) == before
