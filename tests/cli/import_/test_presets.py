"""``import --preset openemr|simplepractice|generic`` and ``--ignore-unknown``: files shaped
like those systems' exports (``files/``: an OpenEMR patient_data dump as phpMyAdmin writes
it, a SimplePractice-style client list, an Excel file in cp1252 with US dates, a semicolon
file with European dates) imported to the expected clients; the columns a preset leaves out
named; and the error for each bad variant, which writes nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.bad_input import assert_error
from tests.fixtures.exchange_db import rows_of, write
from tests.fixtures.practice_db import snapshot
from tests.fixtures.schedule_db import ANA, LEE, TUE, at, iso

FILES = Path(__file__).parent / "files"
OPENEMR = FILES / "openemr_patient_data.csv"
SIMPLEPRACTICE = FILES / "simplepractice_clients.csv"
EXCEL = FILES / "excel_cp1252_us_dates.csv"
SEMICOLON = FILES / "semicolon_european_dates.csv"
# The patient_data columns the openemr preset reads; it names every other one it leaves out.
OPENEMR_READ = {"fname", "lname", "DOB", "sex", "email", "pubpid", "preferred_name",
                "phone_cell", "phone_home", "street", "street_line_2", "city", "state",
                "postal_code"}
SHOWN = ("first_name", "last_name", "preferred_name", "dob", "sex", "email", "phone",
         "address")


def header_of(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> list[str]:
    with path.open(encoding=encoding, newline="") as handle:
        return next(csv.reader(handle, delimiter=delimiter))


def shown(cli, ref: str) -> tuple[str | None, ...]:
    client = cli("client", "show", ref, "-o", "json").json()
    return tuple(client[key] for key in SHOWN)


def edited(path: Path, tmp_path: Path, change: Callable[[list[list[str]]], None], *,
           encoding: str = "utf-8-sig", delimiter: str = ",") -> str:
    """A copy of a fixture with its rows (the header first) changed by ``change``."""
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    change(rows)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    copy = tmp_path / path.name
    copy.write_bytes(out.getvalue().encode(encoding))
    return str(copy)


def set_cell(column: str, row: int, value: str) -> Callable[[list[list[str]]], None]:
    """``row`` as the error messages count: the header is row 1."""
    def change(rows: list[list[str]]) -> None:
        rows[row - 1][rows[0].index(column)] = value
    return change


def add_column(name: str, value: str = "x") -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[0].append(name)
        for row in rows[1:]:
            row.append(value)
    return change


def drop_column(name: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        at_ = rows[0].index(name)
        for row in rows:
            del row[at_]
    return change


# --- the fixtures, imported ---------------------------------------------------------------

def test_an_openemr_patient_data_dump(cli, db_url):
    result = cli("import", "clients", str(OPENEMR), "--preset", "openemr", "-o", "json")
    assert result.exit_code == 0, result.output
    left_out = [name for name in header_of(OPENEMR) if name not in OPENEMR_READ]
    assert len(left_out) == 111
    assert result.json() == {"created": 4, "updated": 0, "unchanged": 0,
                             "ignored_columns": left_out}
    assert result.stderr.splitlines() == [
        "Imported clients: 4 created, 0 updated, 0 unchanged.",
        f"Ignored 111 columns clinicctl does not keep: {', '.join(left_out)}.",
        "1 row had more than one of phone_cell, phone_home: phone took the first; the others "
        "were not imported.",
    ]
    # pubpid is the external id; the cell phone before the home phone; the address joined;
    # an SQL NULL (preferred_name, street_line_2) is empty; sex is F, M or U.
    assert shown(cli, "1001") == (
        "María", "García López", "Mari", "1984-07-19", "F", "maria.garcia@example.org",
        "217-555-0199", "742 Evergreen Terrace, Apt 3B, Springfield, IL 62704")
    assert shown(cli, "1002") == (
        "James", "O'Connor", None, "1972-11-03", "M", None, "207-555-0110",
        "18 Harbor Rd, Portland, ME 04101")
    assert shown(cli, "1003") == (
        "Sam", "Whitaker", None, "2001-02-28", "U", "sam.w@example.net", None, None)
    assert shown(cli, "1004") == (
        "Zoë", "Brontë-Hale", None, "1995-12-01", "F", "zoe.bh@example.com", "973-555-0187",
        "5 Lafayette St, Newark, NJ 07102")
    again = cli("import", "clients", str(OPENEMR), "--preset", "openemr", "-o", "json")
    assert again.exit_code == 0, again.output
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 4,
                            "ignored_columns": left_out}


def test_a_simplepractice_client_list(cli, db_url):
    result = cli("import", "clients", str(SIMPLEPRACTICE), "--preset", "simplepractice",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {
        "created": 3, "updated": 0, "unchanged": 0,
        "ignored_columns": ["Middle Name", "Client Status", "Primary Clinician", "Client Type",
                            "Billing Type"]}
    assert result.stderr.splitlines()[1] == (
        "Ignored 5 columns clinicctl does not keep: Middle Name, Client Status, Primary "
        "Clinician, Client Type, Billing Type.")
    # US dates; "What name do they go by?" is the preferred name.
    assert shown(cli, "SP-2041") == (
        "Jordan", "Avery", "Jo", "1988-04-05", "F", "jordan.avery@example.org",
        "(555) 201-4410", "301 Pine St, Seattle, WA 98101")
    assert shown(cli, "SP-2042") == (
        "Marcus", "Bell", None, "1979-12-31", "M", None, "(555) 201-4411", None)
    assert shown(cli, "SP-2043") == (
        "Priya", "Natarajan", None, "2006-07-04", None, "priya.n@example.com", None,
        "88 Lake Ave, Tacoma, WA 98402")


def test_an_excel_file_in_cp1252_with_us_dates(cli, db_url):
    result = cli("import", "clients", str(EXCEL), "--preset", "generic", "--encoding",
                 "cp1252", "--date-format", "%m/%d/%Y", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 3, "updated": 0, "unchanged": 0,
                             "ignored_columns": ["Notes"]}
    assert "1 row had more than one of Mobile, Home Phone: phone took the first" in (
        result.stderr)
    assert shown(cli, "C-17") == (
        "José", "Núñez", None, "1988-03-14", "M", "jose.nunez@example.org", "555-0170", None)
    assert shown(cli, "C-18") == (
        "Renée", "Dubois-Élan", None, "1975-11-02", "F", None, "555-0181", None)
    assert shown(cli, "C-19") == (
        "François", "Lefèvre", None, "2003-01-09", None, "f.lefevre@example.net", "555-0190",
        None)


def test_a_semicolon_file_with_european_dates(cli, db_url):
    result = cli("import", "clients", str(SEMICOLON), "--preset", "generic", "--date-format",
                 "%d.%m.%Y", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 3, "updated": 0, "unchanged": 0,
                             "ignored_columns": ["Country"]}
    assert shown(cli, "K-101") == (
        "Jürgen", "Müller", None, "1963-02-21", "M", None, "+49 30 1234567",
        "Hauptstraße 5, Berlin, 10115")
    assert shown(cli, "K-102")[3:] == (
        "1990-12-01", "F", None, "+33 1 42 68 53 00", "12, rue de Rivoli, Paris, 75001")
    assert shown(cli, "K-103")[3:] == ("1985-05-05", "U", None, None, None)


def test_a_dry_run_with_a_preset_writes_nothing_and_names_what_it_leaves_out(cli, db_url):
    before = snapshot(db_url)
    result = cli("import", "clients", str(SIMPLEPRACTICE), "--preset", "simplepractice",
                 "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Dry run (nothing written): Imported clients: 3 created, 0 updated, 0 unchanged.",
        "Ignored 5 columns clinicctl does not keep: Middle Name, Client Status, Primary "
        "Clinician, Client Type, Billing Type."]
    assert snapshot(db_url) == before


# --- the options beside a preset win over it ----------------------------------------------

def test_the_date_format_and_a_mapping_file_win_over_the_presets(cli, db_url, tmp_path):
    iso = edited(SIMPLEPRACTICE, tmp_path, set_cell("Date of Birth", 2, "1988-04-05"))
    refused = cli("import", "clients", iso, "--preset", "simplepractice")
    assert refused.exit_code == 2, refused.output
    mapping = tmp_path / "iso.toml"
    mapping.write_text('date_format = "%Y-%m-%d"\n')
    # Rows 3 and 4 are still in US dates: the mapping file's format applies to every row.
    mixed = cli("import", "clients", iso, "--preset", "simplepractice", "--mapping",
                str(mapping))
    assert mixed.stderr.splitlines()[1:] == [
        "  row 3, column dob: invalid date of birth '12/31/1979': expected the date format "
        "'%Y-%m-%d'",
        "  row 4, column dob: invalid date of birth '07/04/2006': expected the date format "
        "'%Y-%m-%d'"]
    only = edited(SIMPLEPRACTICE, tmp_path, lambda rows: rows.__delitem__(slice(2, None)))
    only_iso = edited(Path(only), tmp_path, set_cell("Date of Birth", 2, "1988-04-05"))
    result = cli("import", "clients", only_iso, "--preset", "simplepractice",
                 "--date-format", "%Y-%m-%d", "-o", "json")
    assert result.exit_code == 0, result.output
    assert shown(cli, "SP-2041")[3] == "1988-04-05"


def test_a_mapped_column_is_read_as_mapped(cli, db_url, tmp_path):
    # --map phone_home=phone: the home phone, not the cell phone, and phone_cell left out.
    result = cli("import", "clients", str(OPENEMR), "--preset", "openemr", "--map",
                 "phone_home=phone", "-o", "json")
    assert result.exit_code == 0, result.output
    assert "phone_cell" in result.json()["ignored_columns"]
    assert "phone took the first" not in result.stderr
    assert shown(cli, "1001")[6] == "217-555-0142"
    assert shown(cli, "1004")[6] is None
    # --map 'Sex=sex': the file's own values, untranslated.
    odd = edited(SIMPLEPRACTICE, tmp_path, set_cell("Sex", 4, "Intersex"))
    result = cli("import", "clients", odd, "--preset", "simplepractice", "--map", "Sex=sex")
    assert result.exit_code == 0, result.output
    assert shown(cli, "SP-2043")[4] == "Intersex"
    assert shown(cli, "SP-2041")[4] == "Female"


def test_ignore_unknown_without_a_preset(cli, db_url, tmp_path):
    path = write(tmp_path, "c.csv", "first_name,last_name,dob,shoe_size,Hat\n"
                 "Ida,Wells,1962-07-16,38,none\n")
    refused = cli("import", "clients", path)
    assert_error(refused, 2, "row 1: unknown columns 'shoe_size', 'Hat' (expected "
                 "first_name,last_name,dob,id,external_id,preferred_name,sex,email,phone,"
                 "address); map them with --map 'shoe_size=column' or leave them out with "
                 "--ignore-unknown")
    result = cli("import", "clients", path, "--ignore-unknown", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0,
                             "ignored_columns": ["shoe_size", "Hat"]}
    assert result.stderr.splitlines()[1] == ("Ignored 2 columns clinicctl does not keep: "
                                             "shoe_size, Hat.")


def test_ignore_unknown_with_a_preset(cli, db_url, tmp_path):
    path = edited(SIMPLEPRACTICE, tmp_path, add_column("Favorite Color", "blue"))
    result = cli("import", "clients", path, "--preset", "simplepractice", "--ignore-unknown",
                 "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["ignored_columns"][-1] == "Favorite Color"


# --- generic: the other kinds ---------------------------------------------------------------

def test_generic_staff_names_from_first_and_last_name(cli, db_url, tmp_path):
    path = write(tmp_path, "s.csv", "First Name,Last Name,Email Address,Role,Phone\n"
                 "Kai,Moreno,kai@riverside.example,scheduler,555-0100\n")
    result = cli("import", "staff", path, "--preset", "generic", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0,
                             "ignored_columns": ["Phone"]}
    member = cli("staff", "show", "kai@riverside.example", "-o", "json").json()
    assert (member["name"], member["roles"]) == ("Kai Moreno", ["scheduler"])


def test_generic_assignments_and_appointments(cli, exchange_practice, tmp_path):
    path = write(tmp_path, "a.csv", "First Name,Last Name,DOB,Clinician,Client Status\n"
                 f"Omar,Haddad,09/30/1985,{ANA},active\n")
    result = cli("import", "assignments", path, "--preset", "generic", "--date-format",
                 "%m/%d/%Y", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["created"] == 1
    listed = cli("client", "list", "--provider", ANA, "-o", "json").json()
    assert "Omar" in [c["first_name"] for c in listed]
    path = write(tmp_path, "p.csv", "First Name,Last Name,Date of Birth,Provider,Start Time,"
                 "Appointment Status,Outside Availability,Duration\n"
                 f"Omar,Haddad,1985-09-30,{LEE},{at(TUE, '10:00')},scheduled,true,50\n")
    result = cli("import", "appointments", path, "--preset", "generic", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json() == {"created": 1, "updated": 0, "unchanged": 0, "new_to_provider": 1,
                             "reactivated": 0, "ignored_columns": ["Duration"]}
    booked = [r for r in rows_of(cli("export", "appointments").stdout)
              if r["client_first_name"] == "Omar" and r["provider"] == LEE]
    assert [r["start"] for r in booked] == [iso(TUE, "10:00")]


# --- bad variants: exit 2, one error, nothing written ----------------------------------------

ROW_ERRORS = [
    ("openemr: an untranslatable sex", OPENEMR, set_cell("sex", 5, "Woman"),
     ("--preset", "openemr"),
     "row 5, column sex: invalid sex 'Woman' for the openemr preset: expected Female, Male, "
     "UNK, Unknown or empty"),
    ("openemr: an SQL NULL date of birth", OPENEMR, set_cell("DOB", 4, "NULL"),
     ("--preset", "openemr"), "row 4, column dob: date of birth is empty"),
    ("openemr: a date not in SQL's format", OPENEMR, set_cell("DOB", 2, "07/19/1984"),
     ("--preset", "openemr"),
     "row 2, column dob: invalid date of birth '07/19/1984': expected YYYY-MM-DD; for "
     "another format use --date-format (for example '%m/%d/%Y')"),
    ("openemr: an unknown column", OPENEMR, add_column("tribal_affiliation"),
     ("--preset", "openemr"),
     "row 1: unknown column 'tribal_affiliation' (neither the openemr preset nor clinicctl "
     "knows it); map it with --map 'tribal_affiliation=column' or leave it out with "
     "--ignore-unknown"),
    ("openemr: a column given twice", OPENEMR, add_column("phone", "555"),
     ("--preset", "openemr"),
     "row 1: column 'phone' appears more than once ('phone' and 'phone_cell' and "
     "'phone_home')"),
    ("simplepractice: a date not in US format", SIMPLEPRACTICE,
     set_cell("Date of Birth", 3, "1979-12-31"), ("--preset", "simplepractice"),
     "row 3, column dob: invalid date of birth '1979-12-31': expected the date format "
     "'%m/%d/%Y'"),
    ("simplepractice: an untranslatable sex", SIMPLEPRACTICE, set_cell("Sex", 2, "F"),
     ("--preset", "simplepractice"),
     "row 2, column sex: invalid sex 'F' for the simplepractice preset: expected Female, "
     "Male or empty"),
    ("simplepractice: two unknown columns", SIMPLEPRACTICE,
     lambda rows: (add_column("Allergies")(rows), add_column("Referring Physician")(rows)),
     ("--preset", "simplepractice"),
     "row 1: unknown columns 'Allergies', 'Referring Physician' (neither the simplepractice "
     "preset nor clinicctl knows them); map them with --map 'Allergies=column' or leave them "
     "out with --ignore-unknown"),
    ("simplepractice: no last name", SIMPLEPRACTICE, drop_column("Legal Last Name"),
     ("--preset", "simplepractice"),
     "row 1: missing column 'last_name' (the simplepractice preset reads it from 'Legal Last "
     "Name' or 'Last Name'; map another name with --map 'Header=column')"),
    ("generic: one slot from two headers", SEMICOLON, add_column("Zip", "1"),
     ("--preset", "generic", "--date-format", "%d.%m.%Y"),
     "row 1: column 'zip' appears more than once ('Postal Code' and 'Zip')"),
    ("generic: European dates without their format", SEMICOLON, lambda rows: None,
     ("--preset", "generic"),
     "3 of 3 rows are bad; nothing was imported"),
]


@pytest.mark.parametrize(("name", "path", "change", "args", "error"), ROW_ERRORS,
                         ids=[case[0] for case in ROW_ERRORS])
def test_bad_variants_of_the_fixtures(cli, plain, tmp_path, name, path, change, args, error):
    delimiter = ";" if path == SEMICOLON else ","
    bad = edited(path, tmp_path, change, delimiter=delimiter)
    before = snapshot(plain.url)
    result = cli("import", "clients", bad, *args)
    assert result.exit_code == 2, (name, result.output)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"Error: {error}", name
    assert snapshot(plain.url) == before


@pytest.mark.parametrize(("args", "error"), [
    (("clients", str(OPENEMR), "--preset", "openemrr"),
     "invalid --preset 'openemrr': expected openemr, simplepractice or generic (did you mean "
     "'openemr'?)"),
    (("staff", str(OPENEMR), "--preset", "openemr"),
     "the openemr preset has no layout for staff; it has clients"),
    (("appointments", str(SIMPLEPRACTICE), "--preset", "simplepractice"),
     "the simplepractice preset has no layout for appointments; it has clients"),
    (("locations", str(SEMICOLON), "--preset", "generic"),
     "the generic preset has no layout for locations; it has staff, clients, assignments, "
     "appointments, availability, timeoff"),
    (("clients", str(EXCEL), "--preset", "generic"),
     f"{EXCEL} is not UTF-8 text; if it came from Windows or Excel, try --encoding cp1252"),
])
def test_bad_presets_and_encodings(cli, plain, args, error):
    before = snapshot(plain.url)
    assert_error(cli("import", *args), 2, error)
    assert snapshot(plain.url) == before
