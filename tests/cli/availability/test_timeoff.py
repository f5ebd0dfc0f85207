"""`availability timeoff`: added as always (`availability timeoff PROVIDER --start --end`),
listed (`timeoff list`), removed (`timeoff remove`), exported and imported (`export
timeoff`, `import timeoff`), with the permissions of adding time off (SPEC sections 5 and
11); the start and the end, days or local times, are checked."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from tests.fixtures.bad_input import Case, assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, MON, SPRING, WED, at

# --- bad input ---------------------------------------------------------------------------------

TIMEOFF = ("availability", "timeoff", ANA)
CASES = [
    Case("timeoff-end-before-start", (*TIMEOFF, "--start", at(MON, "13:00"), "--end",
                                      at(MON, "12:00")), 2,
         f"--end {MON} 12:00 is not after --start {MON} 13:00"),
    Case("timeoff-end-equals-start", (*TIMEOFF, "--start", at(MON, "13:00"), "--end",
                                      at(MON, "13:00")), 2,
         f"--end {MON} 13:00 is not after --start {MON} 13:00"),
    Case("timeoff-end-day-before", (*TIMEOFF, "--start", str(WED), "--end", str(MON)), 2,
         f"--end {MON} is not after --start {WED}"),
    Case("timeoff-bad-start", (*TIMEOFF, "--start", "soon", "--end", str(MON)), 2,
         "invalid --start 'soon': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("timeoff-bad-date", (*TIMEOFF, "--start", "2027-02-30", "--end", str(MON)), 2,
         "invalid --start date '2027-02-30': expected YYYY-MM-DD"),
    Case("timeoff-bad-end-time", (*TIMEOFF, "--start", str(MON), "--end", f"{MON} 9"), 2,
         f"invalid --end '{MON} 9': expected YYYY-MM-DD HH:MM in America/New_York time"),
    Case("timeoff-in-the-dst-gap", (*TIMEOFF, "--start", at(SPRING, "02:30"), "--end",
                                    at(SPRING, "05:00")), 2,
         f"{SPRING} 02:30 does not exist in America/New_York: the clocks skip it "
         "(daylight saving time starts)"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, scheduled, case):
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args))
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


# --dry-run validates exactly as a real run does: these cases again, as dry runs.
DRY_RUN_CASES = [c for c in CASES if c.id in {"timeoff-bad-start"}]


@pytest.mark.parametrize("case", DRY_RUN_CASES, ids=lambda c: c.id)
def test_bad_value_in_a_dry_run(cli, scheduled, case):
    """--dry-run validates exactly as a real run does."""
    before = snapshot(scheduled.url)
    result = cli(*(a.format(**scheduled.ids) for a in case.args), "--dry-run")
    assert_error(result, case.code, case.error.format(**scheduled.ids))
    assert snapshot(scheduled.url) == before


ZONE = ZoneInfo("America/New_York")  # the test practice's (tests/conftest.py)
TODAY = dt.datetime.now(ZONE).date()
DAY = TODAY + dt.timedelta(days=40)
NEXT = DAY + dt.timedelta(days=7)
FIELDS = ["id", "provider_id", "provider", "provider_email", "start", "end", "reason"]


def iso(day: dt.date, hhmm: str = "00:00") -> str:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=ZONE).isoformat()


def staff_ids(open_session, *emails: str) -> list[int]:
    from clinicctl.people.refs import resolve_staff

    with open_session(write=False) as s:
        return [resolve_staff(s, email).id for email in emails]


def add(cli, provider: str, start: str, end: str, *more: str, actor: str | None = None):
    options = {"actor": actor} if actor else {}
    return cli("availability", "timeoff", provider, "--start", start, "--end", end, *more,
               "-o", "json", **options)


@pytest.fixture
def off(cli, cast, open_session):
    """Time off for Ana (a holiday, whole days) and for Lee (an afternoon), and their ids."""
    ana, lee = staff_ids(open_session, cast.provider_b, cast.provider_c)
    holiday = add(cli, cast.provider_b, str(DAY), str(DAY + dt.timedelta(days=1)), "--reason",
                  "holiday")
    assert holiday.exit_code == 0, holiday.output
    training = add(cli, cast.provider_c, f"{NEXT} 13:00", f"{NEXT} 15:00")
    assert training.exit_code == 0, training.output
    return {"ana": ana, "lee": lee, "holiday": holiday.json()["id"],
            "training": training.json()["id"]}


def record(ids, key: str) -> dict[str, object]:
    if key == "holiday":
        return {"id": ids["holiday"], "provider_id": ids["ana"], "provider": "Ana Ruiz",
                "provider_email": "ana@riverside.example", "start": iso(DAY),
                "end": iso(DAY + dt.timedelta(days=2)), "reason": "holiday"}
    return {"id": ids["training"], "provider_id": ids["lee"], "provider": "Lee Park",
            "provider_email": "lee@riverside.example", "start": iso(NEXT, "13:00"),
            "end": iso(NEXT, "15:00"), "reason": None}


# --- adding, as before ------------------------------------------------------------------------

def test_adding_time_off_works_as_before_and_explicitly(cli, cast, off):
    assert record(off, "holiday")["id"] != record(off, "training")["id"]
    explicit = cli("availability", "timeoff", "add", cast.provider_b, "--start",
                   f"{NEXT} 09:00", "--end", f"{NEXT} 10:00", "-o", "json")
    assert explicit.exit_code == 0, explicit.output
    assert explicit.stderr == f"Recorded time off #{explicit.json()['id']} for Ana Ruiz.\n"
    options_first = cli("availability", "timeoff", "--start", f"{NEXT} 11:00", "--end",
                        f"{NEXT} 12:00", cast.provider_b)
    assert options_first.exit_code == 0, options_first.output


def test_the_same_time_off_again_is_a_no_op(cli, cast, off, open_session):
    from sqlalchemy import func, select

    from clinicctl.models import TimeOff

    again = add(cli, cast.provider_b, str(DAY), str(DAY + dt.timedelta(days=1)))
    assert again.exit_code == 0, again.output
    assert again.json()["id"] == off["holiday"]
    assert again.stderr == (f"Ana Ruiz already has this time off (#{off['holiday']}); nothing "
                            "changed.\n")
    with open_session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(TimeOff)) == 2


def test_list_and_remove_are_never_a_staff_reference(cli, cast, open_session):
    """A provider named "List" is reached by #ID or email; the word itself lists."""
    named = cli("staff", "add", "List", "--email", "list@riverside.example", "--role",
                "provider", "-o", "json")
    assert named.exit_code == 0, named.output
    list_id = named.json()["id"]
    listed = cli("availability", "timeoff", "list", "-o", "json")
    assert (listed.exit_code, listed.stdout) == (0, "[]\n"), listed.output
    upper = cli("availability", "timeoff", "LIST", "-o", "json")
    assert (upper.exit_code, upper.stdout) == (0, "[]\n"), upper.output
    by_id = add(cli, f"#{list_id}", str(DAY), str(DAY))
    assert by_id.exit_code == 0, by_id.output
    assert by_id.json()["provider"] == "List"
    remove_word = cli("availability", "timeoff", "remove", "--start", str(DAY))
    assert remove_word.exit_code == 2, remove_word.output
    assert "No such option: --start" in remove_word.stderr


def test_timeoff_without_arguments_shows_its_help(cli, cast):
    result = cli("availability", "timeoff")
    assert "list" in result.stdout and "remove" in result.stdout, result.output
    assert "availability timeoff PROVIDER --start" in result.stdout


# --- listing ----------------------------------------------------------------------------------

def test_list_every_format(cli, cast, off):
    data = cli("availability", "timeoff", "list", "-o", "json")
    assert data.exit_code == 0, data.output
    assert data.json() == [record(off, "holiday"), record(off, "training")]
    one = cli("availability", "timeoff", "list", "Lee Park", "-o", "json")
    assert one.json() == [record(off, "training")]
    rows = list(csv.reader(io.StringIO(cli("availability", "timeoff", "list", "-o",
                                           "csv").stdout)))
    assert rows[0] == FIELDS
    assert rows[1] == [str(off["holiday"]), str(off["ana"]), "Ana Ruiz",
                       "ana@riverside.example", iso(DAY), iso(DAY + dt.timedelta(days=2)),
                       "holiday"]
    table = cli("availability", "timeoff", "list")
    assert table.exit_code == 0, table.output
    assert "Ana Ruiz" in table.stdout and "holiday" in table.stdout
    assert f"{DAY} 00:00" in table.stdout


def test_list_filters_by_days_that_the_time_off_touches(cli, cast, off):
    def listed(*args: str) -> list[int]:
        result = cli("availability", "timeoff", "list", *args, "-o", "json")
        assert result.exit_code == 0, result.output
        return [row["id"] for row in result.json()]

    second_day = DAY + dt.timedelta(days=1)
    assert listed("--from", str(second_day), "--to", str(second_day)) == [off["holiday"]]
    assert listed("--from", str(DAY + dt.timedelta(days=2))) == [off["training"]]
    assert listed("--to", str(NEXT)) == [off["holiday"], off["training"]]
    assert listed("--to", str(NEXT - dt.timedelta(days=1))) == [off["holiday"]]
    bad = cli("availability", "timeoff", "list", "--from", str(NEXT), "--to", str(DAY))
    assert bad.exit_code == 2, bad.output
    assert bad.stderr == f"Error: --to {DAY} is before --from {NEXT}\n"


@pytest.mark.parametrize(("actor", "provider", "expected"), [
    ("owner", None, ["holiday", "training"]),
    ("manager", None, ["holiday", "training"]),
    ("scheduler", None, ["holiday", "training"]),
    ("provider_b", None, ["holiday"]),  # a provider sees their own
    ("provider_b", "provider_b", ["holiday"]),
    ("provider_b", "provider_c", 4),
    ("biller", None, 4),
    ("custodian", None, 4),
])
def test_who_may_list_time_off(cli, cast, off, actor, provider, expected):
    args = ["availability", "timeoff", "list", "-o", "json"]
    if provider:
        args.insert(3, getattr(cast, provider))
    result = cli(*args, actor=getattr(cast, actor))
    if expected == 4:
        assert result.exit_code == 4, result.output
        assert result.stderr.startswith("Error: availability.timeoff_list: ")
        return
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in result.json()] == [off[key] for key in expected]


# --- removing ---------------------------------------------------------------------------------

def test_remove_is_audited_and_frees_the_time(cli, cast, off, open_session):
    from sqlalchemy import select

    from clinicctl.models import AuditEvent

    removed = cli("availability", "timeoff", "remove", str(off["training"]), "-o", "json")
    assert removed.exit_code == 0, removed.output
    assert removed.json() == record(off, "training")
    assert removed.stderr == f"Removed time off #{off['training']} of Lee Park.\n"
    listed = cli("availability", "timeoff", "list", "-o", "json")
    assert [row["id"] for row in listed.json()] == [off["holiday"]]
    with open_session(write=False) as s:
        event = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "availability.timeoff_remove")).one()
    assert (event.object_type, event.object_id, event.outcome) == (
        "time_off", off["training"], "ok")


def test_removing_it_again_is_exit_3_with_a_clear_message(cli, cast, off):
    first = cli("availability", "timeoff", "remove", str(off["training"]))
    assert first.exit_code == 0, first.output
    again = cli("availability", "timeoff", "remove", str(off["training"]))
    assert again.exit_code == 3, again.output
    assert again.stderr == (f"Error: no time off with id {off['training']} (removed already, "
                            "or never recorded: see `clinicctl availability timeoff list`)\n")


def test_remove_dry_run_writes_nothing(cli, cast, off):
    result = cli("availability", "timeoff", "remove", str(off["holiday"]), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"Dry run (nothing written): Removed time off #{off['holiday']} "
                             "of Ana Ruiz.\n")
    listed = cli("availability", "timeoff", "list", "-o", "json")
    assert len(listed.json()) == 2


@pytest.mark.parametrize(("actor", "key", "code"), [
    ("scheduler", "training", 0),
    ("provider_c", "training", 0),  # their own
    ("provider_b", "training", 4),  # someone else's
    ("biller", "training", 4),
    ("biller", "missing", 4),  # the role first: a refused actor learns nothing
    ("owner", "missing", 3),
])
def test_who_may_remove_time_off(cli, cast, off, actor, key, code):
    target = str(off.get(key, 9999))
    result = cli("availability", "timeoff", "remove", target, actor=getattr(cast, actor))
    assert result.exit_code == code, result.output


def test_remove_takes_an_integer_id(cli, cast):
    result = cli("availability", "timeoff", "remove", "seven")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: Invalid value for 'ID': "), result.stderr


# --- export and import ------------------------------------------------------------------------

def test_export_timeoff_is_the_listing(cli, cast, off):
    exported = cli("export", "timeoff")
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == cli("availability", "timeoff", "list", "-o", "csv").stdout
    assert cli("export", "timeoff", "-o", "json").stdout == cli(
        "availability", "timeoff", "list", "-o", "json").stdout
    only = cli("export", "timeoff", "--provider", cast.provider_c, "-o", "json")
    assert [row["id"] for row in only.json()] == [off["training"]]
    window = cli("export", "timeoff", "--from", str(NEXT), "--to", str(NEXT), "-o", "json")
    assert [row["id"] for row in window.json()] == [off["training"]]


@pytest.mark.parametrize(("actor", "code"), [("manager", 0), ("custodian", 0), ("scheduler", 4),
                                             ("provider_b", 4), ("biller", 4)])
def test_who_may_export_time_off(cli, cast, off, actor, code):
    assert cli("export", "timeoff", actor=getattr(cast, actor)).exit_code == code


def test_export_then_import_gives_the_same_time_off(cli, cast, off, backend, tmp_path):
    exported = cli("export", "timeoff").stdout
    target = backend.initialised()
    staff = tmp_path / "staff.csv"
    staff.write_text(cli("export", "staff").stdout)
    assert cli("--db", target, "import", "staff", str(staff)).exit_code == 0
    path = tmp_path / "timeoff.csv"
    path.write_text(exported)
    imported = cli("--db", target, "import", "timeoff", str(path), "-o", "json")
    assert imported.exit_code == 0, imported.output
    assert imported.json() == {"created": 2, "updated": 0, "unchanged": 0}
    again = cli("--db", target, "import", "timeoff", str(path), "-o", "json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}

    def without_ids(text: str) -> list[dict[str, str]]:
        return [{k: v for k, v in row.items() if k not in ("id", "provider_id")}
                for row in csv.DictReader(io.StringIO(text))]

    assert without_ids(cli("--db", target, "export", "timeoff").stdout) == without_ids(exported)


def test_import_updates_the_end_and_reason_of_time_off_with_the_same_start(cli, cast, off,
                                                                            tmp_path):
    path = tmp_path / "timeoff.csv"
    path.write_text("provider_email,start,end,reason\n"
                    f"{cast.provider_c},{NEXT} 13:00,{NEXT} 16:00,training\n"
                    f"{cast.provider_b},{DAY},{DAY + dt.timedelta(days=1)},holiday\n")
    result = cli("import", "timeoff", str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 0, "updated": 1, "unchanged": 1}
    listed = cli("availability", "timeoff", "list", "Lee Park", "-o", "json").json()
    assert (listed[0]["end"], listed[0]["reason"]) == (iso(NEXT, "16:00"), "training")


def test_import_over_booked_appointments_needs_force(cli, cast, tmp_path):
    booked = cli("appointment", "book", "--client", cast.client, "--provider", cast.provider_a,
                 "--at", f"{DAY} 10:00", "--outside-availability", "-o", "json")
    assert booked.exit_code == 0, booked.output
    appointment_id = booked.json()["appointments"][0]["id"]
    path = tmp_path / "timeoff.csv"
    path.write_text(f"provider,start,end\n{cast.provider_a},{DAY},{DAY}\n")
    refused = cli("import", "timeoff", str(path))
    assert refused.exit_code == 5, refused.output
    assert refused.stderr == (f"Error: row 2: Sam Okafor has 1 booked appointment during this "
                              f"time off (#{appointment_id}); import with --force to record it "
                              "anyway\n")
    forced = cli("-q", "import", "timeoff", str(path), "--force", "-o", "json")
    assert forced.exit_code == 0, forced.output
    assert forced.json()["created"] == 1
    local = dt.datetime.combine(DAY, dt.time(10), tzinfo=ZONE)
    assert forced.stderr == (
        f"Warning: time off of Sam Okafor from {DAY} 00:00 {local:%Z} covers booked "
        f"appointments, still booked: appointment #{appointment_id} {DAY} 10:00 "
        f"{local:%Z}-10:50.\n")


@pytest.mark.parametrize(("body", "code", "error"), [
    ("provider_email,start,end\nnobody@riverside.example,2027-01-04,2027-01-04\n", 3,
     "row 2, column provider_email: no provider with email 'nobody@riverside.example'"),
    ("provider_email,start,end\nana@riverside.example,2027-01-05,2027-01-04\n", 2,
     "row 2: end is not after start"),
    ("provider_email,start,end\nana@riverside.example,soon,2027-01-04\n", 2,
     "row 2, column start: invalid start 'soon'"),
    ("provider_email,start\nana@riverside.example,2027-01-04\n", 2,
     "row 1: missing column 'end'"),
])
def test_bad_time_off_rows_are_named(cli, cast, tmp_path, body, code, error):
    path = tmp_path / "timeoff.csv"
    path.write_text(body)
    result = cli("import", "timeoff", str(path))
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(f"Error: {error}"), result.stderr


def test_only_the_owner_and_managers_import_time_off(cli, cast, tmp_path):
    path = tmp_path / "timeoff.csv"
    path.write_text(f"provider_email,start,end\n{cast.provider_b},{DAY},{DAY}\n")
    refused = cli("import", "timeoff", str(path), actor=cast.scheduler)
    assert refused.exit_code == 4, refused.output
    allowed = cli("import", "timeoff", str(path), actor=cast.manager)
    assert allowed.exit_code == 0, allowed.output


def test_global_options_after_the_shorthand_and_the_subcommands(cli, cast, off):
    """`-q` and `--as` may follow `availability timeoff PROVIDER ...` too (the shorthand
    for `timeoff add`), and any of its subcommands."""
    added = cli("availability", "timeoff", cast.provider_b, "--start", f"{NEXT} 09:00",
                "--end", f"{NEXT} 10:00", "-q", "-o", "json")
    assert added.exit_code == 0, added.output
    assert added.stderr == ""
    options_first = cli("availability", "timeoff", "--start", f"{NEXT} 10:00", "--end",
                        f"{NEXT} 11:00", cast.provider_c, "--as", cast.provider_c,
                        actor=None)
    assert options_first.exit_code == 0, options_first.output
    listed = cli("availability", "timeoff", "List", "--as", cast.provider_c, "-o", "json",
                 actor=None)
    assert listed.exit_code == 0, listed.output
    assert {row["provider"] for row in listed.json()} == {"Lee Park"}
    removed = cli("availability", "timeoff", "remove", str(off["training"]), "-q")
    assert (removed.exit_code, removed.stderr) == (0, ""), removed.output
