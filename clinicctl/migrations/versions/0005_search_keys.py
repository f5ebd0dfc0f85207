"""search keys: names without accents, for loose search and references

Revision ID: 0005
Revises: 0004

``client list --search chloe`` finds "Chloé", and "Chloe Martin" names her as a reference:
``client.search_key`` and ``staff.search_key`` hold the name key without accents
(``clinicctl.people.refs.search_key``), so the comparison is a plain one on SQLite and
PostgreSQL alike (PostgreSQL's ``unaccent`` is an extension a practice's server may lack).
Every existing row gets its key here; no other value changes.

The key is computed by this revision's own copy of the rule, as it stood when the revision
was written: a later change to the rule comes with its own migration, and this one still
means what it did (tests/cli/test_loose_search.py checks the two agree today).

PostgreSQL: a staff login writes a name's keys (clinicctl computes them), but it cannot write
keys that say another name: ``clinicctl_name_key(text)`` and ``clinicctl_search_key(text)``
compute the same keys in SQL, and a trigger on ``client`` and ``staff`` refuses a row whose
``name_key`` or ``search_key`` is not its name's (administrators aside). So nobody can make
"Chloe Martin" resolve to another client's chart, nor rename a records custodian by key.
The SQL keys are built from this module's Unicode tables (the running Python's, as the
back-fill's are): case folding as one ``translate`` and the multi-letter folds, the marks
dropped as a character class; ``normalize(NFKD)`` is the server's own.
"""

import re
import string
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAFF_ROLE = "clinicctl_staff"  # migration 0004
PAGE = 5000
LENGTH = 400
PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae",
                               "œ": "oe", "þ": "th", "ð": "d"})


def search_key(*parts: str) -> str:
    """The name key (lower-cased, whitespace collapsed) without accents."""
    key = re.sub(r"\s+", " ", " ".join(parts)).strip().casefold()
    plain = "".join(c for c in unicodedata.normalize("NFKD", key)
                    if not unicodedata.combining(c))
    return plain.translate(PLAIN_LETTERS).casefold()[:LENGTH]


def _escaped(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _char_class(codes: list[int]) -> str:
    """A regular expression class of the code points, as ranges of escapes."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(_escaped(a) if a == b else f"{_escaped(a)}-{_escaped(b)}"
                         for a, b in ranges) + "]"


def _characters() -> list[str]:
    return [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def key_functions(search_path: str) -> list[str]:
    """``clinicctl_casefold``, ``clinicctl_name_key`` and ``clinicctl_search_key``: the
    rules of ``search_key`` above, character for character (str.casefold is per letter, and
    the marks NFKD yields are dropped, so their order does not matter)."""
    characters = _characters()
    singles = [(c, c.casefold()) for c in characters if c.casefold() != c
               and len(c.casefold()) == 1 and not c.isascii()]
    # translate() reads its whole list for each letter: ASCII first and alone, the rest
    # only for a name that has a letter the list folds (an upper-case accented letter).
    folded = (f"translate(p_text, '{string.ascii_uppercase}', '{string.ascii_lowercase}')")
    for block in ([s for s in singles if s[0] < "\u0250"], [s for s in singles
                                                               if s[0] >= "\u0250"]):
        folded = (f"CASE WHEN p_text ~ '{_char_class([ord(a) for a, _ in block])}' "
                  f"THEN translate({folded}, {_literal(''.join(a for a, _ in block))}, "
                  f"{_literal(''.join(b for _, b in block))}) ELSE {folded} END")
    for letter in characters:  # the folds to more than one letter (ß -> ss)
        if len(letter.casefold()) > 1:
            folded = f"replace({folded}, {_literal(letter)}, {_literal(letter.casefold())})"
    spaces = _char_class([ord(c) for c in characters if re.fullmatch(r"\s", c)])
    marks = _char_class([ord(c) for c in characters if unicodedata.combining(c)])
    plain = "p_text"
    singles_plain = [(a, b) for a, b in PLAIN_LETTERS.items() if len(b) == 1]
    plain = (f"translate({plain}, {_literal(''.join(chr(a) for a, _ in singles_plain))}, "
             f"{_literal(''.join(b for _, b in singles_plain))})")
    for code, letters in PLAIN_LETTERS.items():
        if len(letters) > 1:
            plain = f"replace({plain}, {_literal(chr(code))}, {_literal(letters)})"
    # PL/pgSQL: a session compiles each once, where a SQL function calling another would
    # parse the callee's long body on every call.
    head = ("RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE "
            f"SET search_path = {search_path} AS $fn$ BEGIN RETURN ")
    return [
        f"CREATE FUNCTION clinicctl_casefold(p_text text) {head}{folded}; END $fn$",
        f"CREATE FUNCTION clinicctl_name_key(p_text text) {head}clinicctl_casefold(btrim("
        f"regexp_replace(p_text, '{spaces}+', ' ', 'g'), ' ')); END $fn$",
        f"CREATE FUNCTION clinicctl_plain_letters(p_text text) {head}{plain}; END $fn$",
        f"CREATE FUNCTION clinicctl_search_key(p_text text) {head}left(clinicctl_casefold("
        f"clinicctl_plain_letters(regexp_replace(normalize(clinicctl_name_key(p_text), NFKD), "
        f"'{marks}', '', 'g'))), {LENGTH}); END $fn$",
    ]


KEY_FUNCTIONS = ("clinicctl_casefold(text)", "clinicctl_name_key(text)",
                 "clinicctl_plain_letters(text)", "clinicctl_search_key(text)",
                 "clinicctl_keys_check()")

# A staff login's row of client or staff carries its name's keys, or it is refused: the keys
# are what clinicctl resolves a typed name by. A row whose names and keys stay as they were
# passes (an administrator wrote them).
KEYS_CHECK = """
CREATE FUNCTION clinicctl_keys_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = @search_path@ AS $fn$
DECLARE
    v_name text;
BEGIN
    IF clinicctl_is_admin() THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'client' THEN
        v_name := NEW.first_name || ' ' || NEW.last_name;
        IF TG_OP = 'UPDATE' AND NEW.first_name IS NOT DISTINCT FROM OLD.first_name
           AND NEW.last_name IS NOT DISTINCT FROM OLD.last_name
           AND NEW.name_key IS NOT DISTINCT FROM OLD.name_key
           AND NEW.search_key IS NOT DISTINCT FROM OLD.search_key THEN
            RETURN NEW;
        END IF;
    ELSE
        v_name := NEW.name;
        IF TG_OP = 'UPDATE' AND NEW.name IS NOT DISTINCT FROM OLD.name
           AND NEW.name_key IS NOT DISTINCT FROM OLD.name_key
           AND NEW.search_key IS NOT DISTINCT FROM OLD.search_key THEN
            RETURN NEW;
        END IF;
    END IF;
    IF NEW.name_key IS DISTINCT FROM clinicctl_name_key(v_name) THEN
        RAISE EXCEPTION '%.name_key must be the key of the name (clinicctl_name_key)',
            TG_TABLE_NAME USING ERRCODE = '42501';
    END IF;
    IF NEW.search_key IS DISTINCT FROM clinicctl_search_key(v_name) THEN
        RAISE EXCEPTION '%.search_key must be the key of the name (clinicctl_search_key)',
            TG_TABLE_NAME USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$fn$;
"""


def _search_path() -> str:
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar()
    quoted = op.get_bind().dialect.identifier_preparer.quote_identifier(str(schema))
    return f"pg_catalog, {quoted}, pg_temp"


def install_key_checks() -> None:
    search_path = _search_path()
    for statement in key_functions(search_path):
        op.execute(statement)
    op.execute(KEYS_CHECK.replace("@search_path@", search_path))
    for name in KEY_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {STAFF_ROLE}")
    for table in ("client", "staff"):
        op.execute(f"CREATE TRIGGER {table}_keys_check BEFORE INSERT OR UPDATE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION clinicctl_keys_check()")


def remove_key_checks() -> None:
    for table in ("client", "staff"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_keys_check ON {table}")
    for name in reversed(KEY_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in ("client", "staff"):
        # A plain ADD COLUMN (never a batch copy of the table, which on SQLite drops and
        # recreates a table others reference); the default only fills the rows until they
        # get their key below.
        op.add_column(table, sa.Column("search_key", sa.String(400), nullable=False,
                                       server_default=""))
    _fill("client", ("first_name", "last_name"))
    _fill("staff", ("name",))
    for table in ("client", "staff"):
        op.create_index(f"ix_{table}_search_key", table, ["search_key"])
        if postgres:
            op.alter_column(table, "search_key", server_default=None)
            # Logins that may change a name change its key with it (the policies of 0004).
            op.execute(f"GRANT UPDATE (search_key) ON {table} TO {STAFF_ROLE}")
    if postgres:
        install_key_checks()


def _fill(table: str, names: tuple[str, ...]) -> None:
    """Every row's key, a page of rows at a time (one UPDATE statement a page)."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column("search_key"),
                    *(sa.column(name) for name in names))
    last = 0
    while True:
        page = bind.execute(sa.select(rows.c.id, *(rows.c[name] for name in names))
                            .where(rows.c.id > last).order_by(rows.c.id).limit(PAGE)).all()
        if not page:
            return
        bind.execute(rows.update().where(rows.c.id == sa.bindparam("row_id"))
                     .values(search_key=sa.bindparam("key")),
                     [{"row_id": row[0], "key": search_key(*row[1:])} for row in page])
        last = page[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        remove_key_checks()
    for table in ("staff", "client"):
        op.drop_index(f"ix_{table}_search_key", table_name=table)
        op.drop_column(table, "search_key")
