"""``clinicctl location edit``: rename a location or correct its default POS code, with the
validation of ``location add``; what it does to the appointments booked there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

SAM = "sam@riverside.example"  # a provider (the cast of conftest)
MANAGER = "morgan@riverside.example"
POS_HINT = ("expected a two-digit CMS code such as 11 (office) or 10 (telehealth in the "
            "patient's home)")
FUTURE = (dt.date.today() + dt.timedelta(days=60)).isoformat()


def assert_error(result, code: int, error: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {error}\n"


def add_location(cli, name: str, pos: str) -> int:  # type: ignore[no-untyped-def]
    added = cli("location", "add", name, "--pos", pos, "-o", "json")
    assert added.exit_code == 0, added.output
    return int(added.json()["id"])


def book(cli, hhmm: str, *options: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    booked = cli("appointment", "book", "--client", "Maya Chen", "--provider", "Sam Okafor",
                 "--at", f"{FUTURE} {hhmm}", "--outside-availability", *options, "-o", "json")
    assert booked.exit_code == 0, booked.output
    [appointment] = booked.json()["appointments"]
    return dict(appointment)


def pos_of(cli, appointment_id: int) -> str:  # type: ignore[no-untyped-def]
    shown = cli("appointment", "show", str(appointment_id), "-o", "json")
    assert shown.exit_code == 0, shown.output
    return str(shown.json()["pos"])


def events(open_session, action: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    import json

    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    with open_session(write=False) as s:
        return [(e.object_type, e.object_id, e.client_id, e.outcome, json.loads(e.details))
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id))]


def test_rename_and_correct_the_pos_code(cli, db_url, open_session
                                         ):  # type: ignore[no-untyped-def]
    main = add_location(cli, "Main office", "12")
    result = cli("location", "edit", "main office", "--name", "North  office ", "--pos", "11",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"id": main, "name": "North office", "pos": "11", "changed": True,
                             "appointments_changed": [], "appointments_kept": []}
    assert result.stderr == (f"Changed location #{main}: name 'Main office' -> 'North office', "
                             "POS 12 -> 11.\n")
    listed = cli("location", "list", "-o", "json")
    assert listed.json() == [{"id": main, "name": "North office", "pos": "11"}]
    assert events(open_session, "location.edit") == [
        ("location", main, None, "ok",
         {"changes": {"name": {"from": "Main office", "to": "North office"},
                      "pos": {"from": "12", "to": "11"}}, "appointments": 0})]
    # The old name is gone; the new one and the id find it.
    assert_error(cli("location", "edit", "Main office", "--pos", "11"), 3,
                 "no location 'Main office' (locations: North office)")
    again = cli("location", "edit", f"#{main}", "--name", "North Office", "-o", "csv")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == ["id,name,pos", f"{main},North Office,11"]


def test_an_edit_that_changes_nothing_says_so(cli, db_url, open_session
                                              ):  # type: ignore[no-untyped-def]
    main = add_location(cli, "Main office", "11")
    result = cli("location", "edit", "Main office", "--name", "Main  office", "--pos", "11",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["changed"] is False
    assert result.stderr == "Location 'Main office' already has these values; nothing changed.\n"
    assert events(open_session, "location.edit") == []
    quiet = cli("--quiet", "location", "edit", f"#{main}", "--pos", "11")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""


def test_renaming_onto_another_location_is_a_conflict(cli, db_url
                                                     ):  # type: ignore[no-untyped-def]
    main = add_location(cli, "Main office", "11")
    add_location(cli, "Annex", "22")
    assert_error(cli("location", "edit", "Annex", "--name", "MAIN office", "--pos", "11"), 5,
                 f"location 'Main office' (#{main}) already exists (two locations cannot have "
                 "one name)")
    listed = cli("location", "list", "-o", "json")
    assert [(row["name"], row["pos"]) for row in listed.json()] == [("Annex", "22"),
                                                                   ("Main office", "11")]


@pytest.mark.parametrize(("args", "code", "error"), [
    (("--pos", "28"), 2, f"unknown place of service code '28': {POS_HINT}"),
    (("--pos", "011"), 2, f"unknown place of service code '011': {POS_HINT}"),
    (("--name", "   "), 2, "the location name is empty"),
    ((), 2, "nothing to change: give --name or --pos"),
    (("--name", "Annex", "--appointments", "future"), 2,
     "--appointments future goes with --pos"),
    (("--pos", "10", "--appointments", "futur"), 2,
     "invalid --appointments 'futur': expected future (did you mean 'future'?)"),
])
def test_invalid_values_are_refused_as_add_refuses_them(cli, db_url, args, code, error
                                                        ):  # type: ignore[no-untyped-def]
    add_location(cli, "Main office", "11")
    assert_error(cli("location", "edit", "Main office", *args), code, error)
    assert cli("location", "list", "-o", "json").json()[0]["pos"] == "11"


def test_an_unknown_location(cli, db_url):  # type: ignore[no-untyped-def]
    main = add_location(cli, "Main office", "11")
    assert_error(cli("location", "edit", "Nowhere", "--pos", "10"), 3,
                 "no location 'Nowhere' (locations: Main office)")
    assert_error(cli("location", "edit", str(main), "--pos", "10"), 3,
                 f"no location '{main}' (locations: Main office) (an id is written '#{main}', "
                 "quoted so that the shell keeps the #)")
    assert_error(cli("location", "edit", "#99999999999999999999", "--pos", "10"), 2,
                 "invalid id '#99999999999999999999': too large")


@pytest.mark.parametrize("actor", [SAM, "jo@riverside.example", "bo@riverside.example",
                                   "rae@riverside.example"])
def test_only_the_owner_and_managers_edit_locations(cli, cast, open_session, actor
                                                    ):  # type: ignore[no-untyped-def]
    add_location(cli, "Main office", "11")
    assert_error(cli("location", "edit", "Main office", "--pos", "10", actor=actor), 4,
                 "location.edit: requires one of the roles owner, manager")
    assert cli("location", "list", "-o", "json").json()[0]["pos"] == "11"
    [(_, _, _, outcome, _)] = events(open_session, "location.edit")
    assert outcome == "denied"
    done = cli("location", "edit", "Main office", "--pos", "10", actor=MANAGER)
    assert done.exit_code == 0, done.output


def test_dry_run_writes_nothing(cli, db_url, open_session):  # type: ignore[no-untyped-def]
    main = add_location(cli, "Main office", "11")
    result = cli("location", "edit", "Main office", "--pos", "10", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Dry run (nothing written): Changed location #{main}: POS 11 -> 10.\n"
    assert cli("location", "list", "-o", "json").json()[0]["pos"] == "11"
    assert events(open_session, "location.edit") == []


def _move_into_the_past(open_session, appointment_id: int) -> None:  # type: ignore[no-untyped-def]
    from clinicctl.models import Appointment

    with open_session() as s:
        appointment = s.get(Appointment, appointment_id)
        appointment.start_at -= dt.timedelta(days=120)
        appointment.end_at -= dt.timedelta(days=120)


@pytest.fixture
def booked(cli, cast, open_session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Appointments of Maya with Sam: at Main office (POS 12 by default) a future one, one
    booked with --pos 02, a cancelled one and a past one; a future one by Telehealth."""
    ids = {"main": add_location(cli, "Main office", "12"),
           "tele": add_location(cli, "Telehealth", "10")}
    ids["future"] = book(cli, "09:00", "--location", "Main office")["id"]
    ids["explicit"] = book(cli, "10:00", "--location", "Main office", "--pos", "02")["id"]
    ids["cancelled"] = book(cli, "11:00", "--location", "Main office")["id"]
    ids["past"] = book(cli, "12:00", "--location", "Main office")["id"]
    ids["tele_future"] = book(cli, "13:00", "--location", "Telehealth")["id"]
    cancelled = cli("appointment", "cancel", str(ids["cancelled"]))
    assert cancelled.exit_code == 0, cancelled.output
    _move_into_the_past(open_session, ids["past"])
    return ids


def test_booked_appointments_keep_their_pos_code_and_are_listed(cli, booked
                                                                ):  # type: ignore[no-untyped-def]
    result = cli("--quiet", "location", "edit", "Main office", "--pos", "11", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["appointments_changed"] == []
    assert result.json()["appointments_kept"] == [booked["future"]]
    # A warning, so --quiet shows it.
    assert result.stderr == (f"1 scheduled future appointment there keeps POS 12 "
                             f"(#{booked['future']}); add --appointments future to give it "
                             "POS 11.\n")
    assert {key: pos_of(cli, booked[key]) for key in
            ("future", "explicit", "cancelled", "past", "tele_future")} == {
        "future": "12", "explicit": "02", "cancelled": "12", "past": "12",
        "tele_future": "10"}
    # The new default applies to what is booked from now on; the name shows on every one.
    assert book(cli, "14:00", "--location", "Main office")["pos"] == "11"
    renamed = cli("location", "edit", "Main office", "--name", "North office")
    assert renamed.exit_code == 0, renamed.output
    shown = cli("appointment", "show", str(booked["past"]), "-o", "json")
    assert shown.json()["location"] == "North office"


def test_appointments_future_gives_the_scheduled_ones_the_new_code(
        cli, booked, open_session):  # type: ignore[no-untyped-def]
    result = cli("location", "edit", "Main office", "--pos", "11", "--appointments", "future",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["appointments_changed"] == [booked["future"]]
    assert result.json()["appointments_kept"] == []
    assert result.stderr == (f"Changed location #{booked['main']}: POS 12 -> 11; 1 scheduled "
                             "appointment there now has POS 11.\n")
    # Only the scheduled future ones that had the old default: what was billed, cancelled,
    # or booked with a code of its own keeps it.
    assert {key: pos_of(cli, booked[key]) for key in
            ("future", "explicit", "cancelled", "past", "tele_future")} == {
        "future": "11", "explicit": "02", "cancelled": "12", "past": "12",
        "tele_future": "10"}
    maya = cli("appointment", "show", str(booked["future"]), "-o", "json").json()["client_id"]
    assert events(open_session, "appointment.update") == [
        ("appointment", booked["future"], maya, "ok",
         {"pos_code": {"from": "12", "to": "11"}, "location_id": booked["main"]})]
    assert events(open_session, "location.edit")[-1][4]["appointments"] == 1
    again = cli("location", "edit", "Main office", "--pos", "11", "--appointments", "future")
    assert again.exit_code == 0, again.output
    assert again.stderr == "Location 'Main office' already has these values; nothing changed.\n"

