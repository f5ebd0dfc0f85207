"""``note list`` and the notes it prints."""

from __future__ import annotations

import datetime as dt


def test_note_list_json_shape(cli, shared):
    sam = "sam@riverside.example"
    result = cli("note", "list", "Maya Chen", "-o", "json", actor=sam)
    assert result.exit_code == 0, result.output
    notes = result.json()
    assert [(n["id"], n["kind"], n["body"]) for n in notes] == [
        (shared.ids["progress_note"], "progress", "A's progress note"),
        (shared.ids["private_note"], "private", "A's private note"),
    ]
    for note in notes:
        assert (note["client_id"], note["author_id"]) == (shared.ids["maya"], shared.ids["sam"])
        assert dt.date.fromisoformat(note["date"])
    shown = cli("note", "show", str(shared.ids["progress_note"]), "-o", "json", actor=sam)
    assert shown.exit_code == 0, shown.output
    assert shown.json() == notes[0]
