"""``clinicctl service edit``: a service's name and default minutes, built-in codes too, with
the validation of ``service add``; imports update codes and locations as the edits do."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

SAM = "sam@riverside.example"  # a provider (the cast of conftest)
MANAGER = "morgan@riverside.example"
FUTURE = (dt.date.today() + dt.timedelta(days=60)).isoformat()


def assert_error(result, code: int, error: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {error}\n"


def service(cli, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    listed = cli("service", "list", "-o", "json")
    assert listed.exit_code == 0, listed.output
    [row] = [row for row in listed.json() if row["code"] == code]
    return dict(row)


def events(open_session, action: str) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    with open_session(write=False) as s:
        return [(e.outcome, json.loads(e.details))
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id))]


def test_change_a_practice_code(cli, db_url, open_session):  # type: ignore[no-untyped-def]
    added = cli("service", "add", "G0001", "--name", "Walk and talk", "--minutes", "40")
    assert added.exit_code == 0, added.output
    result = cli("service", "edit", "g0001", "--name", " Walk  and talk therapy", "--minutes",
                 "45", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"code": "G0001", "name": "Walk and talk therapy", "minutes": 45,
                             "builtin": False, "changed": True}
    assert result.stderr == ("Changed service G0001: name 'Walk and talk' -> 'Walk and talk "
                             "therapy', minutes 40 -> 45.\n")
    assert service(cli, "G0001") == {"code": "G0001", "name": "Walk and talk therapy",
                                     "minutes": 45, "builtin": False}
    assert events(open_session, "service.edit") == [
        ("ok", {"code": "G0001", "changes": {
            "name": {"from": "Walk and talk", "to": "Walk and talk therapy"},
            "minutes": {"from": 40, "to": 45}}})]


def test_an_edit_that_changes_nothing_says_so(cli, db_url, open_session
                                              ):  # type: ignore[no-untyped-def]
    before = service(cli, "90837")
    result = cli("service", "edit", "90837", "--minutes", str(before["minutes"]), "--name",
                 before["name"], "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {**before, "changed": False}
    assert result.stderr == "Service 90837 already has these values; nothing changed.\n"
    assert events(open_session, "service.edit") == []


def test_a_built_in_code_takes_new_minutes_for_new_bookings_only(cli, cast
                                                                 ):  # type: ignore[no-untyped-def]
    def book(hhmm: str) -> dict[str, Any]:
        booked = cli("appointment", "book", "--client", "Maya Chen", "--provider",
                     "Sam Okafor", "--at", f"{FUTURE} {hhmm}", "--service", "90837",
                     "--outside-availability", "-o", "json")
        assert booked.exit_code == 0, booked.output
        [appointment] = booked.json()["appointments"]
        return dict(appointment)

    first = book("09:00")
    assert first["end"][11:16] == "10:00"  # 60 minutes, the built-in default
    result = cli("service", "edit", "90837", "--minutes", "55", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["builtin"] is True
    assert result.stderr == "Changed service 90837: minutes 60 -> 55.\n"
    assert book("11:00")["end"][11:16] == "11:55"
    kept = cli("appointment", "show", str(first["id"]), "-o", "json")
    assert (kept.json()["end"], kept.json()["service"]) == (first["end"], "90837")


@pytest.mark.parametrize(("args", "code", "error"), [
    (("90834", "--minutes", "0"), 2, "invalid minutes 0: expected 1 to 1440"),
    (("90834", "--minutes", "-30"), 2, "invalid minutes -30: expected 1 to 1440"),
    (("90834", "--minutes", "1441"), 2, "invalid minutes 1441: expected 1 to 1440"),
    (("90834", "--name", "  "), 2, "the service name is empty"),
    (("90834",), 2, "nothing to change: give --name or --minutes"),
    (("X999", "--minutes", "30"), 3, "no service code 'X999' (see `clinicctl service list`)"),
])
def test_invalid_values_are_refused_as_add_refuses_them(cli, db_url, args, code, error
                                                        ):  # type: ignore[no-untyped-def]
    before = service(cli, "90834")
    assert_error(cli("service", "edit", *args), code, error)
    assert service(cli, "90834") == before


def test_minutes_must_be_a_number(cli, db_url):  # type: ignore[no-untyped-def]
    result = cli("service", "edit", "90834", "--minutes", "an hour")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: Invalid value for '--minutes': ")


@pytest.mark.parametrize("actor", [SAM, "jo@riverside.example", "bo@riverside.example"])
def test_only_the_owner_and_managers_edit_services(cli, cast, open_session, actor
                                                   ):  # type: ignore[no-untyped-def]
    assert_error(cli("service", "edit", "90834", "--minutes", "45", actor=actor), 4,
                 "service.edit: requires one of the roles owner, manager")
    assert service(cli, "90834")["minutes"] == 50
    assert [outcome for outcome, _ in events(open_session, "service.edit")] == ["denied"]
    done = cli("service", "edit", "90834", "--minutes", "45", actor=MANAGER)
    assert done.exit_code == 0, done.output


def test_dry_run_writes_nothing(cli, db_url, open_session):  # type: ignore[no-untyped-def]
    result = cli("service", "edit", "90834", "--minutes", "45", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stderr == "Dry run (nothing written): Changed service 90834: minutes 50 -> 45.\n"
    assert service(cli, "90834")["minutes"] == 50
    assert events(open_session, "service.edit") == []


def test_adding_a_code_that_exists_otherwise_points_to_edit(cli, db_url
                                                            ):  # type: ignore[no-untyped-def]
    assert_error(cli("service", "add", "90834", "--name", "Talk therapy", "--minutes", "50"), 5,
                 "service 90834 exists as 'Psychotherapy, 45 minutes', 50 min (to change it: "
                 "clinicctl service edit 90834 --name 'Talk therapy')")


# --- imports update as the edits do ------------------------------------------------------------

def test_an_edited_built_in_code_exports_and_imports_into_a_fresh_practice(
        cli, db_url, backend, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    edited = cli("service", "edit", "90837", "--minutes", "55")
    assert edited.exit_code == 0, edited.output
    exported = tmp_path / "services.csv"
    done = cli("export", "services", "--output", str(exported))
    assert done.exit_code == 0, done.output
    monkeypatch.setenv("CLINICCTL_DB", backend.initialised())
    imported = cli("import", "services", str(exported), "-o", "json")
    assert imported.exit_code == 0, imported.output
    assert imported.json() == {"created": 0, "updated": 1,
                               "unchanged": len(exported.read_text().splitlines()) - 2}
    assert service(cli, "90837")["minutes"] == 55
    again = cli("import", "services", str(exported), "-o", "json")
    assert again.json()["updated"] == 0


def test_an_import_with_another_pos_updates_the_location(cli, db_url, tmp_path, open_session
                                                         ):  # type: ignore[no-untyped-def]
    added = cli("location", "add", "Main office", "--pos", "12")
    assert added.exit_code == 0, added.output
    csv_file = tmp_path / "locations.csv"
    csv_file.write_text("name,pos\nmain office,11\nTelehealth,10\n")
    imported = cli("import", "locations", str(csv_file), "-o", "json")
    assert imported.exit_code == 0, imported.output
    assert imported.json() == {"created": 1, "updated": 1, "unchanged": 0}
    listed = cli("location", "list", "-o", "json")
    assert [(row["name"], row["pos"]) for row in listed.json()] == [("Main office", "11"),
                                                                   ("Telehealth", "10")]
    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    with open_session(write=False) as s:
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "location.edit" in actions
