"""``availability add``: weekdays, times, session lengths, dates and places are checked."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, MON, WED, WEEKDAY_HINT

ADD = ("availability", "add", ANA)
ADD_OK = {"--days": "mon", "--start": "13:00", "--end": "15:00"}


def add(**changes: str) -> tuple[str, ...]:
    """``availability add`` with valid options, some replaced."""
    options = {**ADD_OK, **{f"--{k.rstrip('_')}": v for k, v in changes.items()}}
    return (*ADD, *(x for pair in options.items() for x in pair))


CASES = [
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


# --dry-run validates exactly as a real run does: these cases again, as dry runs.
DRY_RUN_CASES = [c for c in CASES if c.id in {
    "add-weekday-number", "add-minute-60", "add-negative-session", "add-not-a-provider"
}]


@pytest.mark.parametrize("case", DRY_RUN_CASES, ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, scheduled, case):
    """--dry-run validates exactly as a real run does."""
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


USAGE_CASES = [
    (("availability", "add", ANA, "--days", "mon", "--start", "09:00", "--end", "12:00",
      "--session", "fifty"), "Invalid value for '--session':", "availability add"),
    (("availability", "add", ANA, "--start", "09:00", "--end", "12:00"),
     "Missing option '--days'.", "availability add"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, scheduled, args, starts, command):
    before = snapshot(scheduled.url)
    result = cli(*args)
    assert_usage_error(result, starts, command)
    assert snapshot(scheduled.url) == before
