"""``clinicctl import``: CSV files from spreadsheets and other systems, all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clinicctl.commands._common import (
    DryRunOption,
    ForceOption,
    FormatOption,
    command_group,
    open_csv,
    output_format,
    report_change,
    session,
)
from clinicctl.output import OutputFormat, render_object, warning

app = command_group(
    help="Import staff, locations, services, clients, availability, assignments, "
    "appointments and time off from CSV (in that order for a whole practice), all or nothing. "
    "The columns are those of the matching export; re-importing a file changes nothing.")

FileArg = Annotated[Path, typer.Argument(
    metavar="FILE", allow_dash=True, help="CSV file, UTF-8 with or without a BOM ('-' for "
    "stdin).", show_default=False)]


# --- import -------------------------------------------------------------------------------

def _import(ctx: typer.Context, kind: str, path: Path, dry_run: bool,
            fmt: OutputFormat | None, *, force: bool = False) -> None:
    from clinicctl.exchange import imports
    from clinicctl.exchange.csvio import read_rows
    from clinicctl.progress import progress

    with (open_csv(path) as handle, session(ctx, dry_run=dry_run) as (db, actor),
          progress(f"Importing {kind}") as advance):
        rows = read_rows(handle, required=imports.REQUIRED[kind],
                         optional=imports.OPTIONAL[kind])
        summary = imports.import_rows(db, actor, kind, rows, advance=advance, force=force)
    counts = summary.as_dict()
    render_object(counts, [(key, key.replace("_", " ").capitalize()) for key in counts],
                  output_format(ctx, fmt))
    report_change(f"Imported {kind}: {summary.created} created, {summary.updated} updated, "
                  f"{summary.unchanged} unchanged.", dry_run=dry_run)
    for alert in summary.alerts:  # --quiet never hides them
        warning(alert)


@app.command("staff")
def import_staff(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                 fmt: FormatOption = None) -> None:
    """Staff: email, name, credentials, roles (separated by ';'), records_owner, active.

    Matched on email. A listed role set replaces the member's roles; active=false
    deactivates. Example: clinicctl import staff staff.csv --dry-run
    """
    _import(ctx, "staff", file, dry_run, fmt)


@app.command("locations")
def import_locations(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                     fmt: FormatOption = None) -> None:
    """Locations: name, pos (the default place-of-service code). Matched on name.

    Another pos updates the location, as `location edit --pos` does.
    Example: clinicctl import locations locations.csv
    """
    _import(ctx, "locations", file, dry_run, fmt)


@app.command("services")
def import_services(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                    fmt: FormatOption = None) -> None:
    """Service codes: code, name, minutes. Matched on code; another name or length
    updates the code, as `service edit` does. Example: clinicctl import services services.csv
    """
    _import(ctx, "services", file, dry_run, fmt)


@app.command("clients")
def import_clients(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                   fmt: FormatOption = None) -> None:
    """Clients: first_name, last_name, dob required; external_id, preferred_name, sex,
    email, phone, address optional.

    Matched on external_id, else on name and date of birth. An empty cell clears that
    detail; an external id is never cleared. Example: clinicctl import clients clients.csv
    """
    _import(ctx, "clients", file, dry_run, fmt)


@app.command("availability")
def import_availability(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                        fmt: FormatOption = None) -> None:
    """Weekly availability: provider_email (or provider), weekdays (mon;wed or mon,wed),
    start_time, end_time; location, session_minutes, break_minutes, effective_from,
    effective_until optional (the columns of `export availability`).

    Matched on provider, weekdays, hours and effective_from; a block that overlaps another
    of the provider's is refused. Example: clinicctl import availability availability.csv
    """
    _import(ctx, "availability", file, dry_run, fmt)


@app.command("assignments")
def import_assignments(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                       fmt: FormatOption = None) -> None:
    """Clients in providers' lists: the client (client_external_id, or client_first_name,
    client_last_name and client_dob), provider; status, diagnosis, origin optional.

    Gives demographics only, never a chart share. Matched on client and provider.
    Example: clinicctl import assignments assignments.csv
    """
    _import(ctx, "assignments", file, dry_run, fmt)


@app.command("timeoff")
def import_time_off(ctx: typer.Context, file: FileArg, force: ForceOption = False,
                    dry_run: DryRunOption = False, fmt: FormatOption = None) -> None:
    """Time off: provider_email (or provider), start, end; reason optional. The columns of
    `export timeoff`; a date alone is the whole day (end included).

    Matched on provider and start. Time off over booked appointments is refused (exit 5)
    unless --force, which imports it and names each appointment on stderr.
    Example: clinicctl import timeoff timeoff.csv
    """
    _import(ctx, "timeoff", file, dry_run, fmt, force=force)


@app.command("appointments")
def import_appointments(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                        fmt: FormatOption = None) -> None:
    """Appointments: the client (as for assignments), provider, start; end, status, service,
    pos, location, series_id, cancellation_reason, outside_availability optional.

    Matched on provider and start. A future scheduled appointment gets every check a
    booking gets (no overlap, time off, availability unless outside_availability=true);
    past ones must not overlap. A client new to a provider, or reactivated in their list,
    gets the alert `appointment book` prints, and the summary counts them (new_to_provider,
    reactivated). Example: clinicctl import appointments appointments.csv
    """
    _import(ctx, "appointments", file, dry_run, fmt)


