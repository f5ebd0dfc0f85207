"""``clinicctl import``: CSV files from spreadsheets and other systems, all rows or none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from clinicctl.choices import PRESETS, completer
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
from clinicctl.output import OutputFormat, message, render_object, warning

app = command_group(
    help="Import staff, locations, services, clients, availability, assignments, "
    "appointments and time off from CSV (in that order for a whole practice), all or nothing. "
    "The columns are those of the matching export; re-importing a file changes nothing.")

FileArg = Annotated[Path, typer.Argument(
    metavar="FILE", allow_dash=True, help="CSV file, UTF-8 with or without a BOM unless "
    "--encoding says otherwise ('-' for stdin).", show_default=False)]


MapOption = Annotated[list[str] | None, typer.Option(
    "--map", metavar="'HEADER=column'", help="The column a header of the file stands for "
    "(repeatable); headers already match ignoring case, spaces and punctuation.",
    show_default=False)]
MappingOption = Annotated[Path | None, typer.Option(
    "--mapping", metavar="FILE.toml", help="A [columns] table of header = column, and "
    "optional date_format, encoding and delimiter keys; options given beside it win.",
    show_default=False)]
EncodingOption = Annotated[str | None, typer.Option(
    "--encoding", metavar="utf-8|cp1252|latin-1", help="The file's text encoding "
    "(default utf-8).", show_default=False)]
DelimiterOption = Annotated[str | None, typer.Option(
    "--delimiter", metavar="CHAR", help="The cell separator: , ; | or tab (default: found "
    "from the file).", show_default=False)]
DateFormatOption = Annotated[str | None, typer.Option(
    "--date-format", metavar="FORMAT", help="The strptime format of the date columns, e.g. "
    "'%m/%d/%Y' or '%d.%m.%Y' (default YYYY-MM-DD).", show_default=False)]
PresetOption = Annotated[str | None, typer.Option(
    "--preset", metavar="|".join(PRESETS), help="Another system's export: its header "
    "names, date format and values (see docs/exchange.md); the options above win over it.",
    show_default=False, autocompletion=completer(PRESETS))]
IgnoreUnknownOption = Annotated[bool, typer.Option(
    "--ignore-unknown", help="Leave out the columns neither clinicctl nor the preset knows "
    "(named on stderr) instead of refusing the file.")]


@dataclass
class FileOptions:
    """How the file is laid out, as the options say."""

    maps: list[str] | None = None
    mapping: Path | None = None
    encoding: str | None = None
    delimiter: str | None = None
    date_format: str | None = None
    preset: str | None = None
    ignore_unknown: bool = False


# --- import -------------------------------------------------------------------------------

def _import(ctx: typer.Context, kind: str, path: Path, dry_run: bool,
            fmt: OutputFormat | None, options: FileOptions, *, force: bool = False) -> None:
    from clinicctl.exchange import file_format, imports, presets
    from clinicctl.exchange.csvio import read_rows
    from clinicctl.progress import progress

    # A preset, then a mapping file on top, then the options on top of both.
    layout = (presets.preset_format(options.preset, kind) if options.preset
              else file_format.FileFormat())
    if options.mapping:
        mapping = file_format.load_mapping(options.mapping)
        layout = layout.with_options(encoding=mapping.encoding, delimiter=mapping.delimiter,
                                     date_format=mapping.date_format, columns=mapping.columns)
    layout = layout.with_options(
        encoding=file_format.check_encoding(options.encoding) if options.encoding else None,
        delimiter=file_format.check_delimiter(options.delimiter) if options.delimiter else None,
        date_format=(file_format.check_date_format(options.date_format)
                     if options.date_format else None),
        columns=file_format.parse_maps(options.maps or []),
        ignore_unknown=options.ignore_unknown)
    with (open_csv(path, layout.encoding) as handle,
          session(ctx, dry_run=dry_run) as (db, actor),
          progress(f"Importing {kind}") as advance):
        rows = read_rows(handle, required=imports.REQUIRED[kind],
                         optional=imports.OPTIONAL[kind], file_format=layout)
        summary = imports.import_rows(db, actor, kind, rows, advance=advance, force=force,
                                      date_format=layout.date_format, values=layout.values)
    counts: dict[str, Any] = dict(summary.as_dict())
    fmt_ = output_format(ctx, fmt)
    if fmt_ != "json" and "ignored_columns" in counts:
        counts["ignored_columns"] = len(summary.ignored_columns)  # named on stderr below
    render_object(counts, [(key, key.replace("_", " ").capitalize()) for key in counts], fmt_)
    merged = (f" {summary.duplicates_merged} duplicate rows merged."
              if summary.duplicates_merged else "")
    report_change(f"Imported {kind}: {summary.created} created, {summary.updated} updated, "
                  f"{summary.unchanged} unchanged.{merged}", dry_run=dry_run)
    ignored = summary.ignored_columns
    if ignored:
        message(f"Ignored {len(ignored)} column{'s' if len(ignored) > 1 else ''} clinicctl "
                f"does not keep: {', '.join(ignored)}.")
    for column, (count, sources) in rows.passed_over.items():  # values not imported
        warning(f"{count} row{'s' if count > 1 else ''} had more than one of "
                f"{', '.join(sources)}: {column} took the first; the others were not imported.")
    for alert in summary.alerts:  # --quiet never hides them
        warning(alert)


@app.command("staff")
def import_staff(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                 fmt: FormatOption = None, maps: MapOption = None,
                 mapping: MappingOption = None, encoding: EncodingOption = None,
                 delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                 preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                 ) -> None:
    """Staff: email, name, credentials, roles (separated by ';'), records_owner, active.

    Matched on email. A listed role set replaces the member's roles; active=false
    deactivates. Example: clinicctl import staff staff.csv --dry-run
    """
    _import(ctx, "staff", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


@app.command("locations")
def import_locations(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                     fmt: FormatOption = None, maps: MapOption = None,
                     mapping: MappingOption = None, encoding: EncodingOption = None,
                     delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                     preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                     ) -> None:
    """Locations: name, pos (the default place-of-service code). Matched on name.

    Another pos updates the location, as `location edit --pos` does.
    Example: clinicctl import locations locations.csv
    """
    _import(ctx, "locations", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


@app.command("services")
def import_services(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                    fmt: FormatOption = None, maps: MapOption = None,
                    mapping: MappingOption = None, encoding: EncodingOption = None,
                    delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                    preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                    ) -> None:
    """Service codes: code, name, minutes. Matched on code; another name or length
    updates the code, as `service edit` does. Example: clinicctl import services services.csv
    """
    _import(ctx, "services", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


@app.command("clients")
def import_clients(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                   fmt: FormatOption = None, maps: MapOption = None,
                   mapping: MappingOption = None, encoding: EncodingOption = None,
                   delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                   preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                   ) -> None:
    """Clients: first_name, last_name, dob required; external_id, preferred_name, sex,
    email, phone, address optional.

    Matched on external_id, else on name and date of birth. An empty cell clears that
    detail; an external id is never cleared. Example: clinicctl import clients clients.csv
    """
    _import(ctx, "clients", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


@app.command("availability")
def import_availability(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                        fmt: FormatOption = None, maps: MapOption = None,
                        mapping: MappingOption = None, encoding: EncodingOption = None,
                        delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                        preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                        ) -> None:
    """Weekly availability: provider_email (or provider), weekdays (mon;wed or mon,wed),
    start_time, end_time; location, session_minutes, break_minutes, effective_from,
    effective_until optional (the columns of `export availability`).

    Matched on provider, weekdays, hours and effective_from; a block that overlaps another
    of the provider's is refused. Example: clinicctl import availability availability.csv
    """
    _import(ctx, "availability", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


@app.command("assignments")
def import_assignments(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                       fmt: FormatOption = None, maps: MapOption = None,
                       mapping: MappingOption = None, encoding: EncodingOption = None,
                       delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                       preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                       ) -> None:
    """Clients in providers' lists: the client (client_external_id, or client_first_name,
    client_last_name and client_dob), provider; status, diagnosis, origin optional.

    Gives demographics only, never a chart share. Matched on client and provider.
    Example: clinicctl import assignments assignments.csv
    """
    _import(ctx, "assignments", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


@app.command("timeoff")
def import_time_off(ctx: typer.Context, file: FileArg, force: ForceOption = False,
                    dry_run: DryRunOption = False, fmt: FormatOption = None,
                    maps: MapOption = None, mapping: MappingOption = None,
                    encoding: EncodingOption = None, delimiter: DelimiterOption = None,
                    date_format: DateFormatOption = None,
                    preset: PresetOption = None,
                    ignore_unknown: IgnoreUnknownOption = False) -> None:
    """Time off: provider_email (or provider), start, end; reason optional. The columns of
    `export timeoff`; a date alone is the whole day (end included).

    Matched on provider and start. Time off over booked appointments is refused (exit 5)
    unless --force, which imports it and names each appointment on stderr.
    Example: clinicctl import timeoff timeoff.csv
    """
    _import(ctx, "timeoff", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown), force=force)


@app.command("appointments")
def import_appointments(ctx: typer.Context, file: FileArg, dry_run: DryRunOption = False,
                        fmt: FormatOption = None, maps: MapOption = None,
                        mapping: MappingOption = None, encoding: EncodingOption = None,
                        delimiter: DelimiterOption = None, date_format: DateFormatOption = None,
                        preset: PresetOption = None, ignore_unknown: IgnoreUnknownOption = False
                        ) -> None:
    """Appointments: the client (as for assignments) or clients, provider, start; end,
    status, service, pos, location, series_id, cancellation_reason, outside_availability
    optional.

    clients books a session of several clients in one row (references separated by ';',
    the first client first). Matched on provider and start. A future scheduled
    appointment gets every check a booking gets (no overlap, time off, availability unless
    outside_availability=true); past ones must not overlap; each client of a session is
    checked. A client new to a provider, or reactivated in their list, gets the alert
    `appointment book` prints, and the summary counts them (new_to_provider, reactivated).
    Example: clinicctl import appointments appointments.csv
    """
    _import(ctx, "appointments", file, dry_run, fmt,
            FileOptions(maps, mapping, encoding, delimiter, date_format, preset,
                        ignore_unknown))


