"""``appointment complete``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import MAYA, MON, SAM, TODAY, at, days


def test_complete(cli, practice):
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


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("complete-unknown", ("appointment", "complete", "999"), 3,
         "no appointment with id 999"),
    Case("complete-future", ("appointment", "complete", "{single}"), 5,
         "appointment #{single} has not started yet"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before
