"""Listings a person can read: names beside ids (JSON keeps the ids and adds the names),
each client's status in a provider's list, staff by last name, and an empty result that
says what was searched (SPEC section 11)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.listings_db import ALEX, CHLOE, ELEANOR, PRIYA, PRIYA_NAME
from tests.fixtures.schedule_db import ANA, LEE, MAYA, MON, SAM, SCHEDULER, iso

BILLER = "bo@riverside.example"
KIM = "kim@riverside.example"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- names beside ids -------------------------------------------------------------------------

def test_appointment_list_names_clients_and_providers(cli, listings):
    ids = listings.ids
    result = cli("appointment", "list", "--from", MON.isoformat(), "--to", MON.isoformat(),
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [(a["id"], a["client_id"], a["client"], a["provider_id"], a["provider"])
            for a in result.json()] == [
        (ids["a4"], ids["eleanor"], ELEANOR, ids["ana"], "Ana Ruiz"),
        (ids["a3"], ids["chloe"], CHLOE, ids["lee"], "Lee Park"),
        (ids["a1"], ids["maya"], MAYA, ids["sam"], "Sam Okafor"),
        (ids["a2"], ids["alex"], ALEX, ids["priya"], PRIYA_NAME),
    ]
    table = cli("appointment", "list", "--from", MON.isoformat(), "--to", MON.isoformat())
    assert table.exit_code == 0, table.output
    for name in ("Eleanor Fitzgerald", "Chloé Martin", "Maya Chen", "Sam Okafor", "Lee Park"):
        assert name in table.stdout
    assert "Client ID" in table.stdout  # a wide (piped) table keeps the ids too


def test_appointment_show_and_csv_name_the_client(cli, listings):
    ids = listings.ids
    shown = cli("appointment", "show", str(ids["a2"]), "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert {k: shown.json()[k] for k in ("client_id", "client", "provider_id", "provider",
                                         "status")} == {
        "client_id": ids["alex"], "client": ALEX, "provider_id": ids["priya"],
        "provider": PRIYA_NAME, "status": "late-cancelled"}
    table = cli("appointment", "show", str(ids["a2"]))
    assert table.exit_code == 0, table.output
    assert ALEX in table.stdout and PRIYA_NAME in table.stdout
    listed = cli("appointment", "list", "--client", ALEX, "-o", "csv")
    assert listed.exit_code == 0, listed.output
    # The columns of before come first, in their order; the names are added at the end.
    assert listed.stdout.splitlines()[0] == ("id,client_id,provider_id,provider,start,end,"
                                             "status,service,pos,location,series_id,client,"
                                             "clients")
    assert [(r["id"], r["client"]) for r in rows_of(listed.stdout)] == [
        (str(ids["a2"]), ALEX), (str(ids["a5"]), ALEX)]


def test_booking_output_names_the_client(cli, listings_copy):
    booked = cli("appointment", "book", "--client", CHLOE, "--provider", SAM, "--at",
                 f"{MON.isoformat()} 14:00", "-o", "json")
    assert booked.exit_code == 0, booked.output
    [row] = booked.json()["appointments"]
    assert (row["client_id"], row["client"], row["provider"]) == (
        listings_copy.ids["chloe"], CHLOE, "Sam Okafor")
    assert row["start"] == iso(MON, "14:00")


def test_note_listings_name_the_author(cli, listings):
    ids = listings.ids
    listed = cli("note", "list", MAYA, "-o", "json", actor=ANA)  # through Sam's chart share
    assert listed.exit_code == 0, listed.output
    assert {(n["author_id"], n["author"]) for n in listed.json()} == {(ids["sam"], "Sam Okafor")}
    assert len(listed.json()) == 2
    shown = cli("note", "show", str(ids["progress_note"]), "-o", "json", actor=ANA)
    assert shown.exit_code == 0, shown.output
    assert (shown.json()["author_id"], shown.json()["author"]) == (ids["sam"], "Sam Okafor")
    table = cli("note", "list", MAYA, actor=ANA)
    assert table.exit_code == 0, table.output
    assert "Sam Okafor" in table.stdout and "A's progress note" in table.stdout


def test_audit_list_names_the_actor(cli, listings):
    # A refused attempt adds only its audit event: the shared practice stays as it was.
    refused = cli("appointment", "book", "--client", MAYA, "--provider", ANA, "--at",
                  f"{MON.isoformat()} 10:00", actor=BILLER)
    assert refused.exit_code == 4, refused.output
    bo = cli("staff", "show", BILLER, "-o", "json").json()["id"]
    events = cli("audit", "list", "--actor", BILLER, "-o", "json").json()
    assert events and {(e["actor_id"], e["actor"]) for e in events} == {(bo, "Bo Grant")}
    everything = cli("audit", "list", "-o", "json").json()
    assert all(set(e) >= {"actor_id", "actor"} for e in everything)
    assert {e["actor"] for e in everything} >= {"Dana Reyes", "Bo Grant"}
    table = cli("audit", "list", "--actor", BILLER)
    assert table.exit_code == 0, table.output
    assert "Bo Grant" in table.stdout


def test_client_sharing_names_who_the_chart_is_shared_to(cli, listings):
    ids = listings.ids
    data = cli("client", "sharing", MAYA, "-o", "json").json()
    sam = next(p for p in data["providers"] if p["provider_id"] == ids["sam"])
    [share] = sam["shares_to"]
    assert {k: share[k] for k in ("provider_id", "provider", "include_private_notes")} == {
        "provider_id": ids["ana"], "provider": "Ana Ruiz", "include_private_notes": True}
    table = cli("client", "sharing", MAYA)
    assert table.exit_code == 0, table.output
    assert f"Ana Ruiz (#{ids['ana']}) incl. private notes since" in table.stdout


# --- privacy: a name only where the row is already visible --------------------------------------

@pytest.mark.parametrize("actor", [OWNER_EMAIL, SCHEDULER, BILLER, SAM, ANA, LEE, PRIYA, KIM,
                                   "rae@riverside.example", "ivy@riverside.example"])
def test_names_in_the_schedule_are_the_directory_names_of_visible_rows(
        cli, listings, actor):
    """Whoever may list an appointment may already read its client's name: the directory
    (name, id, date of birth) is open to every role. So every listed row carries exactly the
    name the directory gives that actor, and rows the actor may not see stay unlisted."""
    directory = cli("client", "list", "-o", "json", actor=actor)
    assert directory.exit_code == 0, directory.output
    names = {c["id"]: c["name"] for c in directory.json()}
    listed = cli("appointment", "list", "-o", "json", actor=actor)
    assert listed.exit_code == 0, listed.output
    for row in listed.json():
        assert row["client"] == names[row["client_id"]]
    everyone = {a["id"] for a in cli("appointment", "list", "-o", "json").json()}
    seen = {a["id"] for a in listed.json()}
    assert seen <= everyone
    if actor == LEE:  # his own appointment with Chloé, nothing of the other providers
        assert seen == {listings.ids["a3"]}


def test_names_need_an_active_actor(listings):
    from clinicctl.people.names import client_names, staff_names
    from clinicctl.people.refs import resolve_staff

    with listings.session(dry_run=True) as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        ids = [listings.ids["maya"], listings.ids["alex"], None, 999_999]
        assert client_names(s, owner, ids) == {listings.ids["maya"]: MAYA,
                                               listings.ids["alex"]: ALEX}
        assert staff_names(s, owner, [listings.ids["priya"]]) == {listings.ids["priya"]:
                                                                  PRIYA_NAME}
        owner.active = False  # rolled back with the session
        assert client_names(s, owner, ids) == {}
        assert staff_names(s, owner, [listings.ids["priya"]]) == {}


def test_names_are_loaded_for_the_whole_listing_at_once(cli, listings_copy, monkeypatch):
    """The number of statements a listing runs does not grow with its rows."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def run() -> int:
        statements.clear()
        event.listen(Engine, "before_cursor_execute", count)
        try:
            result = cli("appointment", "list", "-o", "json")
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert result.exit_code == 0, result.output
        return len(statements)

    few = run()
    for hour, client in (("13:00", ELEANOR), ("14:00", CHLOE), ("15:00", ALEX),
                         ("16:00", "Omar Haddad")):
        booked = cli("appointment", "book", "--client", client, "--provider", SAM, "--at",
                     f"{MON.isoformat()} {hour}")
        assert booked.exit_code == 0, booked.output
    assert run() == few


# --- status in a provider's list; staff by last name -------------------------------------------

def test_client_list_of_a_provider_shows_each_status(cli, listings_copy):
    ids = listings_copy.ids
    assert cli("client", "status", ALEX, "--provider", PRIYA, "--set", "discharged"
               ).exit_code == 0
    result = cli("client", "list", "--provider", PRIYA, "--status", "all", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [(c["id"], c["status"]) for c in result.json()] == [(ids["alex"], "discharged")]
    default = cli("client", "list", "--provider", ANA, "-o", "json")
    assert {(c["name"], c["status"]) for c in default.json()} == {
        (MAYA, "new"), (ELEANOR, "new")}
    table = cli("client", "list", "--provider", PRIYA, "--status", "all")
    assert "Status" in table.stdout and "discharged" in table.stdout
    as_csv = cli("client", "list", "--provider", PRIYA, "--status", "all", "-o", "csv")
    assert rows_of(as_csv.stdout)[0]["status"] == "discharged"
    # The directory of the whole practice has no one status per client.
    everyone = cli("client", "list", "-o", "json")
    assert all("status" not in c for c in everyone.json())
    assert "Status" not in cli("client", "list").stdout


def test_client_list_status_is_still_checked(cli, listings):
    result = cli("client", "list", "--provider", PRIYA, "--status", "gone")
    assert result.exit_code == 2
    assert result.stderr == ("Error: invalid status 'gone'; expected all or new, active, "
                             "inactive, discharged\n")


def test_staff_list_sorts_by_last_name(cli, listings):
    result = cli("staff", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in result.json()] == [
        "Morgan Blake", "Jo Diaz", "Bo Grant", PRIYA_NAME, "Kim Novak", "Sam Okafor",
        "Lee Park", "Rae Quinn", "Dana Reyes", "Ana Ruiz", "Ivy Stone"]
    table = cli("staff", "list")
    assert table.stdout.index("Morgan Blake") < table.stdout.index("Ivy Stone")


def test_staff_list_orders_accented_last_names_with_the_others(cli, db_url):
    for name, email in (("Zoe Adams", "zoe@x.example"), ("Anna Ångström", "anna@x.example"),
                        ("Bea Baker", "bea@x.example")):
        assert cli("staff", "add", name, "--email", email, "--role", "biller").exit_code == 0
    names = [s["name"] for s in cli("staff", "list", "--role", "biller", "-o", "json").json()]
    assert names == ["Zoe Adams", "Anna Ångström", "Bea Baker"]


# --- an empty result says what was searched --------------------------------------------------

EMPTY = [
    (("client", "list", "--search", "chloe-nobody"), "No clients match 'chloe-nobody'."),
    (("client", "list", "--provider", KIM, "--status", "discharged"),
     f"No clients in the list of {KIM} with status discharged."),
    (("client", "list", "--provider", LEE, "--search", "maya"),
     f"No clients match 'maya' in the list of {LEE} with status new or active "
     "(--status all for every status)."),
    (("appointment", "list", "--provider", LEE, "--from", "2001-01-01", "--to", "2001-01-31"),
     f"No appointments with {LEE} from 2001-01-01 to 2001-01-31."),
    (("appointment", "list", "--client", MAYA, "--status", "no-show,completed"),
     f"No appointments of {MAYA} with status no-show or completed."),
    (("audit", "list", "--action", "nothing.*", "--outcome", "denied"),
     "No audit events for action nothing.* with outcome denied."),
    (("doc", "list", ELEANOR), f"No documents of {ELEANOR} that you may see."),
    (("availability", "list", KIM), f"No availability blocks for {KIM}."),
]


@pytest.mark.parametrize(("args", "said"), EMPTY, ids=[" ".join(a[:3]) for a, _ in EMPTY])
@pytest.mark.parametrize("fmt", ["json", "table", "csv"])
def test_an_empty_listing_says_what_was_searched(cli, listings, args, said, fmt):
    result = cli(*args, "-o", fmt)
    assert result.exit_code == 0, result.output
    assert result.stderr == said + "\n"
    if fmt == "json":
        assert result.stdout == "[]\n"
    elif fmt == "csv":
        assert len(result.stdout.splitlines()) == 1  # the header row only


def test_the_empty_note_list_names_the_client(cli, listings):
    result = cli("note", "list", "Omar Haddad", "-o", "json", actor=KIM)
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    assert result.stderr == "No chart notes of Omar Haddad that you may read.\n"


def test_quiet_keeps_an_empty_listing_silent(cli, listings):
    result = cli("-q", "client", "list", "--search", "chloe-nobody", "-o", "json")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "[]\n", "")


def test_open_slots_from_a_past_day(cli, listings):
    past = dt.date.today() - dt.timedelta(days=400)
    result = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                 past.isoformat(), "--days", "30", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stdout == "[]\n"
    assert result.stderr == (f"No open slots with {ANA} from {past.isoformat()} for 30 days "
                             "(that day is in the past).\n")


def test_no_open_slots_on_a_future_day(cli, listings):
    sunday = MON - dt.timedelta(days=1)  # nobody works on Sundays
    result = cli("availability", "find", "--client", MAYA, "--therapist", ANA, "--therapist",
                 LEE, "--from", sunday.isoformat(), "--days", "1")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"No open slots with {ANA} or {LEE} from {sunday.isoformat()} "
                             "for 1 day.\n")


def test_a_listing_with_rows_says_nothing(cli, listings):
    for args in (("client", "list", "--search", "chloe"), ("staff", "list"),
                 ("availability", "find", "--client", MAYA, "--therapist", ANA, "--from",
                  MON.isoformat(), "--days", "1")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert result.stderr == "", args


def test_an_empty_listing_after_bad_input_is_an_error_not_a_message(cli, listings):
    result = cli("appointment", "list", "--from", "2026-13-01")
    assert result.exit_code == 2
    assert result.stderr == ("Error: invalid --from date '2026-13-01': expected "
                             "YYYY-MM-DD\n")
    assert result.stdout == ""


def test_the_sharing_section_of_a_client_in_no_list(cli, listings_copy):
    added = cli("client", "add", "Zed", "Quinn", "--dob", "1970-07-07", "-o", "json")
    assert added.exit_code == 0, added.output
    result = cli("client", "sharing", "Zed Quinn")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Client #{added.json()['id']} is in no provider's list.\n"
    as_json = cli("client", "sharing", "Zed Quinn", "-o", "json")
    assert (as_json.json(), as_json.stderr) == (
        {"client_id": added.json()["id"], "providers": []}, result.stderr)
