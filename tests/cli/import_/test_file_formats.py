"""Files as other systems export them: header names in other spellings or mapped with --map
and --mapping, cp1252 text, semicolons and tabs, US and European dates, empty trailing
columns and repeated rows; and the error for each bad variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.exchange_db import write
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, SAM


def write_bytes(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def client(cli, ref: str) -> dict:
    return cli("client", "show", ref, "-o", "json").json()


def test_headers_match_ignoring_case_spaces_and_punctuation(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "External ID,First Name,last-name,DOB,E-mail\n"
                 "E-1,Zoë,Brandt,1991-03-04,zoe@example.org\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0}
    shown = client(cli, "E-1")
    assert (shown["first_name"], shown["last_name"], shown["dob"], shown["email"]) == (
        "Zoë", "Brandt", "1991-03-04", "zoe@example.org")


def test_map_and_us_dates(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "Patient ID,Given,Surname,Date of Birth\n"
                 "P-7,Rosa,Parks,03/14/1988\n")
    result = cli("import", "clients", path, "--map", "Patient ID=external_id",
                 "--map", "Given=first_name", "--map", "Surname=last_name",
                 "--map", "Date of Birth=dob", "--date-format", "%m/%d/%Y", "-o", "json")
    assert result.exit_code == 0, result.output
    assert client(cli, "P-7")["dob"] == "1988-03-14"


def test_mapping_file_with_european_dates_cp1252_and_semicolons(cli, db_url, tmp_path):
    mapping = tmp_path / "other.toml"
    mapping.write_text('date_format = "%d.%m.%Y"\nencoding = "cp1252"\n'
                       '[columns]\n"Vorname" = "first_name"\n"Nachname" = "last_name"\n'
                       '"Geburtsdatum" = "dob"\n"Nr" = "external_id"\n')
    text = ("Nr;Vorname;Nachname;Geburtsdatum\r\n"
            "K-1;Jürgen;Müller;21.02.2003\r\n"
            "K-2;Renée;Dubois-Élan;01.12.1979\r\n")
    path = write_bytes(tmp_path, "k.csv", text.encode("cp1252"))
    result = cli("import", "clients", path, "--mapping", str(mapping), "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert [client(cli, ref)[key] for ref, key in
            [("K-1", "first_name"), ("K-1", "dob"), ("K-2", "last_name")]] == [
        "Jürgen", "2003-02-21", "Dubois-Élan"]


def test_command_line_options_win_over_the_mapping_file(cli, db_url, tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('date_format = "%d.%m.%Y"\n[columns]\n"Given" = "first_name"\n')
    path = write(tmp_path, "c.csv", "Given,Last Name,Date of Birth,ID\n"
                 "Ava,Stone,12/31/1999,S-1\n")
    result = cli("import", "clients", path, "--mapping", str(mapping), "--map", "ID=external_id",
                 "--map", "date of birth=dob", "--date-format", "%m/%d/%Y")
    assert result.exit_code == 0, result.output
    assert (client(cli, "S-1")["first_name"], client(cli, "S-1")["dob"]) == ("Ava",
                                                                              "1999-12-31")


@pytest.mark.parametrize("delimiter,option", [
    (";", None), ("\t", None), ("|", None), (";", ";"), ("\t", "tab"),
])
def test_the_delimiter_is_found_or_given(cli, db_url, tmp_path, delimiter, option):
    text = delimiter.join(["first_name", "last_name", "dob", "address"]) + "\n" + \
        delimiter.join(["Kim", "Lo", "1980-05-06", '"1, Main St"']) + "\n"
    extra = ("--delimiter", option) if option else ()
    result = cli("import", "clients", write(tmp_path, "c.csv", text), *extra, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["created"] == 1
    found = [c for c in cli("client", "list", "-o", "json").json() if c["last_name"] == "Lo"]
    assert len(found) == 1


def test_empty_trailing_header_columns_are_ignored(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob,,\n"
                 "Ida,Wells,1962-07-16,,\n"
                 "Ned,Kelly,1955-01-02\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 2, "updated": 0, "unchanged": 0}


def test_exact_duplicate_rows_are_merged_and_counted(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob,phone\n"
                 "Ida,Wells,1962-07-16,555-0101\n"
                 "Ned,Kelly,1955-01-02,\n"
                 " Ida , Wells ,1962-07-16,555-0101\n")
    result = cli("import", "clients", path, "-o", "json", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 2, "updated": 0, "unchanged": 0,
                             "duplicates_merged": 1}
    assert "1 duplicate rows merged" in result.stderr
    done = cli("import", "clients", path, "-o", "json")
    assert done.json()["created"] == 2
    assert sum(c["last_name"] == "Wells" for c in cli("client", "list", "-o", "json").json()) == 1


def test_dates_in_other_kinds_follow_the_date_format(cli, practice, tmp_path):
    path = write(tmp_path, "a.csv", "Provider Email,Weekdays,Start Time,End Time,"
                 "Effective From\n"
                 f"{SAM},sat,09:00,12:00,01/09/2027\n")
    result = cli("import", "availability", path, "--date-format", "%m/%d/%Y")
    assert result.exit_code == 0, result.output
    blocks = cli("availability", "list", SAM, "-o", "json").json()
    assert [b["effective_from"] for b in blocks if b["weekdays"] in ("sat", ["sat"])] == [
        "2027-01-09"]


@pytest.mark.parametrize("name,data,args,expected", [
    ("cp1252 read as UTF-8", "first_name,last_name,dob\nJosé,Núñez,1990-01-01\n"
     .encode("cp1252"), (), "is not UTF-8 text; if it came from Windows or Excel, try "
     "--encoding cp1252"),
    ("one column", b"first_name;last_name;dob\nA;B;1990-01-01\n", ("--delimiter", ","),
     "row 1: the header has one column ('first_name;last_name;dob'); is the delimiter ';'? "
     "use --delimiter ';'"),
    ("US date without a format", b"first_name,last_name,dob\nA,B,03/14/1988\n", (),
     "row 2, column dob: invalid date of birth '03/14/1988': expected YYYY-MM-DD; for "
     "another format use --date-format (for example '%m/%d/%Y')"),
    ("date not in the format", b"first_name,last_name,dob\nA,B,1988-03-14\nC,D,3/4/1988\n",
     ("--date-format", "%d.%m.%Y"), "2 of 2 rows are bad"),
    ("map to an unknown column", b"Given,last_name,dob\nA,B,1990-01-01\n",
     ("--map", "Given=given_name"), "the mapping names an unknown column 'given_name' for "
     "'Given'"),
    ("mapped header not in the file", b"first_name,last_name,dob\nA,B,1990-01-01\n",
     ("--map", "Vorname=first_name"), "row 1: the mapped column 'Vorname' is not in the "
     "file's header"),
    ("two headers for one column", b"First Name,first_name,last_name,dob\n",
     (), "row 1: column 'first_name' appears more than once ('First Name' and 'first_name')"),
    ("unnamed column in the middle", b"first_name,,last_name,dob\nA,,B,1990-01-01\n", (),
     "row 1: column 2 has no name"),
    ("a value under an empty trailing header", b"first_name,last_name,dob,\nA,B,1990-01-01,x\n",
     (), "row 2: expected 3 cells, found 4"),
    ("unknown encoding", b"first_name,last_name,dob\n", ("--encoding", "ebcdic"),
     "unknown encoding 'ebcdic'; expected utf-8, cp1252, latin-1"),
    ("bad --map", b"first_name,last_name,dob\n", ("--map", "first_name"),
     "invalid --map 'first_name': expected 'Source Header=column'"),
    ("bad delimiter", b"first_name,last_name,dob\n", ("--delimiter", "ab"),
     "invalid delimiter 'ab'"),
])
def test_bad_variants_exit_2_and_write_nothing(cli, db_url, tmp_path, name, data, args,
                                              expected):
    before = snapshot(db_url)
    result = cli("import", "clients", write_bytes(tmp_path, "bad.csv", data), *args)
    assert result.exit_code == 2, (name, result.output)
    assert result.stderr.startswith("Error: "), result.stderr
    assert expected in result.stderr, (name, result.stderr)
    assert "Traceback" not in result.output
    assert snapshot(db_url) == before


def test_date_errors_name_each_row_and_column(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob\n"
                 "A,B,14/03/1988\n"
                 "C,D,03/14/1988\n"
                 "E,F,02/30/1988\n")
    result = cli("import", "clients", path, "--date-format", "%m/%d/%Y")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: 2 of 3 rows are bad; nothing was imported",
        "  row 2, column dob: invalid date of birth '14/03/1988': expected the date format "
        "'%m/%d/%Y'",
        "  row 4, column dob: invalid date of birth '02/30/1988': expected the date format "
        "'%m/%d/%Y'",
    ]


@pytest.mark.parametrize("toml,expected", [
    ('[columns]\n"Given" = "nickname"\n', "the mapping names an unknown column 'nickname'"),
    ('colums = {}\n', "unknown key 'colums'"),
    ('[columns\n', "is not valid TOML"),
    ('encoding = "utf-16"\n', "unknown encoding 'utf-16'"),
])
def test_bad_mapping_files(cli, db_url, tmp_path, toml, expected):
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml)
    path = write(tmp_path, "c.csv", "Given,last_name,dob\nA,B,1990-01-01\n")
    result = cli("import", "clients", path, "--mapping", str(mapping))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr, result.stderr


def test_stdin_in_cp1252(cli, db_url):
    result = cli("import", "clients", "-", "--encoding", "cp1252", "-o", "json",
                 input="first_name,last_name,dob\nJosé,Núñez,1990-01-01\n")
    # CliRunner passes text as UTF-8 bytes: read as cp1252 the accents come out as two
    # characters each, which shows the encoding was applied.
    assert result.exit_code == 0, result.output
    assert any(c["first_name"] == "JosÃ©" for c in cli("client", "list", "-o", "json").json())


def test_a_comma_file_with_semicolons_in_cells_stays_comma_separated(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob,address\n"
                 "Ida,Wells,1962-07-16,Flat 2; 3 Elm St\n"
                 "Ned,Kelly,1955-01-02,\"4 Oak; Rear, Unit 1\"\n")
    result = cli("import", "clients", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["created"] == 2


def test_latin_1_and_cp1252_only_characters(cli, db_url, tmp_path):
    latin = write_bytes(tmp_path, "l.csv", "first_name,last_name,dob,external_id\n"
                        "Åsa,Øster,1970-01-01,L-1\n".encode("latin-1"))
    assert cli("import", "clients", latin, "--encoding", "latin-1").exit_code == 0
    assert client(cli, "L-1")["last_name"] == "Øster"
    # A byte cp1252 does not define is named, with the next thing to try.
    odd = write_bytes(tmp_path, "o.csv", b"first_name,last_name,dob\nA\x81,B,1970-01-01\n")
    result = cli("import", "clients", odd, "--encoding", "cp1252")
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {odd} is not cp1252 text; try --encoding latin-1\n"


def test_duplicate_rows_are_merged_in_the_other_kinds_too(cli, db_url, tmp_path):
    path = write(tmp_path, "s.csv", "Email,Name,Roles\n"
                 "new@riverside.example,New Person,scheduler\n"
                 "new@riverside.example,New Person,scheduler\n")
    result = cli("import", "staff", path, "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0,
                             "duplicates_merged": 1}
    assert result.stderr == ("Imported staff: 1 created, 0 updated, 0 unchanged. "
                             "1 duplicate rows merged.\n")


def test_the_client_s_date_of_birth_in_assignments_follows_the_date_format(cli, practice,
                                                                          tmp_path):
    path = write(tmp_path, "a.csv", "Client First Name,Client Last Name,Client DOB,Provider\n"
                 f"Maya,Chen,04/12/1990,{ANA}\n")
    result = cli("import", "assignments", path, "--date-format", "%m/%d/%Y", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["created"] == 1
    bad = cli("import", "assignments", path)
    assert bad.exit_code == 2, bad.output
    assert bad.stderr.startswith("Error: row 2, column client_dob: invalid client date of "
                                 "birth '04/12/1990': expected YYYY-MM-DD; for another format")
