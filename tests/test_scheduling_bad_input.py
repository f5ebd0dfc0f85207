"""Bad input to the scheduling commands, option by option: the documented exit code, one
``Error: ...`` line on stderr, nothing on stdout, no traceback, and no data changed.

All cases share one practice (nothing they do may change it, and every case checks that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import OWNER_EMAIL
from tests.practice_db import snapshot
from tests.schedule_db import (
    ANA,
    MAYA,
    MON,
    SAM,
    TUE,
    WED,
    ZONE,
    Practice,
    at,
    build_schedule,
    dst_changes,
    local,
)

SPRING, FALL = dst_changes(MON)
TODAY = dt.datetime.now(ZONE).date()
POS_HINT = ("expected a two-digit CMS code such as 11 (office) or 10 (telehealth in the "
            "patient's home)")
WEEKDAY_HINT = "expected mon, tue, wed, thu, fri, sat or sun"
GONE = "pat@riverside.example"


def when(day: dt.date, hhmm: str) -> str:
    """How error messages name a local time."""
    return f"{day} {hhmm} {local(day, hhmm):%Z}"


def assert_error(result, code: int, error: str) -> None:  # type: ignore[no-untyped-def]
    """Exit code first, then the exact stderr; stdout stays empty."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {error}\n"


@pytest.fixture(scope="module")
def _shared(backend) -> Practice:  # type: ignore[no-untyped-def]
    """The scheduling practice with one single appointment, one two-week series, and a
    deactivated provider who still has a weekly block."""
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability
    from clinicctl.scheduling.recurrence import make_recurrence

    practice = build_schedule(backend)
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        staff.create_staff(s, name="Pat Gone", email=GONE, roles=["provider"],
                           created_by=owner)
        availability.add_block(s, owner, GONE, days="mon", start="09:00", end="12:00")
        staff.deactivate(s, owner, GONE)
    [practice.ids["single"]] = practice.book(MAYA, SAM, at(MON, "10:00"))
    practice.ids["series"] = practice.book(
        MAYA, SAM, at(TUE, "10:00"), recurrence=make_recurrence(repeat="weekly", count=2))[0]
    return practice


@pytest.fixture
def shared(_shared: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    monkeypatch.setenv("CLINICCTL_DB", _shared.url)
    return _shared


@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    error: str


BOOK = ("appointment", "book", "--client", MAYA, "--provider", ANA)
BOOK_MON = (*BOOK, "--at", at(MON, "10:00"))
FIND = ("availability", "find", "--client", MAYA, "--therapist", ANA, "--from", str(MON))
ADD = ("availability", "add", ANA)
ADD_OK = {"--days": "mon", "--start": "13:00", "--end": "15:00"}
TIMEOFF = ("availability", "timeoff", ANA)


def add(**changes: str) -> tuple[str, ...]:
    """``availability add`` with valid options, some replaced."""
    options = {**ADD_OK, **{f"--{k.rstrip('_')}": v for k, v in changes.items()}}
    return (*ADD, *(x for pair in options.items() for x in pair))


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
    Case("reschedule-to-deactivated-provider", ("appointment", "reschedule", "{single}",
                                                "--at", at(MON, "10:00"), "--provider", GONE),
         2, "Pat Gone is deactivated; book with an active provider"),
    Case("find-deactivated-therapist", ("availability", "find", "--client", MAYA,
                                        "--therapist", GONE, "--from", str(MON)), 2,
         "Pat Gone is deactivated; book with an active provider"),
    # --- availability add
    Case("add-bad-weekday", add(days="mon,funday"), 2,
         f"invalid weekday 'funday': {WEEKDAY_HINT} (did you mean 'sunday'?)"),
    Case("add-weekday-number", add(days="1"), 2, f"invalid weekday '1': {WEEKDAY_HINT}"),
    Case("add-no-weekday", add(days=","), 2, "no weekdays given: expected e.g. mon,tue"),
    Case("add-bad-start", add(start="9am"), 2,
         "invalid start time '9am': expected HH:MM (24-hour)"),
    Case("add-bad-end", add(end="24:00"), 2, "invalid end time '24:00': expected HH:MM (24-hour)"),
    Case("add-minute-60", add(end="14:60"), 2,
         "invalid end time '14:60': expected HH:MM (24-hour)"),
    Case("add-end-before-start", add(start="15:00", end="09:00"), 2,
         "end time 09:00 is not after start time 15:00"),
    Case("add-end-equals-start", add(start="15:00", end="15:00"), 2,
         "end time 15:00 is not after start time 15:00"),
    Case("add-zero-session", add(session="0"), 2,
         "--session must be a positive number of minutes, not 0"),
    Case("add-negative-session", add(session="-50"), 2,
         "--session must be a positive number of minutes, not -50"),
    Case("add-negative-break", add(break_="-10"), 2,
         "--break must be zero or a positive number of minutes, not -10"),
    Case("add-bad-from", add(from_="2027-02-30"), 2,
         "invalid --from date '2027-02-30': expected YYYY-MM-DD"),
    Case("add-until-before-from", add(from_=str(WED), until=str(MON)), 2,
         f"--until {MON} is before --from {WED}"),
    Case("add-unknown-location", add(location="Moon base"), 3,
         "no location 'Moon base' (locations: Main office, Telehealth)"),
    Case("add-not-a-provider", ("availability", "add", OWNER_EMAIL, *add()[3:]), 2,
         "Dana Reyes (#{owner}) is not a provider"),
    Case("add-unknown-provider", ("availability", "add", "Nobody Here", *add()[3:]), 3,
         "no provider named 'Nobody Here'"),
    # --- availability timeoff / remove / list
    Case("timeoff-end-before-start", (*TIMEOFF, "--start", at(MON, "13:00"), "--end",
                                      at(MON, "12:00")), 2,
         f"--end {MON} 12:00 is not after --start {MON} 13:00"),
    Case("timeoff-end-equals-start", (*TIMEOFF, "--start", at(MON, "13:00"), "--end",
                                      at(MON, "13:00")), 2,
         f"--end {MON} 13:00 is not after --start {MON} 13:00"),
    Case("timeoff-end-day-before", (*TIMEOFF, "--start", str(WED), "--end", str(MON)), 2,
         f"--end {MON} is not after --start {WED}"),
    Case("timeoff-bad-start", (*TIMEOFF, "--start", "soon", "--end", str(MON)), 2,
         "invalid --start 'soon': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("timeoff-bad-date", (*TIMEOFF, "--start", "2027-02-30", "--end", str(MON)), 2,
         "invalid --start date '2027-02-30': expected YYYY-MM-DD"),
    Case("timeoff-bad-end-time", (*TIMEOFF, "--start", str(MON), "--end", f"{MON} 9"), 2,
         f"invalid --end '{MON} 9': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("timeoff-in-the-dst-gap", (*TIMEOFF, "--start", at(SPRING, "02:30"), "--end",
                                    at(SPRING, "05:00")), 2,
         f"{SPRING} 02:30 does not exist in America/New_York: the clocks skip it "
         "(daylight saving time starts)"),
    Case("remove-unknown-block", ("availability", "remove", "999"), 3,
         "no availability block with id 999"),
    Case("list-unknown-provider", ("availability", "list", "nobody@riverside.example"), 3,
         "no provider with email 'nobody@riverside.example'"),
    # --- availability find
    Case("find-book-and-book-first", (*FIND, "--book", "1", "--book-first"), 2,
         "give either --book N or --book-first, not both"),
    Case("find-book-zero", (*FIND, "--book", "0"), 2, "--book must be 1 or more, not 0"),
    # Maya's appointment with Sam (MON 10:00) leaves Ana two of her three Monday slots.
    Case("find-book-beyond-the-slots", (*FIND, "--days", "1", "--book", "3"), 5,
         "there is no slot 3: 2 open slot(s) found"),
    Case("find-book-when-none", (*FIND, "--days", "1", "--location", "Telehealth",
                                 "--book-first"), 5,
         "there is no slot 1: 0 open slot(s) found"),
    Case("find-days-zero", (*FIND, "--days", "0"), 2, "--days must be between 1 and 366, not 0"),
    Case("find-days-too-many", (*FIND, "--days", "367"), 2,
         "--days must be between 1 and 366, not 367"),
    Case("find-limit-zero", (*FIND, "--limit", "0"), 2, "--limit must be at least 1, not 0"),
    Case("find-zero-duration", (*FIND, "--duration", "0"), 2,
         "--duration must be a positive number of minutes, not 0"),
    Case("find-negative-duration", (*FIND, "--duration", "-30"), 2,
         "--duration must be a positive number of minutes, not -30"),
    Case("find-bad-from", ("availability", "find", "--client", MAYA, "--therapist", ANA,
                           "--from", "2027-13-01"), 2,
         "invalid --from date '2027-13-01': expected YYYY-MM-DD"),
    Case("find-unknown-location", (*FIND, "--location", "Moon base"), 3,
         "no location 'Moon base' (locations: Main office, Telehealth)"),
    Case("find-unknown-service", (*FIND, "--service", "99999"), 2,
         "unknown service code '99999' (see `clinicctl service list`)"),
    Case("find-book-unknown-pos", (*FIND, "--book-first", "--pos", "28"), 2,
         f"unknown place of service code '28': {POS_HINT}"),
    Case("find-unknown-therapist", ("availability", "find", "--client", MAYA, "--therapist",
                                    "nobody@riverside.example"), 3,
         "no therapist with email 'nobody@riverside.example'"),
    Case("find-unknown-client", ("availability", "find", "--client", "#999", "--therapist",
                                 ANA), 3, "no client with id 999"),
    # --- appointment list / show / cancel / complete / reschedule
    Case("list-bad-status", ("appointment", "list", "--status", "scheduled,done"), 2,
         "invalid status 'done'; expected scheduled, completed, cancelled, late-cancelled, "
         "no-show"),
    Case("list-bad-from", ("appointment", "list", "--from", "2027-02-30"), 2,
         "invalid --from date '2027-02-30': expected YYYY-MM-DD"),
    Case("list-to-before-from", ("appointment", "list", "--from", str(WED), "--to", str(MON)),
         2, f"--to {MON} is before --from {WED}"),
    Case("show-unknown", ("appointment", "show", "999"), 3, "no appointment with id 999"),
    Case("cancel-unknown", ("appointment", "cancel", "999"), 3, "no appointment with id 999"),
    Case("cancel-late-and-no-show", ("appointment", "cancel", "{single}", "--late",
                                     "--no-show"), 2, "give either --late or --no-show, not both"),
    Case("cancel-bad-scope", ("appointment", "cancel", "{single}", "--scope", "everything"), 2,
         "invalid --scope 'everything': expected this, future or series"),
    Case("cancel-scope-without-series", ("appointment", "cancel", "{single}", "--scope",
                                         "future"), 2,
         "appointment #{single} is not part of a series"),
    Case("cancel-no-show-series", ("appointment", "cancel", "{series}", "--no-show", "--scope",
                                   "series"), 2,
         "--no-show applies to one appointment: use --scope this"),
    Case("cancel-no-show-future", ("appointment", "cancel", "{single}", "--no-show"), 5,
         "appointment #{single} has not started yet; it cannot be a no-show"),
    Case("complete-unknown", ("appointment", "complete", "999"), 3,
         "no appointment with id 999"),
    Case("complete-future", ("appointment", "complete", "{single}"), 5,
         "appointment #{single} has not started yet"),
    Case("reschedule-unknown", ("appointment", "reschedule", "999", "--at", at(WED, "10:00")),
         3, "no appointment with id 999"),
    Case("reschedule-bad-at", ("appointment", "reschedule", "{single}", "--at", "next week"), 2,
         "invalid --at 'next week': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("reschedule-into-the-dst-gap", ("appointment", "reschedule", "{single}", "--at",
                                         at(SPRING, "02:00"), "--outside-availability"), 2,
         f"{SPRING} 02:00 does not exist in America/New_York: the clocks skip it "
         "(daylight saving time starts)"),
    Case("reschedule-unknown-provider", ("appointment", "reschedule", "{single}", "--at",
                                         at(WED, "10:00"), "--provider", "Nobody Here"), 3,
         "no provider named 'Nobody Here'"),
    Case("reschedule-onto-the-series", ("appointment", "reschedule", "{single}", "--at",
                                        at(TUE, "10:30")), 5,
         f"{when(TUE, '10:30')}: overlaps the provider's appointment #{{series}} "
         f"({when(TUE, '10:00')}-10:50)"),
    # --- location / service
    Case("location-unknown-pos", ("location", "add", "Annex", "--pos", "28"), 2,
         f"unknown place of service code '28': {POS_HINT}"),
    Case("location-letters-pos", ("location", "add", "Annex", "--pos", "ab"), 2,
         f"unknown place of service code 'ab': {POS_HINT}"),
    Case("location-three-digit-pos", ("location", "add", "Annex", "--pos", "011"), 2,
         f"unknown place of service code '011': {POS_HINT}"),
    Case("location-empty-name", ("location", "add", "  ", "--pos", "11"), 2,
         "the location name is empty"),
    Case("location-exists-with-other-pos", ("location", "add", "main office", "--pos", "10"), 5,
         "location 'Main office' exists with POS 11 (to change it: clinicctl location edit "
         "'#{main}' --pos 10)"),
    Case("service-zero-minutes", ("service", "add", "X1", "--name", "Walk", "--minutes", "0"),
         2, "invalid minutes 0: expected 1 to 1440"),
    Case("service-negative-minutes", ("service", "add", "X1", "--name", "Walk", "--minutes",
                                      "-30"), 2, "invalid minutes -30: expected 1 to 1440"),
    Case("service-too-long", ("service", "add", "X1", "--name", "Walk", "--minutes", "1441"),
         2, "invalid minutes 1441: expected 1 to 1440"),
    Case("service-bad-code", ("service", "add", "90-834", "--name", "Walk", "--minutes", "30"),
         2, "invalid service code '90-834': letters and digits, at most 10"),
    Case("service-long-code", ("service", "add", "ABCDEFGHIJK", "--name", "Walk", "--minutes",
                               "30"), 2,
         "invalid service code 'ABCDEFGHIJK': letters and digits, at most 10"),
    Case("service-empty-name", ("service", "add", "X1", "--name", " ", "--minutes", "30"), 2,
         "the service name is empty"),
    Case("service-exists-differently", ("service", "add", "90834", "--name", "Therapy",
                                        "--minutes", "45"), 5,
         "service 90834 exists as 'Psychotherapy, 45 minutes', 50 min (to change it: "
         "clinicctl service edit 90834 --name Therapy --minutes 45)"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, shared, case):  # type: ignore[no-untyped-def]
    before = snapshot(shared.url)
    result = cli(*(a.format(**shared.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**shared.ids))
    assert snapshot(shared.url) == before


@pytest.mark.parametrize("case", [c for c in CASES if c.args[:2] in {
    ("appointment", "book"), ("availability", "add"), ("availability", "timeoff"),
    ("location", "add"), ("service", "add")} and c.code == 2][::4], ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, shared, case):  # type: ignore[no-untyped-def]
    """--dry-run validates exactly as a real run does."""
    before = snapshot(shared.url)
    result = cli(*(a.format(**shared.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**shared.ids))
    assert snapshot(shared.url) == before


def test_a_failing_series_lists_every_occurrence(cli, shared):  # type: ignore[no-untyped-def]
    """The one error that spans lines: the failing occurrences, indented, after it."""
    before = snapshot(shared.url)
    series = shared.ids["series"]
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
    assert snapshot(shared.url) == before


# Values click itself rejects: one line, exit 2, the command's help named.
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
    ((*FIND, "--book", "first"), "Invalid value for '--book':", "availability find"),
    (("availability", "find", "--client", MAYA), "Missing option '--therapist'.",
     "availability find"),
    ((*FIND, "--days", "a week"), "Invalid value for '--days':", "availability find"),
    (("availability", "add", ANA, "--days", "mon", "--start", "09:00", "--end", "12:00",
      "--session", "fifty"), "Invalid value for '--session':", "availability add"),
    (("availability", "add", ANA, "--start", "09:00", "--end", "12:00"),
     "Missing option '--days'.", "availability add"),
    (("availability", "remove", "first"), "Invalid value for 'ID':", "availability remove"),
    (("appointment", "cancel", "#3"), "Invalid value for 'ID':", "appointment cancel"),
    (("location", "add", "Annex"), "Missing option '--pos'.", "location add"),
    (("service", "add", "X1", "--name", "Walk", "--minutes", "half an hour"),
     "Invalid value for '--minutes':", "service add"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, shared, args, starts, command
                                 ):  # type: ignore[no-untyped-def]
    before = snapshot(shared.url)
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {starts}"), result.stderr
    assert result.stderr.endswith(f" (see `clinicctl {command} --help`)\n"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert snapshot(shared.url) == before
