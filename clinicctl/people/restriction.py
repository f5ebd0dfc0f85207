"""Restricted clients (``client restrict``): a client seen only by their care team.

A staff member or a public figure in care is restricted by the owner or by a records
custodian whose scope covers them. Their care team (assigned providers, the owner, records
custodians in scope) sees them as before; for everyone else they are left out of every
listing, search, reference, export and group, and scheduling shows their sessions as
"restricted client" (``access.hide_restricted_clients``). Sharing one adds the recipient to
the team, and says so (``RESTRICTED_ALERT``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from clinicctl import access, trail
from clinicctl.actions import Action
from clinicctl.db import reads_through_functions
from clinicctl.models import Client, Staff
from clinicctl.people.refs import resolve_client


def restricted_alert(client_id: int, provider_name: str) -> str:
    """The line every path that adds a provider to a restricted client's list prints (an
    alert: --quiet never hides it)."""
    return (f"Alert: client #{client_id} is restricted: {provider_name} joins their care team "
            "and sees their profile and appointments.")


@dataclass
class RestrictResult:
    client: Client
    restricted: bool
    changed: bool

    def as_dict(self) -> dict[str, object]:
        return {"client_id": self.client.id, "restricted": self.restricted,
                "changed": self.changed}


def restrict(session: Session, actor: Staff, client_ref: str, *, restricted: bool = True
             ) -> RestrictResult:
    """Restrict a client to their care team, or lift the restriction (``restricted``
    False). Asking for what is already so changes nothing and writes no event."""
    # The role first: whoever may not restrict learns nothing of which clients exist.
    access.authorize_restrict(session, actor, None, Action.CLIENT_RESTRICT)
    client = resolve_client(session, client_ref)
    access.authorize_restrict(session, actor, client, Action.CLIENT_RESTRICT)
    if client.restricted == restricted:
        return RestrictResult(client, restricted, changed=False)
    set_restricted(session, client, restricted)
    if not reads_through_functions(session):
        # (A PostgreSQL login's change is recorded by clinicctl_restrict_client itself.)
        trail.record(session, actor_id=actor.id, action=Action.CLIENT_RESTRICT,
                     object_type="client", object_id=client.id, client_id=client.id,
                     details={"restricted": restricted})
    return RestrictResult(client, restricted, changed=True)


def set_restricted(session: Session, client: Client, restricted: bool) -> None:
    """Set the flag; callers have authorised it. A PostgreSQL staff login holds no UPDATE
    of the column: ``clinicctl_restrict_client`` (migration 0011) checks the rule again and
    writes it."""
    if reads_through_functions(session):
        session.flush()
        session.execute(text("SELECT clinicctl_restrict_client(:client, :restricted)"),
                        {"client": client.id, "restricted": restricted})
        session.expire(client, ["restricted"])
    else:
        client.restricted = restricted
        session.flush()
