"""``availability find``: open slots as JSON, a numbered table and CSV; bad options change
nothing. (The slot arithmetic is in ``tests/scheduling/test_slots.py``.)"""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    GONE,
    LEE,
    MAYA,
    MON,
    POS_HINT,
    TUE,
    WED,
    iso,
    zone_name,
)

FIND = ("availability", "find", "--client", MAYA, "--therapist", ANA, "--from", str(MON))


def test_find_json_and_table(cli, agenda):
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
    assert f"{MON} 11:00" in lines[1]
    assert f"Start ({zone_name(MON, '11:00')})" in table.stdout  # one zone: in the header
    csv = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
              MON.isoformat(), "--limit", "1", "-o", "csv")
    assert csv.exit_code == 0, csv.output
    # (The runner's stdout turns CRLF into LF; tests/cli/test_output_formats.py checks the
    # raw bytes.)
    assert csv.stdout == ("provider_id,provider,start,end,location\n"
                          f"{ana},Ana Ruiz,{iso(MON, '09:00')},{iso(MON, '09:50')},"
                          "Main office\n")
    empty = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                TUE.isoformat(), "--days", "1", "-o", "json")
    assert empty.exit_code == 0, empty.output
    assert empty.json() == []


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("find-deactivated-therapist", ("availability", "find", "--client", MAYA,
                                        "--therapist", GONE, "--from", str(MON)), 2,
         "Pat Gone is deactivated; book with an active provider"),
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


USAGE_CASES = [
    ((*FIND, "--book", "first"), "Invalid value for '--book':", "availability find"),
    (("availability", "find", "--client", MAYA), "Missing option '--therapist'.",
     "availability find"),
    ((*FIND, "--days", "a week"), "Invalid value for '--days':", "availability find"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, scheduled, args, starts, command):
    before = snapshot(scheduled.url)
    result = cli(*args)
    assert_usage_error(result, starts, command)
    assert snapshot(scheduled.url) == before
