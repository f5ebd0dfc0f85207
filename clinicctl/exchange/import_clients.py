"""Importing clients: the bulk path. Rows are cleaned with the rules of ``client add`` and
written in chunks with bulk statements, so a 100,000-row file streams through in constant
memory; clients are matched by external id, else by name and date of birth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from clinicctl import days, trail
from clinicctl.actions import Action
from clinicctl.db import insert_many, one_of
from clinicctl.errors import ClinicError, InvalidInput
from clinicctl.exchange.csvio import RowError, chunks, restore
from clinicctl.exchange.file_format import ValueTable, read_date
from clinicctl.exchange.import_summary import Advance, Failures, ImportSummary, Row
from clinicctl.models import (
    Client,
    Staff,
    utcnow,
)
from clinicctl.people import clients
from clinicctl.people.refs import name_key, search_key

CHUNK = 2000



CLIENT_FIELDS = ("first_name", "last_name", "preferred_name", "dob", "sex", "email", "phone",
                 "address", "external_id")



class _ClientRecord:
    """One row of a clients file, cleaned: the columns the file has, and its match keys."""

    __slots__ = ("number", "values", "external_id", "key")

    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values
        self.external_id: str | None = values.get("external_id")
        self.key: str = values["name_key"]



class _ClientReader:
    """Turns rows of a clients file into cleaned values, with the rules of ``client add``.

    Built once per file (the columns it has, today's date), then called for every row: this
    is the inner loop of a 100,000-row import, so it avoids work per cell.
    """

    def __init__(self, columns: Iterable[str], today: dt.date,
                 date_format: str | None = None,
                 values: Mapping[str, ValueTable] | None = None) -> None:
        present = set(columns)
        self.fields = [f for f in CLIENT_FIELDS if f in present]
        self.today = today
        self.date_format = date_format
        self.translations = values or {}  # a preset's values of some columns (sex)
        self.limits = clients.length_limits()

    def __call__(self, number: int, row: dict[str, str]) -> _ClientRecord:
        column = None
        try:
            values: dict[str, Any] = {}
            for column in self.fields:
                value = row[column]
                if value[:1] == "'":
                    value = restore(value)
                if value and column in self.translations:
                    value = self.translations[column].translate(value)
                limit = self.limits.get(column)
                if limit is not None and len(value) > limit:
                    raise InvalidInput(f"longer than {limit} characters")
                if column == "first_name" or column == "last_name":
                    values[column] = clients.clean_name(value, column.replace("_", " "))
                elif column == "dob":
                    if not value:
                        raise InvalidInput("date of birth is empty")
                    values[column] = clients.validate_dob(
                        read_date(value, "date of birth", self.date_format), today=self.today)
                elif column == "external_id":
                    if value:
                        values[column] = value  # never cleared by an import: the match key
                elif column == "email":
                    values[column] = clients.clean_email(value)
                else:
                    values[column] = value or None
            column = None
            values["name_key"] = name_key(values["first_name"], values["last_name"])
            values["search_key"] = search_key(values["first_name"], values["last_name"])
            return _ClientRecord(number, values)
        except ClinicError as exc:
            raise RowError(number, column, exc) from None



def import_clients(session: Session, actor: Staff, rows: Iterable[Row], tick: Advance,
                   date_format: str | None = None,
                   values: Mapping[str, ValueTable] | None = None) -> ImportSummary:
    summary = ImportSummary("clients")
    failures = Failures()
    total = 0
    # Clients made by this import have ids above this; meeting one again means the file
    # names the same client twice. Existing clients met are remembered by id.
    newest_before = session.scalar(select(func.max(Client.id))) or 0
    met_existing: set[int] = set()
    fields = [c for c in Client.__table__.columns if c.name in (*CLIENT_FIELDS, "id",
                                                                  "name_key", "search_key")]
    created_at = utcnow()
    by_import = {"by": "import"}
    by_external_id = select(*fields).where(one_of(session, Client.external_id, "keys"))
    by_name_key = select(*fields).where(one_of(session, Client.name_key, "keys"))
    read: _ClientReader | None = None
    for chunk in chunks(rows, CHUNK):
        total += len(chunk)
        records: list[_ClientRecord] = []
        read = read or _ClientReader(chunk[0][1], days.practice_today(session), date_format,
                                     values)
        for number, row in chunk:
            try:
                records.append(read(number, row))
            except RowError as failure:
                failures.add(failure)
        external_ids = [r.external_id for r in records if r.external_id]
        by_external = {c.external_id: c for c in session.execute(
            by_external_id, {"keys": external_ids})} if external_ids else {}
        by_name: dict[str, list[Any]] = {}
        for match in session.execute(by_name_key, {"keys": list({r.key for r in records})}):
            by_name.setdefault(match.name_key, []).append(match)
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        in_chunk: dict[tuple[Any, ...], int] = {}
        for record in records:
            try:
                existing = _match_client(record, by_external, by_name)
                keys: list[tuple[Any, ...]] = [("name", record.key, record.values["dob"])]
                if record.external_id:
                    keys.append(("external", record.external_id))
                for key in keys:
                    if key in in_chunk:
                        raise InvalidInput(f"the same client as row {in_chunk[key]}")
                    in_chunk[key] = record.number
                if existing is None:
                    values = record.values
                    inserts.append((*(values.get(field) for field in CLIENT_FIELDS),
                                    values["name_key"], values["search_key"]))
                    summary.created += 1
                    continue
                if existing.id > newest_before or existing.id in met_existing:
                    raise InvalidInput(f"the same client as an earlier row (#{existing.id})")
                met_existing.add(existing.id)
                changes = {k: v for k, v in record.values.items() if getattr(existing, k) != v}
                if changes:
                    updates.append({"id": existing.id, **changes})
                    summary.updated += 1
                else:
                    summary.unchanged += 1
            except ClinicError as exc:
                failures.add(RowError(record.number, None, exc))
        if not failures.count:
            # Bulk statements: one per chunk, not a query per row. Every client added or
            # changed still gets its own audit event, as `client add` / `client edit` give.
            events: list[dict[str, Any]] = []
            if inserts:
                newest = session.scalar(select(func.max(Client.id))) or 0
                insert_many(session, Client.__table__,  # type: ignore[arg-type]
                            (*CLIENT_FIELDS, "name_key", "search_key"), inserts,
                            same={"created_at": created_at})
                # Writers are serialised (BEGIN IMMEDIATE, the PostgreSQL advisory lock), so
                # the ids above the newest are this chunk's.
                events += [{"actor_id": actor.id, "action": Action.CLIENT_ADD,
                            "object_type": "client", "object_id": new_id, "client_id": new_id,
                            "details": by_import}
                           for new_id in session.scalars(select(Client.id).where(
                               Client.id > newest).order_by(Client.id))]
            if updates:
                session.execute(update(Client), updates)
                events += [{"actor_id": actor.id, "action": Action.CLIENT_EDIT,
                            "object_type": "client", "object_id": values["id"],
                            "client_id": values["id"],
                            "details": {"by": "import",
                                        "fields": sorted(k for k in values
                                                         if k not in ("id", "name_key",
                                                                      "search_key"))}}
                           for values in updates]
            trail.record_many(session, events)
        tick(len(chunk))
    failures.raise_if_any(total)
    return summary



def _match_client(record: _ClientRecord, by_external: dict[Any, Any],
                  by_name: dict[str, list[Any]]) -> Any:
    """The existing client a row stands for: by external id, else by name and date of birth
    (a row with an external id only matches a client who has none yet)."""
    if record.external_id and record.external_id in by_external:
        return by_external[record.external_id]
    candidates = [c for c in by_name.get(record.key, [])
                  if c.dob == record.values["dob"]
                  and (record.external_id is None or c.external_id is None)]
    if len(candidates) > 1:
        raise InvalidInput(f"{len(candidates)} clients have this name and date of birth; "
                           "add an external_id to say which")
    return candidates[0] if candidates else None
