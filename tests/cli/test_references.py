"""References to clients and staff in every command that takes one: an ambiguous name lists
the candidates, an unknown one suggests a close match; ``#ID`` is digits."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import AMBIGUOUS_SAM, RAE, assert_error, command_id, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, SAM

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


@pytest.mark.parametrize("args", CLIENT_REF_COMMANDS, ids=command_id)
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


@pytest.mark.parametrize("args", CLIENT_REF_COMMANDS, ids=command_id)
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
    return f"{command_id(args)} {what}"


@pytest.mark.parametrize("case", STAFF_REF_COMMANDS, ids=_staff_id)
def test_ambiguous_staff_lists_candidates(cli, twins, case):
    args, _ = case
    before = snapshot(twins.url)
    result = cli(*fill(args, {**twins.ids, "ref": "Sam Okafor"}))
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
