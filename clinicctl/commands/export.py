"""``clinicctl export``: CSV or JSON (never chart notes or documents), and a provider's
calendar as iCalendar."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from clinicctl.commands._common import (
    command_group,
    output_file,
    output_format,
    session,
)
from clinicctl.output import message

app = command_group(
    help="Export data as CSV or JSON (never chart notes or documents), a provider's "
    "calendar as iCalendar, and the practice as a FHIR R4 bundle.")


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


ExportFormatOption = Annotated[ExportFormat | None, typer.Option(
    "--format", "-o", case_sensitive=False, show_default=False,
    help="csv (default) or json [env CLINICCTL_FORMAT, config format, when csv or json].")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", metavar="FILE", help="Write to FILE (created with mode 0600) instead of "
    "stdout ('-' for stdout).")]
ProviderFilter = Annotated[str | None, typer.Option(
    "--provider", help="Only this provider's (email, #ID or name).")]
FromFilter = Annotated[str | None, typer.Option("--from", help="From this day (YYYY-MM-DD).")]
ToFilter = Annotated[str | None, typer.Option("--to", help="To this day, inclusive.")]


@app.command("calendar")
def calendar(
    ctx: typer.Context,
    provider: Annotated[str, typer.Option("--provider", help="Provider: email, #ID or name.")],
    output: Annotated[Path, typer.Option("--output", help="The .ics file ('-' for stdout).")],
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
) -> None:
    """A provider's appointments as an iCalendar (.ics) file with generic titles.

    Each appointment starting in the window (any status; cancelled ones marked
    CANCELLED) is a "Client session" event with its time and location, never
    the client's name or details. UIDs are stable: a later export updates the
    same events.

    Example: clinicctl export calendar --provider "Ana Ruiz" --output ana.ics
    """
    from clinicctl.scheduling.calendar import export_calendar

    # The file is opened (and an unwritable --output refused) before the database is touched,
    # and filled only after the export's audit event is committed.
    with output_file(output, newline="") as handle:
        with session(ctx) as (db, actor):
            result = export_calendar(db, actor, provider, start=from_, end=to)
        handle.write(result.ics.decode("utf-8"))
    where = "standard output" if str(output) == "-" else str(output)
    noun = "appointment" if result.events == 1 else "appointments"
    message(f"Wrote {result.events} {noun} of {result.provider} to {where}.")


# --- export -------------------------------------------------------------------------------

def _export(ctx: typer.Context, kind: str, fmt: ExportFormat | None, output: Path | None,
            *, provider: str | None = None, first_day: str | None = None,
            last_day: str | None = None) -> None:
    from clinicctl.exchange import exports
    from clinicctl.exchange.csvio import write_csv_stream, write_json_stream

    # The setting (flag > CLINICCTL_FORMAT > config file) applies when it is a file format.
    chosen = fmt.value if fmt is not None else output_format(ctx, None)
    write = write_json_stream if chosen == "json" else write_csv_stream
    with session(ctx) as (db, actor):
        result = exports.export(db, actor, kind, provider_ref=provider, first_day=first_day,
                                 last_day=last_day)
        with output_file(output, newline="") as out:
            count = write(result.rows, result.columns, out)
    if output is not None and str(output) != "-":
        message(f"Exported {count} row{'s' if count != 1 else ''} of {kind} to {output}.")


@app.command("staff")
def export_staff(ctx: typer.Context, fmt: ExportFormatOption = None,
                 output: OutputOption = None) -> None:
    """Staff and their roles. Example: clinicctl export staff --output staff.csv"""
    _export(ctx, "staff", fmt, output)


@app.command("locations")
def export_locations(ctx: typer.Context, fmt: ExportFormatOption = None,
                     output: OutputOption = None) -> None:
    """Locations and their place-of-service codes.

    Example: clinicctl export locations --output locations.csv
    """
    _export(ctx, "locations", fmt, output)


@app.command("services")
def export_services(ctx: typer.Context, fmt: ExportFormatOption = None,
                    output: OutputOption = None) -> None:
    """Service codes (CPT) and their minutes.

    Example: clinicctl export services --output services.csv
    """
    _export(ctx, "services", fmt, output)


@app.command("clients")
def export_clients(ctx: typer.Context, provider: ProviderFilter = None,
                   fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Client demographics (no chart notes, no documents).

    Example: clinicctl export clients --provider "Ana Ruiz" --output clients.csv
    """
    _export(ctx, "clients", fmt, output, provider=provider)


@app.command("assignments")
def export_assignments(ctx: typer.Context, provider: ProviderFilter = None,
                       fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Which provider has which client, with status and diagnosis.

    Example: clinicctl export assignments --output assignments.csv
    """
    _export(ctx, "assignments", fmt, output, provider=provider)


@app.command("availability")
def export_availability(ctx: typer.Context, provider: ProviderFilter = None,
                        fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Providers' weekly availability blocks (the columns of `availability list`).

    Example: clinicctl export availability --output availability.csv
    """
    _export(ctx, "availability", fmt, output, provider=provider)


@app.command("timeoff")
def export_time_off(ctx: typer.Context, provider: ProviderFilter = None,
                    from_: FromFilter = None, to: ToFilter = None,
                    fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Providers' time off (the columns of `availability timeoff list`), earliest first;
    --from/--to keep the time off that touches those days.

    Example: clinicctl export timeoff --from 2026-12-01 --output timeoff.csv
    """
    _export(ctx, "timeoff", fmt, output, provider=provider, first_day=from_, last_day=to)


@app.command("appointments")
def export_appointments(ctx: typer.Context, provider: ProviderFilter = None,
                        from_: FromFilter = None, to: ToFilter = None,
                        fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Appointments, by start day in the practice's time zone.

    Example: clinicctl export appointments --from 2026-12-01 --to 2026-12-31 --output dec.csv
    """
    _export(ctx, "appointments", fmt, output, provider=provider, first_day=from_, last_day=to)


@app.command("shares")
def export_shares(ctx: typer.Context, provider: ProviderFilter = None,
                  fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """Chart shares, active and ended (who may read whose notes, since when).

    Example: clinicctl export shares --provider "Sam Okafor" -o json
    """
    _export(ctx, "shares", fmt, output, provider=provider)


@app.command("audit")
def export_audit(ctx: typer.Context, from_: FromFilter = None, to: ToFilter = None,
                 fmt: ExportFormatOption = None, output: OutputOption = None) -> None:
    """The audit trail (ids and actions, no PHI).

    Example: clinicctl export audit --from 2026-11-01 --output audit.csv
    """
    _export(ctx, "audit", fmt, output, first_day=from_, last_day=to)


@app.command("fhir")
def export_fhir(ctx: typer.Context, provider: ProviderFilter = None,
                from_: Annotated[str | None, typer.Option(
                    "--from", help="Appointments from this day (YYYY-MM-DD).")] = None,
                to: Annotated[str | None, typer.Option(
                    "--to", help="Appointments to this day, inclusive.")] = None,
                output: OutputOption = None) -> None:
    """The practice as a FHIR R4 Bundle (JSON): Organization, Practitioner and
    PractitionerRole per provider, Patient and CareTeam per client, Consent per active
    chart share, Appointment per appointment starting in --from/--to.

    Never chart notes or documents. Resource ids are stable across exports (patient-12).

    Example: clinicctl export fhir --from 2026-12-01 --to 2026-12-31 --output practice.json
    """
    from clinicctl.exchange.fhir_bundle import export_fhir as build

    with output_file(output) as out:
        with session(ctx) as (db, actor):
            result = build(db, actor, provider_ref=provider, first_day=from_, last_day=to)
        out.write(result.json)
    if output is not None and str(output) != "-":
        total = sum(result.counts.values())
        message(f"Exported {total} FHIR resource{'s' if total != 1 else ''} to {output}.")
