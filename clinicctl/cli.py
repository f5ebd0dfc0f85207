"""The root command: global options, the error handler, and the command groups.

Only typer, the standard library and small local modules are imported here: ``--help`` and
``--version`` must not pay for SQLAlchemy or Alembic (a test checks ``sys.modules``).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from clinicctl import __version__, output
from clinicctl.commands import setup as setup_commands
from clinicctl.commands._common import AppState
from clinicctl.errors import EXIT_CODE_HELP, ClinicError, ExitCode, did_you_mean

# "\b" keeps click from re-wrapping the lines of this paragraph.
EXIT_CODES_EPILOG = "\b\nExit codes:\n" + "\n".join(
    f"  {int(code)}  {text}" for code, text in EXIT_CODE_HELP.items()
)


class ClinicGroup(TyperGroup):
    """The root group: loads a command group's module only when it is asked for, and turns
    every ``ClinicError`` into ``Error: ...`` on stderr and its exit code."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in GROUPS if name not in
                                                self.commands)]

    def get_command(self, ctx: Any, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is None and name in GROUPS:
            command = load_group(name)
            self.add_command(command, name)  # built once per process
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:
            # Typer suggests among the groups built so far; every group counts (by name only:
            # none is loaded to suggest it).
            if _is_click_exception(exc) and args and not args[0].startswith("-"):
                hint = did_you_mean(args[0], self.list_commands(ctx))
                if hint:
                    exc.message = f"{exc.message.rstrip('.')}. {hint.capitalize()}"  # type: ignore[attr-defined]
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ClinicError as exc:
            report(exc)
            raise typer.Exit(int(exc.exit_code)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader went away (`clinicctl ... | head`): stop quietly, as a filter does.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(int(ExitCode.OK)) from None
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("CLINICCTL_DEBUG"):
                raise
            name = type(exc).__name__
            if _is_click_exception(exc):
                raise _one_line_usage_error(exc) from None
            print(f"Error: unexpected {name}; set CLINICCTL_DEBUG=1 for the traceback",
                  file=sys.stderr)
            raise typer.Exit(int(ExitCode.UNEXPECTED)) from None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, ctx, args))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except Exception as exc:
            if _is_click_exception(exc) and not os.environ.get("CLINICCTL_DEBUG"):
                raise _one_line_usage_error(exc) from None
            raise


def _options(command: Any) -> dict[str, bool]:
    """A command's option names (``--as``, ``-q``), each with whether it takes a value."""
    names: dict[str, bool] = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.is_eager:
            continue  # arguments, and --help/--version, which act before anything else
        for name in [*param.opts, *param.secondary_opts]:
            names[name] = not (param.is_flag or param.count)
    return names


def hoist_global_options(root_group: Any, ctx: Any, args: list[str]) -> list[str]:
    """Move the root's options (``--as``, ``--db``, ``--config``, ``-q``) that follow the
    command to before it, so ``clinicctl client share ... -q`` works as
    ``clinicctl -q client share ...``. An option the command itself defines (``demo --db``),
    the value of one of the command's options, and everything after ``--`` stay where they are.
    """
    root_options = _options(root_group)
    command_at = 0
    while command_at < len(args) and args[command_at].startswith("-") and \
            args[command_at] != "--":
        command_at += 2 if root_options.get(args[command_at], False) else 1  # "--as=x": 1
    path_end = command_at
    command: Any = root_group
    while path_end < len(args) and hasattr(command, "get_command"):
        sub = None if args[path_end].startswith("-") else command.get_command(ctx,
                                                                              args[path_end])
        # A group with a default command (`availability timeoff PROVIDER ...` is `... timeoff
        # add PROVIDER ...`) passes what is not a subcommand's name on to that command.
        default = getattr(command, "default_command", None)
        if sub is None and default is not None:
            command = command.get_command(ctx, default)
            continue
        if args[path_end].startswith("-"):
            return args  # an option of a group, or --help: nothing to move
        if sub is None:
            return args  # click reports the unknown command
        command = sub
        path_end += 1
    own = _options(command)
    moved: list[str] = []
    kept: list[str] = []
    index = path_end
    while index < len(args):
        token = args[index]
        if token == "--":
            kept += args[index:]
            break
        name = token.split("=", 1)[0] if token.startswith("--") else token
        is_global = name in root_options and name not in own
        options = root_options if is_global else own
        width = 2 if options.get(name, False) and name == token else 1
        if index + width > len(args) and is_global:
            raise _click_error("UsageError")(f"Option '{name}' requires an argument.", ctx)
        (moved if is_global else kept).extend(args[index:index + width])
        index += width
    return [*args[:command_at], *moved, *args[command_at:path_end], *kept]


def _click_error(name: str) -> Any:
    """One of click's exception classes (``ClickException``, ``UsageError``), found through
    Typer's public ``BadParameter``, which derives from both in every Typer: those that depend
    on click and those that vendor it as a private module, which this code must not import."""
    return next(base for base in typer.BadParameter.__mro__ if base.__name__ == name)


def _click_exception() -> type[Exception]:
    return _click_error("ClickException")  # type: ignore[no-any-return]


def _is_click_exception(exc: Exception) -> bool:
    return isinstance(exc, _click_exception())


def _one_line_usage_error(exc: Exception) -> Exception:
    """A bad option or argument as one ``Error: ...`` line, like every other error (rich's
    boxed usage error spans several lines). A bare group still shows its help."""
    if not isinstance(exc, _click_exception()):
        return exc
    ctx: Any = getattr(exc, "ctx", None)
    exit_code = int(getattr(exc, "exit_code", 2))
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        print(ctx.get_help())  # what the person asked for, on stdout, as --help does
        return typer.Exit(exit_code)
    text = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    # Typer 0.26+ checks choices with pydantic, whose wording leaks into the message.
    text = text.replace(": Value error, ", ": ")
    line = f"Error: {text}"
    choice = _NOT_A_CHOICE.search(text)
    if choice:
        hint = did_you_mean(choice["value"], re.findall(r"'([^']*)'", choice["choices"]))
        if hint:
            line += f" {hint.capitalize()}"
    if ctx is not None:
        line += f" (see `{ctx.command_path} --help`)"
    print(line, file=sys.stderr)
    return typer.Exit(exit_code)


# click's "'jsn' is not one of 'table', 'json', 'csv'." (every version clinicctl runs on).
_NOT_A_CHOICE = re.compile(r"'(?P<value>[^']*)' is not one of (?P<choices>'[^']*'(?:, '[^']*')*)")


def report(exc: ClinicError) -> None:
    line = f"Error: {exc.message}"
    if exc.hint:
        line += f" ({exc.hint})"
    print(line, file=sys.stderr)
    for detail in exc.details:
        print(f"  {detail}", file=sys.stderr)


def _version(value: bool) -> None:
    if value:
        print(f"clinicctl {__version__}")
        raise typer.Exit(int(ExitCode.OK))


def root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL", help="Database URL [env CLINICCTL_DB].", show_default=False,
    )] = None,
    config: Annotated[str | None, typer.Option(
        "--config", metavar="PATH", help="Config file [env CLINICCTL_CONFIG].",
    )] = None,
    actor: Annotated[str | None, typer.Option(
        "--as", metavar="STAFF", help="Act as this staff member: email, #ID or full name "
        "[env CLINICCTL_ACTOR].",
    )] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only data and errors: no status lines or progress bars "
        "(warnings still show) [env CLINICCTL_QUIET].",
    )] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.",
    )] = False,
) -> None:
    """Administer a group therapy practice from the shell and from scripts."""
    # Set on every run, not only when asked: the test runner reuses this process.
    output.set_quiet(quiet or _truthy(os.environ.get("CLINICCTL_QUIET")))
    ctx.obj = AppState(flags={"db": db, "actor": actor}, config_path=config)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


# The command groups, in the order of --help: name -> the module whose ``app`` it is. A group's
# module is imported only when the group is run (or listed by --help), so a data command run
# from a script pays for its own group only.
GROUPS = {
    "db": "clinicctl.commands.db",
    "config": "clinicctl.commands.config",
    "staff": "clinicctl.commands.staff",
    "client": "clinicctl.commands.client",
    "note": "clinicctl.commands.note",
    "doc": "clinicctl.commands.doc",
    "location": "clinicctl.commands.location",
    "service": "clinicctl.commands.service",
    "availability": "clinicctl.commands.availability",
    "appointment": "clinicctl.commands.appointment",
    "group": "clinicctl.commands.group",
    "audit": "clinicctl.commands.audit",
    "import": "clinicctl.commands.import_",
    "export": "clinicctl.commands.export",
    "completion": "clinicctl.commands.completion",
}


def load_group(name: str) -> Any:
    """The click group of one command group, built from its module's Typer ``app``."""
    group = typer.main.get_group(importlib.import_module(GROUPS[name]).app)
    group.name = name
    return group


def build_app() -> typer.Typer:
    """The root app: the global options, the setup commands, and every command group (loaded
    lazily by ``ClinicGroup``)."""
    app = typer.Typer(
        cls=ClinicGroup,
        name="clinicctl",
        help="Administer a group therapy practice: share clients between providers without "
        "sharing chart notes, manage staff, clients, notes and the audit trail.",
        epilog=EXIT_CODES_EPILOG,
        no_args_is_help=True,
        rich_markup_mode=None,  # plain help: no rich tables loaded, brackets printed as written
        pretty_exceptions_show_locals=False,
        add_completion=False,
        suggest_commands=False,  # ClinicGroup suggests among every group, loaded or not
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    setup_commands.register(app)
    return app


app = build_app()


def main() -> None:
    # Tab pressed in a shell that loaded `clinicctl completion SHELL`: its answer comes from
    # Typer's completion classes (registered here, in that process only).
    if os.environ.get("_CLINICCTL_COMPLETE"):
        from clinicctl.commands.completion import register_shells

        register_shells()
    app(prog_name="clinicctl")
