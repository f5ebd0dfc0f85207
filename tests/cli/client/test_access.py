"""``client access``: who may see a client's profile and chart notes, and why; the report
gives only the reasons the checks use, and reveals nothing the reader may not know."""

from __future__ import annotations

from typing import Any


def test_client_access(cli, cast, open_session):
    def access_of(email: str) -> dict[str, Any]:
        result = cli("client", "access", "Maya Chen", "--staff", email, "-o", "json")
        assert result.exit_code == 0, result.output
        rows = result.json()
        assert len(rows) == 1
        return rows[0]

    sam = cast.id_of(open_session, cast.provider_a)
    ana_before = access_of(cast.provider_b)
    assert (ana_before["profile"], ana_before["chart_notes"]) == (False, "none")

    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    ana = access_of(cast.provider_b)
    assert ana["profile"] is True
    assert str(ana["profile_reason"]).endswith("(origin share)")
    assert ana["chart_reason"] == "demographics only"
    assert sam not in ana["readable_authors"]

    charted = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                  cast.provider_b, "--chart")
    assert charted.exit_code == 0, charted.output
    ana = access_of(cast.provider_b)
    assert sam in ana["readable_authors"]
    assert "chart share from Sam Okafor" in str(ana["chart_reason"])

    manager = access_of(cast.manager)
    assert (manager["profile"], manager["chart_notes"], manager["readable_authors"]) == (
        True, "none", [])
    everyone = cli("client", "access", "Maya Chen", "-o", "json")
    assert everyone.exit_code == 0, everyone.output
    assert {row["staff"] for row in everyone.json()} >= {"Dana Reyes", "Sam Okafor",
                                                         "Ana Ruiz", "Bo Grant"}


def test_access_report_does_not_reveal_authors_of_invisible_notes(cli, cast):
    shared = cli("client", "share", cast.client, "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    as_scheduler = cli("client", "access", cast.client, "-o", "json", actor=cast.scheduler)
    assert as_scheduler.exit_code == 0, as_scheduler.output
    rows = {r["staff"]: r for r in as_scheduler.json()}
    assert "their own notes" not in rows["Sam Okafor"]["chart_reason"]
    assert "their own notes" not in rows["Ana Ruiz"]["chart_reason"]
    as_owner = cli("client", "access", cast.client, "-o", "json")
    assert "their own notes" in {r["staff"]: r for r in as_owner.json()}["Sam Okafor"][
        "chart_reason"]


def test_client_access_gives_only_the_reasons_the_checks_use(cli, cast):
    """A custodian whose scope does not cover the client is not "in scope" in the report, and
    `note list` refuses them: the report prints the grants chart_access used."""
    report = cli("client", "access", cast.client, "--staff", cast.scoped_custodian, "-o",
                 "json")
    assert report.exit_code == 0, report.output
    (row,) = report.json()
    assert row["chart_notes"] == "none"
    assert "records custodian" not in row["chart_reason"]
    refused = cli("note", "list", cast.client, actor=cast.scoped_custodian)
    assert refused.exit_code == 4, refused.output
    covered = cli("client", "access", cast.client, "--staff", cast.custodian, "-o", "json")
    assert covered.json()[0]["chart_reason"] == "records custodian in scope (not private notes)"
