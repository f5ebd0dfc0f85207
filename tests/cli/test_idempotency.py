"""Commands that change nothing say so: a setting already in effect is a no-op, and
``--dry-run`` reports what would happen and writes nothing."""

from __future__ import annotations

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, LEE, MAYA, MON, THU, WED, at


@pytest.mark.parametrize(("args", "message"), [
    (("client", "status", "Maya Chen", "--provider", "sam@riverside.example", "--set", "new"),
     "Status is already new; nothing changed.\n"),
    (("client", "diagnosis", "Maya Chen", "--provider", "sam@riverside.example", "--set",
      "f41.1"), "Diagnosis already as given; nothing changed.\n"),
    (("staff", "roles", "sam@riverside.example", "--add", "provider"),
     "Roles already as asked; nothing changed.\n"),
], ids=["status", "diagnosis", "roles"])
def test_setting_already_in_effect_is_a_noop(cli, cast, db_url, args, message):
    before = snapshot(db_url)
    result = cli(*args, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == message
    if "changed" in result.json():
        assert result.json()["changed"] is False
    assert snapshot(db_url) == before


DRY_RUNS = [
    (("client", "share", "Maya Chen", "--from", "sam@riverside.example", "--to",
      "ana@riverside.example", "--chart"), OWNER_EMAIL,
     {"assignment": "created", "chart_share": "started", "changed": True},
     "Dry run (nothing written): Added client #{client} to Ana Ruiz's list "
     "(demographics only: no chart notes); "
     "started a chart share Sam Okafor -> Ana Ruiz.\n"),
    (("client", "add", "Noor", "Aziz", "--dob", "2001-02-03", "--provider",
      "sam@riverside.example"), OWNER_EMAIL,
     {"name": "Noor Aziz", "dob": "2001-02-03", "id": None},
     "Dry run (nothing written): would add client Noor Aziz.\n"),
    (("staff", "add", "Pat Lin", "--email", "pat@riverside.example", "--role", "biller"),
     OWNER_EMAIL, {"name": "Pat Lin", "roles": ["biller"], "id": None},
     "Dry run (nothing written): would add Pat Lin.\n"),
    (("note", "add", "Maya Chen", "--body", "Session 4"), "sam@riverside.example",
     {"kind": "progress", "body": "Session 4", "id": None},
     "Dry run (nothing written): would add a progress note.\n"),
    (("client", "status", "Maya Chen", "--provider", "sam@riverside.example", "--set",
      "discharged"), OWNER_EMAIL, {"status": "discharged", "changed": True},
     "Dry run (nothing written): Sam Okafor's status for client #{client} is now "
     "discharged.\n"),
    (("client", "edit", "Maya Chen", "--phone", "555-0100"), OWNER_EMAIL,
     {"phone": "555-0100"}, "Dry run (nothing written): Changed: phone.\n"),
    (("staff", "deactivate", "lee@riverside.example"), OWNER_EMAIL, {"active": False},
     "Dry run (nothing written): Deactivated Lee Park.\n"),
]


@pytest.mark.parametrize(("args", "actor", "expected", "message"), DRY_RUNS,
                         ids=[" ".join(a[:2]) for a, *_ in DRY_RUNS])
def test_dry_run_reports_and_writes_nothing(cli, cast, db_url, args, actor, expected, message):
    before = snapshot(db_url)
    result = cli(*args, "--dry-run", "-o", "json", actor=actor)
    assert result.exit_code == 0, result.output
    data = result.json()
    assert {k: data[k] for k in expected} == expected
    assert result.stderr == message.format(client=cast.client_id)
    assert snapshot(db_url) == before


SCHEDULING_DRY_RUNS: list[tuple[str, tuple[str, ...]]] = [
    ("book", ("appointment", "book", "--client", MAYA, "--provider", LEE, "--at",
              at(MON, "09:30"), "--duration", "30")),
    ("book-series", ("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                     at(WED, "09:00"), "--repeat", "weekly", "--count", "3")),
    ("find-book", ("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                   str(MON), "--book-first")),
    ("cancel", ("appointment", "cancel", "{a1}", "--late")),
    ("cancel-no-show", ("appointment", "cancel", "{past2}", "--no-show")),
    ("complete", ("appointment", "complete", "{past2}")),
    ("reschedule", ("appointment", "reschedule", "{a1}", "--at", at(THU, "10:00"),
                    "--provider", ANA, "--outside-availability")),
    ("availability-add", ("availability", "add", ANA, "--days", "fri", "--start", "09:00",
                          "--end", "12:00")),
    ("availability-remove", ("availability", "remove", "{ana_mon}")),
    ("timeoff", ("availability", "timeoff", ANA, "--start", str(MON), "--end", str(MON),
                 "--force")),
    ("location-add", ("location", "add", "Annex", "--pos", "22")),
    ("service-add", ("service", "add", "X200", "--name", "Walk and talk", "--minutes", "40")),
]


@pytest.mark.parametrize(("name", "args"), SCHEDULING_DRY_RUNS,
                         ids=[d[0] for d in SCHEDULING_DRY_RUNS])
def test_scheduling_dry_run_writes_nothing(cli, agenda, name, args):
    before = snapshot(agenda.url)
    result = cli(*(a.format(**agenda.ids) for a in args), "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(("{", "[")), result.stdout
    assert result.stderr.startswith("Dry run (nothing written): "), result.stderr
    assert snapshot(agenda.url) == before
