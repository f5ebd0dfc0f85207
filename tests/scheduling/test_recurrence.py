"""Recurring appointments: the rules (weekly, every N days, weeks or months, on weekdays,
until a date), one series id, all or nothing when an occurrence cannot be booked, and the
wall-clock time kept across daylight saving time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    MAYA,
    MON,
    OMAR,
    SAM,
    THU,
    TUE,
    WED,
    ZONE,
    alert,
    at,
    book_in,
    days,
    dst_changes,
    row,
    time_off,
    when,
)


def series(s, first: str, provider: str = SAM, client: str = MAYA,
           **rule: Any) -> list[str]:
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
def test_recurrence_rules(scratch, rule, expected):
    first = at(TUE if rule.get("on") == "tue,thu" else MON, "10:00")
    assert series(scratch, first, **rule) == expected


@pytest.mark.parametrize(("rule", "months"), [
    ({"repeat": "monthly", "count": 3}, [0, 1, 2]),
    ({"every": 2, "unit": "months", "until": None}, [0, 2, 4]),
], ids=["monthly", "every-2-months-until"])
def test_monthly_recurrence(scratch, rule, months):
    if "until" in rule:
        rule = {**rule, "until": str(add_months(FIRST_OF_MONTH, 5) - days(1))}
    assert series(scratch, at(FIRST_OF_MONTH, "10:00"), **rule) == on(
        *(add_months(FIRST_OF_MONTH, n) for n in months))


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


def test_series_json_shares_one_series_id(cli, practice):
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


def test_a_series_with_failing_occurrences_books_nothing(cli, practice):
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


def test_a_series_partly_outside_availability_books_nothing(cli, practice):
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


def test_series_keep_wall_clock_time_across_both_dst_changes(cli, practice):
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
    assert standard is not None and summer is not None
    assert summer - standard == dt.timedelta(hours=1)
    assert all(o == (summer if spring < d < fall else standard) for d, o in offsets.items())
    # Stored in UTC, one hour apart in summer.
    utc_hours = {a["start"][:10]: dt.datetime.fromisoformat(a["start"]).astimezone(dt.UTC).hour
                 for a in result.json()["appointments"]}
    assert utc_hours[str(first)] == utc_hours[str(first + days(7))] + 1


def test_an_ambiguous_fall_back_time_is_its_first_occurrence(cli, practice):
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
