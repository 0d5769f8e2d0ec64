"""With authentication on: a person's vibes are theirs (or an admin's) to read; the
vocabulary and a venue's vibes are for any signed-in caller."""

import uuid

from tests.auth.test_auth_rules import make_user


def test_a_persons_vibes_are_for_them_or_an_admin(auth_client, tokens):
    me = make_user(auth_client, tokens, "me")
    other = make_user(auth_client, tokens, "other")
    assert auth_client.get(f"/users/{me}/vibes", headers=tokens.user(me)).status_code == 200
    assert auth_client.get(f"/users/{me}/vibes", headers=tokens.admin()).status_code == 200
    response = auth_client.get(f"/users/{me}/vibes", headers=tokens.user(other))
    assert response.status_code == 403
    assert auth_client.get(f"/users/{me}/vibes").status_code == 401


def test_the_vocabulary_needs_a_signed_in_caller(auth_client, tokens):
    assert auth_client.get("/vibes").status_code == 401
    response = auth_client.get("/vibes", headers=tokens.user(uuid.uuid4()))
    assert response.status_code == 200
    assert len(response.json()) == 8
