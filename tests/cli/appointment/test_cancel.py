"""``appointment cancel``: a reason, late cancellations and no-shows, the scopes of a series,
and a repeat as a no-op."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import MAYA, MON, SAM, TODAY, TUE, at, days, row


def test_cancel_with_a_reason_then_again_is_a_no_op(cli, practice):
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


def test_cancel_late_and_no_show(cli, practice):
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


def test_cancel_scopes(cli, practice):
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


# --- bad input --------------------------------------------------------------------------------

CASES = [
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


USAGE_CASES = [
    (("appointment", "cancel", "#3"), "Invalid value for 'ID':", "appointment cancel"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[f"{c[2]} {c[1].split(':')[0]}" for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, scheduled, args, starts, command):
    before = snapshot(scheduled.url)
    result = cli(*args)
    assert_usage_error(result, starts, command)
    assert snapshot(scheduled.url) == before
