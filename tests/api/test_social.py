"""Social graph: PUT/GET/DELETE /users/{id}/edges (SPEC §2 Social graph)."""

import uuid

import pytest

from tests.factories import assert_error, assert_invalid, assert_utc, connect, create_user, list_all

EDGE_FIELDS = {"user_id", "other_user_id", "relationship_type", "strength", "created_at"}


@pytest.fixture
def alice(client):
    return create_user(client)


@pytest.fixture
def bob(client):
    return create_user(client)


def put_edge(client, user_id, other_id, **fields):
    body = {"relationship_type": "friend", "strength": 0.5, **fields}
    return client.put(f"/users/{user_id}/edges/{other_id}", json=body)


def edges(client, user):
    return list_all(client, f"/users/{user['id']}/edges")


# --- upsert ---------------------------------------------------------------------------------


def test_put_creates_the_edge_with_201(client, alice, bob):
    response = put_edge(client, alice["id"], bob["id"], relationship_type="mutual", strength=0.8)

    assert response.status_code == 201
    edge = response.json()
    assert edge.keys() == EDGE_FIELDS
    assert (edge["user_id"], edge["other_user_id"]) == (alice["id"], bob["id"])
    assert (edge["relationship_type"], edge["strength"]) == ("mutual", 0.8)
    assert_utc(edge["created_at"])
    assert edges(client, alice) == [edge]


def test_put_again_replaces_the_edge_with_200(client, alice, bob):
    first = put_edge(client, alice["id"], bob["id"]).json()

    response = put_edge(client, alice["id"], bob["id"], relationship_type="suggested", strength=0.1)

    assert response.status_code == 200
    assert response.json() == {**first, "relationship_type": "suggested", "strength": 0.1}
    assert edges(client, alice) == [response.json()]


def test_edges_are_directed(client, alice, bob):
    connect(client, alice["id"], bob["id"])

    assert edges(client, bob) == []


def test_strength_within_bounds_is_accepted(client, subtests, alice, bob):
    for strength in [0, 1, 0.25]:
        with subtests.test(strength=strength):
            response = put_edge(client, alice["id"], bob["id"], strength=strength)

            assert response.json()["strength"] == strength


def test_strength_out_of_bounds_is_rejected(client, subtests, alice, bob):
    for strength in [-0.01, 1.01, "strong", None]:
        with subtests.test(strength=strength):
            response = put_edge(client, alice["id"], bob["id"], strength=strength)

            assert_invalid(response, "body", "strength")
            assert edges(client, alice) == []


def test_rejected_update_keeps_the_old_edge(client, alice, bob):
    edge = connect(client, alice["id"], bob["id"], strength=0.3)

    assert_invalid(put_edge(client, alice["id"], bob["id"], strength=2), "body", "strength")
    assert edges(client, alice) == [edge]


def test_each_relationship_type_is_accepted(client, subtests, alice, bob):
    for kind in ["friend", "mutual", "suggested"]:
        with subtests.test(kind=kind):
            response = put_edge(client, alice["id"], bob["id"], relationship_type=kind)

            assert response.json()["relationship_type"] == kind


def test_other_relationship_types_are_rejected(client, subtests, alice, bob):
    for kind in ["enemy", "Friend", "", None]:
        with subtests.test(kind=kind):
            response = put_edge(client, alice["id"], bob["id"], relationship_type=kind)

            assert_invalid(response, "body", "relationship_type")
            assert edges(client, alice) == []


def test_self_edge_is_422(client, alice):
    assert_invalid(put_edge(client, alice["id"], alice["id"]), "path", "other_user_id")
    assert edges(client, alice) == []


def test_edge_from_unknown_user_is_404(client, bob):
    assert_error(put_edge(client, uuid.uuid4(), bob["id"]), 404, "User not found")


def test_edge_to_unknown_user_is_404(client, alice):
    assert_error(put_edge(client, alice["id"], uuid.uuid4()), 404, "User not found")
    assert edges(client, alice) == []


def test_put_with_malformed_ids_is_422(client, alice):
    assert_invalid(put_edge(client, alice["id"], "bob"), "path", "other_user_id")
    assert_invalid(put_edge(client, "alice", alice["id"]), "path", "user_id")


# --- list -----------------------------------------------------------------------------------


def test_list_gives_outgoing_edges_in_creation_order(client, alice):
    others = [create_user(client) for _ in range(4)]
    made = [connect(client, alice["id"], other["id"]) for other in others]

    assert edges(client, alice) == made


def test_list_pages_with_limit_and_offset(client, alice):
    made = [connect(client, alice["id"], create_user(client)["id"]) for _ in range(5)]
    url = f"/users/{alice['id']}/edges"

    pages = [client.get(url, params={"limit": 2, "offset": o}).json() for o in (0, 2, 4)]

    assert [edge for page in pages for edge in page] == made


def test_list_of_unknown_user_is_404(client):
    assert_error(client.get(f"/users/{uuid.uuid4()}/edges"), 404, "User not found")


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_edge_with_204(client, alice, bob):
    connect(client, alice["id"], bob["id"])

    response = client.delete(f"/users/{alice['id']}/edges/{bob['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert edges(client, alice) == []


def test_delete_leaves_the_reverse_edge(client, alice, bob):
    connect(client, alice["id"], bob["id"])
    reverse = connect(client, bob["id"], alice["id"])

    client.delete(f"/users/{alice['id']}/edges/{bob['id']}")

    assert edges(client, bob) == [reverse]


def test_delete_twice_is_404(client, alice, bob):
    connect(client, alice["id"], bob["id"])
    client.delete(f"/users/{alice['id']}/edges/{bob['id']}")

    response = client.delete(f"/users/{alice['id']}/edges/{bob['id']}")

    assert_error(response, 404, "Edge not found")


def test_delete_with_unknown_user_is_404(client, alice):
    response = client.delete(f"/users/{alice['id']}/edges/{uuid.uuid4()}")

    assert_error(response, 404, "User not found")


def test_delete_with_malformed_id_is_422(client, alice):
    assert_invalid(client.delete(f"/users/{alice['id']}/edges/x"), "path", "other_user_id")
