"""``client show``: the profile with each provider's status and diagnosis."""

from __future__ import annotations


def test_client_show_json(cli, cast, open_session):
    shared = cli("client", "share", "Maya Chen", "--from", cast.provider_a, "--to",
                 cast.provider_b)
    assert shared.exit_code == 0, shared.output
    sam, ana = cast.id_of(open_session, cast.provider_a), cast.id_of(open_session,
                                                                      cast.provider_b)
    result = cli("client", "show", "Maya Chen", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.json() == {
        "id": cast.client_id, "first_name": "Maya", "last_name": "Chen", "name": "Maya Chen",
        "dob": "1990-04-12", "external_id": None, "preferred_name": None, "sex": None,
        "email": None, "phone": None, "address": None,
        "providers": [
            {"provider_id": sam, "provider": "Sam Okafor", "status": "new",
             "diagnosis": ["F41.1"]},
            {"provider_id": ana, "provider": "Ana Ruiz", "status": "new", "diagnosis": []},
        ],
        "restricted": False,
    }
    # The same client by #ID and by a differently spaced, differently cased name.
    for ref in (f"#{cast.client_id}", "  MAYA   chen "):
        again = cli("client", "show", ref, "-o", "json")
        assert again.exit_code == 0, again.output
        assert again.json() == result.json()
