"""Recurring bookings: the rule (weekly, every other week, monthly; a count or an end date)
and the occurrences it gives, in the practice's local time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinicctl.choices import UNITS
from clinicctl.errors import InvalidChoice, InvalidInput
from clinicctl.people.refs import parse_date
from clinicctl.scheduling.timeutil import (
    WEEKDAYS,
    parse_weekdays,
)

MAX_OCCURRENCES = 260  # five years of weekly sessions

# The names are choices.REPEATS (what the shell completes).
REPEATS = {"weekly": ("weeks", 1), "biweekly": ("weeks", 2), "monthly": ("months", 1)}


@dataclass
class Recurrence:
    every: int
    unit: str  # days | weeks | months
    weekdays: int | None = None  # bit mask, weekly units only
    count: int | None = None
    until: dt.date | None = None

    def describe(self) -> str:
        unit = self.unit[:-1] if self.every == 1 else self.unit
        text = f"every {self.every} {unit}" if self.every > 1 else f"every {unit}"
        if self.weekdays:
            text += " on " + ",".join(d for i, d in enumerate(WEEKDAYS)
                                      if self.weekdays & (1 << i))
        if self.count:
            text += f", {self.count} times"
        if self.until:
            text += f", until {self.until.isoformat()}"
        return text



def make_recurrence(
    *,
    repeat: str | None = None,
    every: int | None = None,
    unit: str | None = None,
    on: str | None = None,
    count: int | None = None,
    until: str | None = None,
) -> Recurrence | None:
    """Validate the recurrence options together; None when the booking does not repeat."""
    if repeat and every is not None:
        raise InvalidInput("give either --repeat or --every N --unit U, not both")
    if unit is not None and every is None:
        raise InvalidInput("--unit needs --every N")
    if every is not None and unit is None:
        raise InvalidInput("--every needs --unit days, weeks or months")
    if count is not None and until is not None:
        raise InvalidInput("give either --count or --until, not both")
    if not repeat and every is None:
        if on or count is not None or until is not None:
            raise InvalidInput("--on, --count and --until need --repeat or --every")
        return None
    if repeat:
        if repeat not in REPEATS:
            raise InvalidChoice(f"invalid --repeat {repeat!r}: expected weekly, biweekly or "
                                "monthly", value=repeat, choices=REPEATS)
        unit, every = REPEATS[repeat]
    assert unit is not None and every is not None
    if unit not in UNITS:
        raise InvalidChoice(f"invalid --unit {unit!r}: expected days, weeks or months",
                            value=unit, choices=UNITS)
    if every < 1:
        raise InvalidInput(f"--every must be at least 1, not {every}")
    if count is None and until is None:
        raise InvalidInput("a repeating booking needs --count N or --until DATE")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise InvalidInput(f"--count must be between 1 and {MAX_OCCURRENCES}, not {count}")
    mask = parse_weekdays(on) if on else None
    if mask and unit != "weeks":
        raise InvalidInput("--on applies to weekly repeats only")
    return Recurrence(every, unit, mask, count,
                      parse_date(until, "--until date") if until else None)



def occurrences(first: dt.datetime, rule: Recurrence | None) -> list[dt.datetime]:
    """Local wall-clock start times (naive). The wall-clock time holds across DST."""
    if rule is None:
        return [first]
    from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule

    freq = {"days": DAILY, "weeks": WEEKLY, "months": MONTHLY}[rule.unit]
    byweekday = None
    if rule.weekdays:
        byweekday = [i for i in range(7) if rule.weekdays & (1 << i)]
    until = (dt.datetime.combine(rule.until, dt.time.max) if rule.until else None)
    if until is not None and until < first:
        raise InvalidInput(f"--until {rule.until} is before the first appointment")
    # count and until together are deprecated in dateutil (RFC 5545 forbids them): cap an
    # --until series by taking one occurrence more than allowed instead.
    from itertools import islice

    month_end: dict[str, object] = {}
    if rule.unit == "months" and first.day > 28:
        # "Monthly on the 31st" means the last day in shorter months, not skipping them:
        # the first of (that day, the month's last day) that the month has.
        month_end = {"bymonthday": (first.day, -1), "bysetpos": 1}
    starts = list(islice(rrule(freq, dtstart=first, interval=rule.every, byweekday=byweekday,
                               count=rule.count, until=until, **month_end),
                         MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise InvalidInput(f"the series has more than {MAX_OCCURRENCES} occurrences; "
                           "choose an earlier --until")
    if not starts:
        raise InvalidInput("the repeat rule gives no occurrence")
    if starts[0] != first:
        # RFC 5545 leaves a start off the rule undefined; --count counts from --at.
        days = ",".join(d for i, d in enumerate(WEEKDAYS) if (rule.weekdays or 0) & (1 << i))
        raise InvalidInput(f"--at {first:%Y-%m-%d} is a {first:%A}, not one of --on {days}; "
                           "start the series on one of those days")
    return starts
