"""Errors that say what was meant: "did you mean" for fixed choices and command names, ``#2``
for a bare number where a reference goes, ``sqlite:///PATH`` for a file path given as the
database, and a config file that is named but missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicctl.errors import did_you_mean
from tests.fixtures.cast import OWNER_EMAIL


def assert_error(result, code: int, error: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {error}\n"


# --- did you mean ------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "choices", "hint"), [
    ("canceled", ("scheduled", "completed", "cancelled", "late-cancelled", "no-show"),
     "did you mean 'cancelled'?"),
    ("provder", ("owner", "manager", "provider"), "did you mean 'provider'?"),
    ("Provider", ("owner", "provider"), "did you mean 'provider'?"),
    ("custodian", ("owner", "provider", "records-custodian"),
     "did you mean 'records-custodian'?"),
    ("jsn", ("table", "json", "csv"), "did you mean 'json'?"),
    # Another word that shares some letters is no typo; nor is a word close to nothing.
    ("archived", ("new", "active", "inactive", "discharged"), None),
    ("yaml", ("table", "json", "csv"), None),
    ("", ("table", "json", "csv"), None),
    # Two choices hold it: neither is suggested.
    ("sched", ("scheduled", "rescheduled"), None),
])
def test_did_you_mean(typed, choices, hint):  # type: ignore[no-untyped-def]
    assert did_you_mean(typed, choices) == hint


@pytest.mark.parametrize(("args", "error"), [
    (("appointment", "list", "--status", "canceled"),
     "invalid status 'canceled'; expected scheduled, completed, cancelled, late-cancelled, "
     "no-show (did you mean 'cancelled'?)"),
    (("appointment", "list", "--status", "scheduled,noshow"),
     "invalid status 'noshow'; expected scheduled, completed, cancelled, late-cancelled, "
     "no-show (did you mean 'no-show'?)"),
    (("client", "list", "--status", "discharge"),
     "invalid status 'discharge'; expected all or new, active, inactive, discharged "
     "(did you mean 'discharged'?)"),
    (("client", "list", "--status", "archived"),
     "invalid status 'archived'; expected all or new, active, inactive, discharged"),
    (("staff", "add", "Pat Lee", "--email", "pat@riverside.example", "--role", "provder"),
     "unknown role 'provder'; roles are owner, manager, provider, records-custodian, "
     "scheduler, biller (did you mean 'provider'?)"),
    (("staff", "list", "--role", "custodian"),
     "unknown role 'custodian'; roles are owner, manager, provider, records-custodian, "
     "scheduler, biller (did you mean 'records-custodian'?)"),
    (("staff", "add", "Pat Lee", "--email", "pat@riverside.example", "--role", "provider",
      "--records-owner", "grup"),
     "invalid records owner 'grup'; expected group or provider (did you mean 'group'?)"),
    (("audit", "list", "--outcome", "denid"),
     "invalid outcome 'denid'; expected ok or denied (did you mean 'denied'?)"),
    (("appointment", "cancel", "1", "--scope", "futur"),
     "invalid --scope 'futur': expected this, future or series (did you mean 'future'?)"),
    (("appointment", "book", "--client", "Maya Chen", "--provider", "Sam Okafor", "--at",
      "2030-01-07 10:00", "--repeat", "weekley", "--count", "2"),
     "invalid --repeat 'weekley': expected weekly, biweekly or monthly "
     "(did you mean 'weekly'?)"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 16 else None)
def test_a_mistyped_choice_names_the_close_one(cli, shared, args, error
                                                ):  # type: ignore[no-untyped-def]
    assert_error(cli(*args), 2, error)


def test_a_mistyped_note_kind_and_client_status(cli, shared):  # type: ignore[no-untyped-def]
    assert_error(cli("note", "add", "Maya Chen", "--body", "x", "--kind", "privte",
                     actor="sam@riverside.example"),
                 2, "invalid note kind 'privte'; expected progress, intake, private "
                    "(did you mean 'private'?)")
    assert_error(cli("client", "status", "Maya Chen", "--provider", "Sam Okafor", "--set",
                     "actve"),
                 2, "invalid status 'actve'; expected new, active, inactive, discharged "
                    "(did you mean 'active'?)")


def test_a_mistyped_format_option_names_the_close_one(cli):  # type: ignore[no-untyped-def]
    # Refused while parsing, before any database is opened.
    assert_error(cli("staff", "list", "-o", "jsn"), 2,
                 "Invalid value for '--format' / '-o': 'jsn' is not one of 'table', 'json', "
                 "'csv'. Did you mean 'json'? (see `clinicctl staff list --help`)")
    assert_error(cli("staff", "list", "-o", "yaml"), 2,
                 "Invalid value for '--format' / '-o': 'yaml' is not one of 'table', 'json', "
                 "'csv'. (see `clinicctl staff list --help`)")


def test_a_mistyped_format_setting_names_the_close_one(cli, monkeypatch
                                                       ):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLINICCTL_FORMAT", "jsno")
    assert_error(cli("staff", "list"), 2,
                 "invalid format 'jsno' (from env CLINICCTL_FORMAT); expected one of table, "
                 "json, csv (did you mean 'json'?)")


@pytest.mark.parametrize(("args", "error"), [
    # Every group counts, also those not loaded yet (the root loads a group only when run).
    (("clinet", "list"),
     "No such command 'clinet'. Did you mean 'client'? (see `clinicctl --help`)"),
    (("apointment",),
     "No such command 'apointment'. Did you mean 'appointment'? (see `clinicctl --help`)"),
    (("client", "lst"),
     "No such command 'lst'. Did you mean 'list'? (see `clinicctl client --help`)"),
    (("frobnicate",), "No such command 'frobnicate'. (see `clinicctl --help`)"),
])
def test_a_mistyped_command_names_the_close_one(cli, args, error):  # type: ignore[no-untyped-def]
    assert_error(cli(*args), 2, error)


# --- a bare number for a reference -------------------------------------------------------------

def test_a_bare_number_for_a_client_suggests_its_id_form(cli, shared
                                                         ):  # type: ignore[no-untyped-def]
    maya = shared.ids["maya"]
    assert_error(cli("client", "show", str(maya)), 3,
                 f"no client matches '{maya}' (an id is written '#{maya}', quoted so that the "
                 "shell keeps the #)")
    shown = cli("client", "show", f"#{maya}", "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert shown.json()["name"] == "Maya Chen"


def test_the_hint_says_nothing_of_whether_the_id_exists(cli, shared
                                                        ):  # type: ignore[no-untyped-def]
    """Lee may not see Maya: the hint for her id reads as the one for an id nobody has."""
    lee = "lee@riverside.example"
    maya = shared.ids["maya"]
    missing = 987654
    for number in (maya, missing):
        assert_error(cli("client", "show", str(number), actor=lee), 3,
                     f"no client matches '{number}' (an id is written '#{number}', quoted so "
                     "that the shell keeps the #)")
    # What the #ID form itself says is unchanged.
    assert_error(cli("client", "show", f"#{missing}", actor=lee), 3,
                 f"no client with id {missing}")


def test_a_bare_number_for_staff_suggests_its_id_form(cli, shared
                                                      ):  # type: ignore[no-untyped-def]
    sam = shared.ids["sam"]
    assert_error(cli("staff", "show", str(sam)), 3,
                 f"no staff member named '{sam}' (an id is written '#{sam}', quoted so that "
                 "the shell keeps the #)")
    assert_error(cli("client", "list", "--provider", str(sam)), 3,
                 f"no provider named '{sam}' (an id is written '#{sam}', quoted so that the "
                 "shell keeps the #)")


def test_a_number_that_is_an_external_id_still_finds_its_client(cli, db_url
                                                                ):  # type: ignore[no-untyped-def]
    added = cli("client", "add", "Noor", "Haddad", "--dob", "1990-02-03", "--external-id", "2")
    assert added.exit_code == 0, added.output
    shown = cli("client", "show", "2", "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert shown.json()["name"] == "Noor Haddad"


def test_a_name_that_is_no_number_gets_no_id_hint(cli, shared):  # type: ignore[no-untyped-def]
    assert_error(cli("client", "show", "Nobody Here"), 3, "no client matches 'Nobody Here'")


# --- a file path for the database --------------------------------------------------------------

def test_a_file_path_as_db_suggests_its_url(cli, tmp_path, monkeypatch
                                            ):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert_error(cli("--db", "harbor.sqlite3", "client", "list"), 2,
                 "invalid database URL 'harbor.sqlite3' (from --db): a file path is not a URL "
                 "(did you mean sqlite:///harbor.sqlite3?)")
    absolute = tmp_path / "clinic.db"
    monkeypatch.setenv("CLINICCTL_DB", str(absolute))
    assert_error(cli("client", "list"), 2,
                 f"invalid database URL '{absolute}' (from env CLINICCTL_DB): a file path is "
                 f"not a URL (did you mean sqlite:///{absolute}?)")
    monkeypatch.delenv("CLINICCTL_DB")
    config = tmp_path / "config.toml"  # CLINICCTL_CONFIG (conftest)
    config.write_text('db = "~/clinic.sqlite3"\n')
    home = Path(str(Path("~").expanduser()))
    assert_error(cli("client", "list"), 2,
                 f"invalid database URL '~/clinic.sqlite3' (from file {config}): a file path "
                 f"is not a URL (did you mean sqlite:///{home / 'clinic.sqlite3'}?)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # nothing created


def test_a_file_path_for_the_demo_suggests_its_url(cli, tmp_path, monkeypatch
                                                   ):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert_error(cli("demo", "--db", "demo.sqlite3", actor=None), 2,
                 "invalid database URL 'demo.sqlite3' (from --db): a file path is not a URL "
                 "(did you mean sqlite:///demo.sqlite3?)")
    assert not (tmp_path / "demo.sqlite3").exists()


def test_a_mistyped_url_is_not_taken_for_a_path(cli):  # type: ignore[no-untyped-def]
    assert_error(cli("--db", "postgresql:/clinic", "client", "list"), 2,
                 "invalid database URL 'postgresql:/clinic'")


def test_config_init_refuses_a_file_path_as_db(cli, tmp_path):  # type: ignore[no-untyped-def]
    target = tmp_path / "new.toml"
    assert_error(cli("config", "init", "--path", str(target), "--db", "harbor.sqlite3",
                     actor=None), 2,
                 "invalid database URL 'harbor.sqlite3' (from --db): a file path is not a URL "
                 "(did you mean sqlite:///harbor.sqlite3?)")
    assert not target.exists()


# --- a named config file that is missing -------------------------------------------------------

def test_a_missing_config_file_given_with_the_flag_is_an_error(cli, db_url, tmp_path
                                                               ):  # type: ignore[no-untyped-def]
    missing = tmp_path / "clinic.toml"
    for args in (("staff", "list"), ("config", "show")):
        assert_error(cli("--config", str(missing), *args), 2,
                     f"config file {missing} does not exist (from flag --config) (write one "
                     f"with `clinicctl --config {missing} config init`)")


def test_a_missing_config_file_named_by_the_environment_is_an_error(
        cli, db_url, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    missing = tmp_path / "typo.toml"
    monkeypatch.setenv("CLINICCTL_CONFIG", str(missing))
    assert_error(cli("staff", "list"), 2,
                 f"config file {missing} does not exist (from env CLINICCTL_CONFIG) (write one "
                 "with `clinicctl config init`, or unset CLINICCTL_CONFIG)")


def test_the_default_config_file_may_be_missing(cli, db_url, monkeypatch
                                                ):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CLINICCTL_CONFIG")
    result = cli("staff", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [row["email"] for row in result.json()] == [OWNER_EMAIL]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_config_init_writes_the_named_file_that_does_not_exist_yet(
        cli, tmp_path, monkeypatch, how):  # type: ignore[no-untyped-def]
    target = tmp_path / "new" / "clinicctl.toml"
    args = ("--config", str(target)) if how == "flag" else ()
    if how == "env":
        monkeypatch.setenv("CLINICCTL_CONFIG", str(target))
    result = cli(*args, "config", "init", "--actor", OWNER_EMAIL, actor=None)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {target}.\n"
    shown = cli(*args, "config", "show", "-o", "json", actor=None)
    assert shown.exit_code == 0, shown.output
    assert {row["key"]: row["value"] for row in shown.json()}["actor"] == OWNER_EMAIL
