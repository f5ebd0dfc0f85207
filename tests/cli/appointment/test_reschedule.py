"""``appointment reschedule``: the same checks as a booking, its own old time excepted."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    GONE,
    MAYA,
    MON,
    SAM,
    SPRING,
    THU,
    TUE,
    WED,
    at,
    iso,
    row,
    when,
)


def test_reschedule(cli, practice):
    [moving] = practice.book(MAYA, SAM, at(MON, "10:00"))
    [fixed] = practice.book(MAYA, SAM, at(TUE, "10:00"))
    mark = practice.last_event_id()
    result = cli("appointment", "reschedule", str(moving), "--at", at(TUE, "11:00"), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == row(practice, moving, "maya", SAM, TUE, "11:00", "11:50") | {
        "new_provider": False, "reactivated_from": None}
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


def test_reschedule_into_its_own_old_time_is_fine(cli, practice):
    [appointment_id] = practice.book(MAYA, SAM, at(MON, "10:00"))
    result = cli("appointment", "reschedule", str(appointment_id), "--at", at(MON, "10:20"))
    assert result.exit_code == 0, result.output
    assert practice.appointments()[0]["start"] == iso(MON, "10:20")


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("reschedule-to-deactivated-provider", ("appointment", "reschedule", "{single}",
                                                "--at", at(MON, "10:00"), "--provider", GONE),
         2, "Pat Gone is deactivated; book with an active provider"),
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before
