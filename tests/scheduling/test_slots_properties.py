"""Property-based tests (hypothesis) for the slot and recurrence arithmetic.

Pure functions (``Intervals``, ``fits_availability``, ``occurrences``, ``localize``) are
tested directly; open-slot search runs the real service against random blocks, appointments
and time off inside a transaction that is rolled back, and is compared with a brute-force
oracle. Windows include the weeks of both DST changes in the practice's zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicctl.errors import ExitCode, InvalidInput
from clinicctl.models import AvailabilityBlock
from clinicctl.scheduling.availability import Intervals, fits_availability
from clinicctl.scheduling.recurrence import Recurrence, make_recurrence, occurrences
from clinicctl.scheduling.timeutil import localize
from tests.fixtures.schedule_db import (
    ANA,
    LEE,
    MON,
    ZONE,
    Practice,
    at,
    build_schedule,
    dst_changes,
)

SPRING, FALL = dst_changes(MON)
PROPERTY = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
BASE = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def utc_offset(moment: dt.datetime) -> dt.timedelta:
    offset = moment.utcoffset()
    assert offset is not None, moment
    return offset


# --- Intervals ------------------------------------------------------------------------------

spans = st.lists(st.tuples(st.integers(0, 600), st.integers(1, 120)), max_size=12)


@PROPERTY
@given(spans, st.integers(0, 700), st.integers(1, 120))
def test_intervals_overlap_agrees_with_brute_force(busy, start, length):
    intervals = Intervals((BASE + minutes(s), BASE + minutes(s + n)) for s, n in busy)
    expected = any(s < start + length and s + n > start for s, n in busy)
    assert intervals.overlaps(BASE + minutes(start), BASE + minutes(start + length)) is expected


@PROPERTY
@given(spans)
def test_intervals_are_merged_and_sorted(busy):
    intervals = Intervals((BASE + minutes(s), BASE + minutes(s + n)) for s, n in busy)
    pairs = list(zip(intervals.starts, intervals.ends, strict=True))
    assert all(a < b for a, b in pairs)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(pairs, pairs[1:], strict=False))
    covered = {m for s, n in busy for m in range(s, s + n)}
    assert covered == {m for a, b in pairs for m in range(int((a - BASE).total_seconds() // 60),
                                                        int((b - BASE).total_seconds() // 60))}


# --- fits_availability ----------------------------------------------------------------------

times = st.integers(0, 23 * 60 + 59).map(lambda m: dt.time(m // 60, m % 60))


@st.composite
def blocks(draw: Any) -> AvailabilityBlock:
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 1, 23 * 60 + 59))
    first = draw(st.none() | st.dates(dt.date(2027, 1, 1), dt.date(2027, 1, 20)))
    last = draw(st.none() | st.dates(first or dt.date(2027, 1, 1), dt.date(2027, 1, 31)))
    return AvailabilityBlock(weekdays=draw(st.integers(1, 127)),
                             start_time=dt.time(start // 60, start % 60),
                             end_time=dt.time(end // 60, end % 60),
                             effective_from=first, effective_until=last)


def contains(block: AvailabilityBlock, start: dt.datetime, end: dt.datetime) -> bool:
    """Brute force: the appointment's every minute lies in this block on the block's day."""
    day = start.date()
    if not block.weekdays & (1 << day.weekday()):
        return False
    if (block.effective_from and day < block.effective_from) or (
            block.effective_until and day > block.effective_until):
        return False
    lo = dt.datetime.combine(day, block.start_time)
    hi = dt.datetime.combine(day, block.end_time)
    return lo <= start and end <= hi


@PROPERTY
@given(st.lists(blocks(), max_size=4), st.dates(dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
       times, st.integers(1, 600))
def test_fits_availability_agrees_with_brute_force(candidates, day, start, length):
    naive = dt.datetime.combine(day, start)
    aware = naive.replace(tzinfo=ZONE)
    found = fits_availability(candidates, aware, aware + minutes(length), ZONE)
    inside = [b for b in candidates if contains(b, naive, naive + minutes(length))]
    if inside:
        assert found is not None and found in inside
    else:
        assert found is None


# --- recurrence and DST ---------------------------------------------------------------------

rules = st.one_of(
    st.builds(lambda r, n: make_recurrence(repeat=r, count=n),
              st.sampled_from(["weekly", "biweekly"]), st.integers(1, 60)),
    st.builds(lambda n, k: make_recurrence(every=n, unit="days", count=k),
              st.integers(1, 10), st.integers(1, 60)),
    st.builds(lambda n, k: make_recurrence(every=n, unit="weeks", count=k),
              st.integers(1, 4), st.integers(1, 60)),
    st.builds(lambda n, k: make_recurrence(every=n, unit="months", count=k),
              st.integers(1, 3), st.integers(1, 24)),
)
# Any day of the first twelve months from MON, at a time that exists every day (no 02:xx).
starts = st.builds(
    lambda d, h, m: dt.datetime.combine(MON + dt.timedelta(days=d), dt.time(h, m)),
    st.integers(0, 364), st.sampled_from([0, 1, 3, 7, 9, 12, 17, 23]), st.integers(0, 59))


@PROPERTY
@given(starts.filter(lambda s: s.day <= 28), rules)
def test_occurrences_keep_their_wall_clock_time(first, rule):
    found = occurrences(first, rule)
    assert found[0] == first
    assert len(found) == rule.count
    assert found == sorted(set(found))
    assert {o.time() for o in found} == {first.time()}
    for earlier, later in zip(found, found[1:], strict=False):
        if rule.unit == "days":
            assert later - earlier == dt.timedelta(days=rule.every)
        elif rule.unit == "weeks":
            assert later - earlier == dt.timedelta(weeks=rule.every)
        else:
            assert later.day == first.day
            assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) \
                == rule.every
    for occurrence in found:
        # Stored in UTC and shown in the zone, each one reads the same wall-clock time.
        stored = localize(occurrence, ZONE).astimezone(dt.UTC)
        assert stored.astimezone(ZONE).replace(tzinfo=None) == occurrence


@PROPERTY
@given(st.integers(0, 6), st.integers(7 * 60, 20 * 60), st.sampled_from([1, 2]),
       st.sets(st.integers(0, 6), max_size=3))
def test_weekly_series_across_both_dst_changes(day, minute, every, extra_days):
    first = dt.datetime.combine(SPRING - dt.timedelta(days=7 + day),
                                dt.time(minute // 60, minute % 60))
    weekdays = {first.weekday(), *extra_days}
    rule = Recurrence(every, "weeks", sum(1 << d for d in weekdays), None,
                      FALL + dt.timedelta(days=14))
    found = occurrences(first, rule)
    assert {o.time() for o in found} == {first.time()}
    assert {o.weekday() for o in found} <= weekdays
    offsets = {utc_offset(localize(o, ZONE)) for o in found}
    assert len(offsets) == 2  # standard time at both ends, daylight time between
    for occurrence in found:
        summer = SPRING <= occurrence.date() < FALL
        offset = utc_offset(localize(occurrence, ZONE))
        assert offset == max(offsets) if summer else offset == min(offsets)


@PROPERTY
@given(st.integers(0, 59))
def test_a_time_in_the_spring_forward_gap_is_refused(minute):
    naive = dt.datetime.combine(SPRING, dt.time(2, minute))
    with pytest.raises(InvalidInput) as refused:
        localize(naive, ZONE)
    assert refused.value.exit_code == ExitCode.INVALID_INPUT == 2
    assert str(refused.value) == (f"{SPRING} 02:{minute:02d} does not exist in "
                                  "America/New_York: the clocks skip it "
                                  "(daylight saving time starts)")


@PROPERTY
@given(st.integers(0, 59))
def test_a_fall_back_time_is_its_first_occurrence(minute):
    naive = dt.datetime.combine(FALL, dt.time(1, minute))
    summer = dt.datetime.combine(FALL - dt.timedelta(days=1), dt.time(12), tzinfo=ZONE)
    assert localize(naive, ZONE).utcoffset() == summer.utcoffset()


@PROPERTY
@given(st.integers(1, 6), st.integers(0, 59))
def test_a_daily_series_through_the_gap_reaches_a_time_that_does_not_exist(
        days_before, minute):
    """Booking localizes every occurrence, so this series is refused (exit 2) as a whole."""
    first = dt.datetime.combine(SPRING - dt.timedelta(days=days_before), dt.time(2, minute))
    found = occurrences(first, make_recurrence(every=1, unit="days", count=days_before + 1))
    assert found[-1] == dt.datetime.combine(SPRING, dt.time(2, minute))
    localize(found[0], ZONE)
    with pytest.raises(InvalidInput):
        localize(found[-1], ZONE)


# --- open slots against a brute-force oracle ------------------------------------------------

@pytest.fixture(scope="module")
def _practice(backend) -> Practice:
    return build_schedule(backend)


WINDOWS = [MON, SPRING - dt.timedelta(days=6), FALL - dt.timedelta(days=6)]


@st.composite
def schedules(draw: Any) -> dict[str, Any]:
    """Blocks for Ana and Lee, busy time for them, for Sam and for the two clients."""
    window = draw(st.sampled_from(WINDOWS))
    block_list = []
    for _ in range(draw(st.integers(1, 4))):
        # Often a Sunday's small hours, where the clocks change.
        start = draw(st.integers(0, 12) | st.integers(0, 20 * 4)) * 15
        end = min(start + draw(st.integers(2, 40)) * 15, 23 * 60 + 45)
        block_list.append({
            "provider": draw(st.sampled_from(["ana", "lee"])),
            "weekdays": draw(st.integers(1, 127) | st.integers(1, 127).map(lambda m: m | 64)),
            "start": dt.time(start // 60, start % 60), "end": dt.time(end // 60, end % 60),
            "session": draw(st.sampled_from([20, 30, 45, 50, 60])),
            "break": draw(st.sampled_from([0, 5, 10, 15])),
            "location": draw(st.sampled_from([None, "main", "tele"])),
            "from": draw(st.none() | st.integers(0, 6).map(
                lambda d: window + dt.timedelta(days=d))),
        })
    busy = draw(st.lists(st.fixed_dictionaries({
        "who": st.sampled_from(["ana", "lee", "sam"]),
        "client": st.sampled_from(["maya", "omar"]),
        "day": st.integers(0, 6), "minute": st.integers(0, 23 * 4).map(lambda q: q * 15),
        "length": st.sampled_from([15, 30, 50, 60, 90]),
        "status": st.sampled_from(["scheduled", "scheduled", "cancelled", "late-cancelled"]),
    }), max_size=10))
    off = draw(st.lists(st.fixed_dictionaries({
        "who": st.sampled_from(["ana", "lee"]), "day": st.integers(0, 6),
        "minute": st.integers(0, 23 * 4).map(lambda q: q * 15),
        "length": st.integers(1, 16).map(lambda q: q * 30),
    }), max_size=3))
    return {"window": window, "blocks": block_list, "busy": busy, "off": off,
            "duration": draw(st.none() | st.sampled_from([25, 50, 90]))}


def _instant(day: dt.date, minute: int) -> dt.datetime:
    """A UTC instant for a local wall-clock minute (times in the DST gap move forward)."""
    naive = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    return naive.replace(tzinfo=ZONE).astimezone(dt.UTC)


def _populate(s, ids: dict[str, int], plan: dict[str, Any]
              ) -> tuple[list[AvailabilityBlock], list[tuple[int, int, dt.datetime, dt.datetime]],
                         list[tuple[int, dt.datetime, dt.datetime]]]:
    from sqlalchemy import delete

    from clinicctl.models import Appointment, TimeOff

    s.execute(delete(AvailabilityBlock))
    owner = ids["owner"]
    made = []
    for b in plan["blocks"]:
        block = AvailabilityBlock(
            provider_id=ids[b["provider"]], weekdays=b["weekdays"], start_time=b["start"],
            end_time=b["end"], session_minutes=b["session"], break_minutes=b["break"],
            location_id=ids[b["location"]] if b["location"] else None,
            effective_from=b["from"], created_by_id=owner)
        s.add(block)
        made.append(block)
    taken: list[tuple[int, int, dt.datetime, dt.datetime]] = []  # (provider, client, start, end)
    for a in plan["busy"]:
        start = _instant(plan["window"] + dt.timedelta(days=a["day"]), a["minute"])
        end = start + minutes(a["length"])
        provider, client = ids[a["who"]], ids[a["client"]]
        if a["status"] == "scheduled":
            # The database itself refuses overlaps (PostgreSQL's exclusion constraints).
            if any((p == provider or c == client) and s0 < end and e0 > start
                   for p, c, s0, e0 in taken):
                continue
            taken.append((provider, client, start, end))
        s.add(Appointment(client_id=client, provider_id=provider, start_at=start, end_at=end,
                          service_code="90834", pos_code="11", status=a["status"],
                          created_by_id=owner))
    time_off = []
    for o in plan["off"]:
        start = _instant(plan["window"] + dt.timedelta(days=o["day"]), o["minute"])
        end = start + minutes(o["length"])
        s.add(TimeOff(provider_id=ids[o["who"]], start_at=start, end_at=end,
                      created_by_id=owner))
        time_off.append((ids[o["who"]], start, end))
    s.flush()
    return made, taken, time_off


def _oracle(blocks_: list[AvailabilityBlock], taken: list[tuple[int, int, dt.datetime,
                                                               dt.datetime]],
            time_off: list[tuple[int, dt.datetime, dt.datetime]], plan: dict[str, Any],
            maya: int, now: dt.datetime) -> set[tuple[int, dt.datetime]]:
    """Every (provider, start) a slot search should offer, by brute force."""
    expected = set()
    for block in blocks_:
        length = minutes(plan["duration"] or block.session_minutes)
        step = minutes(block.session_minutes + block.break_minutes)
        for offset in range(7):
            day = plan["window"] + dt.timedelta(days=offset)
            if not block.weekdays & (1 << day.weekday()):
                continue
            if block.effective_from and day < block.effective_from:
                continue
            wall = dt.datetime.combine(day, block.start_time)
            block_end = dt.datetime.combine(day, block.end_time)
            while wall + length <= block_end:
                try:
                    start = localize(wall, ZONE).astimezone(dt.UTC)
                except InvalidInput:
                    wall += step
                    continue
                end = start + length
                inside = end.astimezone(ZONE).replace(tzinfo=None) <= block_end
                busy = any((p == block.provider_id or c == maya) and s0 < end and e0 > start
                           for p, c, s0, e0 in taken)
                away = any(p == block.provider_id and s0 < end and e0 > start
                           for p, s0, e0 in time_off)
                if inside and not busy and not away and start > now:
                    expected.add((block.provider_id, start))
                wall += step
    return expected


@PROPERTY
@given(schedules())
def test_open_slots_match_a_brute_force_oracle(_practice, plan):
    from clinicctl.models import utcnow
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    ids = _practice.ids
    with _practice.session(dry_run=True) as s:
        blocks_, taken, time_off = _populate(s, ids, plan)
        now = utcnow()
        _, slots = availability.find_slots(
            s, resolve_staff(s, "dana@riverside.example"), client_ref="Maya Chen",
            therapist_refs=[ANA, LEE], start_date=plan["window"].isoformat(), days=7,
            duration=plan["duration"], limit=10_000)
        found = [(slot.provider_id, slot.start.astimezone(dt.UTC),
                  slot.end.astimezone(dt.UTC), slot.location_id) for slot in slots]

    # Earliest first, each (therapist, start) once.
    assert [f[1] for f in found] == sorted(f[1] for f in found)
    assert len({(p, start) for p, start, _, _ in found}) == len(found)
    for provider, start, end, location in found:
        # the asked-for length in elapsed minutes, even across a DST change ...
        owned = [b for b in blocks_ if b.provider_id == provider]
        assert end - start in {minutes(plan["duration"] or b.session_minutes) for b in owned}
        # ... inside one of the therapist's blocks, on its day ...
        local_start = start.astimezone(ZONE).replace(tzinfo=None)
        local_end = end.astimezone(ZONE).replace(tzinfo=None)
        assert any(contains(b, local_start, local_end) and b.location_id == location
                   for b in owned), (start, end)
        # ... clear of every appointment of the therapist or the client, and of time off.
        assert not any((p == provider or c == ids["maya"]) and s0 < end and e0 > start
                       for p, c, s0, e0 in taken)
        assert not any(p == provider and s0 < end and e0 > start for p, s0, e0 in time_off)
        assert start > now
    # ... and nothing the oracle finds is missing.
    assert {(p, start) for p, start, _, _ in found} == _oracle(
        blocks_, taken, time_off, plan, ids["maya"], now)


def test_slots_on_the_dst_days(_practice):
    """Hour-long slots over the early hours of both change days: wall-clock starts,
    sixty elapsed minutes each, none starting in the gap."""
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability

    with _practice.session(dry_run=True) as s:
        owner = resolve_staff(s, "dana@riverside.example")
        availability.add_block(s, owner, LEE, days="sun", start="00:00", end="05:00",
                               session_minutes=60, break_minutes=0)
        found = {}
        for day in (SPRING, FALL):
            _, slots = availability.find_slots(
                s, owner, client_ref="Maya Chen", therapist_refs=[LEE],
                start_date=day.isoformat(), days=1)
            found[day] = [(f"{slot.start:%H:%M%z}", f"{slot.end:%H:%M%z}") for slot in slots]
    assert found[SPRING] == [("00:00-0500", "01:00-0500"), ("01:00-0500", "03:00-0400"),
                             ("03:00-0400", "04:00-0400"), ("04:00-0400", "05:00-0400")]
    assert found[FALL] == [("00:00-0400", "01:00-0400"), ("01:00-0400", "01:00-0500"),
                           ("02:00-0500", "03:00-0500"), ("03:00-0500", "04:00-0500"),
                           ("04:00-0500", "05:00-0500")]


def test_booking_a_slot_across_fall_back(cli, backend, _practice, monkeypatch):
    """``--book`` books the slot as listed: sixty minutes, not the wall-clock difference."""
    from tests.fixtures.schedule_db import clone

    practice = clone(backend, _practice)
    monkeypatch.setenv("CLINICCTL_DB", practice.url)
    added = cli("availability", "add", LEE, "--days", "sun", "--start", "00:00", "--end",
                "03:00", "--session", "60", "--break", "0")
    assert added.exit_code == 0, added.output
    result = cli("availability", "find", "--client", "Maya Chen", "--therapist", LEE, "--from",
                 FALL.isoformat(), "--days", "1", "--book", "2", "-o", "json")
    assert result.exit_code == 0, result.output
    [booked] = result.json()["appointments"]
    assert (booked["start"], booked["end"]) == (f"{FALL}T01:00:00-04:00",
                                                f"{FALL}T01:00:00-05:00")
    again = cli("appointment", "book", "--client", "Omar Haddad", "--provider", LEE, "--at",
                at(FALL, "01:30"), "--duration", "30")
    assert again.exit_code == 5, again.output
