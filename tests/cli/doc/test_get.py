"""``doc get``: the document to a private file (never through a symlink) or to stdout."""

from __future__ import annotations

import os
import stat

import pytest

from tests.fixtures.bad_input import Case, assert_error, fill
from tests.fixtures.practice_db import snapshot


def test_doc_get_writes_private_file(cli, shared, tmp_path):
    target = tmp_path / "consent.out"
    result = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Wrote 7 bytes to {target}.\n"
    assert target.read_bytes() == b"consent"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_doc_get_never_writes_through_a_symlink(cli, shared, tmp_path):
    """A link at --output is refused without --force and replaced with --force; its target
    is never written (a dangling link counts as existing too)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.chmod(victim, 0o644)
    link = tmp_path / "out.bin"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.bin"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    for target in (link, dangling):
        refused = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(target))
        assert refused.exit_code == 5, refused.output
    assert not (tmp_path / "nowhere.txt").exists()
    forced = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(link), "--force")
    assert forced.exit_code == 0, forced.output
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_bytes() == b"consent"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    # An existing 0644 file, replaced with --force, is 0600 afterwards.
    plain = tmp_path / "plain.bin"
    plain.write_text("old")
    os.chmod(plain, 0o644)
    assert cli("doc", "get", str(shared.ids["plain_doc"]), "--output", str(plain),
               "--force").exit_code == 0
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".part")) == []


def test_doc_get_to_standard_output(cli, shared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("doc", "get", str(shared.ids["plain_doc"]), "--output", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == "consent"
    assert not (tmp_path / "-").exists()


# --- bad input --------------------------------------------------------------------------------

CASES = [
    Case("doc-get-existing-output", ("doc", "get", "1", "--output", "{existing}"), 5,
         "{existing} already exists (add --force to overwrite it)"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_value(cli, plain, paths, case):
    values = {**plain.ids, **paths}
    before = snapshot(plain.url)
    result = cli(*fill(case.args, values), actor=case.actor)
    assert_error(result, case.code, case.error.format(**values))
    assert snapshot(plain.url) == before
