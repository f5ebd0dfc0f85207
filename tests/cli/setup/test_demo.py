"""``clinicctl demo``: the demo practice, and the state the walkthrough leaves it in.

The demo builds its own SQLite file, so these tests run unchanged on a PostgreSQL run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MANAGER = "morgan@riverside.example"
FIRST = "sam@riverside.example"  # has Maya Chen and writes her chart
NEW = "ana@riverside.example"  # gets Maya Chen shared, demographics only
BOOKED = "lee@riverside.example"  # gets her by `appointment book` (way 2)
FOUND = "priya@riverside.example"  # by `availability find` then `--book 1` (way 3)
SERIES = "kim@riverside.example"  # by a weekly series booked from her side (way 4)
BY_APPOINTMENT = (BOOKED, FOUND, SERIES)
SCHEDULER = "jo@riverside.example"
CLIENT = "Maya Chen"
REFUSED = "Error: note.read: no access to this chart note\n"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``clinicctl demo`` run once for the module; each test gets its own copy."""
    from typer.testing import CliRunner

    from clinicctl.cli import app

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = CliRunner().invoke(app, ["demo", "--db", sqlite_url(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def demo_path(built_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the demo database, also set as CLINICCTL_DB."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(built_demo, path)
    monkeypatch.setenv("CLINICCTL_DB", sqlite_url(path))
    return path


def staff_id(cli, email: str) -> int:
    result = cli("staff", "show", email, "-o", "json", actor=MANAGER)
    assert result.exit_code == 0, result.output
    return result.json()["id"]


def first_provider_notes(cli) -> list[dict]:
    result = cli("note", "list", CLIENT, "-o", "json", actor=FIRST)
    assert result.exit_code == 0, result.output
    return result.json()


def test_demo_walks_through_the_steps_on_stderr(cli, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "demo.sqlite3")
    result = cli("demo", "--db", url, actor=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    for heading in ("Step 1. Morgan Blake (practice manager) shares Maya Chen with Ana Ruiz, "
                    "demographics only",
                    "Step 2. Sam Okafor starts a one-way chart share with Ana Ruiz",
                    "Step 3. Sam Okafor ends the chart share; Maya Chen stays in Ana Ruiz's list",
                    "Step 4. The chart-sharing section and the access report for Maya Chen",
                    "Step 5. Jo Diaz (scheduler) books Maya Chen with Lee Park, who is new to her",
                    "Step 6. Morgan Blake finds availability for Maya Chen with Priya Natarajan "
                    "and Kim Novak, and books the first open slot",
                    "Step 7. Sam Okafor books Maya Chen, from her profile, a weekly series with "
                    "Kim Novak",
                    "Step 8. Jo Diaz makes Sam Okafor's group and books its first session",
                    "Step 9. Lee Park supervises a new associate and co-signs her notes"):
        assert f"\n{heading}\n" in result.stderr
    assert "Step 10." not in result.stderr
    assert "staff supervise 'Nora Vance' --by 'Lee Park' --cosign\n" in result.stderr
    assert "(it waits for your supervisor's co-signature)." in result.stderr
    assert "\n  Signed note #" in result.stderr and "Co-signature: signed by Lee Park." in (
        result.stderr)
    assert "--group 'Thursday coping skills' --at '" in result.stderr
    assert "Booked appointment #" in result.stderr and "3 clients, service 90853" in result.stderr
    assert result.stderr.count("refused  `note show") == 5
    for provider in ("Lee Park", "Priya Natarajan", "Kim Novak"):
        assert (f"Alert: client #1 is new to {provider}: added to their list with demographics "
                "only") in result.stderr.replace("\n  ", " ")
    assert f"--as {SCHEDULER} appointment book --provider 'Lee Park' --at '" in result.stderr
    assert ("availability find --client 'Maya Chen' --therapist 'Priya Natarajan' "
            "--therapist 'Kim Novak' --from ") in result.stderr
    assert " --limit 6 --book 1\n" in result.stderr
    assert ("appointment book --client 'Maya Chen' --provider 'Kim Novak' --at '"
            in result.stderr)
    assert "--repeat weekly --count 4\n" in result.stderr
    assert "when scheduling is built" not in result.stderr
    assert f"$ clinicctl --db {url} --as {MANAGER} audit verify\n" in result.stderr
    assert (f"$ clinicctl --db {url} --as {SCHEDULER} appointment list --provider 'Kim Novak'\n"
            in result.stderr)
    assert f"$ clinicctl --db {url} --as {SCHEDULER} availability find --client" in result.stderr
    assert not [line for line in result.stderr.splitlines() if line.endswith(" ")]


def test_demo_refuses_an_existing_file_without_force(cli, demo_path: Path) -> None:
    again = cli("demo", "--db", sqlite_url(demo_path), actor=None)
    assert again.exit_code == 5, again.output
    assert again.stderr == (f"Error: {demo_path} already exists (pass --force to delete it "
                            "and build the demo again)\n")

    forced = cli("demo", "--db", sqlite_url(demo_path), "--force", actor=None)
    assert forced.exit_code == 0, forced.output
    clients = cli("client", "list", "-o", "json", actor=MANAGER)
    assert clients.exit_code == 0, clients.output
    assert len(clients.json()) == 12


def test_demo_defaults_to_a_file_in_the_current_directory(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("demo", actor=None)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clinicctl-demo.sqlite3").is_file()
    assert "--db sqlite:///clinicctl-demo.sqlite3 " in result.stderr


def test_demo_needs_a_sqlite_file(cli) -> None:
    result = cli("demo", "--db", "postgresql://clinic@db.example/clinic", actor=None)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: the demo builds a fresh SQLite file; give --db "
                             "sqlite:///PATH\n")


@pytest.mark.parametrize("provider", [NEW, *BY_APPOINTMENT])
def test_new_provider_lists_no_notes(cli, demo_path: Path, provider: str) -> None:
    result = cli("note", "list", CLIENT, "-o", "json", actor=provider)
    assert result.exit_code == 0, result.output
    assert result.json() == []


@pytest.mark.parametrize("provider", [NEW, *BY_APPOINTMENT])
def test_new_provider_is_refused_every_note_of_the_first(
    cli, demo_path: Path, provider: str
) -> None:
    notes = first_provider_notes(cli)
    assert sorted(n["kind"] for n in notes) == ["intake", "private", "progress", "progress"]
    for note in notes:
        shown = cli("note", "show", str(note["id"]), actor=provider)
        assert shown.exit_code == 4, shown.output
        assert shown.stderr == REFUSED


@pytest.mark.parametrize("provider", [NEW, *BY_APPOINTMENT])
def test_client_stays_in_new_providers_list(cli, demo_path: Path, provider: str) -> None:
    result = cli("client", "list", "--provider", provider, "-o", "json", actor=provider)
    assert result.exit_code == 0, result.output
    assert CLIENT in [c["name"] for c in result.json()]


@pytest.mark.parametrize("provider", BY_APPOINTMENT)
def test_booked_provider_sees_the_profile_and_only_non_clinical_documents(
    cli, demo_path: Path, provider: str
) -> None:
    shown = cli("client", "show", CLIENT, "-o", "json", actor=provider)
    assert shown.exit_code == 0, shown.output
    assert shown.json()["dob"] == "1990-04-12"
    docs = cli("doc", "list", CLIENT, "-o", "json", actor=provider)
    assert docs.exit_code == 0, docs.output
    assert [(d["title"], d["clinical"]) for d in docs.json()] == [
        ("Consent to treatment", False), ("Insurance card", False)]


def test_no_chart_share_is_active_at_the_end(cli, demo_path: Path) -> None:
    result = cli("client", "sharing", CLIENT, "-o", "json", actor=MANAGER)
    assert result.exit_code == 0, result.output
    providers = [(p["provider"], p["status"], p["diagnosis"], p["shares_to"])
                 for p in result.json()["providers"]]
    assert providers == [("Sam Okafor", "active", ["F41.1"], []), ("Ana Ruiz", "new", [], []),
                         ("Lee Park", "new", [], []), ("Priya Natarajan", "new", [], []),
                         ("Kim Novak", "new", [], [])]


@pytest.mark.parametrize("provider", [NEW, *BY_APPOINTMENT])
def test_access_report_gives_new_provider_only_their_own_chart(
    cli, demo_path: Path, provider: str
) -> None:
    result = cli("client", "access", CLIENT, "--staff", provider, "-o", "json", actor=MANAGER)
    assert result.exit_code == 0, result.output
    [row] = result.json()
    assert row["profile"] is True
    assert row["readable_authors"] == [staff_id(cli, provider)]
    origin = "share" if provider == NEW else "appointment"
    assert row["profile_reason"].endswith(f"(origin {origin})")


def test_the_client_is_booked_with_each_provider_in_the_coming_weeks(
    cli, demo_path: Path
) -> None:
    result = cli("appointment", "list", "--client", CLIENT, "-o", "json", actor=SCHEDULER)
    assert result.exit_code == 0, result.output
    appointments = result.json()
    by_provider: dict[str, list[dict]] = {}
    for a in appointments:
        by_provider.setdefault(a["provider"], []).append(a)
    assert {p: len(a) for p, a in by_provider.items()} == {
        "Sam Okafor": 4, "Lee Park": 1, "Priya Natarajan": 1, "Kim Novak": 4}
    now = dt.datetime.now(dt.UTC)
    assert all(dt.datetime.fromisoformat(a["start"]) > now for a in appointments)
    assert all(a["status"] == "scheduled" and a["service"] == "90834" for a in appointments)
    # Way 4: a weekly series with Kim, on her telehealth hours, at one wall-clock time.
    series = by_provider["Kim Novak"]
    starts = [dt.datetime.fromisoformat(a["start"]) for a in series]
    assert len({a["series_id"] for a in series}) == 1 and series[0]["series_id"] is not None
    assert [s.date() - starts[0].date() for s in starts] == [
        dt.timedelta(weeks=n) for n in range(4)]
    assert {(s.hour, s.minute) for s in starts} == {(14, 30)}
    assert {(a["location"], a["pos"]) for a in series} == {("Telehealth", "10")}
    # Way 2 (Lee) and way 3 (Priya) are single appointments at the main office.
    for provider in ("Lee Park", "Priya Natarajan"):
        [single] = by_provider[provider]
        assert single["series_id"] is None
        assert (single["location"], single["pos"]) == ("Main office", "11")


def test_the_practice_has_locations_and_weekly_hours(cli, demo_path: Path) -> None:
    locations = cli("location", "list", "-o", "json", actor=MANAGER)
    assert locations.exit_code == 0, locations.output
    assert [(loc["name"], loc["pos"]) for loc in locations.json()] == [
        ("Main office", "11"), ("Telehealth", "10")]
    blocks = cli("availability", "list", "-o", "json", actor=SCHEDULER)
    assert blocks.exit_code == 0, blocks.output
    assert {b["provider"] for b in blocks.json()} == {
        "Sam Okafor", "Ana Ruiz", "Lee Park", "Priya Natarajan", "Kim Novak"}


def test_audit_chain_holds_and_records_the_refusals(cli, demo_path: Path) -> None:
    verified = cli("audit", "verify", "-o", "json", actor=MANAGER)
    assert verified.exit_code == 0, verified.output
    assert verified.json()["ok"] is True

    denied = cli("audit", "list", "--outcome", "denied", "-o", "json", actor=MANAGER)
    assert denied.exit_code == 0, denied.output
    events = denied.json()
    notes = {n["kind"]: n["id"] for n in reversed(first_provider_notes(cli))}
    ana = staff_id(cli, NEW)
    assert [(e["actor_id"], e["action"], e["object_type"], e["object_id"]) for e in events] == [
        (ana, "note.read", "chart_note", notes["progress"]),
        (ana, "note.read", "chart_note", notes["private"]),
        *[(staff_id(cli, p), "note.read", "chart_note", notes["progress"])
          for p in BY_APPOINTMENT],
    ]


@pytest.mark.slow
def test_demo_runs_as_a_program(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "clinicctl", "demo", "--db", sqlite_url(tmp_path / "d.sqlite3")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert "Step 7." in result.stderr


def test_find_availability_on_the_demo_gives_the_documented_shapes(
    cli, demo_path: Path
) -> None:
    args = ("availability", "find", "--client", CLIENT, "--therapist", "Ana Ruiz",
            "--therapist", "Lee Park", "--limit", "3")
    as_json = cli(*args, "-o", "json", actor=SCHEDULER)
    assert as_json.exit_code == 0, as_json.output
    slots = as_json.json()
    assert len(slots) == 3
    assert all(set(s) == {"provider_id", "provider", "start", "end", "location"} for s in slots)
    as_csv = cli(*args, "-o", "csv", actor=SCHEDULER)
    assert as_csv.exit_code == 0, as_csv.output
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "provider_id,provider,start,end,location"
    assert len(lines) == 4


def test_the_group_session_shows_each_member_only_to_who_may_see_them(cli, demo_path: Path
                                                                      ) -> None:
    listed = cli("appointment", "list", "--provider", "Sam Okafor", "-o", "json",
                 actor=SCHEDULER)
    [group] = [a for a in listed.json() if len(a["clients"]) > 1]
    assert (group["service"], group["client_id"], len(group["clients"])) == ("90853", None, 3)
    kim = cli("appointment", "show", str(group["id"]), "-o", "json",
              actor="kim@riverside.example")
    assert kim.exit_code == 0, kim.output
    assert kim.json()["client"] == "Omar Haddad" and len(kim.json()["clients"]) == 1
