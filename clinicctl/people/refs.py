"""Turning what the user typed into records.

A client is ``#ID``, an external id, or a full name; a staff member is an email, ``#ID`` or
a full name. Names are matched case-insensitively with whitespace collapsed. An ambiguous
name lists the candidates; an unknown one suggests close matches.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from clinicctl.errors import Ambiguous, InvalidInput, NotFound
from clinicctl.models import Client, ClientMerge, Staff

_SPACES = re.compile(r"\s+")
# Letters that carry no combining mark to drop, spelled as people type them without it.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae",
                                "œ": "oe", "þ": "th", "ð": "d"})
SEARCH_KEY_LENGTH = 400  # the columns' length (a folded name can be longer than the name)


def name_key(*parts: str) -> str:
    """Lower-cased, whitespace-collapsed: the key that tells two records' names apart."""
    return _SPACES.sub(" ", " ".join(parts)).strip().casefold()


def search_key(*parts: str) -> str:
    """``name_key`` without accents: "Chloé", "CHLOE" and "chloe" all give "chloe".

    Stored beside ``name_key`` (``client.search_key``, ``staff.search_key``), so searches and
    references match loosely with a plain comparison on SQLite and PostgreSQL alike. A change
    here needs a migration that recomputes the stored keys (as 0005 computed them).
    """
    decomposed = unicodedata.normalize("NFKD", name_key(*parts))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_PLAIN_LETTERS).casefold()[:SEARCH_KEY_LENGTH]


def id_ref(ref: str) -> int | None:
    """The id of a ``#ID`` reference, None for any other reference."""
    ref = ref.strip()
    if ref.startswith("#"):
        digits = ref[1:]
        # isascii: "²" and other Unicode digits pass isdigit() but are no id.
        if not (digits.isascii() and digits.isdigit()):
            raise InvalidInput(f"invalid id {ref!r}: expected # followed by digits")
        if len(digits) > 18:  # beyond any id the database hands out (and its integer range)
            raise InvalidInput(f"invalid id {ref!r}: too large")
        return int(digits)
    return None


def bare_id_hint(ref: str) -> str | None:
    """For ``2`` typed where ``#2`` was meant. The same words whether or not that id exists,
    so the hint tells nobody what the records hold."""
    digits = ref.strip()
    if digits.isascii() and digits.isdigit():
        return f"an id is written '#{digits}', quoted so that the shell keeps the #"
    return None


def _close(session: Session, key_column, display_columns, typed: str  # type: ignore[no-untyped-def]
           ) -> list[str]:
    """Up to three names close to what was typed, as they are written in the records."""
    key = name_key(typed)
    first = key[:1]
    rows = session.execute(
        select(key_column, *display_columns)
        .where(key_column.like(f"{first}%") | key_column.like(f"% {first}%")).limit(2000)
    ).all()
    # Two records of one name are one suggestion.
    display = {row[0]: " ".join(row[1:]) for row in rows}
    return [display[k] for k in difflib.get_close_matches(key, list(display), n=3, cutoff=0.6)]


def resolve_staff(session: Session, ref: str, *, what: str = "staff member") -> Staff:
    if not ref or not ref.strip():
        raise InvalidInput(f"empty {what} reference")
    staff_id = id_ref(ref)
    if staff_id is not None:
        found = session.get(Staff, staff_id)
        if found is None:
            raise NotFound(f"no {what} with id {staff_id}")
        return found
    if "@" in ref:
        found = session.scalar(select(Staff).where(func.lower(Staff.email) == ref.strip().lower()))
        if found is None:
            raise NotFound(f"no {what} with email {ref.strip()!r}")
        return found
    matches = _named(session, Staff, ref)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise Ambiguous(
            f"{len(matches)} staff members are named {ref.strip()!r}; use an email or #ID",
            [f"#{s.id} {s.name} <{s.email}>" for s in matches],
        )
    close = _close(session, Staff.name_key, [Staff.name], ref)
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    raise NotFound(f"no {what} named {ref.strip()!r}{hint}", hint=bare_id_hint(ref))


def resolve_provider(session: Session, ref: str, *, what: str = "provider") -> Staff:
    staff = resolve_staff(session, ref, what=what)
    if not staff.has_role("provider"):
        raise InvalidInput(f"{staff.name} (#{staff.id}) is not a provider")
    return staff


def resolve_client(session: Session, ref: str) -> Client:
    if not ref or not ref.strip():
        raise InvalidInput("empty client reference")
    client_id = id_ref(ref)
    if client_id is not None:
        found = session.get(Client, client_id)
        if found is None:
            raise _gone(session, client_id)
        return found
    by_external = session.scalar(select(Client).where(Client.external_id == ref.strip()))
    if by_external is not None:
        return by_external
    matches = _named(session, Client, ref)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise Ambiguous(
            f"{len(matches)} clients are named {ref.strip()!r}; use #ID or the external id",
            [f"#{c.id} {c.name} born {c.dob.isoformat()}" for c in matches],
        )
    close = _close(session, Client.name_key, [Client.first_name, Client.last_name], ref)
    hint = f" (did you mean: {', '.join(close)}?)" if close else ""
    raise NotFound(f"no client matches {ref.strip()!r}{hint}", hint=bare_id_hint(ref))


def _gone(session: Session, client_id: int) -> NotFound:
    """No client has the id: perhaps a merged record's, which says where the client went."""
    kept = session.scalar(select(ClientMerge.kept_client_id)
                          .where(ClientMerge.merged_client_id == client_id))
    # A record merged into one the actor may not see (restricted) is as gone as any other.
    if kept is not None and session.get(Client, kept) is not None:
        return NotFound(f"client #{client_id} was merged into client #{kept}",
                        hint=f"use '#{kept}'")
    return NotFound(f"no client with id {client_id}")


def _named(session: Session, model: type[Client] | type[Staff], ref: str) -> list[Any]:
    """The records named exactly ``ref`` (case and spaces aside), else those whose name
    matches it without accents: "Chloe Martin" finds "Chloé Martin" unless a "Chloe Martin"
    exists too."""
    exact = session.scalars(
        select(model).where(model.name_key == name_key(ref)).order_by(model.id)).all()
    if exact:
        return list(exact)
    return list(session.scalars(
        select(model).where(model.search_key == search_key(ref)).order_by(model.id)))


def search_clause(text_: str):  # type: ignore[no-untyped-def]
    """Part of a client's name, accents and case aside, or their external id."""
    key = search_key(text_)
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(Client.search_key.like(pattern, escape="\\"),
               Client.external_id == text_.strip())


def parse_date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"invalid {what} {value!r}: expected YYYY-MM-DD") from None
