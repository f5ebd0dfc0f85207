"""``clinicctl group``: named client groups, each with one provider and one service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from clinicctl.commands._common import (
    DryRunOption,
    FormatOption,
    command_group,
    created_id,
    output_format,
    report_change,
    session,
)
from clinicctl.output import message, render_list, render_object, warning

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.orm import Session

    from clinicctl.models import ClientGroup, ClientGroupMember, Staff
    from clinicctl.scheduling.groups import GroupChange

app = command_group(help="Named client groups: who meets together with which provider.")

GroupArg = Annotated[str, typer.Argument(metavar="GROUP", help="Group name or #ID.")]
ClientsOption = Annotated[list[str] | None, typer.Option(
    "--client", metavar="CLIENT", help="A member: #ID, external id or name (repeat).")]

COLUMNS = [("id", "ID"), ("name", "Name"), ("provider_id", "Provider ID"),
           ("provider", "Provider"), ("service", "Service"), ("members", "Members"),
           ("archived", "Archived")]
LIST_COLUMNS = [("id", "ID"), ("name", "Name"), ("provider", "Provider"),
                ("service", "Service"), ("member_count", "Members"), ("archived", "Archived"),
                ("provider_id", "Provider ID")]


def _row(db: Session, actor: Staff, group: ClientGroup, members: list[ClientGroupMember], *,
         dry_run: bool = False, created: bool = False) -> dict[str, Any]:
    from clinicctl.days import practice_zone
    from clinicctl.people.names import client_names
    from clinicctl.scheduling.groups import joined_on

    zone = practice_zone(db)
    names = client_names(db, actor, (m.client_id for m in members))  # one query for all
    return {"id": created_id(group.id, dry_run=dry_run) if created else group.id,
            "name": group.name, "provider_id": group.provider_id,
            "provider": group.provider.name, "service": group.service_code,
            "archived": group.archived_at is not None,
            "archived_at": _instant(group.archived_at),
            "members": [{"client_id": m.client_id, "name": names.get(m.client_id),
                         "since": joined_on(m, zone)} for m in members]}


def _instant(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _render(ctx: typer.Context, row: dict[str, Any], fmt: Any) -> None:
    fmt_ = output_format(ctx, fmt)
    if fmt_ != "json":
        row = dict(row, archived="yes" if row["archived"] else "no",
                   members="; ".join(f"{m['name']} (#{m['client_id']}) since {m['since']}"
                                     for m in row["members"]))
    render_object(row, COLUMNS, fmt_)


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids)


def _report(result: GroupChange, name: str, *, dry_run: bool) -> None:
    """The alerts first (never hidden by --quiet), then what changed."""
    for line in result.alerts:
        warning(line)
    if result.already_members:
        message(f"Already in {name!r}: client {_ids(result.already_members)}.")
    if result.not_members:
        message(f"Not in {name!r}, nothing to remove: client {_ids(result.not_members)}.")
    parts = []
    if result.added:
        parts.append(f"added client {_ids(result.added)}")
    if result.removed:
        parts.append(f"removed client {_ids(result.removed)}")
    if parts:
        report_change(f"Group {name!r}: {'; '.join(parts)}.", dry_run=dry_run)
    for appointment_id, *clients in result.left_sessions:
        # More than was asked for: said even with --quiet.
        warning(f"Client {_ids(clients)} left the group's future appointment "
                f"#{appointment_id}.")


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group's name, unique in the practice "
                                        "(ignoring case and spaces).")],
    provider: Annotated[str, typer.Option("--provider", help="The provider who runs it: "
                                          "email, #ID or name.")],
    client: ClientsOption = None,
    service: Annotated[str | None, typer.Option(
        "--service", help="Service code of its sessions (default 90853, group "
        "psychotherapy).")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add a client group (owner, manager, scheduler; a provider their own).

    A member new to the provider is added to their list with demographics only, and
    an inactive or discharged one is reactivated: each says so on stderr, even with
    --quiet. The same name with the same provider again changes nothing.
    Example: clinicctl group add "Tuesday DBT" --provider sam@riverside.example --client
    "Maya Chen"
    """
    from clinicctl.scheduling import groups

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = groups.add_group(db, actor, name, provider_ref=provider,
                                  client_refs=client or [], service=service)
        row = _row(db, actor, result.group, groups.current_members(db, result.group.id),
                   dry_run=dry_run, created=result.created)
    _render(ctx, row, fmt)
    for line in result.alerts:
        warning(line)
    if not result.created:
        message(f"Group {row['name']!r} already exists; nothing changed.")
        if result.not_members:
            warning(f"Not added to {row['name']!r}: client {_ids(result.not_members)} "
                    f"(add members with `clinicctl group members '#{row['id']}' --add ...`).")
        return
    added = f" with {len(result.added)} member{'' if len(result.added) == 1 else 's'}"
    text = (f"would add group {row['name']!r}{added}." if dry_run
            else f"Added group #{row['id']}{added}.")
    report_change(text, dry_run=dry_run)


@app.command("list")
def list_groups(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Option(
        "--provider", help="Only this provider's groups.")] = None,
    archived: Annotated[bool, typer.Option(
        "--archived", help="Include archived groups.")] = False,
    fmt: FormatOption = None,
) -> None:
    """List the client groups you may see (providers: their own).

    Example: clinicctl group list --provider sam@riverside.example
    """
    from clinicctl.scheduling import groups

    with session(ctx, write=False) as (db, actor):
        found = groups.list_groups(db, actor, provider_ref=provider, archived=archived)
        rows = [{"id": g.id, "name": g.name, "provider_id": g.provider_id,
                 "provider": g.provider.name, "service": g.service_code,
                 "member_count": count, "archived": g.archived_at is not None}
                for g, count in found]
    fmt_ = output_format(ctx, fmt)
    if fmt_ != "json":
        rows = [dict(row, archived="yes" if row["archived"] else "no") for row in rows]
    render_list(rows, LIST_COLUMNS, fmt_,
                empty="No client groups: add one with `clinicctl group add`.")


@app.command()
def show(ctx: typer.Context, group: GroupArg, fmt: FormatOption = None) -> None:
    """Show a group: its provider, service, current members (since when) and whether it is
    archived.

    Example: clinicctl group show "Tuesday DBT"
    """
    from clinicctl.scheduling import groups

    with session(ctx, write=False) as (db, actor):
        view = groups.show_group(db, actor, group)
        row = _row(db, actor, view.group, view.members)
    _render(ctx, row, fmt)


@app.command()
def members(
    ctx: typer.Context,
    group: GroupArg,
    add: Annotated[list[str] | None, typer.Option(
        "--add", metavar="CLIENT", help="Add this client (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option(
        "--remove", metavar="CLIENT", help="Remove this client (repeat).")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Add or remove members (owner, manager, scheduler; a provider their own groups).

    Adding a member or removing a client who is not one changes nothing and says so. A
    removed member keeps the record of when they were in the group and their past sessions,
    and leaves the group's sessions that have not started (each one said); adding them again
    starts a new stretch. An archived group takes no new members.
    Example: clinicctl group members "Tuesday DBT" --add "#12" --remove "Maya Chen"
    """
    from clinicctl.scheduling import groups

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = groups.change_members(db, actor, group, add=add or [], remove=remove or [])
        row = _row(db, actor, result.group, groups.current_members(db, result.group.id))
    _render(ctx, row, fmt)
    _report(result, row["name"], dry_run=dry_run)
    if not result.changed:
        message(f"Group {row['name']!r}: nothing changed.")


@app.command()
def archive(
    ctx: typer.Context,
    group: GroupArg,
    restore: Annotated[bool, typer.Option(
        "--restore", help="Bring an archived group back.")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = None,
) -> None:
    """Archive a group (owner, manager, scheduler; a provider their own groups).

    An archived group keeps its members and history, is hidden from `group list` (unless
    --archived) and takes no new members; --restore brings it back.
    Example: clinicctl group archive "Tuesday DBT"
    """
    from clinicctl.scheduling import groups

    with session(ctx, dry_run=dry_run) as (db, actor):
        result = groups.archive_group(db, actor, group, restore=restore)
        row = _row(db, actor, result.group, groups.current_members(db, result.group.id))
    _render(ctx, row, fmt)
    state = "archived" if not restore else "not archived"
    if not result.changed:
        message(f"Group {row['name']!r} is already {state}; nothing changed.")
        return
    report_change(f"{'Restored' if restore else 'Archived'} group #{row['id']}.",
                  dry_run=dry_run)
