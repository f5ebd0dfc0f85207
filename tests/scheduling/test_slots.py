"""Open-slot arithmetic, through the service inside a transaction that is rolled back
(``scratch``): sessions plus breaks, durations, places, several therapists, appointments,
time off, effective dates, and never a slot in the past."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.schedule_db import (
    ANA,
    KIM,
    LEE,
    MAYA,
    MON,
    OMAR,
    SAM,
    THU,
    TODAY,
    TUE,
    WED,
    ZONE,
    at,
    book_in,
    days,
    time_off,
)


def find(s, *, therapists: tuple[str, ...] = (ANA,), client: str = MAYA,
         start: dt.date = MON, span: int = 1, actor: str = OWNER_EMAIL,
         **options: Any) -> list[tuple[str, str, str, str | None]]:
    """(therapist, local start, local end, location) of each open slot, via the service."""
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    _, slots = availability.find_slots(
        s, resolve_staff(s, actor), client_ref=client, therapist_refs=list(therapists),
        start_date=start.isoformat(), days=span, **options)
    return [(slot.provider.split()[0], f"{slot.start:%Y-%m-%d %H:%M}", f"{slot.end:%H:%M}",
             slot.location) for slot in slots]


def slot(who: str, day: dt.date, start: str, end: str, location: str | None = "Main office"
         ) -> tuple[str, str, str, str | None]:
    return (who, f"{day.isoformat()} {start}", end, location)


def add_block(s, provider: str, days_: str, start: str, end: str,
              **options: Any) -> int:
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    return availability.add_block(s, resolve_staff(s, OWNER_EMAIL), provider, days=days_,
                                  start=start, end=end, **options).id


ANA_MONDAY = [slot("Ana", MON, "09:00", "09:50"), slot("Ana", MON, "10:00", "10:50"),
              slot("Ana", MON, "11:00", "11:50")]


def test_slots_step_by_session_plus_break(scratch):
    assert find(scratch) == ANA_MONDAY
    # 30-minute sessions with 15-minute breaks: the last slot ends exactly at the block's end.
    add_block(scratch, LEE, "tue", "13:00", "15:00", session_minutes=30, break_minutes=15)
    assert find(scratch, therapists=(LEE,), start=TUE) == [
        slot("Lee", TUE, "13:00", "13:30", None), slot("Lee", TUE, "13:45", "14:15", None),
        slot("Lee", TUE, "14:30", "15:00", None)]


@pytest.mark.parametrize(("duration", "expected"), [
    (30, [("09:00", "09:30"), ("10:00", "10:30"), ("11:00", "11:30")]),
    (90, [("09:00", "10:30"), ("10:00", "11:30")]),
    (180, [("09:00", "12:00")]),
    (181, []),
])
def test_slots_for_a_duration(scratch, duration, expected):
    assert find(scratch, duration=duration) == [slot("Ana", MON, a, b) for a, b in expected]


def test_slots_at_a_location(scratch):
    week = find(scratch, span=7)
    assert [s[1][:10] for s in week] == [MON.isoformat()] * 3 + [WED.isoformat()] * 3
    assert find(scratch, span=7, location_ref="Telehealth") == [
        slot("Ana", WED, "09:00", "09:50", "Telehealth"),
        slot("Ana", WED, "10:00", "10:50", "Telehealth"),
        slot("Ana", WED, "11:00", "11:50", "Telehealth")]
    assert find(scratch, span=7, location_ref="main OFFICE") == ANA_MONDAY


def test_slots_limit(scratch):
    assert find(scratch, span=7, limit=2) == ANA_MONDAY[:2]
    assert find(scratch, span=7, limit=1) == ANA_MONDAY[:1]


def test_slots_of_several_therapists_earliest_first(scratch):
    expected = [slot("Ana", MON, "09:00", "09:50"), slot("Sam", MON, "09:00", "09:50"),
                slot("Lee", MON, "09:30", "10:20", "Telehealth"),
                slot("Ana", MON, "10:00", "10:50"), slot("Sam", MON, "10:00", "10:50"),
                slot("Lee", MON, "10:30", "11:20", "Telehealth"),
                slot("Ana", MON, "11:00", "11:50"), slot("Sam", MON, "11:00", "11:50")]
    assert find(scratch, therapists=(SAM, LEE, ANA), limit=8) == expected
    assert find(scratch, therapists=(ANA, LEE, SAM, "Ana Ruiz"), limit=8) == expected


def test_slots_skip_the_therapists_appointments(scratch):
    book_in(scratch, OMAR, ANA, at(MON, "10:00"))
    assert find(scratch) == [ANA_MONDAY[0], ANA_MONDAY[2]]


def test_slots_skip_the_clients_appointments_with_anyone(scratch):
    # Maya sees Sam 10:30-11:00: Ana's 10:00-10:50 overlaps; 11:00 only touches it.
    book_in(scratch, MAYA, SAM, at(MON, "10:30"), duration=30)
    assert find(scratch) == [ANA_MONDAY[0], ANA_MONDAY[2]]
    # Omar is not affected by Maya's appointment.
    assert find(scratch, client=OMAR) == ANA_MONDAY


def test_slots_skip_time_off(scratch):
    time_off(scratch, ANA, at(MON, "09:30"), at(MON, "10:15"))
    time_off(scratch, ANA, WED.isoformat(), WED.isoformat())  # the whole day
    assert find(scratch, span=7) == [ANA_MONDAY[2]]
    assert find(scratch, therapists=(ANA, LEE), limit=3) == [
        slot("Lee", MON, "09:30", "10:20", "Telehealth"),
        slot("Lee", MON, "10:30", "11:20", "Telehealth"), ANA_MONDAY[2]]


@pytest.mark.parametrize("how", ["cancelled", "late-cancelled"])
def test_a_cancelled_appointment_frees_its_slot(scratch, how):
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments

    [appointment_id] = book_in(scratch, OMAR, ANA, at(MON, "10:00"))
    assert find(scratch) == [ANA_MONDAY[0], ANA_MONDAY[2]]
    appointments.cancel(scratch, resolve_staff(scratch, OWNER_EMAIL), appointment_id,
                        late=how == "late-cancelled")
    assert find(scratch) == ANA_MONDAY


def test_slots_are_half_open(scratch):
    # Omar with Ana 09:50-10:00 and 10:50-11:00: every 50-minute slot still fits.
    book_in(scratch, OMAR, ANA, at(MON, "09:50"), duration=10)
    book_in(scratch, OMAR, ANA, at(MON, "10:50"), duration=10)
    assert find(scratch) == ANA_MONDAY
    book_in(scratch, OMAR, ANA, at(MON, "11:49"), duration=1)
    assert find(scratch) == ANA_MONDAY[:2]


def test_slots_respect_effective_dates(scratch):
    add_block(scratch, LEE, "thu", "14:00", "15:00", effective_from=(THU + days(7)).isoformat(),
              effective_until=(THU + days(14)).isoformat())
    found = find(scratch, therapists=(LEE,), start=TUE, span=28)
    assert [s[1] for s in found if s[1].endswith("14:00")] == [
        f"{THU + days(7)} 14:00", f"{THU + days(14)} 14:00"]


def test_overlapping_blocks_offer_a_time_once(scratch):
    # `availability add` refuses an overlapping block now; a database may hold some from
    # before, written here directly.
    from clinicctl.models import AvailabilityBlock
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling.catalog import resolve_location

    ana = resolve_staff(scratch, ANA)
    scratch.add(AvailabilityBlock(provider_id=ana.id, weekdays=1, start_time=dt.time(11),
                                  end_time=dt.time(13),
                                  location_id=resolve_location(scratch, "Main office").id,
                                  created_by_id=ana.id))
    scratch.flush()
    assert find(scratch) == [*ANA_MONDAY, slot("Ana", MON, "12:00", "12:50")]


def test_no_slot_in_the_past(scratch):
    add_block(scratch, KIM, "mon,tue,wed,thu,fri,sat,sun", "00:00", "23:59",
              session_minutes=30, break_minutes=0)
    from clinicctl.models import utcnow

    earlier = find(scratch, therapists=(KIM,), start=TODAY - days(2), span=4, limit=300)
    now = utcnow()
    assert any(s[1].startswith(str(TODAY + days(1))) for s in earlier)
    assert all(dt.datetime.fromisoformat(s[1]).replace(tzinfo=ZONE) > now for s in earlier)
    assert not any(s[1].startswith((str(TODAY - days(2)), str(TODAY - days(1))))
                   for s in earlier)
