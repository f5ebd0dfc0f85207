"""``client share``: a repeat is a no-op, a demographics-only share never ends a chart share,
the help says exactly what is shared, and bad input changes nothing (``--csv`` batches are in
``tests/charts/test_batch_share.py``, who may share in ``tests/charts/test_sharing.py``)."""

from __future__ import annotations

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, LEE, SAM


def test_repeat_share_is_a_noop(cli, cast, db_url):
    args = ("client", "share", "Maya Chen", "--from", cast.provider_a, "--to", cast.provider_b,
            "-o", "json")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert first.json()["changed"] is True
    before = snapshot(db_url)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert again.json() == {"client_id": cast.client_id, "from_id": first.json()["from_id"],
                            "to_id": first.json()["to_id"], "assignment": "existing",
                            "chart_share": "none", "changed": False}
    assert again.stderr == "Already shared with Ana Ruiz; nothing changed.\n"
    assert snapshot(db_url) == before


def test_repeat_chart_share_is_a_noop(cli, cast, db_url):
    args = ("client", "share", "Maya Chen", "--from", cast.provider_a, "--to", cast.provider_b,
            "--chart", "-o", "json")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert (first.json()["assignment"], first.json()["chart_share"]) == ("created", "started")
    before = snapshot(db_url)
    again = cli(*args)
    assert again.exit_code == 0, again.output
    assert (again.json()["assignment"], again.json()["chart_share"],
            again.json()["changed"]) == ("existing", "active", False)
    assert again.stderr == ("Already shared with Ana Ruiz with an active chart share; "
                            "nothing changed.\n")
    # A demographics-only share never ends an active chart share.
    demo = cli(*args[:-3], "-o", "json")
    assert demo.exit_code == 0, demo.output
    assert (demo.json()["chart_share"], demo.json()["changed"]) == ("active", False)
    assert snapshot(db_url) == before


def test_share_help_says_exactly_what_is_shared(cli):
    """The profile a share gives shows every provider's status and diagnosis (as `client
    show` does, and as the product's source article says), not only the new provider's."""
    shown = cli("client", "share", "--help", actor=None)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "the client profile (including each provider's status and diagnosis)" in text
    assert "their own status" not in text


# --- bad input --------------------------------------------------------------------------------

CASES = [
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


def test_a_unicode_digit_id_in_a_share_csv_is_a_row_error(cli, plain, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(f"client,from,to\n#²,{SAM},ana@riverside.example\n", encoding="utf-8")
    before = snapshot(plain.url)
    result = cli("client", "share", "--csv", str(path))
    assert result.exit_code == 2, result.output
    assert "row 2" in result.stderr and "invalid id '#²'" in result.stderr
    assert snapshot(plain.url) == before
