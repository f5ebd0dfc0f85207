"""The practice's calendar: its time zone, its today, and the instants its days begin.

Every date a person types or a rule compares (``--from``/``--to``, ``--since``/``--until``, a
date of birth not in the future, a custodian grant that expires) is a day of the practice, in
its time zone, never of UTC or of the machine running clinicctl. The row-level security
policies use the same today (``clinicctl_today()``, migration 0004).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl.models import Practice


def practice_zone(session: Session) -> ZoneInfo:
    """The practice's time zone; instants are shown with its UTC offset (stored in UTC)."""
    name = session.scalar(select(Practice.timezone).order_by(Practice.id).limit(1))
    return ZoneInfo(name or "UTC")


def today_in(zone: dt.tzinfo) -> dt.date:
    return dt.datetime.now(zone).date()


def practice_today(session: Session) -> dt.date:
    """The practice's date now."""
    return today_in(practice_zone(session))


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The instant ``day`` begins in ``zone``."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def day_window(first: dt.date | None, last: dt.date | None, zone: dt.tzinfo
               ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The instants from the start of ``first`` to the end of ``last`` (both days included;
    the end is the start of the next day, exclusive). None leaves that side open."""
    start = day_start(first, zone) if first is not None else None
    end = day_start(last + dt.timedelta(days=1), zone) if last is not None else None
    return start, end
