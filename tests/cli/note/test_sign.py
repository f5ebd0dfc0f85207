"""``note sign`` and ``note list --unsigned``: under ``staff supervise --cosign`` the
supervisee's new non-private notes wait for the supervisor's signature; ``note show`` says
who signed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.practice_db import snapshot


@pytest.fixture
def cosigned(cli: Any, cast: Any) -> Any:
    """Lee Park supervises Sam Okafor with co-signature."""
    result = cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c, "--cosign")
    assert result.exit_code == 0, result.output
    return cast


def write(cli: Any, cast: Any, body: str, kind: str = "progress") -> dict[str, Any]:
    result = cli("note", "add", cast.client, "--body", body, "--kind", kind, "-o", "json",
                 actor=cast.provider_a)
    assert result.exit_code == 0, result.output
    return result.json()  # type: ignore[no-any-return]


def test_a_new_note_waits_and_the_supervisor_signs_it(cli, cosigned):
    cast = cosigned
    added = cli("note", "add", cast.client, "--body", "Session 4", "-o", "json",
                actor=cast.provider_a)
    assert added.exit_code == 0, added.output
    note = added.json()
    assert (note["cosign_status"], note["cosigned_by"]) == ("pending", None)
    assert added.stderr == (f"Added note #{note['id']} (it waits for your supervisor's "
                            "co-signature).\n")
    # Notes written before the supervision never wait.
    old = cli("note", "show", str(cast.progress_note_id), "-o", "json").json()
    assert old["cosign_status"] is None

    for who in (cast.provider_c, cast.provider_a):
        waiting = cli("note", "list", "--unsigned", "-o", "json", actor=who)
        assert waiting.exit_code == 0, waiting.output
        assert [n["id"] for n in waiting.json()] == [note["id"]]
    of_client = cli("note", "list", cast.client, "--unsigned", "-o", "json",
                    actor=cast.provider_c)
    assert [n["id"] for n in of_client.json()] == [note["id"]]

    signed = cli("note", "sign", str(note["id"]), "-o", "json", actor=cast.provider_c)
    assert signed.exit_code == 0, signed.output
    assert (signed.json()["cosign_status"], signed.json()["cosigned_by"]) == ("signed",
                                                                             "Lee Park")
    assert "body" not in signed.json()  # signing is no read: the text is not shown
    assert signed.stderr == f"Signed note #{note['id']} of Sam Okafor.\n"
    again = cli("note", "sign", str(note["id"]), actor=cast.provider_c)
    assert again.exit_code == 0, again.output
    assert again.stderr == (f"Note #{note['id']} is already signed by Lee Park; nothing "
                            "changed.\n")
    shown = cli("note", "show", str(note["id"]), actor=cast.provider_a)
    assert shown.exit_code == 0, shown.output
    assert "signed by Lee Park on " in shown.stdout
    assert cli("note", "list", "--unsigned", "-o", "json", actor=cast.provider_c).json() == []
    empty = cli("note", "list", "--unsigned", actor=cast.provider_c)
    assert empty.stderr == "No notes waiting for co-signature that you may read.\n"
    events = cli("audit", "list", "--action", "note.sign", "-o", "json").json()
    assert [(e["actor"], e["object_id"], e["outcome"]) for e in events] == [
        ("Lee Park", note["id"], "ok")]


def test_private_notes_and_supervision_without_cosign_never_wait(cli, cosigned):
    cast = cosigned
    assert write(cli, cast, "private", kind="private")["cosign_status"] is None
    intake = write(cli, cast, "intake", kind="intake")
    assert intake["cosign_status"] == "pending"
    plain = cli("staff", "supervise", cast.provider_a, "--by", cast.provider_c, "--no-cosign")
    assert plain.exit_code == 0, plain.output
    # Ending co-signature says what still waits, even with --quiet.
    assert plain.stderr.endswith("Warning: 1 note of Sam Okafor still waits for "
                                 "co-signature (`note list --unsigned`); a supervisor who "
                                 "co-signs their notes signs it.\n")
    assert write(cli, cast, "after")["cosign_status"] is None
    refused = cli("note", "sign", str(intake["id"]), actor=cast.provider_c)
    assert refused.exit_code == 4, refused.output


def test_only_the_co_signing_supervisor_signs(cli, cosigned, db_url):
    cast = cosigned
    note = write(cli, cast, "Session 5")
    before = snapshot(db_url)
    for who in (cast.provider_a, cast.provider_b, cast.owner, cast.custodian):
        refused = cli("note", "sign", str(note["id"]), actor=who)
        assert refused.exit_code == 4, (who, refused.output)
    assert cli("note", "sign", str(note["id"]), actor=cast.provider_a).stderr == (
        "Error: note.sign: only a supervisor who co-signs Sam Okafor's notes signs them\n")
    after = snapshot(db_url)
    assert {t: r for t, r in after.items() if t != "audit_event"} == {
        t: r for t, r in before.items() if t != "audit_event"}
    # A note its reader cannot see answers as a missing one (ids cannot be probed).
    hidden = cli("note", "sign", str(note["id"]), actor=cast.provider_b)
    missing = cli("note", "sign", "999999", actor=cast.provider_b)
    assert hidden.stderr.replace(str(note["id"]), "N") == missing.stderr.replace("999999", "N")


def test_a_note_that_waits_for_nobody_is_not_signed(cli, cosigned, db_url):
    cast = cosigned
    before = snapshot(db_url)
    result = cli("note", "sign", str(cast.progress_note_id), actor=cast.provider_c)
    assert result.exit_code == 5, result.output
    assert result.stderr == (f"Error: note #{cast.progress_note_id} needs no co-signature "
                             "(it was written without one due)\n")
    assert snapshot(db_url) == before


def test_list_without_a_client_needs_unsigned(cli, cast):
    result = cli("note", "list")
    assert result.exit_code == 2, result.output
    assert "Missing argument 'CLIENT' (or give --unsigned)." in result.stderr
