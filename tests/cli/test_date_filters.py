"""Date filters are `--from`/`--to`, days of the practice, both included, on every command
that filters by date (SPEC section 11): `audit list` (whose `--since`/`--until` stay as
aliases, `--until` now inclusive too), `appointment list`, `export appointments`,
`export audit`, `export calendar`, `export timeoff` and `availability timeoff list`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

ZONE = ZoneInfo("America/New_York")  # the test practice's (tests/conftest.py)
TODAY = dt.datetime.now(ZONE).date()
YESTERDAY, TOMORROW = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
DAY = TODAY + dt.timedelta(days=30)  # appointments on DAY and the day after
AFTER = DAY + dt.timedelta(days=1)


def actions(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [event["action"] for event in result.json()]


@pytest.fixture
def audited(cli, cast):
    """One `client.add` event today, of client Cy Audited (the id returned)."""
    added = cli("client", "add", "Cy", "Audited", "--dob", "1980-01-01", "-o", "json")
    assert added.exit_code == 0, added.output
    return added.json()["id"]


@pytest.mark.parametrize(("args", "found"), [
    (("--from", str(TODAY)), True),
    (("--to", str(TODAY)), True),  # the last day is included
    (("--from", str(TODAY), "--to", str(TODAY)), True),
    (("--to", str(YESTERDAY)), False),
    (("--from", str(TOMORROW)), False),
    (("--since", str(TODAY)), True),  # the older names are aliases
    (("--until", str(TODAY)), True),  # ... and --until is inclusive now, as --to
    (("--until", str(YESTERDAY)), False),
    (("--since", str(YESTERDAY), "--to", str(TODAY)), True),
])
def test_audit_list_days_are_inclusive(cli, audited, args, found):
    result = cli("audit", "list", "--action", "client.add", "--client", "Cy Audited", *args,
                 "-o", "json")
    assert actions(result) == (["client.add"] if found else [])


@pytest.mark.parametrize(("args", "error"), [
    (("--from", str(TODAY), "--since", str(TODAY)),
     "give either --from or --since (its older name), not both"),
    (("--to", str(TODAY), "--until", str(TODAY)),
     "give either --to or --until (its older name), not both"),
    (("--from", str(TODAY), "--to", str(YESTERDAY)),
     f"--to {YESTERDAY} is before --from {TODAY}"),
    (("--since", str(TODAY), "--until", str(YESTERDAY)),
     f"--until {YESTERDAY} is before --since {TODAY}"),
    (("--from", "2026-13-01"), "invalid --from date '2026-13-01': expected YYYY-MM-DD"),
    (("--until", "soon"), "invalid --until date 'soon': expected YYYY-MM-DD"),
])
def test_audit_list_bad_days_exit_2(cli, audited, args, error):
    result = cli("audit", "list", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {error}\n"


def test_audit_list_help_shows_from_and_to_and_names_the_aliases(cli):
    result = cli("audit", "list", "--help", actor=None)
    assert result.exit_code == 0, result.output
    assert "--from" in result.stdout and "--to" in result.stdout
    assert "--since and --until still work as their aliases" in " ".join(result.stdout.split())


@pytest.fixture
def booked(cli, cast):
    """Sam's appointments late on DAY and first thing the day after (outside availability)."""
    ids = []
    for when in (f"{DAY} 23:00", f"{AFTER} 00:30"):
        result = cli("appointment", "book", "--client", cast.client, "--provider",
                     cast.provider_a, "--at", when, "--outside-availability", "-o", "json")
        assert result.exit_code == 0, result.output
        ids.append(result.json()["appointments"][0]["id"])
    return ids


@pytest.mark.parametrize(("args", "expected"), [
    (("--from", str(DAY), "--to", str(DAY)), [0]),
    (("--to", str(DAY)), [0]),
    (("--from", str(AFTER)), [1]),
    (("--from", str(DAY), "--to", str(AFTER)), [0, 1]),
    (("--to", str(TODAY)), []),
])
def test_appointment_list_and_export_days_are_inclusive(cli, cast, booked, args, expected):
    listed = cli("appointment", "list", *args, "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [a["id"] for a in listed.json()] == [booked[i] for i in expected]
    exported = cli("export", "appointments", *args, "-o", "json")
    assert exported.exit_code == 0, exported.output
    assert [a["id"] for a in exported.json()] == [booked[i] for i in expected]


def test_export_calendar_days_are_inclusive(cli, cast, booked, tmp_path):
    def events(*args: str) -> int:
        out = tmp_path / "sam.ics"
        result = cli("export", "calendar", "--provider", cast.provider_a, "--output", str(out),
                     *args)
        assert result.exit_code == 0, result.output
        return out.read_text().count("BEGIN:VEVENT")

    assert events("--from", str(DAY), "--to", str(DAY)) == 1
    assert events("--to", str(AFTER)) == 2
    assert events("--from", str(AFTER), "--to", str(AFTER)) == 1


def test_export_audit_days_are_inclusive(cli, audited):
    def exported(*args: str) -> list[str]:
        result = cli("export", "audit", "-o", "json", *args)
        assert result.exit_code == 0, result.output
        return [e["action"] for e in result.json() if e["client_id"] == audited]

    assert exported("--from", str(TODAY), "--to", str(TODAY)) == ["client.add"]
    assert exported("--to", str(YESTERDAY)) == []


def test_time_off_listing_and_export_take_inclusive_days(cli, cast):
    added = cli("availability", "timeoff", cast.provider_b, "--start", f"{DAY} 22:00",
                "--end", f"{AFTER} 02:00", "-o", "json")
    assert added.exit_code == 0, added.output
    for command in (("availability", "timeoff", "list"), ("export", "timeoff")):
        for args, found in ((("--to", str(DAY)), True), (("--from", str(AFTER)), True),
                            (("--from", str(AFTER + dt.timedelta(days=1))), False),
                            (("--to", str(DAY - dt.timedelta(days=1))), False)):
            result = cli(*command, *args, "-o", "json")
            assert result.exit_code == 0, result.output
            assert [row["id"] for row in result.json()] == (
                [added.json()["id"]] if found else []), (command, args)
