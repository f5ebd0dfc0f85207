"""The docs cannot drift from the code: the command reference is complete and current, every
relative link and anchor leads somewhere, every example command line names a real command
with real options, and the exit-code table is the one ``--help`` prints."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from cogapp import Cog

from clinicctl.errors import EXIT_CODE_HELP

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "cli-reference.md"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
GLOBAL_OPTIONS = {"--db": True, "--config": True, "--as": True, "--quiet": False, "-q": False,
                  "--version": False, "--help": False, "-h": False}  # name -> takes a value


def commands() -> dict[tuple[str, ...], Any]:
    """Every group and command by its path, found as a lazily loaded root would give them."""
    from clinicctl.cli import app

    found: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, ctx: Any, path: tuple[str, ...]) -> None:
        found[path] = command
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not getattr(sub, "hidden", False):
                    walk(sub, typer.Context(sub, info_name=name, parent=ctx), (*path, name))

    root = typer.main.get_command(app)
    walk(root, typer.Context(root, info_name="clinicctl"), ())
    return found


# --- the command reference --------------------------------------------------------------------

def test_every_group_and_command_has_its_heading_in_the_reference():
    headings = set(re.findall(r"^## (clinicctl.*)$", REFERENCE.read_text(), re.MULTILINE))
    paths = commands()
    assert len(paths) > 50 and ("client", "share") in paths
    missing = [" ".join(("clinicctl", *path)) for path in paths
               if " ".join(("clinicctl", *path)) not in headings]
    assert missing == [], "run: cog -r docs/cli-reference.md"


def test_the_reference_is_what_cog_generates_now(capsys):
    status = Cog().main(["cog", "--check", str(REFERENCE)])
    assert status == 0, (f"docs/cli-reference.md is out of date: run "
                         f"cog -r docs/cli-reference.md\n{capsys.readouterr()}")


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch):
    monkeypatch.syspath_prepend(str(DOCS))
    import _reference

    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("CLINICCTL_FORMAT", "json")
    narrow = _reference.help_text(["client", "share"])
    monkeypatch.setenv("COLUMNS", "250")
    assert _reference.help_text(["client", "share"]) == narrow
    assert max(len(line) for line in narrow.splitlines()) <= _reference.WIDTH


# --- links ------------------------------------------------------------------------------------

def prose(text: str) -> Iterator[str]:
    """The lines of a Markdown page outside fenced code blocks."""
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield line


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a page (duplicates get -1, -2, ...)."""
    found: set[str] = set()
    for line in prose(text):
        if match := re.match(r"#{1,6} +(.*?) *#*$", line):
            title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match[1])
            slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            candidate, n = slug, 0
            while candidate in found:
                n += 1
                candidate = f"{slug}-{n}"
            found.add(candidate)
    return found


def links(page: Path) -> Iterator[str]:
    for line in prose(page.read_text()):
        line = re.sub(r"`[^`]*`", "", line)
        yield from re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_anchor(page):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto:
        path_part, _, anchor = target.partition("#")
        file = (page.parent / path_part).resolve() if path_part else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_to_every_page_of_the_docs():
    readme = set(links(ROOT / "README.md"))
    linked = {target.partition("#")[0] for target in readme}
    missing = [page.name for page in DOCS.glob("*.md") if f"docs/{page.name}" not in linked]
    assert missing == []


def test_the_anchor_slugs_are_githubs():
    text = ("# A\n## Databases: SQLite and PostgreSQL\n```sh\n# not a heading\n```\n## A\n"
            "## `client share` and [links](x.md)\n")
    assert anchors(text) == {"a", "databases-sqlite-and-postgresql", "a-1",
                             "client-share-and-links"}


# --- example command lines --------------------------------------------------------------------

def example_lines(page: Path) -> Iterator[str]:
    """The shell lines of a page's sh, bash, crontab and console blocks (console: the `$` lines),
    with continuation lines joined, and the `clinicctl ...` code spans of its prose."""
    language, pending = None, ""
    for line in page.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            language = None if language is not None else (stripped[3:] or "text")
            continue
        if language is None:
            yield from re.findall(r"`(clinicctl [^`]*)`", line)
            continue
        if language not in ("sh", "bash", "crontab", "console"):
            continue
        if language == "console":
            if not stripped.startswith("$ "):
                continue
            stripped = stripped[2:]
        if stripped.startswith("#"):
            continue  # a comment
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        yield pending + stripped
        pending = ""


def invocations(line: str) -> Iterator[list[str]]:
    """The arguments of each `clinicctl ...` run in a shell line, up to a pipe or redirection."""
    line = line.split(" # ", 1)[0]  # a comment after the command
    for match in re.finditer(r"(?:^|(?<=[\s(;&|]))clinicctl\s", line):
        lexer = shlex.shlex(line[match.end():], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:
            continue
        args = []
        for token, following in zip(tokens, [*tokens[1:], ""], strict=True):
            if token in ("|", "||", "&&", ";", "&", ">", ">>", "<", "(", ")") or (
                    token.isdigit() and following.startswith(">")):  # 2>/dev/null
                break
            args.append(token)
        yield args


def check(args: list[str], known: dict[tuple[str, ...], Any]) -> str | None:
    """What is wrong with a documented command line, or None."""
    args = [a.strip("[]") for a in args]
    while args and args[0] in GLOBAL_OPTIONS and args[0] not in ("--help", "-h", "--version"):
        if GLOBAL_OPTIONS[args.pop(0)] and args:
            args.pop(0)  # its value
    path: tuple[str, ...] = ()
    while args and hasattr(known[path], "list_commands") and (*path, args[0]) in known:
        path = (*path, args.pop(0))
    default = getattr(known[path], "default_command", None)  # `availability timeoff PROVIDER`
    if default and args and args[0] not in ("--help", "-h"):
        path = (*path, default)
    command = known[path]
    if hasattr(command, "list_commands"):
        if args and args[0].startswith("$"):
            return None  # a subcommand in a shell variable
        if path and args and not args[0].startswith("-"):
            return f"no command {args[0]!r} in clinicctl {' '.join(path)}"
        if not path and args and args[0] not in ("--help", "-h", "--version"):
            return f"no command or global option {args[0]!r}"
    names = {"--help", "-h"}
    for param in command.params:
        names.update(getattr(param, "opts", []), getattr(param, "secondary_opts", []))
    for arg in args:
        option = arg.split("=", 1)[0]
        if option.startswith("-") and option != "-" and option not in names:
            return f"clinicctl {' '.join(path)} has no option {option}"
    return None


@pytest.mark.parametrize("page", [p for p in PAGES if p != REFERENCE],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_names_a_real_command_with_real_options(page):
    known = commands()
    wrong = []
    for line in example_lines(page):
        for args in invocations(line):
            if problem := check(args, known):
                wrong.append(f"{problem}: {line}")
    assert wrong == []


def test_the_example_checker_finds_a_wrong_example():
    known = commands()
    assert check(["client", "share", "Maya", "--form", "Sam"], known) == (
        "clinicctl client share has no option --form")
    assert check(["client", "shares"], known) == "no command 'shares' in clinicctl client"
    assert check(["--as", "x@y", "note", "list", "Maya", "-o", "json"], known) is None
    assert list(invocations('out=$(clinicctl -q audit verify 2>/dev/null) | jq .')) == [
        ["-q", "audit", "verify"]]


# --- exit codes -------------------------------------------------------------------------------

def test_the_exit_code_table_is_the_one_help_prints():
    text = (DOCS / "scripting.md").read_text()
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d) \| ([^|]+?) \|", section, re.MULTILINE))
    assert rows == {str(int(code)): meaning for code, meaning in EXIT_CODE_HELP.items()}
