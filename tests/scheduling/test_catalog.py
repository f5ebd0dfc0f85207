"""Locations and services (``location add/list``, ``service add/list``): names normalised, a
repeat a no-op, a clash a conflict, the built-in service codes."""

from __future__ import annotations

from tests.fixtures.schedule_db import BILLER


def test_locations_and_services(cli, practice):
    added = cli("location", "add", "  North   annex ", "--pos", "22", "-o", "json")
    assert added.exit_code == 0, added.output
    assert {k: v for k, v in added.json().items() if k != "id"} == {"name": "North annex",
                                                                    "pos": "22"}
    again = cli("location", "add", "north ANNEX", "--pos", "22")
    assert again.exit_code == 0, again.output
    assert again.stderr == "Location 'North annex' already exists; nothing changed.\n"
    clash = cli("location", "add", "North annex", "--pos", "11")
    assert clash.exit_code == 5, clash.output
    assert clash.stderr == "Error: location 'North annex' exists with POS 22\n"
    listed = cli("location", "list", "-o", "json", actor=BILLER)
    assert [(loc["name"], loc["pos"]) for loc in listed.json()] == [
        ("Main office", "11"), ("North annex", "22"), ("Telehealth", "10")]

    services = cli("service", "list", "-o", "json")
    assert services.exit_code == 0, services.output
    minutes = {s["code"]: s["minutes"] for s in services.json()}
    assert {code: minutes[code] for code in ("90791", "90832", "90834", "90837", "90839",
                                             "90846", "90847", "90853")} == {
        "90791": 60, "90832": 30, "90834": 50, "90837": 60, "90839": 60, "90846": 50,
        "90847": 50, "90853": 90}
    added = cli("service", "add", "g0001", "--name", "Walk and talk", "--minutes", "40",
                "-o", "json")
    assert added.exit_code == 0, added.output
    assert added.json() == {"code": "G0001", "name": "Walk and talk", "minutes": 40,
                            "builtin": False}
    again = cli("service", "add", "G0001", "--name", "Walk and talk", "--minutes", "40")
    assert again.exit_code == 0, again.output
    assert again.stderr == "Service G0001 already exists; nothing changed.\n"
