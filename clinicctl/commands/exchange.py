"""``import`` and ``export``: CSV and JSON exchange with spreadsheets and other systems."""

from __future__ import annotations

import typer

from clinicctl.commands import calendar as calendar_commands

import_app = typer.Typer(help="Import staff, clients, availability, assignments and "
                         "appointments from CSV, all or nothing.", no_args_is_help=True)
export_app = typer.Typer(help="Export data as CSV or JSON, and calendars as iCalendar.",
                         no_args_is_help=True)
export_app.command("calendar")(calendar_commands.calendar)
