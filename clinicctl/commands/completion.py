"""``clinicctl completion``: the shell completion scripts.

Each script calls ``clinicctl`` back with ``_CLINICCTL_COMPLETE`` set whenever Tab is
pressed; ``cli.main`` then answers through Typer's completion (click's machinery) before any
command runs. What it completes is fixed: the command names, their options, and the values of
options with a fixed set of choices (formats, statuses, roles, ...). It never opens the
database, so it never completes a client's or anyone's name.
"""

from __future__ import annotations

from clinicctl.commands._common import command_group

PROG_NAME = "clinicctl"
COMPLETE_VAR = "_CLINICCTL_COMPLETE"

app = command_group(
    help="Print a shell completion script: commands, options and their fixed choices "
    "(never names from the database).")


def _script(shell: str) -> None:
    from typer.completion import get_completion_script

    print(get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell))


@app.command()
def bash() -> None:
    """Print the bash completion script (bash 4.4 or later).

    Load it in every new shell from ~/.bashrc:
    eval "$(clinicctl completion bash)"
    Example: clinicctl completion bash > ~/.local/share/bash-completion/completions/clinicctl
    """
    _script("bash")


@app.command()
def zsh() -> None:
    """Print the zsh completion script.

    Load it in every new shell from ~/.zshrc, after compinit:
    eval "$(clinicctl completion zsh)"
    Example: clinicctl completion zsh > "${fpath[1]}/_clinicctl"
    """
    _script("zsh")


@app.command()
def fish() -> None:
    """Print the fish completion script.

    Example: clinicctl completion fish > ~/.config/fish/completions/clinicctl.fish
    """
    _script("fish")


def register_shells() -> None:
    """Answer a completion request (``_CLINICCTL_COMPLETE=complete_bash`` and so on) with
    Typer's classes, the ones its scripts are written for; click's own expect other scripts."""
    from typer.completion import completion_init

    completion_init()

