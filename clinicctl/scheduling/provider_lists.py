"""A client in a provider's list because of scheduling: a booking, a group's new member, a
client added to a session. Demographics only, never chart notes, and always said."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from clinicctl import trail
from clinicctl.actions import Action
from clinicctl.models import Client, Staff
from clinicctl.people.clients import assign, get_assignment
from clinicctl.people.names import is_stand_in
from clinicctl.people.restriction import restricted_alert


@dataclass
class ClientPlace:
    """A client of a session other than the first, and what booking did to the provider's
    list for them (``BookingResult.new_provider`` and ``reactivated`` are the first's)."""

    client: Client
    new_provider: bool = False
    reactivated: str | None = None


def place_messages(place: ClientPlace, provider: Staff) -> list[str]:
    """The alerts for one client: new to the provider, or reactivated in their list."""
    lines = []
    client = place.client
    if place.new_provider:
        lines.append(
            f"Alert: client #{client.id} is new to {provider.name}: added to their list "
            "with demographics only (the client profile, including each provider's status "
            "and diagnosis, and non-clinical documents). No chart notes were shared.")
        if client.restricted:
            lines.append(restricted_alert(client.id, provider.name))
    if place.reactivated:
        lines.append(f"Client #{client.id} was {place.reactivated} in {provider.name}'s "
                     "list; reactivated.")
    return lines


def ensure_place_in_list(session: Session, actor: Staff, place: ClientPlace, provider: Staff,
                         action: str, *, origin: str = "appointment") -> None:
    client = place.client
    if is_stand_in(client):
        # A restricted client outside the actor's care team: their slot moves in time only
        # (appointments.reschedule), with the provider who has them.
        return
    assignment = get_assignment(session, client.id, provider.id)
    if assignment is None:
        assign(session, actor, client, provider, origin=origin)
        place.new_provider = True
    elif assignment.status in ("inactive", "discharged"):
        place.reactivated = assignment.status
        assignment.status = "active"
        trail.record(session, actor_id=actor.id, action=Action.CLIENT_STATUS,
                     object_type="assignment", object_id=assignment.id, client_id=client.id,
                     details={"provider_id": provider.id, "from": place.reactivated,
                              "to": "active", "by": action})
