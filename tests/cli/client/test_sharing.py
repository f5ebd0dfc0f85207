"""``client sharing``: each provider of a client and the chart shares from them."""

from __future__ import annotations

import datetime as dt

from tests.fixtures.formats import practice_offset


def test_client_sharing_json(cli, cast, open_session):
    before = dt.datetime.now(dt.UTC)
    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b, "--chart", "--private-notes")
    assert shared.exit_code == 0, shared.output
    diagnosed = cli("client", "diagnosis", "Maya Chen", "--provider", cast.provider_b,
                    "--set", "F32.1", "--set", "Z63.0")
    assert diagnosed.exit_code == 0, diagnosed.output
    sam, ana = cast.id_of(open_session, cast.provider_a), cast.id_of(open_session,
                                                                      cast.provider_b)
    result = cli("client", "sharing", "Maya Chen", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = result.json()
    since = data["providers"][0]["shares_to"][0].pop("since")
    assert data == {
        "client_id": cast.client_id,
        "providers": [
            {"provider_id": sam, "provider": "Sam Okafor", "status": "new",
             "diagnosis": ["F41.1"],
             "shares_to": [{"provider_id": ana, "include_private_notes": True}]},
            {"provider_id": ana, "provider": "Ana Ruiz", "status": "new",
             "diagnosis": ["F32.1", "Z63.0"], "shares_to": []},
        ],
    }
    started = dt.datetime.fromisoformat(since)
    assert before - dt.timedelta(seconds=1) <= started <= dt.datetime.now(dt.UTC)
    # Instants carry the practice's UTC offset.
    assert started.utcoffset() == practice_offset(started), since

    ended = cli("client", "unshare", "Maya Chen", "--from", cast.provider_a, "--to",
                cast.provider_b)
    assert ended.exit_code == 0, ended.output
    after = cli("client", "sharing", "Maya Chen", "-o", "json")
    assert after.exit_code == 0, after.output
    assert [p["shares_to"] for p in after.json()["providers"]] == [[], []]
