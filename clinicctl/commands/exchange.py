"""``import`` and ``export``: CSV and JSON exchange with spreadsheets and other systems."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clinicctl.commands import calendar as calendar_commands
from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    open_csv,
    output_file,
    output_format,
    report_change,
    session,
)
from clinicctl.output import OutputFormat, message, render_object, warning

import_app = command_group(
    help="Import staff, locations, services, clients, availability, assignments and "
    "appointments from CSV (in that order for a whole practice), all or nothing. The columns "
    "are those of the matching export; re-importing a file changes nothing.")
export_app = command_group(
    help="Export data as CSV or JSON (never chart notes or documents), and a provider's "
    "calendar as iCalendar.")
export_app.command("calendar")(calendar_commands.calendar)


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


FileArg = Annotated[Path, typer.Argument(
    metavar="FILE", allow_dash=True, help="CSV file, UTF-8 with or without a BOM ('-' for "
    "stdin).", show_default=False)]
ExportFormatOption = Annotated[ExportFormat | None, typer.Option(
    "--format", "-o", case_sensitive=False, show_default=False,
    help="csv (default) or json [env CLINICCTL_FORMAT, config format, when csv or json].")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", metavar="FILE", help="Write to FILE (created with mode 0600) instead of "
    "stdout.")]
ProviderFilter = Annotated[str | None, typer.Option(
    "--provider", help="Only this provider's (email, #ID or name).")]
FromFilter = Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")]
ToFilter = Annotated[str | None, typer.Option("--to", help="To this day, inclusive.")]


# --- import -------------------------------------------------------------------------------

def _import(ctx: typer.Context, kind: str, path: Path, dry_run: bool,
            fmt: OutputFormat | None) -> None:
    from clinicctl.exchange import imports
    from clinicctl.exchange.csvio import read_rows
    from clinicctl.progress import progress

    with (open_csv(path) as handle, session(ctx, dry_run=dry_run) as (db, actor),
          progress(f"Importing {kind}") as advance):
        rows = read_rows(handle, required=imports.REQUIRED[kind],
                         optional=imports.OPTIONAL[kind])
        summary = imports.import_rows(db, actor, kind, rows, advance=advance)
    render_object(summary.as_dict(), [("created", "Created"), ("updated", "Updated"),
                                      ("unchanged", "Unchanged")], output_format(ctx, fmt))
    report_change(f"Imported {kind}: {summary.created} created, {summary.updated} updated, "
                  f"{summary.unchanged} unchanged.", dry_run=dry_run)
    for alert in summary.alerts:
        warning(f"Alert: {alert}.")


@import_app.command("staff")
def import_staff(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                 fmt: FormatOption = None) -> None:
    """Staff: email, name, credentials, roles (separated by ';'), records_owner, active.

    Matched on email. A listed role set replaces the member's roles; active=false
    deactivates. Example: clinicctl import staff staff.csv --dry-run
    """
    _import(ctx, "staff", file, dry_run, fmt)


@import_app.command("locations")
def import_locations(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                     fmt: FormatOption = None) -> None:
    """Locations: name, pos (the default place-of-service code). Matched on name.

    Example: clinicctl import locations locations.csv
    """
    _import(ctx, "locations", file, dry_run, fmt)


@import_app.command("services")
def import_services(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                    fmt: FormatOption = None) -> None:
    """Service codes: code, name, minutes. Matched on code; a code that exists with another
    name or length is refused. Example: clinicctl import services services.csv
    """
    _import(ctx, "services", file, dry_run, fmt)


@import_app.command("clients")
def import_clients(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                   fmt: FormatOption = None) -> None:
    """Clients: first_name, last_name, dob required; external_id, preferred_name, sex,
    email, phone, address optional.

    Matched on external_id, else on name and date of birth. An empty cell clears that
    detail; an external id is never cleared. Example: clinicctl import clients clients.csv
    """
    _import(ctx, "clients", file, dry_run, fmt)


@import_app.command("availability")
def import_availability(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                        fmt: FormatOption = None) -> None:
    """Weekly availability: provider, weekdays (mon,wed), start_time, end_time; location,
    session_minutes, break_minutes, effective_from, effective_until optional.

    Matched on provider, weekdays, hours and effective_from.
    Example: clinicctl import availability availability.csv
    """
    _import(ctx, "availability", file, dry_run, fmt)


@import_app.command("assignments")
def import_assignments(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                       fmt: FormatOption = None) -> None:
    """Clients in providers' lists: the client (client_external_id, or client_first_name,
    client_last_name and client_dob), provider; status, diagnosis, origin optional.

    Gives demographics only, never a chart share. Matched on client and provider.
    Example: clinicctl import assignments assignments.csv
    """
    _import(ctx, "assignments", file, dry_run, fmt)


@import_app.command("appointments")
def import_appointments(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                        fmt: FormatOption = None) -> None:
    """Appointments: the client (as for assignments), provider, start; end, status, service,
    pos, location, series_id, cancellation_reason, outside_availability optional.

    Matched on provider and start. A future scheduled appointment gets every check a
    booking gets (no overlap, time off, availability unless outside_availability=true);
    past ones must not overlap. Example: clinicctl import appointments appointments.csv
    """
    _import(ctx, "appointments", file, dry_run, fmt)


# --- export -------------------------------------------------------------------------------

def _export(ctx: typer.Context, kind: str, fmt: ExportFormat | None, output: Path | None,
            *, provider: str | None = None, first_day: str | None = None,
            last_day: str | None = None) -> None:
    from clinicctl.exchange import exports as exchange
    from clinicctl.exchange.csvio import write_csv_stream, write_json_stream

    # The setting (flag > CLINICCTL_FORMAT > config file) applies when it is a file format.
    chosen = fmt.value if fmt is not None else output_format(ctx, None)
    write = write_json_stream if chosen == "json" else write_csv_stream
    with session(ctx) as (db, actor):
        result = exchange.export(db, actor, kind, provider_ref=provider, first_day=first_day,
                                 last_day=last_day)
        with output_file(output, newline="") as out:
            count = write(result.rows, result.columns, out)
    if output is not None and str(output) != "-":
        message(f"Exported {count} row{'s' if count != 1 else ''} of {kind} to {output}.")


@export_app.command("staff")
def export_staff(ctx: typer.Context, fmt: ExportFormatOption = None,
                 output: OutputOption = None) -> None:
    """Staff and their roles. Example: clinicctl export staff --output staff.csv"""
    _export(ctx, "staff", fmt, output)


@export_app.command("locations")
def export_locations(ctx: typer.Context, fmt: ExportFormatOption = None,
                     output: OutputOption = None) -> None:
    """Locations and their place-of-service codes.

    Example: clinicctl export locations --output locations.csv
    """
    _export(ctx, "locations", fmt, output)


@export_app.command("services")
def export_services(ctx: typer.Context, fmt: ExportFormatOption = None,
                    output: OutputOption = None) -> None:
    """Service codes (CPT) and their minutes.

    Example: clinicctl export services --output services.csv
    """
    _export(ctx, "services", fmt, output)


@export_app.command("clients")
def export_clients(ctx: typer.Context, provider: ProviderFilter = None,
                   fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Client demographics (no chart notes, no documents).

    Example: clinicctl export clients --provider "Ana Ruiz" --output clients.csv
    """
    _export(ctx, "clients", fmt, output, provider=provider)


@export_app.command("assignments")
def export_assignments(ctx: typer.Context, provider: ProviderFilter = None,
                       fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Which provider has which client, with status and diagnosis.

    Example: clinicctl export assignments --output assignments.csv
    """
    _export(ctx, "assignments", fmt, output, provider=provider)


@export_app.command("availability")
def export_availability(ctx: typer.Context, provider: ProviderFilter = None,
                        fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Providers' weekly availability blocks.

    Example: clinicctl export availability --output availability.csv
    """
    _export(ctx, "availability", fmt, output, provider=provider)


@export_app.command("appointments")
def export_appointments(ctx: typer.Context, provider: ProviderFilter = None,
                        from_: FromFilter = None, to: ToFilter = None,
                        fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Appointments, by start day in the practice's time zone.

    Example: clinicctl export appointments --from 2026-12-01 --to 2026-12-31 --output dec.csv
    """
    _export(ctx, "appointments", fmt, output, provider=provider, first_day=from_, last_day=to)


@export_app.command("shares")
def export_shares(ctx: typer.Context, provider: ProviderFilter = None,
                  fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Chart shares, active and ended (who may read whose notes, since when).

    Example: clinicctl export shares --provider "Sam Okafor" -o json
    """
    _export(ctx, "shares", fmt, output, provider=provider)


@export_app.command("audit")
def export_audit(ctx: typer.Context, from_: FromFilter = None, to: ToFilter = None,
                 fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """The audit trail (ids and actions, no PHI).

    Example: clinicctl export audit --from 2026-11-01 --output audit.csv
    """
    _export(ctx, "audit", fmt, output, first_day=from_, last_day=to)
