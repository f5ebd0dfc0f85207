"""Bad input, for every command: the documented exit code, one ``Error: ...`` line on stderr
(plus the candidates of an ambiguous name), nothing on stdout, no traceback, no data changed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinicctl.schema import SCHEMA_HEAD
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import Shared, build_practice, snapshot

SAM = "sam@riverside.example"
ANA = "ana@riverside.example"
LEE = "lee@riverside.example"
RAE = "rae@riverside.example"
ACTOR_HINT = ("(pass --as EMAIL, set CLINICCTL_ACTOR, or set actor in the config file "
              "(see `clinicctl config show`))")
INIT_HINT = ("(run `clinicctl init --practice NAME --timezone TZ --owner-name NAME "
             "--owner-email EMAIL`)")
INIT_ARGS = ("init", "--practice", "Riverside Counseling", "--timezone", "America/New_York",
             "--owner-name", "Dana Reyes", "--owner-email", OWNER_EMAIL)


# --- helpers --------------------------------------------------------------------------------

def assert_error(result, code: int, error: str) -> None:
    """Exit code first, then the exact stderr; stdout stays empty."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr == f"Error: {error}\n"


def assert_usage_error(result, starts: str, command: str) -> None:
    """A click usage error, rendered as one line naming the problem and the help command."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {starts}"), result.stderr
    program = f"clinicctl {command}" if command else "clinicctl"
    assert result.stderr.endswith(f" (see `{program} --help`)\n"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


@pytest.fixture(scope="module")
def _plain_db(backend) -> Shared:
    return build_practice(backend)


@pytest.fixture(scope="module")
def _twins_db(backend) -> Shared:
    return build_practice(backend, twins=True)


@pytest.fixture(scope="module")
def _old_db(backend) -> Shared:
    return build_practice(backend, old=True)


@pytest.fixture
def plain(_plain_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice (shared by this module's tests), as CLINICCTL_DB."""
    monkeypatch.setenv("CLINICCTL_DB", _plain_db.url)
    return _plain_db


@pytest.fixture
def twins(_twins_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice with two Maya Chens, two Sam Okafors and Lee Park deactivated."""
    monkeypatch.setenv("CLINICCTL_DB", _twins_db.url)
    return _twins_db


@pytest.fixture
def old(_old_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice at schema revision 0000 (not this code's head)."""
    monkeypatch.setenv("CLINICCTL_DB", _old_db.url)
    return _old_db


@pytest.fixture(scope="module")
def _empty_db(backend) -> str:
    return backend.empty()


@pytest.fixture
def empty(_empty_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """No schema: a missing SQLite file or an empty PostgreSQL database, as CLINICCTL_DB.
    Shared by the module; every test checks that it is still empty afterwards."""
    monkeypatch.setenv("CLINICCTL_DB", _empty_db)
    return _empty_db


def assert_still_empty(backend, url: str) -> None:
    if backend.is_postgres:
        assert snapshot(url) == {}
    else:
        assert not Path(url.removeprefix("sqlite:///")).exists()


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    document = tmp_path / "consent.txt"
    document.write_text("signed consent\n")
    existing = tmp_path / "existing.bin"
    existing.write_bytes(b"keep me")
    return {"file": str(document), "out": str(tmp_path / "out.bin"),
            "existing": str(existing), "missing": str(tmp_path / "missing.txt")}


def fill(args: tuple[str, ...], values: dict[str, object]) -> list[str]:
    return [a.format(**values) if "{" in a else a for a in args]


# --- every data command ---------------------------------------------------------------------

# One valid invocation of every data command (the cast's names); "{file}" and "{out}" are paths.
DATA_COMMANDS: list[tuple[str, ...]] = [
    ("staff", "add", "New Person", "--email", "new@riverside.example", "--role", "provider"),
    ("staff", "list"),
    ("staff", "show", SAM),
    ("staff", "roles", SAM, "--add", "scheduler"),
    ("staff", "deactivate", LEE),
    ("staff", "custodian", RAE, "--all-providers"),
    ("client", "add", "New", "Client", "--dob", "2000-01-01"),
    ("client", "list"),
    ("client", "show", "Maya Chen"),
    ("client", "edit", "Maya Chen", "--phone", "555-0100"),
    ("client", "status", "Maya Chen", "--provider", SAM, "--set", "active"),
    ("client", "diagnosis", "Maya Chen", "--provider", SAM, "--set", "F32.1"),
    ("client", "share", "Maya Chen", "--from", SAM, "--to", ANA),
    ("client", "unshare", "Maya Chen", "--from", SAM, "--to", ANA),
    ("client", "sharing", "Maya Chen"),
    ("client", "access", "Maya Chen"),
    ("note", "add", "Maya Chen", "--body", "Session 1"),
    ("note", "list", "Maya Chen"),
    ("note", "show", "1"),
    ("doc", "add", "Maya Chen", "{file}", "--title", "Consent"),
    ("doc", "list", "Maya Chen"),
    ("doc", "get", "1", "--output", "{out}"),
    ("audit", "list"),
    ("audit", "verify"),
]


def _cmd_id(args: tuple[str, ...]) -> str:
    return " ".join(args[:2])


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=_cmd_id)
def test_missing_actor(cli, plain, paths, args):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths), actor=None)
    assert_error(result, 2, f"no actor: every data command runs as a staff member {ACTOR_HINT}")
    assert snapshot(plain.url) == before


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=_cmd_id)
def test_unknown_actor(cli, plain, paths, args):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths), actor="nobody@riverside.example")
    assert_error(result, 3, f"no actor with email 'nobody@riverside.example' {ACTOR_HINT}")
    assert snapshot(plain.url) == before


def test_unknown_actor_name_suggests_close_match(cli, plain):
    result = cli("client", "list", actor="Sam Okafr")
    assert_error(result, 3, f"no actor named 'Sam Okafr' (did you mean: Sam Okafor?) {ACTOR_HINT}")


def test_unknown_actor_id(cli, plain):
    result = cli("client", "list", actor="#999")
    assert_error(result, 3, f"no actor with id 999 {ACTOR_HINT}")


def test_deactivated_actor(cli, twins):
    before = snapshot(twins.url)
    result = cli("client", "add", "New", "Client", "--dob", "2000-01-01", actor=LEE)
    assert_error(result, 4, f"{LEE} is deactivated")
    after = snapshot(twins.url)
    # A denied attempt adds only its audit event.
    added = sorted(set(after.pop("audit_event")) - set(before.pop("audit_event")))
    assert after == before
    assert len(added) == 1 and "'denied'" in added[0], added


@pytest.mark.parametrize("args", [*DATA_COMMANDS, ("db", "status"), ("db", "upgrade")],
                         ids=_cmd_id)
def test_uninitialised_database(cli, backend, empty, paths, args):
    """A missing SQLite file, or an empty PostgreSQL database: exit 6 with the way out."""
    if backend.is_postgres and args == ("db", "upgrade"):
        pytest.skip("db upgrade creates the schema in an empty PostgreSQL database")
    result = cli(*fill(args, paths))
    if backend.is_postgres:
        assert_error(result, 6, f"database is not initialised {INIT_HINT}")
    else:
        assert_error(result, 6, f"database {empty.removeprefix('sqlite:///')} does not exist "
                                "(create it with `clinicctl init --practice ... "
                                "--owner-email ...`)")
    assert_still_empty(backend, empty)


@pytest.mark.parametrize("args", [("client", "list"), ("note", "add", "#1", "--body", "x"),
                                  ("db", "status")], ids=_cmd_id)
def test_empty_sqlite_file(cli, backend, request, args):
    """An SQLite file that exists but has no schema is "not initialised", not a crash."""
    if backend.is_postgres:
        pytest.skip("SQLite files only")
    empty_db_url = request.getfixturevalue("empty_db_url")
    path = Path(empty_db_url.removeprefix("sqlite:///"))
    path.touch(mode=0o600)
    result = cli(*args)
    assert_error(result, 6, f"database is not initialised {INIT_HINT}")
    assert snapshot(empty_db_url) == {}


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=_cmd_id)
def test_schema_not_at_head(cli, old, paths, args):
    before = snapshot(old.url)
    result = cli(*fill(args, paths))
    assert_error(result, 6, f"database schema is at revision 0000, this clinicctl needs "
                            f"{SCHEMA_HEAD} (run `clinicctl db upgrade`)")
    assert snapshot(old.url) == before


def test_db_status_not_at_head_reports_and_exits_6(cli, old):
    result = cli("db", "status", "-o", "json")
    assert result.exit_code == 6, result.output
    data = result.json()
    assert (data["current"], data["head"], data["at_head"]) == ("0000", SCHEMA_HEAD, False)
    assert result.stderr == "Error: schema is not at head (run `clinicctl db upgrade`)\n"


def test_db_upgrade_from_unknown_revision(cli, old):
    before = snapshot(old.url)
    result = cli("db", "upgrade")
    assert result.exit_code == 6, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: cannot upgrade the database schema: "), result.stderr
    assert "'0000'" in result.stderr
    assert result.stderr.endswith("(is it from a newer clinicctl?)\n")
    assert result.stderr.count("\n") == 1
    assert snapshot(old.url) == before


# --- --format ---------------------------------------------------------------------------------

FORMAT_COMMANDS = [a for a in DATA_COMMANDS if a[:2] != ("doc", "get")] + [
    ("config", "show"), ("db", "status")]


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=_cmd_id)
def test_invalid_format_option(cli, plain, paths, args):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths), "-o", "xml")
    assert_usage_error(result, "Invalid value for '--format' / '-o':", " ".join(args[:2]))
    assert "'xml'" in result.stderr
    assert snapshot(plain.url) == before


@pytest.mark.parametrize("args", [("client", "list"), ("config", "show"), ("db", "status")],
                         ids=_cmd_id)
def test_invalid_format_from_environment(cli, plain, monkeypatch, args):
    monkeypatch.setenv("CLINICCTL_FORMAT", "xml")
    result = cli(*args)
    assert_error(result, 2, "invalid format 'xml' (from env CLINICCTL_FORMAT); expected one of "
                            "table, json, csv")


# --- references: ambiguous and unknown --------------------------------------------------------

CLIENT_REF_COMMANDS: list[tuple[str, ...]] = [
    ("client", "show", "{ref}"),
    ("client", "edit", "{ref}", "--phone", "555-0100"),
    ("client", "status", "{ref}", "--provider", SAM, "--set", "active"),
    ("client", "diagnosis", "{ref}", "--provider", SAM, "--set", "F32.1"),
    ("client", "share", "{ref}", "--from", SAM, "--to", ANA),
    ("client", "unshare", "{ref}", "--from", SAM, "--to", ANA),
    ("client", "sharing", "{ref}"),
    ("client", "access", "{ref}"),
    ("note", "add", "{ref}", "--body", "Session 1"),
    ("note", "list", "{ref}"),
    ("doc", "add", "{ref}", "{file}", "--title", "Consent"),
    ("doc", "list", "{ref}"),
    ("audit", "list", "--client", "{ref}"),
]


@pytest.mark.parametrize("args", CLIENT_REF_COMMANDS, ids=_cmd_id)
def test_ambiguous_client_lists_candidates(cli, twins, paths, args):
    before = snapshot(twins.url)
    result = cli(*fill(args, {**paths, "ref": "  maya   CHEN "}))
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "Error: 2 clients are named 'maya   CHEN'; use #ID or the external id\n"
        f"  #{twins.ids['maya']} Maya Chen born 1990-04-12\n"
        f"  #{twins.ids['maya2']} Maya Chen born 1991-07-03\n"
    )
    assert snapshot(twins.url) == before


@pytest.mark.parametrize("args", CLIENT_REF_COMMANDS, ids=_cmd_id)
@pytest.mark.parametrize(("ref", "error"), [
    ("Maya Chn", "no client matches 'Maya Chn' (did you mean: Maya Chen?)"),
    ("Zed Quux", "no client matches 'Zed Quux'"),
    ("#999", "no client with id 999"),
], ids=["close", "nothing-close", "id"])
def test_unknown_client(cli, plain, paths, args, ref, error):
    before = snapshot(plain.url)
    result = cli(*fill(args, {**paths, "ref": ref}))
    assert_error(result, 3, error)
    assert snapshot(plain.url) == before


def test_client_id_must_be_digits(cli, plain):
    result = cli("client", "show", "#abc")
    assert_error(result, 2, "invalid id '#abc': expected # followed by digits")


# (args, what the reference is called in the message)
STAFF_REF_COMMANDS: list[tuple[tuple[str, ...], str]] = [
    (("staff", "show", "{ref}"), "staff member"),
    (("staff", "roles", "{ref}", "--add", "scheduler"), "staff member"),
    (("staff", "deactivate", "{ref}"), "staff member"),
    (("staff", "custodian", "{ref}", "--all-providers"), "staff member"),
    (("staff", "custodian", RAE, "--provider", "{ref}"), "provider"),
    (("client", "list", "--provider", "{ref}"), "provider"),
    (("client", "status", "#{maya}", "--provider", "{ref}", "--set", "active"), "provider"),
    (("client", "diagnosis", "#{maya}", "--provider", "{ref}", "--set", "F32.1"), "provider"),
    (("client", "share", "#{maya}", "--from", "{ref}", "--to", ANA), "from-provider"),
    (("client", "share", "#{maya}", "--from", ANA, "--to", "{ref}"), "to-provider"),
    (("client", "unshare", "#{maya}", "--from", "{ref}", "--to", ANA), "from-provider"),
    (("client", "access", "#{maya}", "--staff", "{ref}"), "staff member"),
    (("audit", "list", "--actor", "{ref}"), "staff member"),
]


def _staff_id(case: tuple[tuple[str, ...], str]) -> str:
    args, what = case
    return f"{_cmd_id(args)} {what}"


AMBIGUOUS_SAM = ("Error: 2 staff members are named 'Sam Okafor'; use an email or #ID\n"
                 "  #{sam} Sam Okafor <sam@riverside.example>\n"
                 "  #{sam2} Sam okafor <sam.okafor@riverside.example>\n")


@pytest.mark.parametrize("case", STAFF_REF_COMMANDS, ids=_staff_id)
def test_ambiguous_staff_lists_candidates(cli, twins, case):
    args, _ = case
    before = snapshot(twins.url)
    result = cli(*fill(args, {**twins.ids, "ref": "Sam Okafor"}))
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == AMBIGUOUS_SAM.format(**twins.ids)
    assert snapshot(twins.url) == before


def test_ambiguous_actor_lists_candidates(cli, twins):
    before = snapshot(twins.url)
    result = cli("client", "list", actor="Sam Okafor")
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == AMBIGUOUS_SAM.format(**twins.ids)
    assert snapshot(twins.url) == before


@pytest.mark.parametrize("case", STAFF_REF_COMMANDS, ids=_staff_id)
@pytest.mark.parametrize(("ref", "error"), [
    ("Sam Okafr", "no {what} named 'Sam Okafr' (did you mean: Sam Okafor?)"),
    ("nobody@riverside.example", "no {what} with email 'nobody@riverside.example'"),
    ("#999", "no {what} with id 999"),
], ids=["close", "email", "id"])
def test_unknown_staff(cli, plain, case, ref, error):
    args, what = case
    before = snapshot(plain.url)
    result = cli(*fill(args, {**plain.ids, "ref": ref}))
    assert_error(result, 3, error.format(what=what))
    assert snapshot(plain.url) == before


# --- invalid values, one command at a time ----------------------------------------------------

@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    error: str
    actor: str | None = OWNER_EMAIL


CASES = [
    # dates
    Case("client-add-bad-date", ("client", "add", "Bob", "Ray", "--dob", "1990-13-12"), 2,
         "invalid date of birth '1990-13-12': expected YYYY-MM-DD"),
    Case("client-add-us-date", ("client", "add", "Bob", "Ray", "--dob", "04/12/1990"), 2,
         "invalid date of birth '04/12/1990': expected YYYY-MM-DD"),
    Case("client-add-feb-30", ("client", "add", "Bob", "Ray", "--dob", "1990-02-30"), 2,
         "invalid date of birth '1990-02-30': expected YYYY-MM-DD"),
    Case("client-add-future-dob", ("client", "add", "Bob", "Ray", "--dob", "2999-01-01"), 2,
         "date of birth 2999-01-01 is in the future"),
    Case("client-edit-bad-date", ("client", "edit", "Maya Chen", "--dob", "yesterday"), 2,
         "invalid date of birth 'yesterday': expected YYYY-MM-DD"),
    Case("client-edit-future-dob", ("client", "edit", "Maya Chen", "--dob", "2999-01-01"), 2,
         "date of birth 2999-01-01 is in the future"),
    Case("custodian-bad-expiry", ("staff", "custodian", RAE, "--all-providers", "--expires",
                                  "2030-13-01"), 2,
         "invalid expiry date '2030-13-01': expected YYYY-MM-DD"),
    Case("custodian-past-expiry", ("staff", "custodian", RAE, "--all-providers", "--expires",
                                   "2020-01-01"), 2, "expiry date 2020-01-01 is in the past"),
    Case("audit-bad-since", ("audit", "list", "--since", "2020-99-01"), 2,
         "invalid --since date '2020-99-01': expected YYYY-MM-DD"),
    Case("audit-bad-until", ("audit", "list", "--until", "soon"), 2,
         "invalid --until date 'soon': expected YYYY-MM-DD"),
    Case("note-bad-date", ("note", "add", "Maya Chen", "--body", "x", "--date", "2020-02-30"),
         2, "invalid date of service '2020-02-30': expected YYYY-MM-DD", actor=SAM),
    Case("note-future-date", ("note", "add", "Maya Chen", "--body", "x", "--date",
                              "2999-01-01"), 2,
         "date of service 2999-01-01 is in the future", actor=SAM),
    # diagnosis codes
    Case("client-add-bad-icd10", ("client", "add", "Bob", "Ray", "--dob", "1990-01-12",
                                  "--provider", SAM, "--diagnosis", "X"), 2,
         "invalid diagnosis code 'X': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-too-short", ("client", "diagnosis", "Maya Chen", "--provider", SAM,
                                 "--set", "F4"), 2,
         "invalid diagnosis code 'F4': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-no-letter", ("client", "diagnosis", "Maya Chen", "--provider", SAM,
                                 "--set", "F41.1", "--set", "411.1"), 2,
         "invalid diagnosis code '411.1': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-too-long", ("client", "diagnosis", "Maya Chen", "--provider", SAM,
                                "--set", "F41.12345"), 2,
         "invalid diagnosis code 'F41.12345': expected an ICD-10 code such as F41.1"),
    Case("diagnosis-neither", ("client", "diagnosis", "Maya Chen", "--provider", SAM), 2,
         "give --set CODE (one or more) or --clear"),
    Case("diagnosis-not-in-list", ("client", "diagnosis", "Maya Chen", "--provider", ANA,
                                   "--set", "F41.1"), 3,
         "client #{maya} is not in Ana Ruiz's list"),
    # roles, staff
    Case("staff-add-unknown-role", ("staff", "add", "New Person", "--email",
                                    "new@riverside.example", "--role", "wizard"), 2,
         "unknown role 'wizard'; roles are owner, manager, provider, records-custodian, "
         "scheduler, biller"),
    Case("staff-roles-unknown-role", ("staff", "roles", SAM, "--add", "wizard"), 2,
         "unknown role 'wizard'; roles are owner, manager, provider, records-custodian, "
         "scheduler, biller"),
    Case("staff-list-unknown-role", ("staff", "list", "--role", "therapist"), 2,
         "unknown role 'therapist'; roles are owner, manager, provider, records-custodian, "
         "scheduler, biller"),
    Case("staff-roles-nothing", ("staff", "roles", SAM), 2,
         "nothing to change: give --add ROLE or --remove ROLE"),
    Case("staff-add-duplicate-email", ("staff", "add", "Sam Other", "--email", SAM, "--role",
                                       "provider"), 5,
         f"a staff member with email {SAM} already exists"),
    Case("staff-add-duplicate-email-case", ("staff", "add", "Sam Other", "--email",
                                            "SAM@Riverside.example", "--role", "provider"), 5,
         "a staff member with email SAM@Riverside.example already exists"),
    Case("staff-add-bad-email", ("staff", "add", "New Person", "--email", "new-at-example",
                                 "--role", "provider"), 2, "invalid email 'new-at-example'"),
    Case("staff-add-second-owner", ("staff", "add", "New Person", "--email",
                                    "new@riverside.example", "--role", "owner"), 5,
         "the practice already has its owner; there is exactly one"),
    Case("staff-deactivate-owner", ("staff", "deactivate", OWNER_EMAIL), 5,
         "the owner cannot be deactivated"),
    Case("custodian-not-custodian", ("staff", "custodian", SAM, "--all-providers"), 5,
         "Sam Okafor is not a records custodian; add the role first"),
    Case("custodian-neither", ("staff", "custodian", RAE), 2,
         "give either --provider P (one or more) or --all-providers"),
    # client values
    Case("client-edit-nothing", ("client", "edit", "Maya Chen"), 2,
         "nothing to change: give at least one field option"),
    Case("client-status-bad", ("client", "status", "Maya Chen", "--provider", SAM, "--set",
                               "archived"), 2,
         "invalid status 'archived'; expected new, active, inactive, discharged"),
    Case("client-list-bad-status", ("client", "list", "--status", "active,gone"), 2,
         "invalid status 'gone'; expected all or new, active, inactive, discharged"),
    Case("client-list-provider-not-provider", ("client", "list", "--provider", OWNER_EMAIL),
         2, "Dana Reyes (#{owner}) is not a provider"),
    Case("client-add-diagnosis-without-provider", ("client", "add", "Bob", "Ray", "--dob",
                                                   "1990-01-12", "--diagnosis", "F41.1"), 2,
         "--diagnosis needs --provider: a diagnosis belongs to one provider"),
    Case("client-add-empty-name", ("client", "add", " ", "Ray", "--dob", "1990-01-12"), 2,
         "first name is empty"),
    # sharing
    Case("share-to-self", ("client", "share", "Maya Chen", "--from", SAM, "--to", SAM), 2,
         "--from and --to are the same provider (Sam Okafor)"),
    Case("share-to-non-provider", ("client", "share", "Maya Chen", "--from", SAM, "--to",
                                   "morgan@riverside.example"), 2,
         "Morgan Blake (#{manager}) is not a provider"),
    Case("share-from-provider-without-client", ("client", "share", "Maya Chen", "--from", ANA,
                                                "--to", LEE), 5,
         "client #{maya} is not in Ana Ruiz's list; share from a provider who has the client"),
    Case("share-private-notes-without-chart", ("client", "share", "Maya Chen", "--from", SAM,
                                               "--to", ANA, "--private-notes"), 2,
         "--private-notes only applies to a chart share; add --chart"),
    Case("share-dry-run-to-self", ("client", "share", "Maya Chen", "--from", SAM, "--to", SAM,
                                   "--chart", "--dry-run"), 2,
         "--from and --to are the same provider (Sam Okafor)"),
    Case("unshare-to-self", ("client", "unshare", "Maya Chen", "--from", SAM, "--to", SAM), 2,
         "--from and --to are the same provider (Sam Okafor)"),
    # notes and documents
    Case("note-body-and-file", ("note", "add", "Maya Chen", "--body", "x", "--file", "{file}"),
         2, "give exactly one of --body or --file", actor=SAM),
    Case("note-neither-body-nor-file", ("note", "add", "Maya Chen"), 2,
         "give exactly one of --body or --file", actor=SAM),
    Case("note-empty-body", ("note", "add", "Maya Chen", "--body", "   "), 2,
         "the note body is empty", actor=SAM),
    Case("note-unknown-kind", ("note", "add", "Maya Chen", "--body", "x", "--kind", "secret"),
         2, "invalid note kind 'secret'; expected progress, intake, private", actor=SAM),
    Case("note-missing-file", ("note", "add", "Maya Chen", "--file", "{missing}"), 2,
         "cannot read {missing}: No such file or directory", actor=SAM),
    Case("doc-get-existing-output", ("doc", "get", "1", "--output", "{existing}"), 5,
         "{existing} already exists (add --force to overwrite it)"),
    Case("doc-add-empty-title", ("doc", "add", "Maya Chen", "{file}", "--title", " "), 2,
         "the document title is empty"),
    # audit
    Case("audit-bad-outcome", ("audit", "list", "--outcome", "maybe"), 2,
         "invalid outcome 'maybe'; expected ok or denied"),
    # global options
    Case("unsupported-database", ("--db", "mysql://db.example/clinic", "client", "list"), 2,
         "unsupported database 'mysql': use sqlite:/// or postgresql://"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


def test_share_to_deactivated_provider(cli, twins):
    before = snapshot(twins.url)
    result = cli("client", "share", f"#{twins.ids['maya']}", "--from", SAM, "--to", LEE)
    assert_error(result, 2, "Lee Park is deactivated; share with an active provider")
    assert snapshot(twins.url) == before


# Bad options and arguments that click itself rejects: still one line, exit 2.
USAGE_CASES = [
    (("note", "show", "abc"), "Invalid value for 'ID':", "note show"),
    (("audit", "list", "--limit", "0"), "Invalid value for '--limit':", "audit list"),
    (("client", "add", "Maya"), "Missing argument 'LAST'.", "client add"),
    (("client", "add", "Bob", "Ray"), "Missing option '--dob'.", "client add"),
    (("client", "list", "--colour"), "No such option: --colour", "client list"),
    (("doc", "add", "Maya Chen", "{missing}", "--title", "T"), "Invalid value for 'FILE':",
     "doc add"),
    (("--frobnicate", "client", "list"), "No such option: --frobnicate", ""),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before


def test_bare_group_still_shows_help(cli, plain):
    result = cli("client", actor=None)
    assert result.exit_code == 2, result.output
    assert "share" in result.stdout
    assert "Error" not in result.output


# --- setup commands ---------------------------------------------------------------------------

def test_init_on_initialised_database(cli, plain):
    before = snapshot(plain.url)
    result = cli(*INIT_ARGS, actor=None)
    assert_error(result, 5, "this database is already initialised "
                            "(use `clinicctl db upgrade` to bring its schema to head)")
    assert snapshot(plain.url) == before


def test_init_on_database_at_other_revision(cli, old):
    before = snapshot(old.url)
    result = cli(*INIT_ARGS, actor=None)
    assert result.exit_code == 5, result.output
    assert snapshot(old.url) == before


@pytest.mark.parametrize(("change", "error"), [
    (("--timezone", "Mars/Olympus_Mons"),
     "unknown time zone 'Mars/Olympus_Mons': use an IANA name such as America/New_York"),
    (("--timezone", "EST5EDT/../../etc"),
     "unknown time zone 'EST5EDT/../../etc': use an IANA name such as America/New_York"),
    (("--timezone", ""), "unknown time zone '': use an IANA name such as America/New_York"),
    (("--owner-email", "dana"), "invalid email 'dana'"),
    (("--practice", "  "), "the practice name is empty"),
    (("--owner-name", " "), "a name is required"),
], ids=["unknown-zone", "path-zone", "empty-zone", "bad-email", "no-practice", "no-owner"])
def test_init_bad_input_creates_nothing(cli, backend, empty, change, error):
    args = list(INIT_ARGS)
    args[args.index(change[0]) + 1] = change[1]
    result = cli(*args, actor=None)
    assert_error(result, 2, error)
    assert_still_empty(backend, empty)


def test_config_init_refuses_password(cli, tmp_path):
    target = tmp_path / "written.toml"
    result = cli("config", "init", "--path", str(target), "--db",
                 "postgresql://clinic:s3cret@db.example/clinic", actor=None)
    assert_error(result, 2, "do not put a password in the config file; use ~/.pgpass")
    assert "s3cret" not in result.output
    assert not target.exists()


def test_config_init_refuses_to_overwrite(cli, tmp_path):
    target = tmp_path / "written.toml"
    target.write_text('actor = "x@y.example"\n')
    result = cli("config", "init", "--path", str(target), actor=None)
    assert_error(result, 5, f"{target} already exists (add --force to overwrite it)")
    assert target.read_text() == 'actor = "x@y.example"\n'


@pytest.mark.parametrize(("content", "error"), [
    ("db = \n", "config file {path} is not valid TOML: Invalid value (at line 1, column 6)"),
    ('colour = "red"\n', "config file {path}: unknown key 'colour'"),
    ('format = "yaml"\n',
     "invalid format 'yaml' (from file {path}); expected one of table, json, csv"),
], ids=["not-toml", "unknown-key", "bad-format"])
@pytest.mark.parametrize("args", [("config", "show"), ("client", "list")], ids=_cmd_id)
def test_bad_config_file(cli, plain, tmp_path, content, error, args):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    before = snapshot(plain.url)
    result = cli("--config", str(path), *args)
    assert_error(result, 2, error.format(path=path))
    assert snapshot(plain.url) == before


def test_global_db_flag_refuses_a_password(cli):
    result = cli("--db", "postgresql://clinic:s3cret@db.example/clinic", "staff", "list")
    assert_error(result, 2, "--db must not carry a password (it would show in the process list "
                 "and shell history) (put it in ~/.pgpass or PGPASSFILE)")
    assert "s3cret" not in result.output


# --- inputs that used to end in "unexpected ..." (exit 1) -------------------------------------

@pytest.mark.parametrize("args, code, error", [
    (("client", "show", "#²"), 2, "invalid id '#²': expected # followed by digits"),
    (("client", "show", "#٣"), 2, "invalid id '#٣': expected # followed by digits"),
    (("--db", "postgresql://x@127.0.0.1:99999/db", "client", "list"), 2,
     "invalid database URL 'postgresql+psycopg://x@127.0.0.1:99999/db': port 99999 is out of "
     "range"),
    (("--db", "postgresql://x@127.0.0.1:port/db", "client", "list"), 2,
     "invalid database URL 'postgresql+psycopg://x@127.0.0.1:port/db'"),
])
def test_bad_references_and_urls_exit_2(cli, plain, args, code, error):
    before = snapshot(plain.url)
    assert_error(cli(*args), code, error)
    assert snapshot(plain.url) == before


def test_a_unicode_digit_id_in_a_share_csv_is_a_row_error(cli, plain, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(f"client,from,to\n#²,{SAM},ana@riverside.example\n", encoding="utf-8")
    before = snapshot(plain.url)
    result = cli("client", "share", "--csv", str(path))
    assert result.exit_code == 2, result.output
    assert "row 2" in result.stderr and "invalid id '#²'" in result.stderr
    assert snapshot(plain.url) == before


def _sqlite_only(backend) -> None:
    if backend.is_postgres:
        pytest.skip("SQLite files")


@pytest.mark.parametrize("args", [("client", "list"), ("db", "status"), ("db", "upgrade"),
                                  ("init", "--practice", "P", "--timezone", "UTC",
                                   "--owner-name", "A B", "--owner-email", "a@b.example")],
                         ids=_cmd_id)
def test_a_file_that_is_not_a_database_exits_6(cli, backend, tmp_path, args):
    _sqlite_only(backend)
    path = tmp_path / "notes.txt"
    path.write_text("this is a letter, not a database\n" * 20)
    result = cli("--db", f"sqlite:///{path}", *args)
    assert_error(result, 6, "database error: file is not a database")
    assert path.read_text().startswith("this is a letter")


def _initialised_then(backend, statement: str) -> str:
    """A fresh practice database after one statement of the administrator's."""
    from sqlalchemy import text

    from tests.fixtures.practice_db import session_on

    url = backend.initialised()
    with session_on(url) as session:
        session.execute(text(statement))
    return url


@pytest.mark.parametrize("args", [("client", "list"), ("db", "status"), ("db", "upgrade"),
                                  ("init", "--practice", "P", "--timezone", "UTC",
                                   "--owner-name", "A B", "--owner-email", "a@b.example")],
                         ids=_cmd_id)
def test_a_database_whose_revision_table_is_gone_exits_6(cli, backend, args):
    url = _initialised_then(backend, "DROP TABLE alembic_version")
    before = snapshot(url)
    result = cli("--db", url, *args)
    assert_error(result, 6, "the database holds clinicctl's tables but no schema revision (its "
                 "alembic_version table is gone) (restore the database from a backup; "
                 "clinicctl cannot tell which migrations it has)")
    assert snapshot(url) == before


@pytest.mark.parametrize("args", [("client", "list"), ("db", "status"), ("db", "upgrade")],
                         ids=_cmd_id)
def test_a_database_from_a_newer_clinicctl_exits_6(cli, backend, args):
    url = _initialised_then(backend, "UPDATE alembic_version SET version_num = '0099'")
    result = cli("--db", url, *args)
    assert_error(result, 6, f"database schema is at revision 0099, newer than this clinicctl "
                 f"knows ({SCHEMA_HEAD}): a newer clinicctl upgraded it (use that clinicctl: "
                 "pip install --upgrade clinicctl)")


def test_init_into_a_folder_that_cannot_be_made_exits_6(cli, backend, tmp_path):
    _sqlite_only(backend)
    blocker = tmp_path / "afile"
    blocker.write_text("")
    target = blocker / "clinic.sqlite3"
    result = cli("--db", f"sqlite:///{target}", "init", "--practice", "P", "--timezone", "UTC",
                 "--owner-name", "A B", "--owner-email", "a@b.example", actor=None)
    assert_error(result, 6, f"cannot create the database file {target}: Not a directory "
                 "(choose a folder you may write to)")


def test_init_makes_the_file_0600_and_its_new_folders_0700(cli, backend, tmp_path):
    _sqlite_only(backend)
    touched = tmp_path / "touched.sqlite3"
    touched.touch()
    os.chmod(touched, 0o644)
    deep = tmp_path / "new" / "deeper" / "clinic.sqlite3"
    for path in (touched, deep):
        result = cli("--db", f"sqlite:///{path}", "init", "--practice", "P", "--timezone",
                     "UTC", "--owner-name", "A B", "--owner-email", "a@b.example", actor=None)
        assert result.exit_code == 0, result.output
    assert stat.S_IMODE(touched.stat().st_mode) == 0o600
    assert stat.S_IMODE(deep.stat().st_mode) == 0o600
    assert [stat.S_IMODE(p.stat().st_mode) for p in (deep.parent, deep.parent.parent)] == [
        0o700, 0o700]


@pytest.mark.parametrize("taken, new", [("kimxa@riverside.example", "kim_a@riverside.example"),
                                        ("ana@riverside.example", "%@riverside.example")])
def test_staff_email_duplicates_are_exact_ignoring_case(cli, cast, taken, new):
    if taken != cast.provider_b:
        assert cli("staff", "add", "Kim Xa", "--email", taken, "--role", "scheduler"
                   ).exit_code == 0
    added = cli("staff", "add", "New Person", "--email", new, "--role", "scheduler")
    assert added.exit_code == 0, added.output
    again = cli("staff", "add", "Same Again", "--email", new.upper(), "--role", "scheduler")
    assert_error(again, 5, f"a staff member with email {new.upper()} already exists")


def test_nul_bytes_are_refused_on_both_stores(cli, plain, tmp_path):
    rows = tmp_path / "clients.csv"
    rows.write_text("first_name,last_name,dob\nNu\x00l,Byte,1980-01-01\n")
    body = tmp_path / "note.txt"
    body.write_text("before\x00after")
    before = snapshot(plain.url)
    imported = cli("import", "clients", str(rows))
    assert imported.exit_code == 2, imported.output
    assert "row 2: a cell contains a NUL byte" in imported.stderr
    note = cli("note", "add", "Maya Chen", "--file", str(body), actor=SAM)
    assert_error(note, 2, "the note body contains a NUL byte")
    assert snapshot(plain.url) == before


def test_notes_and_documents_have_size_limits(cli, plain, tmp_path):
    from clinicctl.charts.records import MAX_DOCUMENT_BYTES, MAX_NOTE_CHARS

    long_note = tmp_path / "long.txt"
    long_note.write_text("x" * (MAX_NOTE_CHARS + 1))
    big = tmp_path / "big.pdf"
    big.write_bytes(b"0" * (MAX_DOCUMENT_BYTES + 1))
    before = snapshot(plain.url)
    note = cli("note", "add", "Maya Chen", "--file", str(long_note), actor=SAM)
    assert_error(note, 2, f"the note body has {MAX_NOTE_CHARS + 1:,} characters; at most "
                 f"{MAX_NOTE_CHARS:,}")
    doc = cli("doc", "add", "Maya Chen", str(big), "--title", "Scan", actor=SAM)
    assert_error(doc, 2, "the file is larger than 10 MiB")
    title = cli("doc", "add", "Maya Chen", str(long_note), "--title", "t" * 201, actor=SAM)
    assert_error(title, 2, "the document title has 201 characters; at most 200")
    assert snapshot(plain.url) == before
