"""``clinicctl client``: clients, their providers, and sharing between providers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.choices import ASSIGNMENT_STATUSES, completer
from clinicctl.commands._client_tables import (
    ACCESS_TABLE,
    DUPLICATES_TABLE,
    LIST_TABLE,
    LIST_TABLE_OF_PROVIDER,
    SHARING_TABLE,
    no_clients,
)
from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.errors import InvalidInput
from clinicctl.output import OutputFormat, message, render_list, render_object, warning

if TYPE_CHECKING:
    from clinicctl.models import Assignment, Client

app = command_group(help="Clients, their providers, and sharing between providers.")

ClientArg = Annotated[str, typer.Argument(
    metavar="CLIENT", help="#ID, external id, or full name.")]
OptionalClientArg = Annotated[str | None, typer.Argument(
    metavar="CLIENT", help="#ID, external id, or full name (omit with --csv).",
    show_default=False)]
CsvOption = Annotated[Path | None, typer.Option(
    "--csv", metavar="FILE", allow_dash=True,
    help="Batch from a CSV file ('-' for stdin), all or nothing.")]
ProviderOption = Annotated[str, typer.Option("--provider", help="Email, #ID or full name.")]

LIST_COLUMNS = [("id", "ID"), ("first_name", "First name"), ("last_name", "Last name"),
                ("name", "Name"), ("dob", "Date of birth"), ("external_id", "External ID")]
PROFILE_COLUMNS = [*LIST_COLUMNS, ("preferred_name", "Preferred name"), ("sex", "Sex"),
                   ("email", "Email"), ("phone", "Phone"), ("address", "Address"),
                   ("providers", "Providers"), ("restricted", "Restricted")]


def client_row(client: Client) -> dict[str, Any]:
    return {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
            "name": client.name, "dob": client.dob, "external_id": client.external_id}


def provider_entry(assignment: Assignment) -> dict[str, Any]:
    return {"provider_id": assignment.provider_id, "provider": assignment.provider.name,
            "status": assignment.status, "diagnosis": assignment.diagnosis_codes}


def profile_row(client: Client, assignments: list[Assignment]) -> dict[str, Any]:
    row = client_row(client)
    row.update(preferred_name=client.preferred_name, sex=client.sex, email=client.email,
               phone=client.phone, address=client.address,
               providers=[provider_entry(a) for a in assignments],
               restricted=client.restricted)
    return row


def _profile_table_row(row: dict[str, Any]) -> dict[str, Any]:
    shown = dict(row)
    shown["restricted"] = ("yes: seen only by their care team" if row["restricted"]
                           else "no")
    shown["providers"] = "; ".join(
        f"{p['provider']} (#{p['provider_id']}) {p['status']}"
        + (f" {','.join(p['diagnosis'])}" if p["diagnosis"] else "")
        for p in row["providers"])
    return shown


@app.command()
def add(
    ctx: typer.Context,
    first_name: Annotated[str, typer.Argument(metavar="FIRST")],
    last_name: Annotated[str, typer.Argument(metavar="LAST")],
    dob: Annotated[str, typer.Option("--dob", help="Date of birth, YYYY-MM-DD.")],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    sex: Annotated[str | None, typer.Option()] = None,
    address: Annotated[str | None, typer.Option()] = None,
    preferred_name: Annotated[str | None, typer.Option()] = None,
    external_id: Annotated[str | None, typer.Option(help="Id in another system (unique).")
                           ] = None,
    provider: Annotated[str | None, typer.Option(
        help="First provider: puts the client in their list.")] = None,
    diagnosis: Annotated[list[str] | None, typer.Option(
        help="ICD-10 code for that provider (repeat).")] = None,
    new_person: Annotated[bool, typer.Option(
        "--new", help="A different person who shares a name and date of birth with a client "
        "already there.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add a client to the practice, optionally into a first provider's list.

    The same person again (name and date of birth, or external id) changes nothing; --new adds
    a different person who shares a name and date of birth (refer to each by #ID then).
    Example: clinicctl client add Maya Chen --dob 1990-04-12 --provider "Sam Okafor"
    --diagnosis F41.1
    """
    from clinicctl.people import clients

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = clients.add_client(
            db, actor, first_name=first_name, last_name=last_name, dob=dob, sex=sex,
            email=email, phone=phone, address=address, external_id=external_id,
            preferred_name=preferred_name, provider_ref=provider, diagnosis=diagnosis or [],
            new_person=new_person,
        )
        row = client_row(result.client)
        if result.created:
            row["id"] = created_id(row["id"], dry_run=dry_run)
    render_object(row, LIST_COLUMNS, output_format(ctx, fmt))
    if not result.created:
        message(f"Client #{row['id']} already exists; nothing changed.")
    elif dry_run:
        report_change(f"would add client {row['name']}.", dry_run=True)
    else:
        report_change(f"Added client #{row['id']}.", dry_run=False)
    if result.created and result.namesakes:
        others = ", ".join(f"#{i}" for i in result.namesakes)
        message(f"Client {others} {'has' if len(result.namesakes) == 1 else 'have'} the same "
                "name and date of birth: refer to each by #ID or external id (one person "
                "twice? `client merge` joins the records).")


@app.command("list")
def list_clients(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Option(help="Only this provider's clients.")] = None,
    status: Annotated[str | None, typer.Option(
        help="new, active, inactive, discharged (comma-separated) or all. With --provider the "
        "default is new,active.",
        autocompletion=completer(("all", *ASSIGNMENT_STATUSES), separated=True))] = None,
    search: Annotated[str | None, typer.Option(
        help="Part of the name (accents and case aside), or an external id.")] = None,
    fmt: FormatOption = None,
) -> None:
    """List clients: the directory (id, name, date of birth), by last name. With --provider,
    also each client's status in that provider's list.

    Example: clinicctl client list --provider "Sam Okafor" --status all -o csv
    """
    from clinicctl.people import clients

    with session(ctx, write=False) as (db, actor):
        entries = clients.directory(db, actor, provider_ref=provider, status=status,
                                    search=search)
    columns, table = LIST_COLUMNS, LIST_TABLE
    if provider:  # each client's status in that provider's list
        columns, table = [*LIST_COLUMNS, ("status", "Status")], LIST_TABLE_OF_PROVIDER
        rows = [{**client_row(e.client), "status": e.status} for e in entries]
    else:
        rows = [client_row(e.client) for e in entries]
    render_list(rows, columns, output_format(ctx, fmt), table=table,
                empty=no_clients(provider, status, search))


@app.command()
def show(ctx: typer.Context, client: ClientArg, fmt: FormatOption = None) -> None:
    """Show a client's profile with each provider's status and diagnosis.

    Example: clinicctl client show "Maya Chen"
    """
    from clinicctl.people import clients

    with session(ctx, write=False) as (db, actor):
        profile = clients.client_profile(db, actor, client)
        row = profile_row(profile.client, profile.assignments)
    fmt_ = output_format(ctx, fmt)
    render_object(row if fmt_ == "json" else _profile_table_row(row), PROFILE_COLUMNS, fmt_)


@app.command()
def edit(
    ctx: typer.Context,
    client: ClientArg,
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    preferred_name: Annotated[str | None, typer.Option()] = None,
    dob: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    address: Annotated[str | None, typer.Option()] = None,
    external_id: Annotated[str | None, typer.Option()] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Change a client's demographics.

    Example: clinicctl client edit "#12" --phone "555-0100"
    """
    from clinicctl.people import clients

    changes = {"first_name": first_name, "last_name": last_name,
               "preferred_name": preferred_name, "dob": dob, "sex": sex, "email": email,
               "phone": phone, "address": address, "external_id": external_id}
    with session(ctx, dry_run=dry_run) as (db, actor):
        updated, changed = clients.edit_client(db, actor, client, changes)
        row = profile_row(updated, clients.assignments_of(db, updated.id))
    fmt_ = output_format(ctx, fmt)
    render_object(row if fmt_ == "json" else _profile_table_row(row), PROFILE_COLUMNS, fmt_)
    if changed:
        report_change(f"Changed: {', '.join(changed)}.", dry_run=dry_run)
    else:
        message("Nothing changed.")


@app.command()
def status(
    ctx: typer.Context,
    client: ClientArg,
    provider: ProviderOption,
    set_: Annotated[str, typer.Option("--set", help="new, active, inactive or discharged.",
                                      autocompletion=completer(ASSIGNMENT_STATUSES))],
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Set a client's status in one provider's list.

    Example: clinicctl client status "Maya Chen" --provider "Sam Okafor" --set active
    """
    from clinicctl.people import clients

    with session(ctx, dry_run=dry_run) as (db, actor):
        assignment, changed = clients.set_status(db, actor, client, provider, set_)
        row = {"client_id": assignment.client_id, **provider_entry(assignment),
               "changed": changed}
    render_object(row, _ASSIGNMENT_COLUMNS, output_format(ctx, fmt))
    if not changed:
        message(f"Status is already {row['status']}; nothing changed.")
    else:
        report_change(f"{row['provider']}'s status for client #{row['client_id']} is now "
                      f"{row['status']}.", dry_run=dry_run)


_ASSIGNMENT_COLUMNS = [("client_id", "Client"), ("provider_id", "Provider ID"),
                       ("provider", "Provider"), ("status", "Status"),
                       ("diagnosis", "Diagnosis"), ("changed", "Changed")]


@app.command()
def diagnosis(
    ctx: typer.Context,
    client: ClientArg,
    provider: ProviderOption,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="ICD-10 code (repeat for several); replaces the provider's list.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove every diagnosis code.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Set a provider's diagnosis codes for a client.

    Example: clinicctl client diagnosis "Maya Chen" --provider "Sam Okafor" --set F41.1
    --set F33.1
    """
    from clinicctl.people import clients

    if bool(set_) == clear:
        raise InvalidInput("give --set CODE (one or more) or --clear")
    with session(ctx, dry_run=dry_run) as (db, actor):
        assignment, changed = clients.set_diagnosis(db, actor, client, provider, set_ or [])
        row = {"client_id": assignment.client_id, **provider_entry(assignment),
               "changed": changed}
    render_object(row, _ASSIGNMENT_COLUMNS, output_format(ctx, fmt))
    if not changed:
        message("Diagnosis already as given; nothing changed.")
    else:
        codes = ", ".join(row["diagnosis"]) or "none"
        report_change(f"{row['provider']}'s diagnosis for client #{row['client_id']}: "
                      f"{codes}.", dry_run=dry_run)


@app.command()
def share(
    ctx: typer.Context,
    client: OptionalClientArg = None,
    from_: Annotated[str | None, typer.Option("--from", help="Provider who has the client.")
                     ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Provider who gets the client.")
                  ] = None,
    chart: Annotated[bool, typer.Option(
        "--chart", help="Also start a one-way chart share: --to may read --from's notes.")
    ] = False,
    private_notes: Annotated[bool | None, typer.Option(
        "--private-notes/--no-private-notes",
        help="With --chart: include private notes, or stop including them. Without either, "
        "an active chart share keeps its choice.", show_default=False)] = None,
    csv_file: CsvOption = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Share a client with another provider: demographics only, unless --chart.

    The other provider gets the client in their list and sees the client profile (including
    each provider's status and diagnosis) and non-clinical documents, never the first
    provider's chart notes or clinical documents.
    Example: clinicctl client share "Maya Chen" --from "Sam Okafor" --to "Ana Ruiz".
    Batch: clinicctl client share --csv shares.csv (columns client,from,to[,mode], mode
    demographics or chart; all or nothing).
    """
    from clinicctl.charts import sharing
    from clinicctl.commands._sharing import SHARE_COLUMNS, describe_share, share_csv, single_pair

    if csv_file is not None:
        if client or from_ or to or chart or private_notes is not None:
            raise InvalidInput("--csv takes the clients and providers from the file; drop "
                               "CLIENT, --from, --to, --chart and --private-notes")
        share_csv(ctx, csv_file, unshare=False, dry_run=dry_run, fmt=fmt)
        return
    client, from_, to = single_pair(client, from_, to)
    if private_notes is False and not chart:
        raise InvalidInput("--no-private-notes only applies to a chart share; add --chart")
    with session(ctx, dry_run=dry_run) as (db, actor):
        result = sharing.share(db, actor, client, from_, to, chart=chart,
                               private_notes=private_notes)
    render_object(result.as_dict(), SHARE_COLUMNS, output_format(ctx, fmt))
    for note in result.notes:
        warning(note)
    report_change(describe_share(result), dry_run=dry_run)








@app.command()
def unshare(
    ctx: typer.Context,
    client: OptionalClientArg = None,
    from_: Annotated[str | None, typer.Option(
        "--from", help="Provider whose chart was shared.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Provider who had the chart share.")
                  ] = None,
    remove: Annotated[bool, typer.Option(
        "--remove", help="Also take the client off --to's list.")] = False,
    csv_file: CsvOption = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """End a chart share; the other provider keeps demographics-only access.

    Example: clinicctl client unshare "Maya Chen" --from "Sam Okafor" --to "Ana Ruiz".
    Batch: clinicctl client unshare --csv ends.csv (columns client,from,to; all or nothing).
    """
    from clinicctl.charts import sharing
    from clinicctl.commands._sharing import SHARE_COLUMNS, describe_share, share_csv, single_pair

    if csv_file is not None:
        if client or from_ or to or remove:
            raise InvalidInput("--csv takes the clients and providers from the file; drop "
                               "CLIENT, --from, --to and --remove")
        share_csv(ctx, csv_file, unshare=True, dry_run=dry_run, fmt=fmt)
        return
    client, from_, to = single_pair(client, from_, to)
    with session(ctx, dry_run=dry_run) as (db, actor):
        result = sharing.unshare(db, actor, client, from_, to, remove=remove)
    render_object(result.as_dict(), SHARE_COLUMNS, output_format(ctx, fmt))
    if result.changed:
        report_change(describe_share(result), dry_run=dry_run)
    else:
        message(f"No active chart share {result.from_name} -> {result.to_name}; "
                "nothing changed.")


RESTRICT_COLUMNS = [("client_id", "Client"), ("restricted", "Restricted"),
                    ("changed", "Changed")]


@app.command()
def restrict(
    ctx: typer.Context,
    client: ClientArg,
    off: Annotated[bool, typer.Option("--off", help="Lift the restriction.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Restrict a client to their care team, or lift the restriction with --off.

    The care team is the client's providers, the owner and the records custodians whose
    scope covers the client. Everyone else no longer finds the client in any listing,
    search, export or group, and sees their appointments as "restricted client". Sharing
    the client (or booking them with a new provider) adds that provider to the team, and
    says so. The owner, or a records custodian whose scope covers the client; restricting
    twice changes nothing.
    Example: clinicctl client restrict "Maya Chen" (lift it with --off)
    """
    from clinicctl.people import restriction

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = restriction.restrict(db, actor, client, restricted=not off)
        row = result.as_dict()
    render_object(row, RESTRICT_COLUMNS, output_format(ctx, fmt))
    if not result.changed:
        state = "already restricted" if result.restricted else "not restricted"
        message(f"Client #{row['client_id']} is {state}; nothing changed.")
    elif result.restricted:
        report_change(f"Restricted client #{row['client_id']} to their care team.",
                      dry_run=dry_run)
    else:
        report_change(f"Lifted the restriction on client #{row['client_id']}: every role "
                      "sees them again as before.", dry_run=dry_run)


@app.command("sharing")
def sharing_section(ctx: typer.Context, client: ClientArg, fmt: FormatOption = None) -> None:
    """The chart-sharing section: each provider, their status and diagnosis, and who they
    share their chart with.

    Example: clinicctl client sharing "Maya Chen" -o json
    """
    from clinicctl.charts import sharing

    with session(ctx, write=False) as (db, actor):
        found, providers = sharing.sharing_section(db, actor, client)
        entries: list[dict[str, Any]] = [vars(p) for p in providers]
    fmt_ = output_format(ctx, fmt)
    empty = f"Client #{found.id} is in no provider's list."
    if fmt_ == "json":
        render_object({"client_id": found.id, "providers": entries}, [], fmt_)
        if not entries:
            message(empty)
        return
    rows = [{**p, "shares_to": "; ".join(
        f"{s['provider']} (#{s['provider_id']})"
        + (" incl. private notes" if s["include_private_notes"] else "")
        + f" since {s['since'].date().isoformat()}" for s in p["shares_to"])}
        for p in entries]
    render_list(rows, [("provider_id", "Provider ID"), ("provider", "Provider"),
                       ("status", "Status"), ("diagnosis", "Diagnosis"),
                       ("shares_to", "Chart shared to")], fmt_,
                title=f"Chart sharing for client #{found.id}", table=SHARING_TABLE,
                empty=empty)


@app.command("access")
def access_report(
    ctx: typer.Context,
    client: ClientArg,
    staff: Annotated[str | None, typer.Option(help="Only this staff member.")] = None,
    emergency: Annotated[bool, typer.Option(
        "--emergency", help="Open emergency access for yourself instead (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option(
        help="With --emergency: why the chart must be opened now (kept on record).")
    ] = None,
    fmt: FormatOption = None,
) -> None:
    """Who can see what of this client, and why.

    With --emergency (break the glass) you read the client's profile and non-private notes
    for 4 hours although they are outside your care: owner, records custodians and providers
    only, with the reason on record (only the owner and records custodians read it; `audit
    list --emergency` lists every one).
    Example: clinicctl client access "Maya Chen" --staff "Ana Ruiz"
    Example: clinicctl client access "Maya Chen" --emergency --reason "Crisis call, her
    provider is away"
    """
    if emergency:
        _open_emergency_access(ctx, client, reason, staff, fmt)
        return
    if reason is not None:
        raise InvalidInput("--reason goes with --emergency")
    from clinicctl.charts.access_report import staff_access

    with session(ctx, write=False) as (db, actor):
        found, report = staff_access(db, actor, client, staff)
        rows = [vars(r) for r in report]
    render_list(rows, [("staff_id", "ID"), ("staff", "Staff"), ("roles", "Roles"),
                       ("profile", "Profile"), ("profile_reason", "Why"),
                       ("chart_notes", "Chart notes of"), ("chart_reason", "Why")],
                output_format(ctx, fmt), title=f"Access to client #{found.id}",
                table=ACCESS_TABLE)


def _open_emergency_access(ctx: typer.Context, client: str, reason: str | None,
                           staff: str | None, fmt: OutputFormat | None) -> None:
    from clinicctl.charts import emergency
    from clinicctl.days import practice_zone

    if reason is None:
        raise InvalidInput("--emergency needs --reason: say why the chart must be opened now")
    if staff is not None:
        raise InvalidInput("--emergency opens access for yourself only; leave out --staff")
    with session(ctx) as (db, actor):
        found, opened = emergency.open_emergency_access(db, actor, client, reason)
        zone = practice_zone(db)
        expires = opened.expires_at.astimezone(zone)
        row = {"id": opened.id, "client_id": found.id, "staff_id": actor.id,
               "staff": actor.name, "started_at": opened.started_at.astimezone(zone),
               "expires_at": expires}
    render_object(row, [("id", "ID"), ("client_id", "Client ID"), ("staff_id", "Staff ID"),
                        ("staff", "Staff"), ("started_at", "Started"),
                        ("expires_at", "Expires")], output_format(ctx, fmt))
    until = expires.strftime("%Y-%m-%d %H:%M %Z")
    warning(f"Warning: emergency access to client #{found.id} is open for {actor.name} until "
            f"{until}: the profile and non-private notes. This is on record with your reason, "
            "and every note you read is audited as an emergency read.")


@app.command()
def duplicates(ctx: typer.Context, fmt: FormatOption = None) -> None:
    """List pairs of client records that look like one person: the same name and date of
    birth, names that differ only by accents or word order, the same email or phone.

    Owner and managers. Nothing changes: merge a pair with `client merge KEEP DUPLICATE`
    (try --dry-run first). Example: clinicctl client duplicates
    """
    from clinicctl.people import merge

    with session(ctx, write=False) as (db, actor):
        report = merge.find_duplicates(db, actor)
    rows = [pair.as_dict() for pair in report.pairs]
    render_list(rows, [("client_id", "ID"), ("client", "Name"), ("dob", "Date of birth"),
                       ("other_id", "Other ID"), ("other", "Other name"),
                       ("other_dob", "Other date of birth"), ("reasons", "Why")],
                output_format(ctx, fmt), title="Likely duplicate clients",
                table=DUPLICATES_TABLE, empty="No likely duplicate clients.")
    for line in report.shared_contacts:
        message(line)
    if rows:
        first = rows[0]
        message(f"Compare with `client show`, then merge with: clinicctl client merge "
                f"'#{first['client_id']}' '#{first['other_id']}' --dry-run")


MERGE_COLUMNS = [("kept_id", "Kept client"), ("merged_id", "Merged client"),
                 ("assignments_moved", "Assignments moved"),
                 ("assignments_combined", "Assignments combined"),
                 ("chart_shares_moved", "Chart shares moved"),
                 ("chart_shares_ended", "Chart shares ended"), ("notes_moved", "Notes moved"),
                 ("documents_moved", "Documents moved"),
                 ("appointments_moved", "Appointments moved"),
                 ("external_id", "External ID"), ("filled", "Filled from the duplicate"),
                 ("alerts", "Alerts")]


@app.command()
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(
        metavar="KEEP", help="The record that stays: #ID, external id, or full name.")],
    duplicate: Annotated[str, typer.Argument(
        metavar="DUPLICATE", help="The record merged into it and removed.")],
    external_id: Annotated[str | None, typer.Option(
        "--external-id", help="When both records have one: the external id that stays.",
        show_default=False)] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Merge a duplicate client record into the one kept, in one transaction.

    The duplicate's assignments (a provider with both keeps the more active status and both
    diagnoses), chart shares, notes, documents, appointments and external id move to the
    kept record, whose empty details are filled from the duplicate's; the duplicate's id
    then names the kept client. Refused when appointments of the two overlap (each pair is
    listed). The audit keeps both ids; past events are never rewritten. Owner and managers.
    Example: clinicctl client merge '#12' '#31' --dry-run
    """
    from clinicctl.people import merge as merging

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = merging.merge_clients(db, actor, keep, duplicate, external_id=external_id)
    fmt_ = output_format(ctx, fmt)
    row = result.as_dict()
    if fmt_ != "json":
        row.update(filled=", ".join(row["filled"]) or "nothing",
                   alerts=len(row["alerts"]))
    render_object(row, MERGE_COLUMNS, fmt_)
    for line in result.kept_details:
        message(line)
    report_change(f"Merged client #{result.merged_id} into #{result.kept_id}: "
                  f"{result.notes_moved} notes, {result.documents_moved} documents, "
                  f"{result.appointments_moved} appointments and "
                  f"{result.assignments_moved + result.assignments_combined} provider "
                  "assignments moved.", dry_run=dry_run)
    for alert in result.alerts:  # --quiet never hides them
        warning(alert)
