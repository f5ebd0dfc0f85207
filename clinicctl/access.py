"""Who may do what: the one authorisation path for every entry point.

Deny by default. Each action names the roles that may take it and, where the permission
table of the specification says "assigned", "own" or "in scope", the check that goes with it.
A refusal raises ``Denied`` carrying the audit event; the session scope records it after
rolling back everything else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from clinicctl.actions import Action
from clinicctl.days import practice_zone
from clinicctl.errors import Denied
from clinicctl.models import Assignment, Client, ClientGroupMember, Staff
from clinicctl.relations import (
    Facts,
    active_shares_to,
    client_provider_ids,
    custodian_covers_client,
    custodian_scope,
    emergency_access_in_force,
    is_assigned,
    open_supervisions_by,
    restricted_outside,
)

CUSTODIAN = "records-custodian"


@dataclass(frozen=True)
class ChartGrant:
    """One reason an actor reads chart notes of a client: ``client access`` prints these."""

    # "own notes", "chart share", "owner", "records custodian", "supervision",
    # "emergency access"
    why: str
    author_id: int | None = None
    since: dt.datetime | dt.date | None = None
    private_notes: bool = False
    until: dt.datetime | dt.date | None = None
    record_id: int | None = None  # the supervision or emergency access


# The paths to a chart besides the permission table's own (SPEC section 9). Each read through
# one of them is audited as such (Action.SUPERVISION_READ, Action.EMERGENCY_READ).
SUPERVISION = "supervision"
EMERGENCY = "emergency access"


@dataclass
class ChartAccess:
    """Which authors' chart notes and clinical documents one actor may read for one client.

    This is the chart-read rule; the row-level security policies state it again for the
    database (migration 0004's ``clinicctl_can_read_chart``, extended by migration 0010's
    ``clinicctl_can_read_note`` and ``clinicctl_can_read_clinical_document``), and
    ``tests/test_row_security.py`` proves the two agree.
    """

    # author id -> whether private notes are included
    authors: dict[int, bool] = field(default_factory=dict)
    # owner and records custodians read non-private notes of these authors (None: all)
    nonprivate_authors: set[int] | None = field(default_factory=set)
    grants: list[ChartGrant] = field(default_factory=list)
    # supervisee id -> supervision id: their non-private notes and clinical documents
    supervised: dict[int, int] = field(default_factory=dict)
    # an emergency access in force: every author's non-private notes (not documents)
    emergency: int | None = None

    def reads_by_role(self, author_id: int, kind: str) -> bool:
        """The permission table's own grants (no supervision or emergency access): what an
        addendum's author must read of the note amended."""
        if author_id in self.authors and (kind != "private" or self.authors[author_id]):
            return True
        if kind == "private":
            return False
        return self.nonprivate_authors is None or author_id in self.nonprivate_authors

    def via(self, author_id: int, kind: str = "progress") -> str | None:
        """The path a note is read through when the permission table's own grants do not
        reach it: ``SUPERVISION``, ``EMERGENCY``, or None (read by role, or not at all)."""
        if kind == "private" or self.reads_by_role(author_id, kind):
            return None
        if author_id in self.supervised:
            return SUPERVISION
        return EMERGENCY if self.emergency is not None else None

    def can_read(self, author_id: int, kind: str = "progress") -> bool:
        """A chart note of ``author_id`` of this kind."""
        return self.reads_by_role(author_id, kind) or self.via(author_id, kind) is not None

    def document_via(self, uploader_id: int) -> str | None:
        """As ``via``, for a clinical document: emergency access opens none."""
        if self.reads_by_role(uploader_id, "progress"):
            return None
        return SUPERVISION if uploader_id in self.supervised else None

    def can_read_document(self, uploader_id: int) -> bool:
        """A clinical document ``uploader_id`` added."""
        return self.reads_by_role(uploader_id, "progress") or uploader_id in self.supervised

    def granted(self, why: str) -> bool:
        return any(grant.why == why for grant in self.grants)


def _outside_restricted_team(session: Session, actor: Staff, client_id: int) -> bool:
    """The client is restricted and ``actor`` is outside its care team (a hidden client
    reads as restricted: its row is not there for them)."""
    restricted = session.scalar(select(Client.restricted).where(Client.id == client_id))
    if restricted is None or restricted:
        return care_team_grant(session, actor, client_id) is None
    return False


# Emergency access (``client access --emergency``): how long it holds, and who may open it:
# the roles with some clinical access of their own (schedulers, billers and managers read no
# chart note, so they open none this way).
EMERGENCY_HOURS = 4
EMERGENCY_ROLES = ("owner", "records-custodian", "provider")


def chart_access(session: Session, actor: Staff, client_id: int, *, emergency: bool = True
                 ) -> ChartAccess:
    """An active provider reads their own notes, and the notes of each provider with an
    active chart share to them (private ones only if the share includes them); the owner
    reads every non-private note; a records custodian whose scope covers the client reads
    the non-private notes of the providers in their scope. Besides: a provider who
    supervises a provider who has the client reads that provider's non-private notes and
    clinical documents while the supervision holds, and whoever opened emergency access to
    the client reads every non-private note until it expires (``emergency=False`` leaves it
    out). Nobody else reads any."""
    access = ChartAccess()
    if not actor.active:
        return access
    # Supervision and emergency access stop at a restricted client's care team.
    outside_team = _outside_restricted_team(session, actor, client_id)
    if actor.has_role("provider"):
        access.authors[actor.id] = True
        access.grants.append(ChartGrant("own notes", actor.id))
        for share in active_shares_to(session, actor.id, client_id):
            access.authors[share.from_provider_id] = (
                access.authors.get(share.from_provider_id, False) or share.include_private_notes
            )
            access.grants.append(ChartGrant("chart share", share.from_provider_id,
                                            share.started_at, share.include_private_notes))
        for supervision in [] if outside_team else open_supervisions_by(session, actor.id):
            if is_assigned(session, supervision.supervisee_id, client_id):
                access.supervised[supervision.supervisee_id] = supervision.id
                access.grants.append(ChartGrant(
                    SUPERVISION, supervision.supervisee_id, supervision.starts_on,
                    until=supervision.ends_on, record_id=supervision.id))
    if actor.has_role("owner"):
        access.nonprivate_authors = None
        access.grants.append(ChartGrant("owner"))
    elif actor.has_role(CUSTODIAN):
        scope = custodian_scope(session, actor)
        if scope is None or scope & client_provider_ids(session, client_id):
            access.nonprivate_authors = scope
            access.grants.append(ChartGrant("records custodian"))
    if emergency and not outside_team and actor.has_role(*EMERGENCY_ROLES):
        opened = emergency_access_in_force(session, actor.id, client_id)
        if opened is not None:
            access.emergency = opened.id
            access.grants.append(ChartGrant(EMERGENCY, since=opened.started_at,
                                            until=opened.expires_at, record_id=opened.id))
    return access


def authorize_chart_listing(session: Session, actor: Staff, client: Client, action: str
                            ) -> ChartAccess:
    """Listing a chart needs a reason to look at it at all: the owner, a custodian whose scope
    covers the client, a provider who has the client or an incoming chart share, a
    supervisor of a provider who has the client, or emergency access."""
    audit_info = {"client_id": client.id}
    require_roles(actor, action, ("owner", CUSTODIAN, "provider"), **audit_info)
    chart = chart_access(session, actor, client.id)
    if (chart.granted("owner") or chart.granted("records custodian")
            or chart.granted("chart share") or chart.granted(SUPERVISION)
            or chart.granted(EMERGENCY)
            or (actor.has_role("provider") and is_assigned(session, actor.id, client.id))):
        return chart
    raise _deny(actor, action, "the client is not in your list or scope", **audit_info)


def _deny(actor: Staff, action: str, why: str, **audit: object) -> Denied:
    event = {"actor_id": actor.id, "action": action}
    event.update(audit)
    event.setdefault("object_type", "client" if audit.get("client_id") else "staff")
    event.setdefault("object_id", audit.get("client_id"))
    return Denied(f"{action}: {why}", audit=event)


def require_active(actor: Staff, action: str, **audit: object) -> None:
    if not actor.active:
        raise _deny(actor, action, f"{actor.email} is deactivated", **audit)


def require_roles(actor: Staff, action: str, roles: tuple[str, ...], **audit: object) -> None:
    require_active(actor, action, **audit)
    if not actor.has_role(*roles):
        raise _deny(
            actor, action, f"requires one of the roles {', '.join(roles)}", **audit
        )


# Roles allowed per action, before the per-client checks.
STAFF_ADMIN = ("owner", "manager")
CLIENT_EDITORS = ("owner", "manager", "scheduler", "provider")
PROFILE_READERS = ("owner", "manager", "scheduler", "biller", CUSTODIAN, "provider")
SHARERS = ("owner", "manager", CUSTODIAN, "provider")
AUDIT_READERS = ("owner", "manager", CUSTODIAN)
# Who finds and merges duplicate client records (migration 0007: clinicctl_merge_clients).
MERGERS = ("owner", "manager")


def authorize_staff_admin(actor: Staff, action: str, *, roles: list[str] = ()) -> None:  # type: ignore[assignment]
    """Staff add / roles / deactivate. Managers may not hand out owner or custodian roles."""
    require_roles(actor, action, STAFF_ADMIN, object_type="staff")
    if not actor.has_role("owner") and set(roles) & {"owner", CUSTODIAN}:
        raise _deny(actor, action, "only the owner grants the owner or records-custodian role",
                    object_type="staff")


def authorize_records_owner_change(actor: Staff, staff: Staff) -> None:
    """Who owns a provider's records decides who may share their chart, so only the owner of
    the practice changes it once the provider exists."""
    if not actor.has_role("owner"):
        raise _deny(actor, Action.STAFF_UPDATE, f"only the owner changes who owns {staff.name}'s "
                    "records", object_type="staff", object_id=staff.id)


def authorize_merge(actor: Staff, action: str, *, keep: Client | None = None,
                    duplicate: Client | None = None) -> None:
    """``client duplicates`` and ``client merge``: the owner and managers, who see every
    client's profile and may take any client off any list. A merge moves every provider's
    records of the duplicate, so no narrower role may make it."""
    audit: dict[str, object] = {"object_type": "client"}
    if keep is not None and duplicate is not None:
        audit = {"client_id": keep.id, "details": {"merged_client_id": duplicate.id}}
    require_roles(actor, action, MERGERS, **audit)


def profile_grant(session: Session, actor: Staff, client: Client, *, emergency: bool = True
                  ) -> str | None:
    """Why ``actor`` may see the client profile and non-clinical documents, or None.
    ``emergency=False`` leaves out emergency access, which reads and never writes."""
    if not actor.active:
        return None
    if client.restricted:
        # A restricted client's profile is their care team's only: no role grants it.
        return care_team_grant(session, actor, client.id)
    for role in ("owner", "manager", "scheduler", "biller"):
        if actor.has_role(role):
            return f"role {role}"
    if actor.has_role("provider") and is_assigned(session, actor.id, client.id):
        return "in their list"
    if actor.has_role(CUSTODIAN) and custodian_covers_client(session, actor, client.id):
        return "records custodian in scope"
    if emergency and actor.has_role(*EMERGENCY_ROLES):
        opened = emergency_access_in_force(session, actor.id, client.id)
        if opened is not None:
            until = opened.expires_at.astimezone(practice_zone(session))
            return f"emergency access until {until.strftime('%Y-%m-%d %H:%M %Z')}"
    return None


# --- restricted clients (SPEC section 9) ------------------------------------------------------
# A restricted client is seen only by their care team. Migration 0011 states the same rule for
# PostgreSQL logins (clinicctl_in_care_team, clinicctl_restriction_allows = not restricted or
# in the care team).
RESTRICTERS = ("owner", CUSTODIAN)


def care_team_grant(session: Session, actor: Staff, client_id: int) -> str | None:
    """Why ``actor`` is in a client's care team, or None: the owner, a provider who has the
    client in their list, a records custodian whose scope covers the client."""
    if not actor.active:
        return None
    if actor.has_role("owner"):
        return "role owner"
    if actor.has_role("provider") and is_assigned(session, actor.id, client_id):
        return "in their list"
    if actor.has_role(CUSTODIAN) and custodian_covers_client(session, actor, client_id):
        return "records custodian in scope"
    return None


def hidden_clients(session: Session, actor: Staff) -> set[int]:
    """The restricted clients outside ``actor``'s care team: ``care_team_grant`` for every
    restricted client at once (the owner and custodians of every provider see them all)."""
    if not actor.active:
        return restricted_outside(session, set())
    if actor.has_role("owner"):
        return set()
    providers: set[int] = set()
    if actor.has_role(CUSTODIAN):
        scope = custodian_scope(session, actor)
        if scope is None:
            return set()
        providers |= scope
    if actor.has_role("provider"):
        providers.add(actor.id)
    return restricted_outside(session, providers)


def hide_restricted_clients(session: Session, actor: Staff) -> None:
    """Leave the restricted clients outside ``actor``'s care team out of everything the
    session reads: their client rows (so no listing, search, reference, name or export finds
    them, in the same words as a client that does not exist), their assignments and their
    group memberships. What PostgreSQL's policies do for a login (migration 0011), done
    for every actor on both stores. Appointments and their places stay: the slot is taken,
    and scheduling shows "restricted client"."""
    hidden = tuple(sorted(hidden_clients(session, actor)))
    if not hidden:
        return

    def leave_out(state: ORMExecuteState) -> None:
        if state.is_select or state.is_update or state.is_delete:
            state.statement = state.statement.options(
                with_loader_criteria(Client, lambda cls: cls.id.not_in(hidden),
                                     include_aliases=True),
                with_loader_criteria(Assignment, lambda cls: cls.client_id.not_in(hidden),
                                     include_aliases=True),
                with_loader_criteria(ClientGroupMember,
                                     lambda cls: cls.client_id.not_in(hidden),
                                     include_aliases=True))

    event.listen(session, "do_orm_execute", leave_out)


def authorize_restrict(session: Session, actor: Staff, client: Client | None, action: str
                       ) -> None:
    """``client restrict``: the owner, or a records custodian whose scope covers the client
    (``client`` None: the roles alone, checked before the client is looked up)."""
    audit = {"client_id": client.id} if client is not None else {"object_type": "client"}
    require_roles(actor, action, RESTRICTERS, **audit)
    if client is None or actor.has_role("owner"):
        return
    if not custodian_covers_client(session, actor, client.id):
        raise _deny(actor, action, "the client is outside your records-custodian scope",
                    **audit)


def authorize_client_profile(session: Session, actor: Staff, client: Client, action: str,
                             *, write: bool = False) -> None:
    """Client profile and non-clinical documents (``write``: adding one, which emergency
    access does not allow)."""
    audit = {"client_id": client.id}
    require_roles(actor, action, PROFILE_READERS, **audit)
    if profile_grant(session, actor, client, emergency=not write) is None:
        raise _deny(actor, action, "the client is not in your list or scope", **audit)


def authorize_client_edit(
    session: Session, actor: Staff, client: Client | None, action: str
) -> None:
    """Client add / edit demographics: owner, manager, scheduler, provider (own clients)."""
    audit = {"client_id": client.id} if client else {"object_type": "client"}
    require_roles(actor, action, CLIENT_EDITORS, **audit)
    if actor.has_role("owner", "manager", "scheduler") or client is None:
        return
    if is_assigned(session, actor.id, client.id):
        return
    raise _deny(actor, action, "providers edit only their own clients", **audit)


def authorize_assignment_edit(
    session: Session, actor: Staff, assignment: Assignment, action: str, *, clinical: bool
) -> None:
    """A provider's own settings for a client: status (also schedulers) and diagnosis."""
    audit = {"client_id": assignment.client_id, "details": {"provider_id": assignment.provider_id}}
    roles = ("owner", "manager", "provider") if clinical else CLIENT_EDITORS
    require_roles(actor, action, roles, **audit)
    if actor.has_role("owner", "manager") or (not clinical and actor.has_role("scheduler")):
        return
    if actor.id == assignment.provider_id:
        return
    raise _deny(actor, action, "providers change only their own settings for a client", **audit)


def authorize_share(
    session: Session,
    actor: Staff,
    client: Client,
    from_provider: Staff,
    *,
    chart: bool,
    action: str,
    to_provider: Staff | None = None,
    facts: Facts | None = None,
) -> None:
    """``client share`` / ``unshare`` without an appointment (schedulers and billers may not).

    Nobody starts a chart share to themselves from someone else's chart: an owner, manager or
    custodian who also holds the provider role would otherwise grant themselves the notes
    (private ones included) that the permission table withholds from their role.

    ``chart`` is true when the command starts a chart share; when the from-provider owns their
    own records, only they may do that.
    """
    audit = {
        "client_id": client.id,
        "details": {"from_id": from_provider.id, "chart": chart},
    }
    require_roles(actor, action, SHARERS, **audit)
    if (chart and to_provider is not None and actor.id == to_provider.id
            and actor.id != from_provider.id):
        raise _deny(actor, action, "you cannot start a chart share to yourself; the "
                    f"provider ({from_provider.name}) or a colleague must", **audit)
    if chart and from_provider.records_owner == "provider" and actor.id != from_provider.id:
        raise _deny(
            actor, action,
            f"{from_provider.name} owns their records; only they may share their chart",
            **audit,
        )
    if actor.has_role("owner", "manager"):
        return
    facts = facts or Facts(session)
    if actor.has_role(CUSTODIAN):
        scope = facts.custodian_scope(actor)
        if scope is None or from_provider.id in scope:
            return
        if not actor.has_role("provider"):
            raise _deny(actor, action, f"{from_provider.name} is outside your "
                        "records-custodian scope", **audit)
    if actor.has_role("provider") and actor.id == from_provider.id:
        # "from themselves only, when assigned": a provider shares only a client in their list.
        if facts.is_assigned(actor.id, client.id):
            return
        raise _deny(actor, action, "the client is not in your list", **audit)
    raise _deny(actor, action, "providers share only from themselves", **audit)


def authorize_note_write(session: Session, actor: Staff, client: Client, action: str) -> None:
    audit = {"client_id": client.id}
    require_roles(actor, action, ("provider",), **audit)
    if not is_assigned(session, actor.id, client.id):
        raise _deny(actor, action, "only providers assigned to the client write notes", **audit)


def authorize_clinical_read(
    session: Session,
    actor: Staff,
    client: Client,
    author_id: int,
    kind: str,
    action: str,
    object_type: str,
    object_id: int,
) -> ChartAccess:
    """A chart note (``object_type`` "chart_note") or a clinical document ("document");
    returns the actor's access, whose ``via`` says which path the read went through."""
    audit = {"client_id": client.id, "object_type": object_type, "object_id": object_id}
    require_active(actor, action, **audit)
    chart = chart_access(session, actor, client.id)
    readable = (chart.can_read_document(author_id) if object_type == "document"
                else chart.can_read(author_id, kind))
    if not readable:
        raise _deny(actor, action, f"no access to this {object_type.replace('_', ' ')}", **audit)
    return chart


def authorize_document_listing(session: Session, actor: Staff, client: Client, action: str
                               ) -> tuple[ChartAccess, bool]:
    """``doc list``: non-clinical documents go with the profile, clinical ones with the
    chart, so a supervisor lists the clinical documents of a supervisee's client without
    its profile. Returns the chart access and whether the profile is readable."""
    audit = {"client_id": client.id}
    require_roles(actor, action, PROFILE_READERS, **audit)
    chart = chart_access(session, actor, client.id)
    profile = profile_grant(session, actor, client) is not None
    if not profile and not chart.granted(SUPERVISION):
        raise _deny(actor, action, "the client is not in your list or scope", **audit)
    return chart, profile


def sees_emergency_access_of_others(session: Session, actor: Staff, client: Client) -> bool:
    """Who broke the glass is for those who read the client's audit trail (the owner,
    managers, records custodians in scope); everyone else sees only their own."""
    return actor.has_role("owner", "manager") or (
        actor.has_role(CUSTODIAN) and custodian_covers_client(session, actor, client.id))


def authorize_emergency_access(actor: Staff, client: Client) -> None:
    """``client access --emergency``: whoever has some clinical access of their own."""
    require_roles(actor, Action.CLIENT_EMERGENCY, EMERGENCY_ROLES, client_id=client.id,
                  object_type="emergency_access", object_id=None)


def authorize_supervision_admin(actor: Staff, supervisee: Staff, supervisor: Staff) -> None:
    """``staff supervise``: the owner and managers set up, change and end supervision; a
    manager never one of or by themselves (a manager who is also a provider would otherwise
    make themselves the reader of any provider's chart, or end their own co-signing)."""
    audit = {"object_type": "staff", "object_id": supervisee.id,
             "details": {"supervisor_id": supervisor.id}}
    require_roles(actor, Action.STAFF_SUPERVISE, STAFF_ADMIN, **audit)
    if not actor.has_role("owner") and actor.id in (supervisee.id, supervisor.id):
        raise _deny(actor, Action.STAFF_SUPERVISE, "only the owner sets up or changes a "
                    "supervision of or by themselves", **audit)


def may_cosign(session: Session, actor: Staff, author_id: int) -> int | None:
    """The supervision under which ``actor`` co-signs ``author_id``'s notes today, or None:
    an active provider whose open supervision of the author has ``cosign``."""
    if not actor.active or not actor.has_role("provider"):
        return None
    for supervision in open_supervisions_by(session, actor.id):
        if supervision.supervisee_id == author_id and supervision.cosign:
            return supervision.id
    return None


def authorize_cosign(session: Session, actor: Staff, client: Client, author: Staff,
                     note_id: int) -> int:
    """``note sign``: only a supervisor who co-signs the author's notes. Returns the
    supervision."""
    audit = {"client_id": client.id, "object_type": "chart_note", "object_id": note_id}
    require_roles(actor, Action.NOTE_SIGN, ("provider",), **audit)
    supervision = may_cosign(session, actor, author.id)
    if supervision is None:
        raise _deny(actor, Action.NOTE_SIGN, f"only a supervisor who co-signs {author.name}'s "
                    "notes signs them", **audit)
    return supervision


def authorize_document_add(
    session: Session, actor: Staff, client: Client, *, clinical: bool, action: str
) -> None:
    """Clinical documents are clinical records: only assigned providers add them."""
    if clinical:
        authorize_note_write(session, actor, client, action)
    else:
        authorize_client_profile(session, actor, client, action, write=True)
        if actor.has_role("biller") and not actor.has_role(
            "owner", "manager", "scheduler", CUSTODIAN, "provider"
        ):
            raise _deny(actor, action, "billers do not add documents", client_id=client.id)


def authorize_login_binding(actor: Staff) -> None:
    """Binding staff members to database logins decides who each login is: owner only."""
    require_roles(actor, Action.STAFF_LOGIN, ("owner",), object_type="staff")


def authorize_audit_read(actor: Staff, action: str) -> None:
    require_roles(actor, action, AUDIT_READERS, object_type="audit")


def authorize_custodian_grant(actor: Staff, action: str) -> None:
    require_roles(actor, action, ("owner",), object_type="staff")


CATALOG_EDITORS = ("owner", "manager")
SCHEDULE_EDITORS = ("owner", "manager", "scheduler")
BOOKERS = ("owner", "manager", CUSTODIAN, "scheduler", "provider")


def authorize_catalog_edit(actor: Staff, action: str) -> None:
    """Locations and service codes: owner and managers."""
    require_roles(actor, action, CATALOG_EDITORS, object_type="catalog")


AVAILABILITY_EDITORS = (*SCHEDULE_EDITORS, "provider")


def authorize_availability(actor: Staff, provider: Staff, action: str) -> None:
    """Availability and time off: owner, managers, schedulers for anyone; providers their own."""
    audit = {"object_type": "staff", "object_id": provider.id}
    require_roles(actor, action, AVAILABILITY_EDITORS, **audit)
    if actor.has_role(*SCHEDULE_EDITORS) or actor.id == provider.id:
        return
    raise _deny(actor, action, "providers manage only their own availability", **audit)


def authorize_time_off_listing(actor: Staff, provider: Staff | None) -> int | None:
    """Listing time off, as adding it: anyone's for owner, managers and schedulers, their own
    for a provider (who asks for nobody in particular gets their own). Returns the provider
    id the listing is limited to (None: every provider)."""
    action = Action.AVAILABILITY_TIMEOFF_LIST
    if provider is not None:
        authorize_availability(actor, provider, action)
        return provider.id
    require_roles(actor, action, AVAILABILITY_EDITORS, object_type="time_off")
    return None if actor.has_role(*SCHEDULE_EDITORS) else actor.id


def authorize_booking(
    session: Session, actor: Staff, client: Client, provider: Staff, action: str
) -> None:
    """Book, cancel, reschedule, complete: a provider for themselves, or for a client in their
    list with a colleague; billers never."""
    audit = {"client_id": client.id, "details": {"provider_id": provider.id}}
    require_roles(actor, action, BOOKERS, **audit)
    if actor.has_role("owner", "manager", "scheduler"):
        return
    if actor.has_role("provider") and (actor.id == provider.id
                                       or is_assigned(session, actor.id, client.id)):
        return
    if actor.has_role(CUSTODIAN):
        # A records custodian's scope limits everything the role grants: they book for the
        # clients in their scope (a booking with an in-scope provider for any other client
        # would put that client in scope, widening it by their own hand).
        if custodian_covers_client(session, actor, client.id):
            return
        raise _deny(actor, action, "the client is outside your records-custodian scope",
                    **audit)
    raise _deny(actor, action, "providers book for themselves, or for a client in their list",
                **audit)


# Client groups (``group ...``). Migration 0008 states both rules again for the database
# (clinicctl_may_read_group, clinicctl_may_edit_group).
GROUP_EDITORS = ("owner", "manager", "scheduler", "provider")
GROUP_READERS = ("owner", "manager", "scheduler", "biller", CUSTODIAN, "provider")


def authorize_group_edit(actor: Staff, provider: Staff, action: str,
                         group_id: int | None = None) -> None:
    """Create, change the members of, archive or restore a client group: owner, managers and
    schedulers for any provider's group; a provider for their own groups."""
    audit = {"object_type": "client_group", "object_id": group_id,
             "details": {"provider_id": provider.id}}
    require_roles(actor, action, GROUP_EDITORS, **audit)
    if actor.has_role("owner", "manager", "scheduler") or actor.id == provider.id:
        return
    raise _deny(actor, action, "providers manage only their own groups", **audit)


def group_reader_scope(session: Session, actor: Staff, action: str) -> set[int] | None:
    """The providers whose client groups ``actor`` may see (None: every provider).

    Owner, managers, schedulers and billers see every group; a provider their own; a records
    custodian the groups of the providers in their scope. Group names and members are
    clinical information: a provider sees no group of a colleague's.
    """
    require_roles(actor, action, GROUP_READERS, object_type="client_group")
    if actor.has_role("owner", "manager", "scheduler", "biller"):
        return None
    providers: set[int] = set()
    if actor.has_role(CUSTODIAN):
        scope = custodian_scope(session, actor)
        if scope is None:
            return None
        providers |= scope
    if actor.has_role("provider"):
        providers.add(actor.id)
    return providers


# Import and export, per kind of data. Exports never hold chart-note bodies or clinical
# documents, whatever the role; schedulers and billers exchange appointments only.
APPOINTMENT_EXCHANGERS = ("owner", "manager", "scheduler", "biller")
EXPORTERS = {
    "locations": ("owner", "manager", CUSTODIAN),
    "services": ("owner", "manager", CUSTODIAN),
    "clients": ("owner", "manager", CUSTODIAN),
    "staff": ("owner", "manager", CUSTODIAN),
    "assignments": ("owner", "manager", CUSTODIAN),
    "shares": ("owner", "manager", CUSTODIAN),
    "availability": ("owner", "manager", CUSTODIAN),
    "timeoff": ("owner", "manager", CUSTODIAN),
    "audit": ("owner", "manager", CUSTODIAN),
    "appointments": (*APPOINTMENT_EXCHANGERS, CUSTODIAN),
    "calendar": (*APPOINTMENT_EXCHANGERS, CUSTODIAN),
    # Clients, care teams and chart shares as well as appointments: as `export clients`.
    "fhir": ("owner", "manager", CUSTODIAN),
}
IMPORTERS = {
    "locations": ("owner", "manager"),
    "services": ("owner", "manager"),
    "clients": ("owner", "manager"),
    "staff": ("owner", "manager"),
    "availability": ("owner", "manager"),
    "timeoff": ("owner", "manager"),
    "assignments": ("owner", "manager"),
    # Each imported appointment is also checked as a booking, which billers may not make.
    "appointments": APPOINTMENT_EXCHANGERS,
}


def authorize_export(session: Session, actor: Staff, kind: str, *,
                     provider: Staff | None = None) -> set[int] | None:
    """Export one kind of data; returns the provider ids whose clients it may hold (None: all).

    A records custodian exports only the clients of the providers in their scope (and
    ``provider``, when the export is for one provider, must be in it).
    """
    action = Action(f"export.{kind}")
    audit = {"object_type": "export", "details": {"kind": kind}}
    require_roles(actor, action, EXPORTERS[kind], **audit)
    if actor.has_role("owner", "manager"):
        return None
    if kind in ("appointments", "calendar") and actor.has_role(*APPOINTMENT_EXCHANGERS):
        return None
    scope = custodian_scope(session, actor)
    if scope is not None and not scope:
        raise _deny(actor, action, "your records-custodian scope has expired", **audit)
    if provider is not None and scope is not None and provider.id not in scope:
        raise _deny(actor, action, f"{provider.name} is outside your records-custodian scope",
                    **audit)
    return scope


def authorize_import(actor: Staff, kind: str) -> None:
    """Import one kind of data (rows are then checked like the single command they stand for)."""
    require_roles(actor, Action(f"import.{kind}"), IMPORTERS[kind], object_type="import",
                  details={"kind": kind})
