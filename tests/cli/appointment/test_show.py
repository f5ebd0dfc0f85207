"""``appointment show``."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import LEE, MON, SAM, row


def test_show(cli, agenda):
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


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("show-unknown", ("appointment", "show", "999"), 3, "no appointment with id 999"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before
