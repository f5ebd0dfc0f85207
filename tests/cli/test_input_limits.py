"""What the store cannot or will not hold is refused up front: NUL bytes (which PostgreSQL
cannot store), notes, documents and titles over their size limits."""

from __future__ import annotations

from tests.fixtures.bad_input import assert_error
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import SAM


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
