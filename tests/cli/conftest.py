"""Fixtures of the CLI tests: practices shared by a module's bad-input tests (nothing they do
may change them, and every case checks that), and files to pass as arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.backend import Backend
from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.practice_db import Shared, build_practice
from tests.fixtures.schedule_db import GONE, MAYA, MON, SAM, TUE, Practice, at, build_schedule


@pytest.fixture(scope="module")
def _plain_db(backend: Backend) -> Shared:
    return build_practice(backend)


@pytest.fixture(scope="module")
def _twins_db(backend: Backend) -> Shared:
    return build_practice(backend, twins=True)


@pytest.fixture(scope="module")
def _old_db(backend: Backend) -> Shared:
    return build_practice(backend, old=True)


@pytest.fixture
def plain(_plain_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice (shared by this module's tests), as CLINICCTL_DB."""
    monkeypatch.setenv("CLINICCTL_DB", _plain_db.url)
    return _plain_db


@pytest.fixture
def twins(_twins_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice with two Maya Chens, two Sam Okafors and Lee Park deactivated."""
    monkeypatch.setenv("CLINICCTL_DB", _twins_db.url)
    return _twins_db


@pytest.fixture
def old(_old_db: Shared, monkeypatch: pytest.MonkeyPatch) -> Shared:
    """The cast's practice at schema revision 0000 (not this code's head)."""
    monkeypatch.setenv("CLINICCTL_DB", _old_db.url)
    return _old_db


@pytest.fixture(scope="module")
def _empty_db(backend: Backend) -> str:
    return backend.empty()


@pytest.fixture
def empty(_empty_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """No schema: a missing SQLite file or an empty PostgreSQL database, as CLINICCTL_DB.
    Shared by the module; every test checks that it is still empty afterwards."""
    monkeypatch.setenv("CLINICCTL_DB", _empty_db)
    return _empty_db


@pytest.fixture(scope="module")
def _scheduled(backend: Backend) -> Practice:
    """The scheduling practice with one single appointment, one two-week series, and a
    deactivated provider who still has a weekly block."""
    from clinicctl.people import staff
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import availability
    from clinicctl.scheduling.recurrence import make_recurrence

    practice = build_schedule(backend)
    with practice.session() as s:
        owner = resolve_staff(s, OWNER_EMAIL)
        staff.create_staff(s, name="Pat Gone", email=GONE, roles=["provider"],
                           created_by=owner)
        availability.add_block(s, owner, GONE, days="mon", start="09:00", end="12:00")
        staff.deactivate(s, owner, GONE)
    [practice.ids["single"]] = practice.book(MAYA, SAM, at(MON, "10:00"))
    practice.ids["series"] = practice.book(
        MAYA, SAM, at(TUE, "10:00"), recurrence=make_recurrence(repeat="weekly", count=2))[0]
    return practice


@pytest.fixture
def scheduled(_scheduled: Practice, monkeypatch: pytest.MonkeyPatch) -> Practice:
    """The practice of ``_scheduled``, shared by a module's bad-input tests of the scheduling
    commands, as CLINICCTL_DB."""
    monkeypatch.setenv("CLINICCTL_DB", _scheduled.url)
    return _scheduled


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    document = tmp_path / "consent.txt"
    document.write_text("signed consent\n")
    existing = tmp_path / "existing.bin"
    existing.write_bytes(b"keep me")
    return {"file": str(document), "out": str(tmp_path / "out.bin"),
            "existing": str(existing), "missing": str(tmp_path / "missing.txt")}
