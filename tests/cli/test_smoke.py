"""The basic path through the CLI, on whichever backend the run uses."""

from tests.fixtures.cast import OWNER_EMAIL


def test_share_demographics_only_hides_notes(cli, cast):
    result = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b, "-o", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["assignment"] == "created"
    assert data["chart_share"] == "none"
    assert data["changed"] is True

    notes = cli("note", "list", cast.client, "-o", "json", actor=cast.provider_b)
    assert notes.exit_code == 0, notes.output
    assert notes.json() == []

    shown = cli("note", "show", str(cast.progress_note_id), actor=cast.provider_b)
    assert shown.exit_code == 4, shown.output
    assert shown.stderr == "Error: note.read: no access to this chart note\n"


def test_owner_sees_practice(cli, db_url):
    result = cli("staff", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [s["email"] for s in result.json()] == [OWNER_EMAIL]
