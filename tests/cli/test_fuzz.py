"""No input makes a command exit 1: arbitrary references, dates, times and CSV files get a
one-line error with a documented exit code (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXPECTED = {0, 2, 3, 4, 5, 6}
SAM = "sam@riverside.example"
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# What a shell can pass: any text but NUL (argv strings end at one).
arg_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                   max_size=24)
reference = st.one_of(arg_text, st.from_regex(r"#[0-9\u00b2\u0663]{0,25}", fullmatch=True),
                      st.sampled_from(["Maya Chen", "maya  chen", SAM, "#1", "#0", " "]))
date_text = st.one_of(arg_text, st.from_regex(r"[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}",
                                              fullmatch=True))
# File contents may hold anything, NUL and lone line breaks included.
cell = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


def assert_documented(result) -> None:
    assert result.exit_code in EXPECTED, result.output
    assert "unexpected" not in result.stderr, result.stderr
    if result.exit_code:
        assert result.stderr.startswith("Error: "), result.stderr


@FUZZ
@given(ref=reference)
def test_any_client_or_staff_reference(cli, shared, ref):
    for args in (("client", "show", ref), ("staff", "show", ref), ("note", "list", ref),
                 ("client", "sharing", ref)):
        assert_documented(cli(*args))


@FUZZ
@given(client=reference, provider=reference, when=arg_text, repeat=st.sampled_from(
    ["", "weekly", "monthly", "fortnightly"]), count=arg_text)
def test_any_booking(cli, shared, client, provider, when, repeat, count):
    args = ["appointment", "book", "--client", client, "--provider", provider, "--at", when,
            "--dry-run", "--outside-availability"]
    if repeat:
        args += ["--repeat", repeat, "--count", count or "2"]
    assert_documented(cli(*args))


@FUZZ
@given(start=date_text, days=arg_text, until=date_text)
def test_any_dates(cli, shared, start, days, until):
    assert_documented(cli("availability", "find", "--client", "Maya Chen", "--therapist", SAM,
                          "--from", start, "--days", days or "1"))
    assert_documented(cli("audit", "list", "--since", start, "--until", until))
    assert_documented(cli("appointment", "list", "--from", start, "--to", until))


def csv_text(columns: list[str]):
    header = st.lists(st.one_of(st.sampled_from(columns), cell), min_size=1, max_size=6)
    rows = st.lists(st.lists(cell, max_size=7), max_size=4)

    def render(parts) -> str:
        head, body = parts
        quote = lambda value: '"' + value.replace('"', '""') + '"'  # noqa: E731
        lines = [",".join(head)] + [",".join(quote(v) for v in row) for row in body]
        return "\n".join(lines) + "\n"

    return st.tuples(header, rows).map(render)


@FUZZ
@given(content=csv_text(["client", "from", "to", "mode"]))
def test_any_batch_share_file(cli, shared, content):
    assert_documented(cli("client", "share", "--csv", "-", "--dry-run", input=content))


@FUZZ
@given(kind=st.sampled_from(["clients", "staff", "appointments", "availability"]),
       content=csv_text(["first_name", "last_name", "dob", "email", "external_id", "name",
                         "roles", "provider", "client", "start", "end", "weekdays",
                         "start_time", "end_time"]))
def test_any_import_file(cli, shared, kind, content):
    assert_documented(cli("import", kind, "-", "--dry-run", input=content))
