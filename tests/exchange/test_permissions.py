"""Who may export and import which kind, and a records custodian's scope."""

from __future__ import annotations

import pytest

from tests.fixtures.cast import OWNER_EMAIL
from tests.fixtures.exchange_db import rows_of, write
from tests.fixtures.schedule_db import ANA, BILLER, CAST, MON, SAM, SCHEDULER, at


@pytest.mark.parametrize("actor,kind,code", [
    (OWNER_EMAIL, "clients", 0), (CAST.manager, "clients", 0),
    (SCHEDULER, "clients", 4), (BILLER, "clients", 4), (SAM, "clients", 4),
    (CAST.custodian, "clients", 0), (SCHEDULER, "appointments", 0),
    (BILLER, "appointments", 0), (SAM, "appointments", 4), (SCHEDULER, "audit", 4),
    (CAST.custodian, "audit", 0), (BILLER, "staff", 4),
])
def test_who_may_export(cli, exchange_practice, actor, kind, code):
    result = cli("export", kind, actor=actor)
    assert result.exit_code == code, result.output
    if code == 4:
        assert result.stdout == ""
        assert result.stderr.startswith(f"Error: export.{kind}: requires one of the roles")


def test_a_scoped_custodian_exports_only_clients_in_scope(cli, exchange_practice):
    scoped = CAST.scoped_custodian  # covers Lee Park only; Lee has Maya through a chart share
    names = {r["first_name"] for r in rows_of(cli("export", "clients", actor=scoped).stdout)}
    assert names == {"Maya"}
    refused = cli("export", "appointments", "--provider", ANA, actor=scoped)
    assert refused.exit_code == 4, refused.output
    assert "outside your records-custodian scope" in refused.stderr


@pytest.mark.parametrize("actor,kind,code", [
    (CAST.manager, "clients", 0), (SCHEDULER, "clients", 4), (SAM, "clients", 4),
    (CAST.custodian, "clients", 4), (SCHEDULER, "appointments", 0),
    (BILLER, "appointments", 4), (CAST.manager, "staff", 0), (SCHEDULER, "staff", 4),
])
def test_who_may_import(cli, exchange_practice, tmp_path, actor, kind, code):
    text = {
        "clients": "first_name,last_name,dob\nNew,Person,2000-01-01\n",
        "appointments": "client_first_name,client_last_name,client_dob,provider,start\n"
                        f"Maya,Chen,1990-04-12,{ANA},{at(MON, '11:00')}\n",
        "staff": "email,name,roles\nnew@riverside.example,New Person,provider\n",
    }[kind]
    before = exchange_practice.last_event_id()
    result = cli("import", kind, write(tmp_path, "f.csv", text), actor=actor)
    assert result.exit_code == code, result.output
    if code == 4:
        events = exchange_practice.events(before)
        assert [(action, outcome) for _, action, outcome, _ in events][-1][1] == "denied"
