"""Wall-clock time in the practice's zone: parsing, and the DST traps.

Appointments are stored in UTC but booked and shown in the practice's time zone. A local time
that does not exist (the spring-forward gap) is refused; an ambiguous one (the fall-back
hour) is taken as its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from clinicctl.choices import WEEKDAYS
from clinicctl.errors import InvalidChoice, InvalidInput

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_time(value: str, what: str) -> dt.time:
    match = _TIME.match(value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"invalid {what} {value!r}: expected HH:MM (24-hour)")
    return dt.time(int(match[1]), int(match[2]))


def parse_weekdays(value: str) -> int:
    """``mon,thu`` (or full names) -> a bit mask, bit 0 Monday."""
    mask = 0
    parts = [p.strip().lower() for p in value.split(",") if p.strip()]
    if not parts:
        raise InvalidInput("no weekdays given: expected e.g. mon,tue")
    for part in parts:
        if part not in _WEEKDAY_NAMES:
            raise InvalidChoice(f"invalid weekday {part!r}: expected mon, tue, wed, thu, fri, "
                                "sat or sun", value=part, choices=_WEEKDAY_NAMES)
        mask |= 1 << _WEEKDAY_NAMES[part]
    return mask


_WEEKDAY_NAMES = {day: i for i, day in enumerate(WEEKDAYS)} | {
    name: i for i, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}


def weekday_names(mask: int) -> list[str]:
    return [day for i, day in enumerate(WEEKDAYS) if mask & (1 << i)]


def localize(naive: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Attach the practice zone to a wall-clock time; refuse times the clocks skip."""
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive.replace(fold=0):
        raise InvalidInput(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip it "
            "(daylight saving time starts)"
        )
    return aware


def exists_locally(naive: dt.datetime, zone: ZoneInfo) -> bool:
    try:
        localize(naive, zone)
    except InvalidInput:
        return False
    return True


def parse_local_datetime(value: str, zone: ZoneInfo, what: str = "time") -> dt.datetime:
    """``2026-12-03 10:00`` (or with ``T``) in the practice zone -> an aware datetime."""
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"invalid {what} {value!r}: expected YYYY-MM-DD HH:MM in {zone.key} time"
        ) from None
    if not 1900 <= parsed.year <= 2200:
        raise InvalidInput(f"invalid {what} {value!r}: the year is out of range")
    if parsed.tzinfo is not None:
        return parsed.astimezone(zone)
    if len(text) <= 10:
        raise InvalidInput(f"invalid {what} {value!r}: give a time too, e.g. {text} 10:00")
    return localize(parsed, zone)


def minutes(value: int, what: str, *, allow_zero: bool = False) -> int:
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(f"{what} must be {'zero or ' if allow_zero else ''}a positive "
                           f"number of minutes, not {value}")
    if value > 24 * 60:
        raise InvalidInput(f"{what} of {value} minutes is longer than a day")
    return value
