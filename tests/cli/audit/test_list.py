"""``audit list``: filters, the practice's UTC offset, and who may read the trail."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.bad_input import Case, assert_error, assert_usage_error, fill
from tests.fixtures.formats import practice_offset
from tests.fixtures.practice_db import snapshot


def test_audit_list_instants_in_practice_offset(cli, shared):
    result = cli("audit", "list", "--limit", "3", "-o", "json")
    assert result.exit_code == 0, result.output
    events = result.json()
    assert len(events) == 3
    for event in events:
        at = dt.datetime.fromisoformat(event["at"])
        assert at.utcoffset() == practice_offset(at), event["at"]
        assert isinstance(event["id"], int)
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


def test_audit_list_filters(cli, cast):
    denied = cli("note", "show", str(cast.progress_note_id), actor=cast.provider_b)
    assert denied.exit_code == 4, denied.output
    result = cli("audit", "list", "--outcome", "denied", "-o", "json")
    assert result.exit_code == 0, result.output
    rows = result.json()
    assert [(r["action"], r["object_type"], r["object_id"], r["client_id"]) for r in rows] == [
        ("note.read", "chart_note", cast.progress_note_id, cast.client_id)]
    assert set(rows[0]) >= {"id", "at", "actor_id", "action", "object_type", "object_id",
                            "client_id", "outcome"}

    notes_only = cli("audit", "list", "--action", "note.*", "--client", cast.client,
                     "-o", "json").json()
    assert notes_only and all(r["action"].startswith("note.") for r in notes_only)
    assert all(r["client_id"] == cast.client_id for r in notes_only)

    last_two = cli("audit", "list", "--limit", "2", "-o", "json").json()
    everything = cli("audit", "list", "-o", "json").json()
    # Each listing is itself audited, so the second listing sees one event more.
    assert [r["id"] for r in last_two] == [r["id"] for r in everything[-3:-1]]


@pytest.mark.parametrize("role_email", ["sam@riverside.example", "jo@riverside.example",
                                        "bo@riverside.example"])
def test_audit_list_is_refused_to_roles_without_it(cli, cast, role_email):
    result = cli("audit", "list", actor=role_email)
    assert result.exit_code == 4, result.output
    assert result.stdout == ""


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("audit-bad-since", ("audit", "list", "--since", "2020-99-01"), 2,
         "invalid --since date '2020-99-01': expected YYYY-MM-DD"),
    Case("audit-bad-until", ("audit", "list", "--until", "soon"), 2,
         "invalid --until date 'soon': expected YYYY-MM-DD"),
    Case("audit-bad-outcome", ("audit", "list", "--outcome", "maybe"), 2,
         "invalid outcome 'maybe'; expected ok or denied"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


USAGE_CASES = [
    (("audit", "list", "--limit", "0"), "Invalid value for '--limit':", "audit list"),
]


@pytest.mark.parametrize(("args", "starts", "command"), USAGE_CASES,
                         ids=[" ".join(c[0][:3]) for c in USAGE_CASES])
def test_usage_error_is_one_line(cli, plain, paths, args, starts, command):
    before = snapshot(plain.url)
    result = cli(*fill(args, paths))
    assert_usage_error(result, starts, command)
    assert snapshot(plain.url) == before
