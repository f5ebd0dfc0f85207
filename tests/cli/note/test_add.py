"""``note add``: bodies, kinds and dates of service are checked; an addendum takes the kind
of the note it amends, and addendum ids cannot be probed."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM

CASES = [
    Case("note-bad-date", ("note", "add", "Maya Chen", "--body", "x", "--date", "2020-02-30"),
         2, "invalid date of service '2020-02-30': expected YYYY-MM-DD", actor=SAM),
    Case("note-future-date", ("note", "add", "Maya Chen", "--body", "x", "--date",
                              "2999-01-01"), 2,
         "date of service 2999-01-01 is in the future", actor=SAM),
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
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before


def test_addendum_ids_cannot_be_probed(cli, cast):
    shared = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    unreadable = cli("note", "add", cast.client, "--body", "x", "--addendum-to",
                     str(cast.progress_note_id), actor=cast.provider_b)
    missing = cli("note", "add", cast.client, "--body", "x", "--addendum-to", "99999",
                  actor=cast.provider_b)
    assert (unreadable.exit_code, missing.exit_code) == (4, 4), (unreadable.output,
                                                                 missing.output)
    assert unreadable.stderr == missing.stderr


def test_an_addendum_takes_the_kind_of_the_note_it_amends(cli, cast):
    """A private note's addendum is private: a reader of a share without private notes sees
    neither."""
    added = cli("note", "add", cast.client, "--body", "more on the private matter",
                "--addendum-to", str(cast.private_note_id), "-o", "json",
                actor=cast.provider_a)
    assert added.exit_code == 0, added.output
    assert added.json()["kind"] == "private"
    assert cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
               cast.provider_b, "--chart").exit_code == 0
    listed = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_b)
    assert [n["id"] for n in listed.json()] == [cast.progress_note_id]
    hidden = cli("note", "show", str(added.json()["id"]), actor=cast.provider_b)
    assert hidden.exit_code == 4, hidden.output
