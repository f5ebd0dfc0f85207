"""``availability timeoff``: the start and the end, days or local times, are checked."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, MON, SPRING, WED, at

TIMEOFF = ("availability", "timeoff", ANA)
CASES = [
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


# --dry-run validates exactly as a real run does: these cases again, as dry runs.
DRY_RUN_CASES = [c for c in CASES if c.id in {"timeoff-bad-start"}]


@pytest.mark.parametrize("case", DRY_RUN_CASES, ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, scheduled, case):
    """--dry-run validates exactly as a real run does."""
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before
