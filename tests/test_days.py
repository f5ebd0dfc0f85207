"""One today and one day window: the practice's, in its time zone, wherever the machine is.

The practices here are at UTC+14 and UTC-11, so for most of any day the practice's date is
not UTC's: a rule that used UTC's date would fail these tests for hours of every day.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from clinicctl.days import day_start, day_window, today_in

ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago"]


def set_practice_zone(open_session, name: str) -> ZoneInfo:
    from sqlalchemy import update

    from clinicctl.models import Practice

    with open_session() as s:
        s.execute(update(Practice).values(timezone=name))
    return ZoneInfo(name)


def test_a_day_window_spans_the_clock_change():
    zone = ZoneInfo("America/New_York")
    start, end = day_window(dt.date(2026, 11, 1), dt.date(2026, 11, 1), zone)
    assert start is not None and end is not None
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=25)
    assert start.utcoffset() == dt.timedelta(hours=-4)
    assert end.utcoffset() == dt.timedelta(hours=-5)
    assert day_window(None, None, zone) == (None, None)
    assert day_start(dt.date(2026, 3, 8), zone).isoformat() == "2026-03-08T00:00:00-05:00"


@pytest.mark.parametrize("zone_name", ZONES)
def test_a_date_of_birth_may_be_the_practices_today_not_its_tomorrow(cli, open_session,
                                                                      zone_name):
    today = today_in(set_practice_zone(open_session, zone_name))
    born_today = cli("client", "add", "Ada", "Today", "--dob", today.isoformat())
    assert born_today.exit_code == 0, born_today.output
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    born_tomorrow = cli("client", "add", "Bo", "Tomorrow", "--dob", tomorrow)
    assert born_tomorrow.exit_code == 2, born_tomorrow.output
    assert born_tomorrow.stderr == f"Error: date of birth {tomorrow} is in the future\n"


@pytest.mark.parametrize("zone_name", ZONES)
def test_audit_dates_are_days_of_the_practice(cli, open_session, zone_name):
    today = today_in(set_practice_zone(open_session, zone_name)).isoformat()
    added = cli("client", "add", "Cy", "Audited", "--dob", "1980-01-01")
    assert added.exit_code == 0, added.output
    since = cli("audit", "list", "--since", today, "--action", "client.add", "-o", "json")
    assert since.exit_code == 0, since.output
    assert [e["action"] for e in json.loads(since.stdout)] == ["client.add"]
    # --until is --to now: the day given is included.
    yesterday = (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat()
    until = cli("audit", "list", "--until", yesterday, "--action", "client.add", "-o", "json")
    assert until.exit_code == 0, until.output
    assert json.loads(until.stdout) == []
    to = cli("audit", "list", "--to", today, "--action", "client.add", "-o", "json")
    assert [e["action"] for e in json.loads(to.stdout)] == ["client.add"]
