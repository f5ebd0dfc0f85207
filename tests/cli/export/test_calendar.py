"""``export calendar``: an iCalendar file of one provider's appointments that a calendar app
can subscribe to, with stable UIDs, the practice's time zone, and nothing about the client.

Every test here but the last only exports (which adds audit events and nothing else) or is
refused, so they share one practice: the scheduling practice of ``schedule_db`` with Ana
Ruiz's week; the group session test books on a fresh copy of the exchange practice.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from clinicctl import __version__
from tests.fixtures.cast import OWNER_EMAIL, PRACTICE_TZ
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import (
    ANA,
    BILLER,
    CUSTODIAN,
    LEE,
    MANAGER,
    MAYA,
    MON,
    SAM,
    SCHEDULER,
    WED,
    ZONE,
    Practice,
    at,
    build_schedule,
    clone,
    local,
)

IVY = "ivy@riverside.example"  # records custodian for Lee Park only
# The client whose details must never reach a calendar.
ZOE: dict[str, Any] = {"first_name": "Zoe", "last_name": "Quillfeather", "preferred_name": "Zed",
       "dob": "1988-02-14", "email": "zoe.quillfeather@mail.example", "phone": "555-0199",
       "external_id": "EXT-7781", "address": "12 Larch Lane"}
ZOE_DIAGNOSIS = "F33.1"
NEXT_MON = MON + dt.timedelta(days=7)
EVENT_PROPERTIES = {"UID", "DTSTAMP", "CREATED", "DTSTART", "DTEND", "SUMMARY", "LOCATION",
                    "STATUS", "SEQUENCE", "CLASS", "TRANSP"}


@pytest.fixture(scope="module")
def _week(backend) -> Practice:
    """Ana Ruiz's appointments (Main office on Mondays, Telehealth on Wednesdays):

    - zoe_mon: Zoe, MON 09:00; maya_mon: Maya, MON 10:00;
    - maya_wed: Maya, WED 10:00, cancelled;
    - zoe_wed: Zoe, booked WED 09:00 and rescheduled to 11:00;
    - zoe_next: Zoe, the Monday after, 09:00; maya_next: Maya then, 10:00, late-cancelled;
    and one of Sam Okafor's (sam_mon: Maya, MON 11:00), which Ana's calendar never shows.
    """
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments

    week = clone(backend, build_schedule(backend))
    ids = week.ids
    with week.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        ids["zoe"] = clients.add_client(s, owner, **ZOE, provider_ref=ANA,
                                        diagnosis=[ZOE_DIAGNOSIS]).client.id
    zoe = f"#{ids['zoe']}"
    [ids["zoe_mon"]] = week.book(zoe, ANA, at(MON, "09:00"))
    [ids["maya_mon"]] = week.book(MAYA, ANA, at(MON, "10:00"))
    [ids["maya_wed"]] = week.book(MAYA, ANA, at(WED, "10:00"))
    [ids["zoe_wed"]] = week.book(zoe, ANA, at(WED, "09:00"))
    [ids["zoe_next"]] = week.book(zoe, ANA, at(NEXT_MON, "09:00"))
    [ids["maya_next"]] = week.book(MAYA, ANA, at(NEXT_MON, "10:00"))
    [ids["sam_mon"]] = week.book(MAYA, SAM, at(MON, "11:00"))
    with week.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        appointments.cancel(s, owner, ids["maya_wed"], reason="Maya Chen has the flu")
        appointments.cancel(s, owner, ids["maya_next"], late=True)
        appointments.reschedule(s, owner, ids["zoe_wed"], at=at(WED, "11:00"))
        ids["ivy"] = resolve_staff(s, IVY).id
    return week


@pytest.fixture
def week(_week: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    monkeypatch.setenv("CLINICCTL_DB", _week.url)
    return _week


def export(cli, tmp_path: Path, *options: str, provider: str = ANA,
           actor: str = OWNER_EMAIL, name: str = "cal.ics") -> tuple[Any, Path]:
    target = tmp_path / name
    result = cli("export", "calendar", "--provider", provider, *options, "--output",
                 str(target), actor=actor)
    return result, target


def parse(data: bytes):
    import icalendar

    return icalendar.Calendar.from_ical(data)


def events_by_uid(calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid_of(calendar, appointment_id: int) -> str:
    [uid] = [uid for uid in events_by_uid(calendar)
             if uid.startswith(f"appointment-{appointment_id}@")]
    return uid


def week_window() -> tuple[str, ...]:
    return ("--from", MON.isoformat(), "--to", WED.isoformat())


# --- the file -------------------------------------------------------------------------------

def test_export_is_a_calendar_of_the_providers_week(cli, week, tmp_path):
    result, target = export(cli, tmp_path, *week_window())
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote 4 appointments of Ana Ruiz to {target}.\n"

    data = target.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    calendar = parse(data)
    assert str(calendar["PRODID"]) == f"-//clinicctl//clinicctl {__version__}//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Ana Ruiz appointments"
    assert str(calendar["X-WR-TIMEZONE"]) == PRACTICE_TZ
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == PRACTICE_TZ

    ids = week.ids
    # Ana's, from Monday 00:00 to the end of Wednesday; not next week's, not Sam's.
    expected = {ids["zoe_mon"]: (MON, "09:00", "09:50", "Main office", "CONFIRMED", 0),
                ids["maya_mon"]: (MON, "10:00", "10:50", "Main office", "CONFIRMED", 0),
                ids["maya_wed"]: (WED, "10:00", "10:50", "Telehealth", "CANCELLED", 1),
                ids["zoe_wed"]: (WED, "11:00", "11:50", "Telehealth", "CONFIRMED", 1)}
    events = calendar.walk("VEVENT")
    assert len(events) == 4
    seen = {}
    for event in events:
        match = re.fullmatch(r"appointment-(\d+)@[a-z0-9-]+\.clinicctl", str(event["UID"]))
        assert match, event["UID"]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == PRACTICE_TZ
        assert event["DTEND"].params["TZID"] == PRACTICE_TZ
        assert event.decoded("DTSTAMP").tzinfo is not None
        seen[int(match[1])] = (start, end, str(event["LOCATION"]), str(event["STATUS"]),
                               int(event["SEQUENCE"]))
        assert str(event["SUMMARY"]) == "Client session"
    assert seen == {appointment_id: (local(day, begin), local(day, finish), where, status, seq)
                    for appointment_id, (day, begin, finish, where, status, seq)
                    in expected.items()}
    # The same instants as stored.
    stored = {a["id"]: (a["start"], a["end"]) for a in week.appointments()}
    assert {i: (s.isoformat(), e.isoformat()) for i, (s, e, *_) in seen.items()} == {
        i: stored[i] for i in expected}


def test_without_a_window_every_appointment_of_the_provider_is_in(
        cli, week, tmp_path):
    result, target = export(cli, tmp_path)
    assert result.exit_code == 0, result.output
    calendar = parse(target.read_bytes())
    ids = week.ids
    assert sorted(int(uid.split("@")[0].removeprefix("appointment-"))
                  for uid in events_by_uid(calendar)) == sorted(
        ids[key] for key in ("zoe_mon", "maya_mon", "maya_wed", "zoe_wed", "zoe_next",
                             "maya_next"))
    late = events_by_uid(calendar)[uid_of(calendar, ids["maya_next"])]
    assert str(late["STATUS"]) == "CANCELLED"
    assert str(late["TRANSP"]) == "TRANSPARENT"


def test_window_days_are_inclusive_in_the_practice_zone(cli, week, tmp_path):
    result, target = export(cli, tmp_path, "--from", WED.isoformat(), "--to", WED.isoformat())
    assert result.exit_code == 0, result.output
    assert len(parse(target.read_bytes()).walk("VEVENT")) == 2
    result, target = export(cli, tmp_path, "--from", NEXT_MON.isoformat(), name="later.ics")
    assert result.exit_code == 0, result.output
    assert len(parse(target.read_bytes()).walk("VEVENT")) == 2


def test_one_appointment_and_none(cli, week, tmp_path):
    result, target = export(cli, tmp_path, provider=SAM)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote 1 appointment of Sam Okafor to {target}.\n"
    [event] = parse(target.read_bytes()).walk("VEVENT")
    assert str(event["UID"]).startswith(f"appointment-{week.ids['sam_mon']}@")

    result, target = export(cli, tmp_path, provider=LEE, name="lee.ics")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote 0 appointments of Lee Park to {target}.\n"
    calendar = parse(target.read_bytes())
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "Lee Park appointments"


def test_uids_are_unique_and_stable_across_exports(cli, week, tmp_path):
    first, first_file = export(cli, tmp_path, name="one.ics")
    assert first.exit_code == 0, first.output
    second, second_file = export(cli, tmp_path, *week_window(), name="two.ics")
    assert second.exit_code == 0, second.output
    sam, sam_file = export(cli, tmp_path, provider=SAM, name="sam.ics")
    assert sam.exit_code == 0, sam.output

    uids = [str(e["UID"]) for e in parse(first_file.read_bytes()).walk("VEVENT")]
    assert len(uids) == len(set(uids)) == 6
    again = [str(e["UID"]) for e in parse(second_file.read_bytes()).walk("VEVENT")]
    assert set(again) < set(uids)
    sam_uids = {str(e["UID"]) for e in parse(sam_file.read_bytes()).walk("VEVENT")}
    assert not sam_uids & set(uids)
    # One domain per database: every UID of every provider ends the same way.
    assert len({uid.split("@")[1] for uid in [*uids, *sam_uids]}) == 1


def test_standard_output(cli, week):
    result = cli("export", "calendar", "--provider", ANA, *week_window(), "--output", "-")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Wrote 4 appointments of Ana Ruiz to standard output.\n"
    assert len(parse(result.stdout.encode()).walk("VEVENT")) == 4


def test_file_mode_is_0600_also_when_replacing_a_file(cli, week, tmp_path):
    target = tmp_path / "cal.ics"
    target.write_text("old")
    os.chmod(target, 0o644)
    result, target = export(cli, tmp_path)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cal.ics", "config.toml"]


# --- privacy --------------------------------------------------------------------------------

def test_no_client_data_in_the_file(cli, week, tmp_path):
    result, target = export(cli, tmp_path)
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    # Unfold the content lines so that a value split across lines is still found.
    text = data.replace(b"\r\n ", b"").decode().casefold()
    forbidden = [*ZOE.values(), ZOE_DIAGNOSIS, "Maya", "Chen", "F41.1", "1990-04-12",
                 "flu", "Zoe Q", "Z.Q.", "M.C."]
    assert [word for word in forbidden if word.casefold() in text] == []
    for event in parse(data).walk("VEVENT"):
        assert set(event) <= EVENT_PROPERTIES
        assert not event.subcomponents  # no alarms carrying text either


# --- who may --------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [OWNER_EMAIL, MANAGER, SCHEDULER, BILLER, CUSTODIAN])
def test_appointment_exchangers_and_custodians_in_scope_may(
        cli, week, tmp_path, actor):
    result, target = export(cli, tmp_path, actor=actor)
    assert result.exit_code == 0, result.output
    assert len(parse(target.read_bytes()).walk("VEVENT")) == 6


def test_scoped_custodian_may_export_a_provider_in_scope(cli, week, tmp_path):
    result, target = export(cli, tmp_path, provider=LEE, actor=IVY)
    assert result.exit_code == 0, result.output
    assert target.exists()


@pytest.mark.parametrize(("actor", "error"), [
    (ANA, "export.calendar: requires one of the roles owner, manager, scheduler, biller, "
          "records-custodian"),
    (SAM, "export.calendar: requires one of the roles owner, manager, scheduler, biller, "
          "records-custodian"),
    (IVY, "export.calendar: Ana Ruiz is outside your records-custodian scope"),
], ids=["own-provider", "other-provider", "custodian-out-of-scope"])
def test_refused_without_writing_anything_but_the_audit_event(
        cli, week, tmp_path, actor, error):
    before = week.last_event_id()
    result, target = export(cli, tmp_path, actor=actor)
    assert result.exit_code == 4, result.output
    assert result.stderr == f"Error: {error}\n"
    assert result.stdout == ""
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # conftest's
    [(actor_id, action, outcome, details)] = week.events(before)
    assert (action, outcome, details) == ("export.calendar", "denied", {"kind": "calendar"})


def test_refusal_comes_before_the_provider_is_looked_up(cli, week, tmp_path):
    before = week.last_event_id()
    result, _ = export(cli, tmp_path, provider="Nobody Here", actor=SAM)
    assert result.exit_code == 4, result.output
    assert [e[1:3] for e in week.events(before)] == [("export.calendar", "denied")]


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "code", "error"), [
    (("--provider", "Nobody Here"), 3, "Error: no provider named 'Nobody Here'"),
    (("--provider", "#9999"), 3, "Error: no provider with id 9999"),
    (("--provider", SCHEDULER), 2, "Error: Jo Diaz (#{scheduler}) is not a provider"),
    (("--provider", ANA, "--from", "2026-02-30"), 2,
     "Error: invalid --from date '2026-02-30': expected YYYY-MM-DD"),
    (("--provider", ANA, "--to", "next week"), 2,
     "Error: invalid --to date 'next week': expected YYYY-MM-DD"),
    (("--provider", ANA, "--from", "2026-05-02", "--to", "2026-05-01"), 2,
     "Error: --to 2026-05-01 is before --from 2026-05-02"),
], ids=["unknown", "unknown-id", "not-a-provider", "bad-from", "bad-to", "to-before-from"])
def test_bad_input_changes_nothing(cli, week, tmp_path, options, code, error):
    before = snapshot(week.url)
    target = tmp_path / "cal.ics"
    result = cli("export", "calendar", *options, "--output", str(target))
    assert result.exit_code == code, result.output
    assert result.stderr.splitlines()[0].startswith(
        error.format(scheduler=week.ids["scheduler"]))
    assert result.stdout == ""
    assert not target.exists()
    assert snapshot(week.url) == before


def test_output_directory_is_refused_before_the_database(cli, week, tmp_path):
    before = snapshot(week.url)
    result = cli("export", "calendar", "--provider", ANA, "--output", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: --output {tmp_path} is a directory; give a file name\n"
    assert snapshot(week.url) == before


# --- audit ----------------------------------------------------------------------------------

def test_export_is_audited_without_client_data(cli, week, tmp_path):
    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    before = week.last_event_id()
    result, _ = export(cli, tmp_path, *week_window(), actor=SCHEDULER)
    assert result.exit_code == 0, result.output
    with week.session(write=False) as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
        row = (event.actor_id, event.action, event.object_type, event.object_id,
               event.client_id, event.outcome, event.details)
    assert row == (week.ids["scheduler"], "export.calendar", "staff", week.ids["ana"], None,
                   "ok", f'{{"events":4,"from":"{MON}","to":"{WED}"}}')
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_whole_export_is_audited_with_open_window(cli, week, tmp_path):
    before = week.last_event_id()
    result, _ = export(cli, tmp_path)
    assert result.exit_code == 0, result.output
    assert [e[1:] for e in week.events(before)] == [
        ("export.calendar", "ok", {"events": 6, "from": None, "to": None})]


# --- the time zone --------------------------------------------------------------------------

def test_time_zone_covers_every_event_even_after_2038(backend, tmp_path, monkeypatch):
    """icalendar's VTIMEZONE stops at 2038 by default; the export covers the events' years."""
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import calendar as calendar_service

    practice = clone(backend, build_schedule(backend))
    far = dt.date(2041, 7, 1)
    far += dt.timedelta(days=(7 - far.weekday()) % 7)  # a Monday in summer time
    practice.book(MAYA, ANA, at(far, "10:00"))
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        result = calendar_service.export_calendar(s, owner, ANA, start=None, end=None)
    calendar = parse(result.ics)
    [timezone] = calendar.walk("VTIMEZONE")
    [event] = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == dt.datetime.combine(far, dt.time(10), tzinfo=ZONE)
    # What a client that reads only the VTIMEZONE makes of it: the offset of the last
    # observance that began before the event (summer time, UTC-4).
    assert offset_in(timezone, start.replace(tzinfo=None)) == dt.timedelta(hours=-4)


def offset_in(timezone, wall: dt.datetime) -> dt.timedelta:
    onsets = []
    for observance in timezone.subcomponents:
        starts = [observance.decoded("DTSTART")]
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            starts += [value.dt for value in rdate.dts]
        onsets += [(begin, observance.decoded("TZOFFSETTO")) for begin in starts]
    return max((o for o in onsets if o[0] <= wall), key=lambda o: o[0])[1]


def test_a_session_of_several_clients_is_one_group_session_without_names(
        cli, exchange_practice, tmp_path):
    args = ["--client", MAYA, "--client", "EXT-7", "--provider", ANA, "--at",
            at(WED, "15:00"), "--outside-availability", "-o", "json"]
    booked = cli("-q", "appointment", "book", *args)
    assert booked.exit_code == 0, booked.output
    [session] = booked.json()["appointments"]
    result, target = export(cli, tmp_path)
    assert result.exit_code == 0, result.output
    calendar = parse(target.read_bytes())
    events = events_by_uid(calendar)
    group = events[uid_of(calendar, session["id"])]
    assert str(group["SUMMARY"]) == "Group session"
    others = [str(e["SUMMARY"]) for uid, e in events.items() if uid != str(group["UID"])]
    assert others and set(others) == {"Client session"}
    text = target.read_bytes().replace(b"\r\n ", b"").decode().casefold()
    assert [w for w in ("maya", "chen", "zoë", "o'neil", "ext-7") if w in text] == []
