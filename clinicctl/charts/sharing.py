"""Sharing a client between providers of the group.

Demographics only (the default) puts the client in the other provider's list: they see the
profile, the per-provider settings and the non-clinical documents, never chart notes. A chart
share is a separate one-way grant from one provider to another for one client; ending it
leaves the demographics-only access in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinicctl import access, relations, trail
from clinicctl.actions import Action
from clinicctl.errors import Conflict, InvalidInput
from clinicctl.models import Assignment, ChartShare, Client, Staff, utcnow
from clinicctl.people.clients import assign, assignments_of, get_assignment
from clinicctl.people.refs import resolve_client, resolve_provider
from clinicctl.people.restriction import restricted_alert


@dataclass
class ShareResult:
    client_id: int
    from_id: int
    to_id: int
    assignment: str  # created | existing | removed | none
    chart_share: str  # none | started | active | ended
    changed: bool
    # The active chart share's private-notes choice after the command (None without one),
    # and whether this command widened or narrowed it.
    include_private_notes: bool | None = None
    private_notes_change: str | None = None  # widened | narrowed
    # Every chart share the command ended, the one asked for and those ended with it
    # (``unshare --remove`` ends each chart share into the list it removes the client from).
    ended: list[EndedShare] = field(default_factory=list)
    # A restricted client: whoever gets them in their list joins their care team.
    restricted: bool = False
    # for messages only; not part of the JSON document
    to_name: str = field(default="", repr=False)
    from_name: str = field(default="", repr=False)
    notes: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, object]:
        return {"client_id": self.client_id, "from_id": self.from_id, "to_id": self.to_id,
                "assignment": self.assignment, "chart_share": self.chart_share,
                "include_private_notes": self.include_private_notes,
                "ended_chart_shares": [{"from_id": e.from_id, "from": e.from_name,
                                        "to_id": e.to_id} for e in self.ended],
                "changed": self.changed, **({"restricted": True} if self.restricted else {})}


@dataclass
class EndedShare:
    from_id: int
    from_name: str
    to_id: int


def active_chart_share(
    session: Session, client_id: int, from_id: int, to_id: int
) -> ChartShare | None:
    return session.scalar(
        select(ChartShare).where(
            ChartShare.client_id == client_id,
            ChartShare.from_provider_id == from_id,
            ChartShare.to_provider_id == to_id,
            ChartShare.ended_at.is_(None),
        )
    )


class ShareStore(relations.Facts):
    """What ``share`` and ``unshare`` look up and write, one row at a time.

    ``client share --csv`` uses a subclass that answers the same questions for a chunk of
    rows loaded in a few queries, and makes the chunk's writes together in bulk statements;
    the rules stay in ``share``, ``unshare`` and ``access.authorize_share``. Both functions
    check everything before they write anything, so a row that fails leaves no trace.
    """

    def resolve(self, client_ref: str, from_ref: str, to_ref: str
                ) -> tuple[Client, Staff, Staff]:
        return (resolve_client(self.session, client_ref),
                resolve_provider(self.session, from_ref, what="from-provider"),
                resolve_provider(self.session, to_ref, what="to-provider"))

    def assignment(self, client_id: int, provider_id: int) -> Assignment | None:
        return get_assignment(self.session, client_id, provider_id)

    def is_assigned(self, provider_id: int, client_id: int) -> bool:
        return self.assignment(client_id, provider_id) is not None

    def chart_share(self, client_id: int, from_id: int, to_id: int) -> ChartShare | None:
        return active_chart_share(self.session, client_id, from_id, to_id)

    def add_assignment(self, actor: Staff, client: Client, provider: Staff) -> None:
        assign(self.session, actor, client, provider, origin="share")

    def start_chart_share(self, actor: Staff, client: Client, source: Staff, target: Staff,
                          *, private_notes: bool) -> None:
        started = ChartShare(client_id=client.id, from_provider_id=source.id,
                             to_provider_id=target.id, include_private_notes=private_notes,
                             started_by_id=actor.id)
        self.session.add(started)
        self.session.flush()
        trail.record(self.session, actor_id=actor.id, action=Action.CHART_SHARE_START,
                     object_type="chart_share", object_id=started.id, client_id=client.id,
                     details={"from_id": source.id, "to_id": target.id,
                              "include_private_notes": private_notes})

    def end_chart_share(self, actor: Staff, chart_share: ChartShare) -> None:
        end_share(self.session, actor, chart_share)

    def record(self, **event: Any) -> None:
        trail.record(self.session, **event)


def _pair(store: ShareStore, client_ref: str, from_ref: str, to_ref: str
          ) -> tuple[Client, Staff, Staff]:
    client, source, target = store.resolve(client_ref, from_ref, to_ref)
    if source.id == target.id:
        raise InvalidInput(f"--from and --to are the same provider ({source.name})")
    return client, source, target


def share(
    session: Session,
    actor: Staff,
    client_ref: str,
    from_ref: str,
    to_ref: str,
    *,
    chart: bool = False,
    private_notes: bool | None = None,
    store: ShareStore | None = None,
) -> ShareResult:
    """Share a client from one provider to another: demographics only unless ``chart``.

    ``private_notes`` True widens a chart share to private notes, False narrows it, and None
    (not asked) keeps an active chart share as it is: nothing narrows or widens silently."""
    store = store or ShareStore(session)
    if private_notes and not chart:
        raise InvalidInput("--private-notes only applies to a chart share; add --chart")
    client, source, target = _pair(store, client_ref, from_ref, to_ref)
    if not target.active:
        raise InvalidInput(f"{target.name} is deactivated; share with an active provider")
    access.authorize_share(session, actor, client, source, chart=chart, action=Action.CLIENT_SHARE,
                           to_provider=target, facts=store)
    if store.assignment(client.id, source.id) is None:
        raise Conflict(f"client #{client.id} is not in {source.name}'s list; share from a "
                       "provider who has the client")

    # Every check is done: from here on the share writes.
    result = ShareResult(client.id, source.id, target.id, "existing", "none", False,
                         restricted=client.restricted, to_name=target.name,
                         from_name=source.name)
    target_assignment = store.assignment(client.id, target.id)
    if target_assignment is None:
        store.add_assignment(actor, client, target)
        result.assignment = "created"
        result.changed = True
        if client.restricted:
            result.notes.append(restricted_alert(client.id, target.name))
    elif target_assignment.status in ("inactive", "discharged"):
        result.notes.append(
            f"{target.name}'s status for this client is {target_assignment.status}; "
            "change it with `client status`"
        )

    current = store.chart_share(client.id, source.id, target.id)
    if current is not None:
        result.include_private_notes = current.include_private_notes
    if chart:
        wanted = private_notes if private_notes is not None else (
            current is not None and current.include_private_notes)
        if current is not None and current.include_private_notes == wanted:
            result.chart_share = "active"
        else:
            if current is not None:
                # A different private-notes choice is a new grant: end the old one so the
                # history shows exactly what was shared when.
                store.end_chart_share(actor, current)
                result.private_notes_change = "widened" if wanted else "narrowed"
            store.start_chart_share(actor, client, source, target, private_notes=wanted)
            result.chart_share = "started"
            result.include_private_notes = wanted
            result.changed = True
    elif current is not None:
        result.chart_share = "active"
    if result.changed:
        store.record(actor_id=actor.id, action=Action.CLIENT_SHARE, object_type="client",
                     object_id=client.id, client_id=client.id,
                     details={"from_id": source.id, "to_id": target.id,
                              "assignment": result.assignment,
                              "chart_share": result.chart_share})
    return result


def end_share(session: Session, actor: Staff, chart_share: ChartShare, *,
              reason: str | None = None) -> None:
    """End one active chart share now, audited (with the reason when it ended as a side
    effect of something else)."""
    chart_share.ended_at = utcnow()
    chart_share.ended_by_id = actor.id
    session.flush()
    details: dict[str, object] = {"from_id": chart_share.from_provider_id,
                                  "to_id": chart_share.to_provider_id}
    if reason:
        details["reason"] = reason
    trail.record(session, actor_id=actor.id, action=Action.CHART_SHARE_END,
                 object_type="chart_share",
                 object_id=chart_share.id, client_id=chart_share.client_id,
                 details=details)


def end_chart_shares_of(session: Session, actor: Staff, staff: Staff, *, reason: str
                        ) -> list[ChartShare]:
    """End every active chart share from or to ``staff`` (who was deactivated or lost the
    provider role): a grant that lost its footing must not come back if they return."""
    shares = list(session.scalars(
        select(ChartShare).where(
            ChartShare.ended_at.is_(None),
            (ChartShare.from_provider_id == staff.id) | (ChartShare.to_provider_id == staff.id),
        ).order_by(ChartShare.id)
    ))
    for chart_share in shares:
        end_share(session, actor, chart_share, reason=reason)
    return shares


def unshare(
    session: Session,
    actor: Staff,
    client_ref: str,
    from_ref: str,
    to_ref: str,
    *,
    remove: bool = False,
    store: ShareStore | None = None,
) -> ShareResult:
    """End the chart share from one provider to another; with ``remove``, also take the
    client off the second provider's list (which ends every chart share into that list)."""
    store = store or ShareStore(session)
    client, source, target = _pair(store, client_ref, from_ref, to_ref)
    access.authorize_share(session, actor, client, source, chart=False,
                           action=Action.CLIENT_UNSHARE, facts=store)
    target_assignment = store.assignment(client.id, target.id)
    result = ShareResult(client.id, source.id, target.id,
                         "existing" if target_assignment else "none", "none", False,
                         restricted=client.restricted, to_name=target.name,
                         from_name=source.name)
    if remove and target_assignment is not None:
        _refuse_removal_with_upcoming_appointments(session, client, target)
    # Every check is done: from here on the unshare writes.
    current = store.chart_share(client.id, source.id, target.id)
    if current is not None:
        store.end_chart_share(actor, current)
        result.chart_share = "ended"
        result.ended.append(EndedShare(source.id, source.name, target.id))
        result.changed = True
    if remove and target_assignment is not None:
        others = list(session.scalars(
            select(ChartShare).where(
                ChartShare.client_id == client.id,
                ChartShare.to_provider_id == target.id,
                ChartShare.ended_at.is_(None),
            ).order_by(ChartShare.id)
        ))
        session.delete(target_assignment)
        session.flush()
        trail.record(session, actor_id=actor.id, action=Action.ASSIGNMENT_REMOVE,
                     object_type="assignment", object_id=target_assignment.id,
                     client_id=client.id, details={"provider_id": target.id})
        # The client has left the target's list, so no chart share into it stands (ending
        # them after the removal is also what the row-level security policy allows).
        names: dict[int, str] = {row.id: row.name for row in session.execute(
            select(Staff.id, Staff.name).where(
                Staff.id.in_({other.from_provider_id for other in others})))}
        for other in others:
            end_share(session, actor, other, reason="client removed from the list")
            result.ended.append(EndedShare(other.from_provider_id,
                                           names[other.from_provider_id], target.id))
        result.assignment = "removed"
        result.changed = True
    if result.changed:
        store.record(actor_id=actor.id, action=Action.CLIENT_UNSHARE, object_type="client",
                     object_id=client.id, client_id=client.id,
                     details={"from_id": source.id, "to_id": target.id,
                              "assignment": result.assignment,
                              "chart_share": result.chart_share})
    return result


def _refuse_removal_with_upcoming_appointments(
    session: Session, client: Client, provider: Staff
) -> None:
    from clinicctl.scheduling.appointments import upcoming_with

    upcoming = upcoming_with(session, client.id, provider.id)
    if upcoming is not None:
        raise Conflict(
            f"{provider.name} has upcoming appointments with client #{client.id} "
            f"(next: #{upcoming.id}); cancel them before removing the client from the list"
        )


@dataclass
class ProviderSharing:
    provider_id: int
    provider: str
    status: str
    diagnosis: list[str]
    shares_to: list[dict[str, object]]


def sharing_section(session: Session, actor: Staff, client_ref: str
                    ) -> tuple[Client, list[ProviderSharing]]:
    """The chart-sharing section: every provider of the client and their outgoing shares."""
    client = resolve_client(session, client_ref)
    access.authorize_client_profile(session, actor, client, Action.CLIENT_SHARING)
    shares = session.scalars(
        select(ChartShare).where(ChartShare.client_id == client.id,
                                 ChartShare.ended_at.is_(None)).order_by(ChartShare.id)
    ).all()
    from clinicctl.days import practice_zone
    from clinicctl.people.names import staff_names

    zone = practice_zone(session)
    names = staff_names(session, actor, (s.to_provider_id for s in shares))
    rows = []
    for assignment in assignments_of(session, client.id):
        outgoing: list[dict[str, object]] = [
            {"provider_id": s.to_provider_id, "provider": names.get(s.to_provider_id),
             "include_private_notes": s.include_private_notes,
             "since": s.started_at.astimezone(zone)}
            for s in shares if s.from_provider_id == assignment.provider_id
        ]
        rows.append(ProviderSharing(assignment.provider_id, assignment.provider.name,
                                    assignment.status, assignment.diagnosis_codes, outgoing))
    return client, rows






