"""What every command shares: settings, the session scope, the actor, output options."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, TextIO

import typer

from clinicctl.config import Settings, load_settings
from clinicctl.errors import InvalidInput
from clinicctl.output import OutputFormat

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clinicctl.models import Staff

FormatOption = Annotated[
    OutputFormat | None,
    typer.Option("--format", "-o", help="Output format [env CLINICCTL_FORMAT; default table].",
                 show_default=False, case_sensitive=False),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change, then roll back.")
]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Go ahead despite the warning (exit 5 without it); the warning is still "
    "printed.")]


def created_id(value: int, *, dry_run: bool) -> int | None:
    """The id of a row the command created, or None in a dry run: the row is rolled back,
    and the database hands the same id to the next real one."""
    return None if dry_run else value

def command_group(help: str, **settings: Any) -> typer.Typer:
    """A group of commands. Its help is click's plain text, not rich panels: ``--help`` then
    loads no rich tables, and text in brackets such as ``[env CLINICCTL_DB]`` is printed as
    written instead of being read as rich markup."""
    return typer.Typer(help=help, rich_markup_mode=None, no_args_is_help=True, **settings)


@dataclass
class AppState:
    flags: dict[str, Any]
    config_path: str | None
    # Set by `config init` before it reads the settings: the file it writes may not exist yet.
    missing_config_ok: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(flags=self.flags, config_path=self.config_path,
                                           missing_config_ok=self.missing_config_ok)
        return self._settings


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    assert isinstance(root.obj, AppState)
    return root.obj


def output_format(ctx: typer.Context, fmt: OutputFormat | None) -> str:
    return fmt.value if fmt is not None else state(ctx).settings.format


@contextmanager
def session(ctx: typer.Context, *, write: bool = True, dry_run: bool = False,
            ) -> Iterator[tuple[Session, Staff]]:
    """A transaction for one data command, with the actor resolved in it (``runtime``)."""
    from clinicctl.runtime import acting_as

    with acting_as(state(ctx).settings, write=write, dry_run=dry_run) as (db_session, actor):
        yield db_session, actor


@contextmanager
def plain_session(ctx: typer.Context, *, write: bool = True, create: bool = False,
                  check: bool = True) -> Iterator[Session]:
    """A transaction without an actor, for setup commands."""
    from clinicctl.db import make_engine
    from clinicctl.runtime import unit_of_work

    engine = make_engine(state(ctx).settings.db, create=create)
    try:
        with unit_of_work(engine, write=write, check=check) as db_session:
            yield db_session
    finally:
        engine.dispose()


def usage_error(text: str, ctx: typer.Context) -> Exception:
    """A usage error (exit 2, the help command named) for a rule the options' types cannot
    state, such as one option or another. Click's own class, found through Typer's public
    ``BadParameter`` as ``cli.py`` does."""
    error = next(base for base in typer.BadParameter.__mro__ if base.__name__ == "UsageError")
    return error(text, ctx)  # type: ignore[no-any-return]


def report_change(text: str, *, dry_run: bool) -> None:
    """Say what a mutating command did (or, with --dry-run, would have done) on stderr."""
    from clinicctl.output import message

    message(f"Dry run (nothing written): {text}" if dry_run else text)


@contextmanager
def open_csv(path: Path, encoding: str | None = None) -> Iterator[TextIO]:
    """The file (or stdin for '-') as text in ``encoding``, by default UTF-8 with or without
    a BOM. A command with ``--encoding`` passes it: a decoding error then says what to try."""
    hint = ("" if encoding is None else "; if it came from Windows or Excel, try --encoding "
            "cp1252" if encoding == "utf-8" else "; try --encoding latin-1")
    encoding = encoding or "utf-8"
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    if str(path) == "-":
        stdin = sys.stdin
        if hasattr(stdin, "reconfigure"):
            # Spreadsheets put a BOM in front of UTF-8 CSV; read it the same way as a file.
            stdin.reconfigure(encoding=codec, newline="")
        try:
            yield stdin
        except UnicodeDecodeError:
            raise InvalidInput(f"standard input is not {encoding} text{hint}") from None
        return
    try:
        handle = path.open(encoding=codec, newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        try:
            yield handle
        except UnicodeDecodeError:
            raise InvalidInput(f"{path} is not {encoding.replace('utf-8', 'UTF-8')} text"
                               f"{hint}") from None


@contextmanager
def output_file(path: Path | None, *, newline: str | None = None) -> Iterator[TextIO]:
    """Where an export goes: stdout for None or '-', else ``path``, written whole or not at all.

    The file is written next to its final name with mode 0600 (exports hold client data)
    and renamed into place only when the command succeeds, so a failed export never leaves a
    truncated file behind, and an existing file keeps its old content until then. A symlink
    at ``path`` is replaced, never written through.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        return
    with _written_whole(path, "w", newline=newline) as handle:
        yield handle


@contextmanager
def binary_output_file(path: Path) -> Iterator[BinaryIO]:
    """``output_file`` for bytes (documents): stdout for '-', else written whole, 0600."""
    if str(path) == "-":
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with _written_whole(path, "wb") as handle:
        yield handle


@contextmanager
def _written_whole(path: Path, mode: str, *, newline: str | None = None) -> Iterator[Any]:
    target = path.expanduser()
    if target.is_dir() and not target.is_symlink():
        raise InvalidInput(f"--output {path} is a directory; give a file name")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        # O_EXCL and O_NOFOLLOW: never through a link someone left at the temporary name.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}") from None
    try:
        if "b" in mode:
            handle: Any = open(descriptor, mode)
        else:
            handle = open(descriptor, mode, encoding="utf-8", newline=newline)
        with handle:
            yield handle
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)  # replaces a symlink itself, not its target
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
