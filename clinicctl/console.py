"""The ``clinicctl`` console script.

``clinicctl --version`` is answered here, before the command-line app (Typer, click and
the command modules) is imported: scripts and installers call it to check what is there,
and it should cost no more than starting Python.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from clinicctl import __version__

        print(f"clinicctl {__version__}")
        return
    from clinicctl.cli import main as run

    run()
