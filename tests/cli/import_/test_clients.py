"""``import clients``: matched on the external id, else name and date of birth; all or
nothing with every bad row named; BOM, quoting and stdin; one audit event per client."""

from __future__ import annotations

import pytest

from tests.fixtures.exchange_db import write
from tests.fixtures.practice_db import snapshot


def test_bom_quoted_commas_and_stdin(cli, db_url, open_session):
    text = ("external_id,first_name,last_name,dob,address\r\n"
            'X1,Ines,"García, MD",1970-01-02,"12 Oak St, Apt 3"\r\n')
    result = cli("import", "clients", "-", "-o", "json", input="\ufeff" + text)
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert result.stderr == "Imported clients: 1 created, 0 updated, 0 unchanged.\n"
    shown = cli("client", "show", "X1", "-o", "json").json()
    assert (shown["last_name"], shown["address"]) == ("García, MD", "12 Oak St, Apt 3")


def test_clients_match_on_external_id_else_name_and_birth_date(cli, cast, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob,phone\n"
                 "M-1,Maya,Chen,1990-04-12,555-0199\n"  # Maya has no id yet: matched by name
                 ",Omar,Haddad,1985-09-30,\n"  # unchanged: no phone before either
                 "N-2,New,Person,2000-01-01,\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 1, "unchanged": 1}
    maya = cli("client", "show", "M-1", "-o", "json").json()
    assert (maya["id"], maya["phone"]) == (cast.client_id, "555-0199")
    again = cli("import", "clients", path, "-o", "json")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}


def test_a_bad_row_writes_nothing_and_is_named(cli, cast, db_url, tmp_path):
    before = snapshot(db_url)
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\n"
                 "Ok,Row,1990-01-01\n"
                 "Bad,Date,1990-02-30\n")
    result = cli("import", "clients", path)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("Error: row 3, column dob: invalid date of birth '1990-02-30': "
                             "expected YYYY-MM-DD\n")
    assert snapshot(db_url) == before


def test_every_bad_row_is_listed(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\n"
                 ",Nameless,1990-01-01\n"
                 "Ok,Row,1990-01-01\n"
                 "Future,Born,2999-01-01\n"
                 "OK,Row,1990-01-01\n")  # not an exact repeat, which would be merged
    result = cli("import", "clients", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: 3 of 4 rows are bad; nothing was imported",
        "  row 2, column first_name: first name is empty",
        "  row 4, column dob: date of birth 2999-01-01 is in the future",
        "  row 5: the same client as row 3",
    ]


def test_duplicates_across_chunks_are_caught(cli, db_url, tmp_path, monkeypatch):
    from clinicctl.exchange import import_clients

    monkeypatch.setattr(import_clients, "CHUNK", 3)
    lines = [f"E{i},First{i},Last{i},1980-01-{i + 1:02d}" for i in range(7)]
    lines.append("E1,Again,Someone,1981-01-01")
    path = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob\n"
                 + "\n".join(lines) + "\n")
    result = cli("import", "clients", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: row 9: the same client as an earlier row (#")
    path = write(tmp_path, "ok.csv", "external_id,first_name,last_name,dob\n"
                 + "\n".join(lines[:7]) + "\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.json() == {"created": 7, "updated": 0, "unchanged": 0}
    assert len(cli("client", "list", "-o", "json").json()) == 7


def test_header_problems_are_row_1(cli, db_url, tmp_path):
    for text, expected in [
        ("first_name,last_name\nA,B\n", "Error: row 1: missing column 'dob' (expected "),
        ("first_name,last_name,dob,shoe_size\n", "Error: row 1: unknown column 'shoe_size' "),
        ("", "Error: the CSV file is empty"),
        ("first_name,last_name,dob\n", "Error: the CSV file has no data rows"),
    ]:
        result = cli("import", "clients", write(tmp_path, "h.csv", text))
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(expected), result.stderr


def test_dry_run_writes_nothing(cli, cast, db_url, tmp_path):
    before = snapshot(db_url)
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\nNew,Person,2000-01-01\n")
    result = cli("import", "clients", path, "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert result.stderr.startswith("Dry run (nothing written): Imported clients: 1 created")
    assert snapshot(db_url) == before


def test_rows_that_change_different_details_each_keep_their_changes(cli, db_url, tmp_path):
    first = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob,phone,address\n"
                  "A1,Ann,One,1970-01-01,111,Elm\n"
                  "B2,Bob,Two,1971-01-01,222,Oak\n"
                  ",Cy,Three,1972-01-01,,\n")
    assert cli("import", "clients", first).exit_code == 0
    second = write(tmp_path, "d.csv", "external_id,first_name,last_name,dob,phone,address\n"
                   "A1,Ann,One,1970-01-01,999,Elm\n"
                   "B2,Bob,Two,1971-01-01,222,Pine\n"
                   "C3,Cy,Three,1972-01-01,333,\n")
    result = cli("import", "clients", second, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 0, "updated": 3, "unchanged": 0}
    shown = {c["external_id"]: (c["phone"], c["address"])
             for c in cli("export", "clients", "-o", "json").json()}
    assert shown == {"A1": ("999", "Elm"), "B2": ("222", "Pine"), "C3": ("333", None)}


def test_every_imported_client_has_its_own_audit_event(cli, db_url, tmp_path):
    first = write(tmp_path, "c.csv", "external_id,first_name,last_name,dob,phone\n"
                  "A1,Ann,One,1970-01-01,111\nB2,Bob,Two,1971-01-01,222\n")
    assert cli("import", "clients", first).exit_code == 0
    second = write(tmp_path, "d.csv", "external_id,first_name,last_name,dob,phone\n"
                   "A1,Ann,One,1970-01-01,999\n")
    assert cli("import", "clients", second).exit_code == 0
    ann = cli("client", "show", "A1", "-o", "json").json()["id"]
    events = cli("audit", "list", "--client", "A1", "-o", "json").json()
    assert [(e["action"], e["details"]) for e in events
            if e["action"].startswith("client.")] == [
        ("client.add", {"by": "import"}),
        ("client.edit", {"by": "import", "fields": ["phone"]}),
    ]
    assert {e["client_id"] for e in events} == {ann}
    assert cli("audit", "verify").exit_code == 0


@pytest.mark.parametrize("text,expected", [
    ("external_id,first_name,last_name,dob\n" + "X" * 70 + ",A,B,1990-01-01\n",
     "Error: row 2, column external_id: longer than 64 characters\n"),
    ("first_name,first_name,last_name,dob\nA,A,B,1990-01-01\n",
     "Error: row 1: column 'first_name' appears more than once\n"),
])
def test_values_the_database_cannot_hold_are_named(cli, db_url, tmp_path, text, expected):
    before = snapshot(db_url)
    result = cli("import", "clients", write(tmp_path, "c.csv", text))
    assert result.exit_code == 2, result.output
    assert result.stderr == expected
    assert snapshot(db_url) == before
