"""``client duplicates``: the pairs of records that look like one person, and why."""

from __future__ import annotations

from tests.fixtures.practice_db import snapshot


def add(cli, first: str, last: str, dob: str, *extra: str) -> int:
    added = cli("client", "add", first, last, "--dob", dob, "--new", *extra, "-o", "json")
    assert added.exit_code == 0, added.output
    return int(added.json()["id"])


def pairs(cli, actor: str | None = None) -> dict[tuple[int, int], list[str]]:
    listed = cli("client", "duplicates", "-o", "json", **({"actor": actor} if actor else {}))
    assert listed.exit_code == 0, listed.output
    return {(p["client_id"], p["other_id"]): p["reasons"] for p in listed.json()}


def test_likely_pairs_are_listed_with_their_reasons(cli, cast, db_url):
    twin = add(cli, "Maya", "Chen", "1990-04-12")
    reordered = add(cli, "Chen", "Maya", "1990-04-12")
    jose = add(cli, "José", "García", "1975-06-01", "--phone", "(555) 010-0100")
    plain_jose = add(cli, "Jose", "Garcia", "1975-06-01")
    same_phone = add(cli, "Pepe", "Garcia", "1976-01-01", "--phone", "+1 555.010.0100")
    emailed = add(cli, "Lena", "Berg", "1991-01-01", "--email", "Lena@Example.org")
    same_email = add(cli, "Lena", "Bergström", "1991-02-02", "--email", "lena@example.org")
    add(cli, "Nora", "Chen", "1990-04-12")  # a namesake's birthday alone is no reason
    before = snapshot(db_url)
    found = pairs(cli)
    maya = cast.client_id
    assert found == {
        (maya, twin): ["same name and date of birth"],
        (maya, reordered): ["same date of birth, names differ only by accents or order"],
        (twin, reordered): ["same date of birth, names differ only by accents or order"],
        (jose, plain_jose): ["same date of birth, names differ only by accents or order"],
        (jose, same_phone): ["same phone"],
        (emailed, same_email): ["same email"],
    }
    assert snapshot(db_url) == before
    table = cli("client", "duplicates")
    assert table.exit_code == 0, table.output
    assert "same name and date of birth" in table.stdout
    assert (f"clinicctl client merge '#{maya}' '#{twin}' --dry-run") in table.stderr


def test_a_contact_many_clients_share_is_reported_not_paired(cli, cast):
    ids = [add(cli, f"Kid{n}", "Family", f"201{n}-01-01", "--email", "parents@example.org")
           for n in range(5)]
    listed = cli("client", "duplicates", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert listed.json() == []
    assert (f"5 clients share one email (#{ids[0]} and others); not listed as duplicates"
            in listed.stderr)


def test_a_merged_pair_is_no_longer_listed(cli, cast):
    twin = add(cli, "Maya", "Chen", "1990-04-12")
    assert (cast.client_id, twin) in pairs(cli)
    merged = cli("client", "merge", f"#{cast.client_id}", f"#{twin}")
    assert merged.exit_code == 0, merged.output
    empty = cli("client", "duplicates", "-o", "json")
    assert (empty.exit_code, empty.json()) == (0, [])
    assert "No likely duplicate clients." in empty.stderr


def test_only_the_owner_and_managers_list_duplicates(cli, cast):
    add(cli, "Maya", "Chen", "1990-04-12")
    assert pairs(cli, cast.manager)
    for actor in (cast.scheduler, cast.biller, cast.provider_a, cast.custodian):
        refused = cli("client", "duplicates", actor=actor)
        assert refused.exit_code == 4, (actor, refused.output)
