"""What the permission rules look up: who has which client (assignments), which chart shares
are in force, which providers a records custodian covers today. Facts, not rules: the rules
are in ``access.py``."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from clinicctl.days import practice_today
from clinicctl.models import Assignment, ChartShare, Client, CustodianGrant, Staff


def is_assigned(session: Session, provider_id: int, client_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Assignment.client_id == client_id, Assignment.provider_id == provider_id
                )
            )
        )
    )



def custodian_scope(session: Session, custodian: Staff) -> set[int] | None:
    """Provider ids a records custodian covers; ``None`` means every provider."""
    grants = session.scalars(
        select(CustodianGrant).where(CustodianGrant.custodian_id == custodian.id)
    ).all()
    if not grants:
        return None
    day = practice_today(session)
    current = [g for g in grants if g.expires_on is None or g.expires_on >= day]
    if any(g.provider_id is None for g in current):
        return None
    return {g.provider_id for g in current if g.provider_id is not None}



def client_provider_ids(session: Session, client_id: int) -> set[int]:
    return set(
        session.scalars(select(Assignment.provider_id).where(Assignment.client_id == client_id))
    )



def custodian_covers_client(session: Session, custodian: Staff, client_id: int) -> bool:
    """The custodian's scope covers a provider who has the client (all providers: every
    client)."""
    scope = custodian_scope(session, custodian)
    return scope is None or bool(scope & client_provider_ids(session, client_id))



def restricted_outside(session: Session, provider_ids: set[int]) -> set[int]:
    """The restricted clients in none of these providers' lists. Read from the tables
    themselves (not the models), so that the rows a session hides do not hide the answer."""
    client, assignment = Client.__table__, Assignment.__table__
    listed = select(assignment.c.client_id).where(assignment.c.provider_id.in_(provider_ids))
    return set(session.scalars(select(client.c.id).where(
        client.c.restricted.is_(True), client.c.id.not_in(listed))))



def custodian_covers_provider(session: Session, custodian: Staff, provider_id: int) -> bool:
    scope = custodian_scope(session, custodian)
    return scope is None or provider_id in scope



class Facts:
    """What the permission rules look up, asked of the database one question at a time.

    Batch commands pass a subclass that answers the same questions from a chunk of rows
    loaded in a few queries: the rules stay here, only where the facts come from changes.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._scopes: dict[int, set[int] | None] = {}

    def is_assigned(self, provider_id: int, client_id: int) -> bool:
        return is_assigned(self.session, provider_id, client_id)

    def custodian_scope(self, custodian: Staff) -> set[int] | None:
        if custodian.id not in self._scopes:
            self._scopes[custodian.id] = custodian_scope(self.session, custodian)
        return self._scopes[custodian.id]



def active_shares_to(session: Session, provider_id: int, client_id: int) -> list[ChartShare]:
    return list(
        session.scalars(
            select(ChartShare).where(
                ChartShare.client_id == client_id,
                ChartShare.to_provider_id == provider_id,
                ChartShare.ended_at.is_(None),
            ).order_by(ChartShare.id)
        )
    )
