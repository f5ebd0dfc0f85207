"""Weekly availability and time off set up through the CLI, and what ``availability find``
and ``appointment book`` then offer."""

from __future__ import annotations

from tests.fixtures.schedule_db import ANA, MAYA, MON, THU, TUE, WED, at, days, iso


def test_availability_list_add_remove_timeoff(cli, practice):
    ids = practice.ids
    listed = cli("availability", "list", ANA, "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert listed.json() == [
        {"id": ids["ana_mon"], "provider_id": ids["ana"], "provider": "Ana Ruiz",
         "provider_email": ANA, "weekdays": ["mon"], "start_time": "09:00",
         "end_time": "12:00", "location": "Main office", "session_minutes": 50,
         "break_minutes": 10, "effective_from": None, "effective_until": None},
        {"id": ids["ana_wed"], "provider_id": ids["ana"], "provider": "Ana Ruiz",
         "provider_email": ANA, "weekdays": ["wed"], "start_time": "09:00",
         "end_time": "12:00", "location": "Telehealth", "session_minutes": 50,
         "break_minutes": 10, "effective_from": None, "effective_until": None}]
    everyone = cli("availability", "list", "-o", "json")
    assert [b["id"] for b in everyone.json()] == sorted(
        [ids["ana_mon"], ids["ana_wed"], ids["lee_mon"], ids["sam_week"]],
        key=lambda i: ({ids["sam_week"]: ids["sam"], ids["lee_mon"]: ids["lee"]}
                       .get(i, ids["ana"]), i))

    added = cli("availability", "add", ANA, "--days", "tue,thu", "--start", "13:00", "--end",
                "16:00", "--session", "45", "--break", "0", "--from", str(TUE), "--until",
                str(THU + days(7)), "-o", "json", actor=ANA)
    assert added.exit_code == 0, added.output
    block = added.json()
    assert {k: v for k, v in block.items() if k != "id"} == {
        "provider_id": ids["ana"], "provider": "Ana Ruiz", "provider_email": ANA,
        "weekdays": ["tue", "thu"], "start_time": "13:00", "end_time": "16:00",
        "location": None, "session_minutes": 45, "break_minutes": 0,
        "effective_from": str(TUE), "effective_until": str(THU + days(7))}
    assert added.stderr == f"Added availability block #{block['id']} for Ana Ruiz.\n"
    slots = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                str(TUE), "--days", "1", "-o", "json")
    assert [s["start"][11:16] for s in slots.json()] == ["13:00", "13:45", "14:30", "15:15"]

    off = cli("availability", "timeoff", ANA, "--start", str(TUE), "--end", str(TUE),
              "--reason", "holiday", "-o", "json")
    assert off.exit_code == 0, off.output
    assert {k: v for k, v in off.json().items() if k != "id"} == {
        "provider_id": ids["ana"], "provider": "Ana Ruiz", "provider_email": ANA,
        "start": iso(TUE, "00:00"), "end": iso(WED, "00:00"), "reason": "holiday",
        "booked_appointments": []}
    slots = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                str(TUE), "--days", "1", "-o", "json")
    assert slots.json() == []

    removed = cli("availability", "remove", str(ids["ana_mon"]), "-o", "json")
    assert removed.exit_code == 0, removed.output
    assert removed.stderr == f"Removed availability block #{ids['ana_mon']}.\n"
    refused = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                  at(MON, "10:00"))
    assert refused.exit_code == 5, refused.output
    assert "outside Ana Ruiz's availability" in refused.stderr
