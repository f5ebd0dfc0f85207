"""``export calendar``: a provider's appointments as an iCalendar file (being written)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def calendar(
    ctx: typer.Context,
    provider: Annotated[str, typer.Option("--provider", help="Provider: email, #ID or name.")],
    output: Annotated[Path, typer.Option("--output", help="The .ics file ('-' for stdout).")],
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
) -> None:
    """A provider's appointments as an iCalendar (.ics) file with generic titles."""
    raise NotImplementedError
