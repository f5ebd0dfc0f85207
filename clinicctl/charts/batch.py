"""Batch sharing from CSV: the same ``share`` / ``unshare`` as one command, for every row.

All or nothing: every row is checked (a row that fails has written nothing, since the share
checks everything before it writes), every bad row is reported with its row number and
column, and if any row fails nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from clinicctl import trail
from clinicctl.actions import Action
from clinicctl.charts import sharing
from clinicctl.choices import SHARE_MODES
from clinicctl.db import insert_many, one_of
from clinicctl.errors import (
    ClinicError,
    Conflict,
    Denied,
    ExitCode,
    InvalidChoice,
    InvalidInput,
    NotFound,
)
from clinicctl.exchange.csvio import MAX_REPORTED, RowError, chunks
from clinicctl.models import Assignment, ChartShare, Client, Staff, utcnow
from clinicctl.people.refs import name_key, resolve_client, resolve_provider

SHARE_COLUMNS = ("client", "from", "to")


CHUNK = 1000


def share_rows(
    session: Session,
    actor: Staff,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    unshare: bool = False,
    advance: Callable[[int], None] | None = None,
) -> list[sharing.ShareResult]:
    """Apply ``client share`` (or ``unshare``) to every row; raise if any row fails.

    Rows go through ``sharing.share`` / ``unshare`` (the rules and permission checks of the
    single command) a chunk at a time: a chunk's clients, assignments and chart shares are
    loaded in a few queries first, and its writes and audit events are made together at the
    end, so ten thousand rows cost a few dozen statements, not tens of thousands.
    ``advance(n)`` is told as rows are checked (e.g. a progress bar's), failed rows too."""
    results: list[sharing.ShareResult] = []
    failures: list[RowError] = []
    failed = 0
    store = BulkShareStore(session)
    for chunk in chunks(rows, CHUNK):
        store.preload(chunk)
        for number, row in chunk:
            try:
                result = _apply(store, actor, number, row, unshare=unshare)
                result.notes = [f"row {number}: {note}" for note in result.notes]
                results.append(result)
            except RowError as exc:
                failed += 1
                if len(failures) < MAX_REPORTED or isinstance(exc.error, Denied):
                    failures.append(exc)
        store.write()
        if advance is not None:
            advance(len(chunk))
    if failures:
        raise _summary(failures, total=len(results) + failed, failed=failed)
    if not results:
        raise InvalidInput("the CSV file has no data rows")
    return results


def _apply(store: BulkShareStore, actor: Staff, number: int, row: dict[str, str], *,
           unshare: bool) -> sharing.ShareResult:
    refs: dict[str, str] = {}
    try:
        for column in SHARE_COLUMNS:
            if not row.get(column):
                raise InvalidInput(f"{column} is empty")
        column = "client"
        refs["client"] = f"#{store.client(row['client']).id}"
        for column in ("from", "to"):
            refs[column] = f"#{store.provider(row[column]).id}"
        column = "mode"
        mode = (row.get("mode") or "demographics").lower()
        if mode not in SHARE_MODES:
            raise InvalidChoice(f"invalid mode {row.get('mode')!r}: expected demographics or "
                                "chart", value=mode, choices=SHARE_MODES)
    except ClinicError as exc:
        raise RowError(number, column, exc) from None
    try:
        if unshare:
            return sharing.unshare(store.session, actor, refs["client"], refs["from"],
                                   refs["to"], store=store)
        return sharing.share(store.session, actor, refs["client"], refs["from"], refs["to"],
                             chart=mode == "chart", store=store)
    except ClinicError as exc:
        raise RowError(number, None, exc) from None


@dataclass(frozen=True)
class _ClientKey:
    """What the batch knows of a client: enough to share them (``share`` uses the id)."""

    id: int
    external_id: str | None
    name_key: str
    restricted: bool


@dataclass
class _AssignmentFact:
    status: str
    id: int | None = None


@dataclass
class _ChartShareFact:
    client_id: int
    from_provider_id: int
    to_provider_id: int
    include_private_notes: bool
    id: int | None = None


class BulkShareStore(sharing.ShareStore):
    """``sharing.ShareStore`` for a chunk of rows: lookups answered from what ``preload``
    read in a few queries, writes queued and made by ``write`` in bulk statements.

    Providers are few and stay cached for the whole file; clients are loaded per chunk (their
    keys only) and let go after it, so memory stays flat however long the file is.
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._providers: dict[str, Staff | ClinicError] = {}
        self._clients: dict[str, Any] = {}  # ref -> _ClientKey, or a Client resolved singly
        self._assignments: dict[tuple[int, int], _AssignmentFact] = {}
        self._shares: dict[tuple[int, int, int], _ChartShareFact] = {}
        self._new_assignments: list[tuple[dict[str, Any], _AssignmentFact]] = []
        self._new_shares: list[tuple[dict[str, Any], _ChartShareFact]] = []
        self._ended: list[dict[str, Any]] = []
        # audit events in order; "subject" is a fact whose id becomes the object id
        self._events: list[dict[str, Any]] = []

    # --- reading ------------------------------------------------------------------------
    def preload(self, chunk: list[tuple[int, dict[str, str]]]) -> None:
        """Load the chunk's clients, then their assignments and active chart shares."""
        self._clients.clear()
        self._assignments.clear()
        self._shares.clear()
        refs = {row["client"].strip() for _, row in chunk if row.get("client", "").strip()}
        ids = {int(r[1:]) for r in refs if _is_id(r)}
        others = {r for r in refs if not r.startswith("#")}
        # Only the keys: share needs a client's id, and 10,000 ORM objects would cost more
        # than the shares themselves.
        found = [_ClientKey(*row) for row in self.session.execute(
            select(Client.id, Client.external_id, Client.name_key, Client.restricted).where(or_(
                one_of(self.session, Client.id, "ids"),
                one_of(self.session, Client.external_id, "externals"),
                one_of(self.session, Client.name_key, "names"))),
            {"ids": list(ids), "externals": list(others),
             "names": list({name_key(r) for r in others})})] if refs else []
        by_id = {c.id: c for c in found}
        by_external = {c.external_id: c for c in found if c.external_id}
        by_name: dict[str, list[_ClientKey]] = {}
        for client in found:
            by_name.setdefault(client.name_key, []).append(client)
        for ref in refs:
            # The order of refs.resolve_client: #ID, then external id, then a unique name.
            if ref in ids or _is_id(ref):
                match = by_id.get(int(ref[1:]))
            else:
                named = by_name.get(name_key(ref), [])
                match = by_external.get(ref) or (named[0] if len(named) == 1 else None)
            if match is not None:
                self._clients[ref] = match
                self._clients[f"#{match.id}"] = match
        client_ids = {c.id for c in self._clients.values()}
        if not client_ids:
            return
        chunk_clients = {"clients": list(client_ids)}
        for client_id, provider_id, status, assignment_id in self.session.execute(
                select(Assignment.client_id, Assignment.provider_id, Assignment.status,
                       Assignment.id).where(one_of(self.session, Assignment.client_id,
                                                   "clients")), chunk_clients):
            self._assignments[client_id, provider_id] = _AssignmentFact(status, assignment_id)
        for share_id, client_id, from_id, to_id, private in self.session.execute(
                select(ChartShare.id, ChartShare.client_id, ChartShare.from_provider_id,
                       ChartShare.to_provider_id, ChartShare.include_private_notes)
                .where(one_of(self.session, ChartShare.client_id, "clients"),
                       ChartShare.ended_at.is_(None)), chunk_clients):
            self._shares[client_id, from_id, to_id] = _ChartShareFact(
                client_id, from_id, to_id, private, share_id)

    def client(self, ref: str) -> Any:
        found = self._clients.get(ref.strip())
        if found is None:
            found = resolve_client(self.session, ref)  # not preloaded: the exact error
            self._clients[f"#{found.id}"] = found
        return found

    def provider(self, ref: str, what: str = "provider") -> Staff:
        key = ref.strip().lower()
        if key not in self._providers:
            try:
                self._providers[key] = resolve_provider(self.session, ref, what=what)
            except ClinicError as exc:
                self._providers[key] = exc
        found = self._providers[key]
        if isinstance(found, ClinicError):
            raise found
        return found

    def resolve(self, client_ref: str, from_ref: str, to_ref: str
                ) -> tuple[Client, Staff, Staff]:
        return (self.client(client_ref), self.provider(from_ref, "from-provider"),
                self.provider(to_ref, "to-provider"))

    def assignment(self, client_id: int, provider_id: int) -> Any:
        return self._assignments.get((client_id, provider_id))

    def chart_share(self, client_id: int, from_id: int, to_id: int) -> Any:
        return self._shares.get((client_id, from_id, to_id))

    # --- writing ------------------------------------------------------------------------
    def add_assignment(self, actor: Staff, client: Client, provider: Staff) -> None:
        fact = _AssignmentFact("new")
        self._assignments[client.id, provider.id] = fact
        self._new_assignments.append(({
            "client_id": client.id, "provider_id": provider.id, "status": "new",
            "diagnosis": "", "origin": "share", "created_by_id": actor.id,
            "created_at": utcnow()}, fact))
        self.record(actor_id=actor.id, action=Action.ASSIGNMENT_CREATE, object_type="assignment",
                    subject=fact, client_id=client.id,
                    details={"provider_id": provider.id, "origin": "share"})

    def start_chart_share(self, actor: Staff, client: Client, source: Staff, target: Staff,
                          *, private_notes: bool) -> None:
        fact = _ChartShareFact(client.id, source.id, target.id, private_notes)
        self._shares[client.id, source.id, target.id] = fact
        self._new_shares.append(({
            "client_id": client.id, "from_provider_id": source.id, "to_provider_id": target.id,
            "include_private_notes": private_notes, "started_by_id": actor.id,
            "started_at": utcnow()}, fact))
        self.record(actor_id=actor.id, action=Action.CHART_SHARE_START, object_type="chart_share",
                    subject=fact, client_id=client.id,
                    details={"from_id": source.id, "to_id": target.id,
                             "include_private_notes": private_notes})

    def end_chart_share(self, actor: Staff, chart_share: Any) -> None:
        if chart_share.id is None:  # started earlier in this chunk: give it its id first
            self.write()
        del self._shares[chart_share.client_id, chart_share.from_provider_id,
                         chart_share.to_provider_id]
        self._ended.append({"id": chart_share.id, "ended_at": utcnow(),
                            "ended_by_id": actor.id})
        self.record(actor_id=actor.id, action=Action.CHART_SHARE_END, object_type="chart_share",
                    object_id=chart_share.id, client_id=chart_share.client_id,
                    details={"from_id": chart_share.from_provider_id,
                             "to_id": chart_share.to_provider_id})

    def record(self, **event: Any) -> None:
        self._events.append(event)

    def _insert(self, model: Any, queue: list[tuple[dict[str, Any], Any]],
                key: tuple[str, ...], *current: Any) -> None:
        """Insert the queued rows at the driver's speed, then give each fact its new id, read
        back by the row's unique ``key`` among the ``current`` rows (a client is once in a
        provider's list; a pair has one active chart share). SQLite cannot hand back ids in
        order from a bulk insert."""
        if not queue:
            return
        columns = list(queue[0][0])
        insert_many(self.session, model.__table__, columns,
                    [list(values.values()) for values, _ in queue])
        clients = list({values["client_id"] for values, _ in queue})
        key_columns = [getattr(model, name) for name in key]
        ids = {tuple(row[1:]): row[0] for row in self.session.execute(
            select(model.id, *key_columns).where(
                one_of(self.session, model.client_id, "ids"), *current), {"ids": clients})}
        for values, fact in queue:
            fact.id = ids[tuple(values[name] for name in key)]

    def write(self) -> None:
        """Make the queued writes: one statement per kind, then the audit events in order."""
        if self._ended:
            # Before the inserts: a pair has at most one active chart share (unique index).
            self.session.execute(update(ChartShare), self._ended)
            self._ended = []
        self._insert(Assignment, self._new_assignments, ("client_id", "provider_id"))
        self._new_assignments = []
        self._insert(ChartShare, self._new_shares,
                     ("client_id", "from_provider_id", "to_provider_id"),
                     ChartShare.ended_at.is_(None))
        self._new_shares = []
        for event in self._events:
            subject = event.pop("subject", None)
            if subject is not None:
                event["object_id"] = subject.id
        trail.record_many(self.session, self._events)
        self._events = []


def _summary(failures: list[RowError], *, total: int, failed: int) -> ClinicError:
    """One error for the whole file with the exit code of its first failing row; a refused
    row makes the batch a refusal (audited as one)."""
    denied = next((f for f in failures if isinstance(f.error, Denied)), None)
    first = denied or failures[0]
    message = (str(first) if failed == 1 else
               f"{failed} of {total} rows failed; nothing was written")
    details = [] if failed == 1 else [str(f) for f in failures]
    if failed > len(failures):
        details.append(f"... and {failed - len(failures)} more")
    summary: ClinicError
    if isinstance(first.error, Denied):
        others = [f.error.audit for f in failures
                  if isinstance(f.error, Denied) and f is not first and f.error.audit]
        summary = Denied(message, audit=first.error.audit, more_audits=others)
        summary.details = details
        return summary
    error_type = _BY_EXIT_CODE.get(first.error.exit_code, InvalidInput)
    return error_type(message, details=details)


_BY_EXIT_CODE: dict[int, type[ClinicError]] = {
    ExitCode.INVALID_INPUT: InvalidInput,
    ExitCode.NOT_FOUND: NotFound,
    ExitCode.CONFLICT: Conflict,
}


def _is_id(ref: str) -> bool:
    """``#`` and ASCII digits (Unicode digits such as "²" pass isdigit() but are no id)."""
    digits = ref[1:]
    return ref.startswith("#") and digits.isascii() and digits.isdigit() and len(digits) <= 18
