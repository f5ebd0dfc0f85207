"""``clinicctl staff``: staff members, roles and records-custodian scopes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.choices import APPOINTMENT_SCOPES, RECORDS_OWNERS, ROLES, completer
from clinicctl.commands._common import (
    DryRunOption,
    ForceOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.output import NAME, Layout, message, render_list, render_object, warning

if TYPE_CHECKING:
    from clinicctl.models import Staff

app = command_group(help="Staff members, their roles and records-custodian scopes.")

COLUMNS = [("id", "ID"), ("name", "Name"), ("email", "Email"), ("roles", "Roles"),
           ("credentials", "Credentials"), ("records_owner", "Records owner"),
           ("active", "Active")]
TABLE = Layout(COLUMNS, optional=["records_owner", "credentials", "active"],
               wrap={"name": NAME, "roles": NAME})
RoleOption = Annotated[list[str], typer.Option(
    "--role", help="owner, manager, provider, records-custodian, scheduler or biller "
    "(repeat for several).", autocompletion=completer(ROLES))]


def staff_row(member: Staff, **extra: Any) -> dict[str, Any]:
    row = {"id": member.id, "name": member.name, "email": member.email, "roles": member.roles,
           "active": member.active, "credentials": member.credentials,
           "records_owner": member.records_owner}
    row.update(extra)
    return row


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: Annotated[str, typer.Option(help="Unique email.")],
    role: RoleOption,
    credentials: Annotated[str | None, typer.Option(help="e.g. LCSW, PsyD.")] = None,
    records_owner: Annotated[str, typer.Option(
        help="Providers: who owns the records they write, group or provider.",
        autocompletion=completer(RECORDS_OWNERS))] = "group",
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add a staff member with one or more roles.

    Example: clinicctl staff add "Sam Okafor" --email sam@riverside.example --role provider
    --credentials LCSW
    """
    from clinicctl.people import staff as staff_service

    with session(ctx, dry_run=dry_run) as (db, actor):
        member = staff_service.create_staff(
            db, name=name, email=email, roles=role, credentials=credentials,
            records_owner=records_owner, created_by=actor,
        )
        row = staff_row(member, id=created_id(member.id, dry_run=dry_run))
    render_object(row, COLUMNS, output_format(ctx, fmt))
    if dry_run:
        report_change(f"would add {row['name']}.", dry_run=True)
    else:
        report_change(f"Added {row['name']} as #{row['id']}.", dry_run=False)


@app.command("list")
def list_staff(
    ctx: typer.Context,
    role: Annotated[str | None, typer.Option(help="Only staff with this role.",
                                             autocompletion=completer(ROLES))] = None,
    include_inactive: Annotated[bool, typer.Option("--all", help="Include deactivated staff.")
                                ] = False,
    fmt: FormatOption = None,
) -> None:
    """List staff members (active ones unless --all), by last name.

    Example: clinicctl staff list --role provider -o json
    """
    from clinicctl.people import staff as staff_service

    with session(ctx, write=False) as (db, actor):
        rows = [staff_row(m) for m in staff_service.list_staff(
            db, actor, role=role, include_inactive=include_inactive)]
    who = "staff" if include_inactive else "active staff"
    render_list(rows, COLUMNS, output_format(ctx, fmt), table=TABLE,
                empty=f"No {who} with the role {role}." if role else f"No {who}.")


@app.command()
def show(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    fmt: FormatOption = None,
) -> None:
    """Show one staff member, with their records-custodian scope if they have one.

    Example: clinicctl staff show sam@riverside.example
    """
    from clinicctl.charts.supervision import supervisions_of
    from clinicctl.people import staff as staff_service

    with session(ctx, write=False) as (db, actor):
        member = staff_service.show_staff(db, actor, ref)
        supervises, supervised_by = supervisions_of(db, member)
        row = staff_row(member, custodian_scope=staff_service.custodian_description(db, member),
                        db_login=member.db_login,
                        supervises=[line.as_dict("supervisee") for line in supervises],
                        supervised_by=[line.as_dict("supervisor") for line in supervised_by])
    fmt_ = output_format(ctx, fmt)
    columns = [*COLUMNS, ("custodian_scope", "Custodian scope"), ("db_login", "Database login"),
               ("supervises", "Supervises"), ("supervised_by", "Supervised by")]
    if fmt_ == "table":
        # One line per supervision, in words, for the person reading.
        row = {**row, "supervises": [_supervision_text(s, "supervisee") for s in supervises],
               "supervised_by": [_supervision_text(s, "supervisor") for s in supervised_by]}
    render_object(row, columns, fmt_)


def _supervision_text(line: Any, side: str) -> str:
    period = f"from {line.starts_on.isoformat()}"
    if line.ends_on is not None:
        period += f" until {line.ends_on.isoformat()}"
    extras = [period] + (["co-signs notes"] if line.cosign else []) + (
        [] if line.holds_today else ["not in force today"])
    return f"{line.staff} (#{line.id}: {', '.join(extras)})"


@app.command()
def supervise(
    ctx: typer.Context,
    supervisee: Annotated[str, typer.Argument(
        metavar="SUPERVISEE", help="The provider supervised: email, #ID or full name.")],
    by: Annotated[str, typer.Option(
        "--by", metavar="SUPERVISOR", help="The supervising provider.")],
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="DATE", help="First day (default today, or the current one).")
    ] = None,
    until: Annotated[str | None, typer.Option(
        metavar="DATE", help="Last day, included (default: until --end).")] = None,
    cosign: Annotated[bool | None, typer.Option(
        "--cosign/--no-cosign",
        help="The supervisee's new notes wait for the supervisor's `note sign`.",
        show_default=False)] = None,
    end: Annotated[bool, typer.Option("--end", help="End the supervision now.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Let a provider supervise another: read their notes, and with --cosign sign them.

    While the supervision holds, SUPERVISOR reads SUPERVISEE's non-private chart notes and
    clinical documents for SUPERVISEE's clients (never private notes); every such read is
    audited as supervision.read. With --cosign, SUPERVISEE's new non-private notes stay
    pending until SUPERVISOR runs `note sign ID` (`note list --unsigned` lists them).
    Running it again changes the period or co-signature; --end stops it. Owner and
    managers only; SUPERVISOR is an active provider other than SUPERVISEE.
    Example: clinicctl staff supervise "Ana Ruiz" --by "Sam Okafor" --cosign --until 2027-06-30
    """
    from clinicctl.charts import supervision as service
    from clinicctl.errors import InvalidInput
    from clinicctl.people.refs import parse_date

    if end and (from_ or until or cosign is not None):
        raise InvalidInput("--end takes no --from, --until or --cosign")
    starts = parse_date(from_, "--from date") if from_ else None
    ends = parse_date(until, "--until date") if until else None
    with session(ctx, dry_run=dry_run) as (db, actor):
        if end:
            change = service.end_supervision(db, actor, supervisee, by)
        else:
            change = service.supervise(db, actor, supervisee, by, starts_on=starts,
                                       ends_on=ends, cosign=cosign)
        if change is None:
            row = None
        else:
            held = change.supervision
            row = {"id": created_id(held.id, dry_run=dry_run and change.created),
                   "supervisee_id": change.supervisee.id, "supervisee": change.supervisee.name,
                   "supervisor_id": change.supervisor.id, "supervisor": change.supervisor.name,
                   "from": held.starts_on, "until": held.ends_on, "cosign": held.cosign,
                   "ended_at": held.ended_at, "changed": change.changed}
    if change is None:
        message(f"No supervision of {supervisee} by {by} is open; nothing changed.")
        return
    assert row is not None
    render_object(row, [("id", "ID"), ("supervisee_id", "Supervisee ID"),
                        ("supervisee", "Supervisee"), ("supervisor_id", "Supervisor ID"),
                        ("supervisor", "Supervisor"), ("from", "From"), ("until", "Until"),
                        ("cosign", "Co-signs"), ("ended_at", "Ended"), ("changed", "Changed")],
                  output_format(ctx, fmt))
    who = f"{row['supervisor']} supervising {row['supervisee']}"
    if end:
        report_change(f"Ended {who}: no more reads through it.", dry_run=dry_run)
    elif not change.changed:
        message(f"{who} is already as asked; nothing changed.")
    elif change.created:
        signing = "; their new notes wait for co-signature" if row["cosign"] else ""
        report_change(f"Started {who} (reads their notes and clinical documents{signing}).",
                      dry_run=dry_run)
    else:
        report_change(f"Changed {who}.", dry_run=dry_run)
    if change.pending_notes:
        warning(f"Warning: {_count(change.pending_notes, 'note')} of {row['supervisee']} "
                f"still {'waits' if change.pending_notes == 1 else 'wait'} for co-signature "
                "(`note list --unsigned`); a supervisor who co-signs their notes signs "
                f"{'it' if change.pending_notes == 1 else 'them'}.")


@app.command()
def roles(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    add: Annotated[list[str] | None, typer.Option(
        "--add", help="Role to add.", autocompletion=completer(ROLES))] = None,
    remove: Annotated[list[str] | None, typer.Option(
        "--remove", help="Role to remove.", autocompletion=completer(ROLES))] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add or remove roles.

    Example: clinicctl staff roles sam@riverside.example --add scheduler
    """
    from clinicctl.people import staff as staff_service

    with session(ctx, dry_run=dry_run) as (db, actor):
        change = staff_service.change_roles(db, actor, ref, add=add or [], remove=remove or [])
        row = staff_row(change.staff)
        ended = _ended_shares(change.ended_shares)
        idle = _idle_supervisions(db, change.staff)
    render_object(row, COLUMNS, output_format(ctx, fmt))
    if not change.changed:
        message("Roles already as asked; nothing changed.")
    _warn_ended(ended, row["name"], "without the provider role", dry_run=dry_run)
    _warn_idle(idle, row["name"])


@app.command()
def deactivate(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    force: ForceOption = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Deactivate a staff member: they can no longer act or receive clients.

    A provider with future appointments is refused (exit 5, listing them): move them with
    `staff reassign ... --appointments future` first, or cancel them; --force deactivates
    anyway and lists the appointments left booked.
    Example: clinicctl staff deactivate sam@riverside.example
    """
    from clinicctl.people import staff as staff_service

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = staff_service.deactivate(db, actor, ref, force=force)
        row = staff_row(result.staff)
        ended = _ended_shares(result.ended_shares)
        idle = _idle_supervisions(db, result.staff)
    render_object(row, COLUMNS, output_format(ctx, fmt))
    if result.changed:
        report_change(f"Deactivated {row['name']}.", dry_run=dry_run)
    else:
        message(f"{row['name']} is already inactive.")
    if result.future_count:
        one = result.future_count == 1
        warning(f"Warning: {_count(result.future_count, 'future appointment')} of "
                f"{row['name']} {'stays' if one else 'stay'} booked with a deactivated "
                f"provider (move {'it' if one else 'them'} with `clinicctl staff reassign "
                f"{row['email']} --to COLLEAGUE --appointments future`): "
                f"{'; '.join(result.future_appointments)}.")
    _warn_ended(ended, row["name"], "deactivated", dry_run=dry_run)
    _warn_idle(idle, row["name"])


def _idle_supervisions(db: Any, member: Staff) -> list[str]:
    """The supervisees of a supervisor who is no longer an active provider: the supervision
    stays open but no longer holds (no reads, no co-signing)."""
    if member.active and member.has_role("provider"):
        return []
    from clinicctl.charts.supervision import supervisions_of

    return [line.staff for line in supervisions_of(db, member)[0]]


def _warn_idle(supervisees: list[str], name: str) -> None:
    for supervisee in supervisees:
        warning(f"Warning: {name} is no longer an active provider, so their supervision of "
                f"{supervisee} no longer holds (no reads, no co-signing): end it with `staff "
                f"supervise '{supervisee}' --by '{name}' --end` or name another supervisor.")


def _ended_shares(shares: list[Any]) -> list[str]:
    return [f"#{s.id} (client #{s.client_id}, #{s.from_provider_id} -> #{s.to_provider_id})"
            for s in shares]


def _warn_ended(ended: list[str], name: str, why: str, *, dry_run: bool) -> None:
    """Ending grants is more than was asked for: say so, even with --quiet."""
    if not ended:
        return
    verb = "Would end" if dry_run else "Ended"
    warning(f"{verb} {_count(len(ended), 'chart share')} from or to {name}, now {why} "
            f"(coming back restores none of them): {', '.join(ended)}.")


@app.command()
def login(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Email, #ID or full name.")],
    set_login: Annotated[str | None, typer.Option(
        "--set", metavar="LOGIN", help="Bind this PostgreSQL login to the staff member.")
    ] = None,
    create: Annotated[bool, typer.Option(
        "--create", help="With --set: create the login (no password) first.")] = False,
    clear: Annotated[bool, typer.Option(
        "--clear", help="Unbind the staff member's login.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Bind a staff member to their own PostgreSQL login, or clear it (owner only).

    A bound login always acts as its staff member: --as can be left out and may not name
    anyone else, and row-level security gives it in psql no more than clinicctl would.
    --set makes the login a member of the group role clinicctl_staff; --create creates it
    first, without a password (set one in PostgreSQL: ALTER ROLE ... PASSWORD, or use your
    server's authentication); --clear takes it out of the group again. PostgreSQL only.
    Example: clinicctl staff login sam@riverside.example --set sam --create
    """
    from clinicctl.errors import InvalidInput
    from clinicctl.oversight import logins

    if (set_login is None) == (not clear):
        raise InvalidInput("give either --set LOGIN or --clear")
    if create and set_login is None:
        raise InvalidInput("--create needs --set LOGIN")
    with session(ctx, dry_run=dry_run) as (db, actor):
        if set_login is not None:
            change = logins.bind(db, actor, ref, set_login, create=create)
        else:
            change = logins.unbind(db, actor, ref)
        row = staff_row(change.staff, db_login=change.staff.db_login)
    render_object(row, [*COLUMNS, ("db_login", "Database login")], output_format(ctx, fmt))
    name = row["name"]
    if not change.changed:
        message(f"{name} is already bound to login {change.login!r}; nothing changed."
                if change.login else f"{name} has no database login; nothing changed.")
    elif set_login is not None:
        created = "created login and " if change.created else ""
        report_change(f"Bound {name} to database login {change.login!r} ({created}added it "
                      "to clinicctl_staff).", dry_run=dry_run)
    else:
        report_change(f"Cleared {name}'s database login {change.login!r} (removed from "
                      "clinicctl_staff).", dry_run=dry_run)


@app.command()
def custodian(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The records custodian.")],
    provider: Annotated[list[str] | None, typer.Option(
        "--provider", help="A provider whose records they may manage (repeat).")] = None,
    all_providers: Annotated[bool, typer.Option(help="Cover every provider.")] = False,
    expires: Annotated[str | None, typer.Option(
        metavar="DATE", help="Last day the scope holds (YYYY-MM-DD).")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Set a records custodian's scope (owner only). Replaces the previous scope.

    Example: clinicctl staff custodian lee@riverside.example --provider "Sam Okafor"
    --expires 2027-06-30
    """
    from clinicctl.people import staff as staff_service
    from clinicctl.people.refs import parse_date

    expiry = parse_date(expires, "expiry date") if expires else None
    with session(ctx, dry_run=dry_run) as (db, actor):
        scope = staff_service.set_custodian_scope(
            db, actor, ref, provider_refs=provider or [], all_providers=all_providers,
            expires_on=expiry,
        )
        row = {"id": scope.custodian.id, "name": scope.custodian.name,
               "all_providers": scope.all_providers,
               "provider_ids": [p.id for p in scope.providers],
               "providers": [p.name for p in scope.providers],
               "expires_on": scope.expires_on}
    render_object(row, [("id", "ID"), ("name", "Name"), ("all_providers", "All providers"),
                        ("provider_ids", "Provider IDs"), ("providers", "Providers"),
                        ("expires_on", "Expires")], output_format(ctx, fmt))


REASSIGN_COLUMNS = [("client_id", "Client ID"), ("to_id", "To ID"), ("to", "To"),
                    ("assignment", "Assignment"), ("chart_share", "Chart share"),
                    ("changed", "Changed"), ("appointments_moved", "Appointments moved")]
REASSIGN_TABLE = Layout([("client_id", "Client ID"), ("to", "To"), ("assignment", "Assignment"),
                         ("chart_share", "Chart share"), ("changed", "Changed"),
                         ("appointments_moved", "Moved"), ("to_id", "To ID")],
                        optional=["to_id"], wrap={"to": NAME, "appointments_moved": NAME})


@app.command()
def reassign(
    ctx: typer.Context,
    from_ref: Annotated[str, typer.Argument(
        metavar="FROM", help="The provider whose clients are handed over.")],
    to: Annotated[list[str], typer.Option(
        "--to", help="A colleague who takes clients (repeat to spread them).")],
    chart: Annotated[bool, typer.Option(
        "--chart", help="Also start a one-way chart share FROM -> each colleague.")] = False,
    appointments: Annotated[str | None, typer.Option(
        "--appointments", metavar="future", autocompletion=completer(APPOINTMENT_SCOPES),
        help="Move FROM's future scheduled appointments with those clients too.")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Hand over a provider's active clients to one or more colleagues.

    Each client with status new or active in FROM's list is shared with a colleague exactly as
    `client share` does: demographics only unless --chart. A client already in a colleague's
    list stays with that colleague; the others are spread so each colleague gets as many as
    possible alike (ties in the order of --to). With --appointments future, FROM's future
    scheduled appointments with those clients move to the client's colleague, each checked
    like a booking; if any cannot move, nothing is written. FROM keeps their own list and
    chart (deactivating them is `staff deactivate`). Repeating a handover is a no-op.
    Example: clinicctl staff reassign "Sam Okafor" --to "Ana Ruiz" --to "Lee Park"
    --appointments future
    """
    from clinicctl.charts import handover

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = handover.reassign(db, actor, from_ref, to, chart=chart,
                                   appointments=appointments)
    render_list([row.as_dict() for row in result.rows], REASSIGN_COLUMNS,
                output_format(ctx, fmt), title=f"Clients of {result.from_name}",
                table=REASSIGN_TABLE)
    for note in result.notes:
        warning(note)
    if not result.rows:
        message(f"{result.from_name} has no active clients; nothing to reassign.")
    elif not result.changed:
        message(f"All {_count(result.clients, 'client')} of {result.from_name} are already "
                "with their new providers; nothing changed.")
    else:
        spread = ", ".join(f"{given} to {name}"
                           for _, name, given in result.clients_per_target() if given)
        text = f"Reassigned {_count(result.clients, 'client')} of {result.from_name}: {spread}"
        if result.move_appointments:
            text += f"; moved {_count(result.appointments_moved, 'future appointment')}"
        report_change(text + ".", dry_run=dry_run)
    if result.appointments_kept:
        one = result.appointments_kept == 1
        warning(f"{_count(result.appointments_kept, 'future appointment')} with these clients "
                f"{'stays' if one else 'stay'} with {result.from_name} (add --appointments "
                f"future to move {'it' if one else 'them'}).")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
