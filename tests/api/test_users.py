"""Users: POST/GET/PATCH /users (SPEC §2 Users)."""

import uuid

from tests.factories import assert_error, assert_invalid, assert_utc, count, create_user

USER_FIELDS = {"id", "handle", "name", "age", "home_lat", "home_lng", "created_at"}


def post_user(client, **fields):
    body = {"handle": f"h{uuid.uuid4().hex[:12]}", "name": "Someone", **fields}
    return client.post("/users/", json=body)


# --- create ---------------------------------------------------------------------------------


def test_create_returns_the_user_with_every_field(client):
    response = client.post(
        "/users/",
        json={"handle": "alice", "name": "Alice", "age": 30, "home_lat": 40.7, "home_lng": -74.0},
    )

    assert response.status_code == 201
    user = response.json()
    assert user.keys() == USER_FIELDS
    assert user["handle"] == "alice"
    assert user["name"] == "Alice"
    assert user["age"] == 30
    assert (user["home_lat"], user["home_lng"]) == (40.7, -74.0)
    assert uuid.UUID(user["id"]).version == 4
    assert_utc(user["created_at"])


def test_create_with_only_handle_and_name_leaves_the_rest_null(client):
    user = post_user(client, handle="bob", name="Bob").json()

    assert (user["age"], user["home_lat"], user["home_lng"]) == (None, None, None)


def test_created_user_is_readable_and_listed(client):
    user = create_user(client)

    assert client.get(f"/users/{user['id']}").json() == user
    assert client.get("/users/").json() == [user]


def test_handle_length_within_bounds_is_accepted(client, subtests):
    for length in [1, 64]:
        with subtests.test(length=length):
            response = post_user(client, handle="h" * length)

            assert response.status_code == 201
            assert response.json()["handle"] == "h" * length


def test_handle_empty_or_too_long_is_rejected(client, subtests):
    for handle in ["", "h" * 65, "   "]:
        with subtests.test(handle=handle):
            assert_invalid(post_user(client, handle=handle), "body", "handle")
            assert count(client, "/users/") == 0


def test_handle_surrounding_whitespace_is_dropped(client):
    assert post_user(client, handle="  carol  ").json()["handle"] == "carol"


def test_duplicate_handle_in_any_case_is_a_conflict(client, subtests):
    create_user(client, handle="Dave")
    for taken in ["dave", "DAVE", "Dave", " dAvE "]:
        with subtests.test(handle=taken):
            assert_error(post_user(client, handle=taken), 409, "Handle already taken")
            assert count(client, "/users/") == 1


def test_name_length_within_bounds_is_accepted(client, subtests):
    for length in [1, 200]:
        with subtests.test(length=length):
            response = post_user(client, name="n" * length)

            assert response.status_code == 201
            assert response.json()["name"] == "n" * length


def test_name_empty_or_too_long_is_rejected(client, subtests):
    for name in ["", "n" * 201]:
        with subtests.test(name=name):
            assert_invalid(post_user(client, name=name), "body", "name")
            assert count(client, "/users/") == 0


def test_handle_and_name_are_required(client, subtests):
    for missing in ["handle", "name"]:
        with subtests.test(missing=missing):
            body = {"handle": "erin", "name": "Erin"}
            del body[missing]

            assert_invalid(client.post("/users/", json=body), "body", missing)
            assert count(client, "/users/") == 0


def test_age_within_bounds_is_accepted(client, subtests):
    for age in [13, 120]:
        with subtests.test(age=age):
            assert post_user(client, age=age).json()["age"] == age


def test_age_out_of_bounds_or_not_an_integer_is_rejected(client, subtests):
    for age in [12, 121, -1, 13.5, "old"]:
        with subtests.test(age=age):
            assert_invalid(post_user(client, age=age), "body", "age")
            assert count(client, "/users/") == 0


def test_home_within_bounds_is_accepted(client, subtests):
    for lat, lng in [(-90, -180), (90, 180)]:
        with subtests.test(lat=lat, lng=lng):
            user = post_user(client, home_lat=lat, home_lng=lng).json()

            assert (user["home_lat"], user["home_lng"]) == (lat, lng)


def test_home_out_of_bounds_is_rejected(client, subtests):
    for lat, lng, field in [
        (-90.0001, 0, "home_lat"),
        (90.0001, 0, "home_lat"),
        (0, -180.0001, "home_lng"),
        (0, 180.0001, "home_lng"),
    ]:
        with subtests.test(lat=lat, lng=lng):
            assert_invalid(post_user(client, home_lat=lat, home_lng=lng), "body", field)
            assert count(client, "/users/") == 0


def test_home_lat_and_lng_come_together(client, subtests):
    for half in [{"home_lat": 40.7}, {"home_lng": -74.0}]:
        with subtests.test(half=half):
            assert_invalid(post_user(client, **half), "body")
            assert count(client, "/users/") == 0


def test_a_client_chosen_id_of_any_uuid_version_is_kept(client):
    chosen = uuid.uuid1()

    user = post_user(client, id=str(chosen)).json()

    assert user["id"] == str(chosen)
    assert client.get(f"/users/{chosen}").status_code == 200


def test_an_existing_id_is_a_conflict(client):
    # The code's choice (SPEC is silent): a reused client-chosen id is a 409.
    user = create_user(client)

    assert_error(post_user(client, id=user["id"]), 409, "User id already exists")
    assert count(client, "/users/") == 1


def test_server_owned_fields_in_the_body_are_ignored(client):
    response = post_user(client, created_at="2000-01-01T00:00:00Z", nickname="x")

    assert response.status_code == 201
    user = response.json()
    assert user.keys() == USER_FIELDS
    assert not user["created_at"].startswith("2000")


# --- read -----------------------------------------------------------------------------------


def test_get_unknown_user_is_404(client):
    assert_error(client.get(f"/users/{uuid.uuid4()}"), 404, "User not found")


def test_get_with_malformed_id_is_422(client):
    assert_invalid(client.get("/users/not-a-uuid"), "path", "user_id")


def test_get_accepts_any_spelling_of_a_uuid(client, subtests):
    for spelling in [str.upper, lambda s: s.replace("-", "")]:
        with subtests.test(spelling=spelling):
            user = create_user(client)

            assert client.get(f"/users/{spelling(user['id'])}").json() == user


# --- update ---------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(client):
    user = create_user(client, age=30, home_lat=1.0, home_lng=2.0)

    response = client.patch(f"/users/{user['id']}", json={"name": "Renamed"})

    assert response.status_code == 200
    assert response.json() == {**user, "name": "Renamed"}
    assert client.get(f"/users/{user['id']}").json() == {**user, "name": "Renamed"}


def test_patch_with_empty_body_changes_nothing(client):
    user = create_user(client)

    response = client.patch(f"/users/{user['id']}", json={})

    assert response.status_code == 200
    assert response.json() == user


def test_patch_can_clear_age_and_home(client):
    user = create_user(client, age=30, home_lat=1.0, home_lng=2.0)

    body = {"age": None, "home_lat": None, "home_lng": None}
    updated = client.patch(f"/users/{user['id']}", json=body).json()

    assert (updated["age"], updated["home_lat"], updated["home_lng"]) == (None, None, None)


def test_patch_to_a_handle_taken_in_another_case_is_a_conflict(client):
    create_user(client, handle="frank")
    user = create_user(client, handle="grace")

    response = client.patch(f"/users/{user['id']}", json={"handle": "FRANK"})

    assert_error(response, 409, "Handle already taken")
    assert client.get(f"/users/{user['id']}").json() == user


def test_patch_may_change_the_case_of_ones_own_handle(client):
    user = create_user(client, handle="heidi")

    response = client.patch(f"/users/{user['id']}", json={"handle": "HEIDI"})

    assert response.status_code == 200
    assert response.json()["handle"] == "HEIDI"


PATCH_OUT_OF_BOUNDS = [
    ({"handle": "h" * 65}, "handle"),
    ({"handle": ""}, "handle"),
    ({"name": ""}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"age": 12}, "age"),
    ({"age": 121}, "age"),
    ({"home_lat": 91, "home_lng": 0}, "home_lat"),
    ({"home_lat": 0, "home_lng": -181}, "home_lng"),
]


def test_patch_applies_the_create_bounds(client, subtests):
    user = create_user(client)
    for body, field in PATCH_OUT_OF_BOUNDS:
        with subtests.test(body=body):
            assert_invalid(client.patch(f"/users/{user['id']}", json=body), "body", field)
            assert client.get(f"/users/{user['id']}").json() == user


def test_patch_rejects_null_required_fields_and_half_a_home(client, subtests):
    user = create_user(client, home_lat=1.0, home_lng=2.0)
    for body in [
        {"handle": None},
        {"name": None},
        {"home_lat": 10.0},
        {"home_lng": 10.0},
        {"home_lat": 10.0, "home_lng": None},
    ]:
        with subtests.test(body=body):
            assert_invalid(client.patch(f"/users/{user['id']}", json=body), "body")
            assert client.get(f"/users/{user['id']}").json() == user


def test_patch_ignores_an_id_in_the_body(client):
    user = create_user(client)

    body = {"id": str(uuid.uuid4()), "name": "Same Id"}
    updated = client.patch(f"/users/{user['id']}", json=body).json()

    assert updated["id"] == user["id"]


def test_patch_unknown_user_is_404(client):
    assert_error(client.patch(f"/users/{uuid.uuid4()}", json={"name": "x"}), 404, "User not found")
    assert count(client, "/users/") == 0


def test_patch_with_malformed_id_is_422(client):
    assert_invalid(client.patch("/users/123", json={"name": "x"}), "path", "user_id")
