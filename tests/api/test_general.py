"""SPEC §1 general rules, the OpenAPI docs, and hostile input that must never give a 500.

The `client` fixture re-raises server errors, so an unhandled exception fails the test even
where a test only looks at the status code.
"""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from luna.models import User, Venue
from tests.factories import (
    assert_error,
    assert_invalid,
    assert_utc,
    connect,
    count,
    create_plan,
    create_user,
    create_venue,
    interact,
    list_all,
    send_raw,
)

NIL = "00000000-0000-0000-0000-000000000000"


def strict_json(response):
    """The body as JSON, refusing what JSON does not have (NaN, Infinity)."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(response.text, parse_constant=refuse)


@pytest.fixture
def user(client):
    return create_user(client)


@pytest.fixture
def venue(client):
    return create_venue(client)


# Every list route; `{user}` is filled with an existing user's id.
LIST_ROUTES = [
    "/users",
    "/venues",
    "/plans",
    "/bookings",
    "/users/{user}/edges",
    "/users/{user}/interactions",
]


def list_url(route, user):
    return route.format(user=user["id"])


def snapshot(client, user):
    """Every list the tests can see, to check that a rejected request changed nothing."""
    return {route: list_all(client, list_url(route, user)) for route in LIST_ROUTES}


@pytest.fixture
def populated(client, user, venue):
    """One row in every list of `user`: an interaction, an edge, a plan and its booking."""
    interact(client, user["id"], venue["id"])
    connect(client, user["id"], create_user(client)["id"])
    plan = create_plan(client, user["id"], venue["id"])
    assert client.post(f"/plans/{plan['id']}/confirm").status_code == 200


# --- trailing slash -------------------------------------------------------------------------


def test_collections_answer_with_and_without_trailing_slash(client, subtests, user, populated):
    for route in [*LIST_ROUTES, "/health"]:
        with subtests.test(route=route):
            url = list_url(route, user)

            bare = client.get(url, follow_redirects=False)
            slashed = client.get(f"{url}/", follow_redirects=False)

            assert bare.status_code == slashed.status_code == 200
            assert bare.json() == slashed.json()
            assert bare.json()  # something to compare


def test_creates_answer_without_trailing_slash(client, subtests, user, venue):
    plan = {"organizer_id": user["id"], "venue_id": venue["id"], "start_time": "2999-01-01"}
    for url, body in [
        ("/users", {"handle": "noslash", "name": "No Slash"}),
        ("/venues", {"name": "No Slash", "lat": 1, "lng": 2}),
        ("/plans", plan),
    ]:
        with subtests.test(url=url):
            response = client.post(url, json=body, follow_redirects=False)

            assert response.status_code == 201
            assert response.json()["id"] in [row["id"] for row in list_all(client, url)]


# --- error bodies ---------------------------------------------------------------------------


def test_unknown_route_is_a_404_detail(client):
    assert_error(client.get("/nowhere"), 404, "Not Found")


def test_wrong_method_is_a_405_detail(client):
    assert_error(client.delete("/users/"), 405, "Method Not Allowed")


def test_validation_error_keeps_fastapis_list_form(client):
    errors = assert_invalid(client.post("/users/", json={"name": "No Handle"}), "body", "handle")

    assert errors[0]["type"] == "missing"
    assert isinstance(errors[0]["msg"], str)


# --- paging ---------------------------------------------------------------------------------


def test_limit_of_1000_is_accepted(client, subtests, user, populated):
    for route in LIST_ROUTES:
        with subtests.test(route=route):
            response = client.get(list_url(route, user), params={"limit": 1000})

            assert response.status_code == 200
            assert len(response.json()) >= 1


def test_limit_out_of_bounds_is_422_not_capped(client, subtests, user):
    for route in LIST_ROUTES:
        for limit in [1001, 0, -1, 10**30, "many"]:
            with subtests.test(route=route, limit=limit):
                response = client.get(list_url(route, user), params={"limit": limit})

                assert_invalid(response, "query", "limit")


def test_offset_out_of_bounds_is_422(client, subtests, user):
    for route in LIST_ROUTES:
        for offset in [-1, 2**63, 10**30, "later"]:
            with subtests.test(route=route, offset=offset):
                response = client.get(list_url(route, user), params={"offset": offset})

                assert_invalid(response, "query", "offset")


def test_offset_skips_rows(client, subtests, user, populated):
    for route in LIST_ROUTES:
        with subtests.test(route=route):
            url = list_url(route, user)

            assert client.get(url, params={"offset": 1}).json() == list_all(client, url)[1:]
            assert client.get(url, params={"offset": 2**63 - 1}).json() == []


def test_limit_defaults_to_100(client, db_session):
    # 101 rows written behind the API: 101 POSTs would only slow the suite down.
    db_session.add_all(User(handle=f"bulk{i}", name="Bulk") for i in range(101))
    db_session.commit()

    assert len(client.get("/users/").json()) == 100
    assert len(client.get("/users/", params={"offset": 100}).json()) == 1


def test_interaction_history_limit_defaults_to_100(client, user, venue):
    item = {"user_id": user["id"], "venue_id": venue["id"], "interaction_type": "view"}
    client.post("/interactions/batch", json={"interactions": [item] * 101})

    assert len(client.get(f"/users/{user['id']}/interactions").json()) == 100


@pytest.mark.parametrize(("url", "make"), [("/users/", create_user), ("/venues/", create_venue)])
def test_paging_through_gives_every_row_once_in_creation_order(client, url, make):
    made = [make(client) for _ in range(7)]

    pages = [client.get(url, params={"limit": 3, "offset": o}).json() for o in (0, 3, 6, 9)]

    assert [len(page) for page in pages] == [3, 3, 1, 0]
    assert [row for page in pages for row in page] == made


@pytest.mark.parametrize(
    ("url", "make", "model"), [("/users/", create_user, User), ("/venues/", create_venue, Venue)]
)
def test_rows_created_at_the_same_time_are_ordered_by_id(client, db_session, url, make, model):
    ids = [make(client)["id"] for _ in range(6)]
    db_session.execute(update(model).values(created_at=datetime(2025, 1, 1, tzinfo=UTC)))
    db_session.commit()

    pages = [client.get(url, params={"limit": 4, "offset": o}).json() for o in (0, 4)]

    assert [row["id"] for page in pages for row in page] == sorted(ids)


def test_interactions_at_the_same_time_are_ordered_by_id(client, user, venue):
    item = {
        "user_id": user["id"],
        "venue_id": venue["id"],
        "interaction_type": "view",
        "occurred_at": "2025-01-01T00:00:00Z",
    }
    client.post("/interactions/batch", json={"interactions": [item] * 6})
    url = f"/users/{user['id']}/interactions"

    pages = [client.get(url, params={"limit": 4, "offset": o}).json() for o in (0, 4)]
    ids = [row["id"] for page in pages for row in page]

    assert ids == sorted(ids)
    assert len(set(ids)) == 6


def test_every_listed_row_has_a_utc_created_at(client, user, populated):
    for route in LIST_ROUTES:
        rows = list_all(client, list_url(route, user))
        assert rows, route
        for row in rows:
            assert_utc(row["created_at"])


# --- malformed ids and JSON -----------------------------------------------------------------

ID_ROUTES = [
    ("GET", "/users/{id}", "user_id"),
    ("PATCH", "/users/{id}", "user_id"),
    ("GET", "/users/{id}/interactions", "user_id"),
    ("GET", "/users/{id}/edges", "user_id"),
    ("PUT", f"/users/{{id}}/edges/{NIL}", "user_id"),
    ("PUT", f"/users/{NIL}/edges/{{id}}", "other_user_id"),
    ("DELETE", f"/users/{NIL}/edges/{{id}}", "other_user_id"),
    ("GET", "/venues/{id}", "venue_id"),
    ("PATCH", "/venues/{id}", "venue_id"),
    ("POST", "/venues/{id}/interactions", "venue_id"),
    ("POST", "/venues/{id}/interact", "venue_id"),
    ("GET", "/reco/venues/{id}", "user_id"),
    ("GET", "/reco/people/{id}", "user_id"),
    ("GET", "/plans/{id}", "plan_id"),
    ("POST", "/plans/{id}/participants", "plan_id"),
    ("PATCH", f"/plans/{{id}}/participants/{NIL}", "plan_id"),
    ("PATCH", f"/plans/{NIL}/participants/{{id}}", "user_id"),
    ("POST", "/plans/{id}/confirm", "plan_id"),
    ("POST", "/plans/{id}/cancel", "plan_id"),
    ("GET", "/plans/{id}/booking", "plan_id"),
    ("GET", "/bookings/{id}", "booking_id"),
]
BAD_IDS = ["42", "not-a-uuid", f"{NIL}0", "%00", "%ED%A0%80", "f" * 10_000]


def test_malformed_uuid_in_any_path_is_422(client, subtests):
    for method, route, name in ID_ROUTES:
        for bad_id in BAD_IDS:
            with subtests.test(method=method, route=route, bad_id=bad_id[:20]):
                response = client.request(method, route.format(id=bad_id), json={})

                assert_invalid(response, "path", name)


def test_any_spelling_of_a_valid_uuid_is_accepted_in_paths(client, subtests, user):
    for spelling in [user["id"].upper(), user["id"].replace("-", ""), f"{{{user['id']}}}"]:
        with subtests.test(spelling=spelling):
            assert client.get(f"/users/{spelling}").json() == user


def test_malformed_uuid_in_bodies_is_422(client, subtests, user, venue):
    plan = create_plan(client, user["id"], venue["id"])
    before = snapshot(client, user)
    new_plan = {"organizer_id": user["id"], "venue_id": venue["id"], "start_time": "2999-01-01"}
    for url, body, field in [
        ("/users/", {"id": "x", "handle": "a", "name": "b"}, "id"),
        ("/venues/", {"id": "x", "name": "b", "lat": 1, "lng": 1}, "id"),
        ("/plans/", {**new_plan, "organizer_id": "x"}, "organizer_id"),
        ("/plans/", {**new_plan, "venue_id": NIL[:-1]}, "venue_id"),
        (f"/plans/{plan['id']}/participants", {"user_id": 42}, "user_id"),
        (
            f"/venues/{venue['id']}/interactions",
            {"user_id": "", "interaction_type": "like"},
            "user_id",
        ),
    ]:
        with subtests.test(url=url, field=field):
            assert_invalid(client.post(url, json=body), "body", field)
    assert snapshot(client, user) == before


WRITE_ROUTES = [
    ("POST", "/users/"),
    ("PATCH", "/users/{user}"),
    ("POST", "/venues/"),
    ("PATCH", "/venues/{venue}"),
    ("POST", "/venues/{venue}/interactions"),
    ("POST", "/venues/{venue}/interact"),
    ("POST", "/interactions/batch"),
    ("PUT", "/users/{user}/edges/{other}"),
    ("POST", "/plans/"),
    ("POST", "/plans/{plan}/participants"),
    ("PATCH", "/plans/{plan}/participants/{user}"),
]


@pytest.fixture
def write_urls(client, user, venue):
    """Every route that takes a body, filled with existing ids."""
    other = create_user(client)
    plan = create_plan(client, user["id"], venue["id"])
    ids = {"user": user["id"], "venue": venue["id"], "other": other["id"], "plan": plan["id"]}
    return [(method, route.format(**ids)) for method, route in WRITE_ROUTES]


def test_malformed_json_is_422(client, subtests, user, write_urls):
    before = snapshot(client, user)
    for method, url in write_urls:
        for text in ['{"handle": "x",', "{'a': 1}", "not json", "{}}", b"\xff\xfe"]:
            with subtests.test(method=method, url=url, text=text):
                response = send_raw(client, method, url, text)

                errors = assert_invalid(response, "body")
                assert errors[0]["type"] == "json_invalid"
    assert snapshot(client, user) == before


def test_empty_or_non_object_body_is_422(client, subtests, user, write_urls):
    before = snapshot(client, user)
    for method, url in write_urls:
        for text in ["", "null", "[]", '"text"', "42"]:
            with subtests.test(method=method, url=url, text=text):
                assert_invalid(send_raw(client, method, url, text), "body")
    assert snapshot(client, user) == before


def test_missing_body_is_422(client, subtests, user, write_urls):
    before = snapshot(client, user)
    for method, url in write_urls:
        with subtests.test(method=method, url=url):
            assert_invalid(client.request(method, url), "body")
    assert snapshot(client, user) == before


def test_body_sent_as_plain_text_is_422(client):
    response = client.post(
        "/users/",
        content='{"handle": "a", "name": "b"}',
        headers={"content-type": "text/plain"},
    )

    assert_invalid(response, "body")
    assert count(client, "/users/") == 0


# --- OpenAPI --------------------------------------------------------------------------------

DOCUMENTED = {
    "/health/": {"get"},
    "/users/": {"get", "post"},
    "/users/{user_id}": {"get", "patch"},
    "/users/{user_id}/interactions": {"get"},
    "/users/{user_id}/edges": {"get"},
    "/users/{user_id}/edges/{other_user_id}": {"put", "delete"},
    "/venues/": {"get", "post"},
    "/venues/{venue_id}": {"get", "patch"},
    "/venues/{venue_id}/interactions": {"post"},
    "/venues/{venue_id}/interact": {"post"},
    "/interactions/batch": {"post"},
    "/reco/venues/{user_id}": {"get"},
    "/reco/people/{user_id}": {"get"},
    "/plans/": {"get", "post"},
    "/plans/{plan_id}": {"get"},
    "/plans/{plan_id}/participants": {"post"},
    "/plans/{plan_id}/participants/{user_id}": {"patch"},
    "/plans/{plan_id}/confirm": {"post"},
    "/plans/{plan_id}/cancel": {"post"},
    "/plans/{plan_id}/booking": {"get"},
    "/bookings/": {"get"},
    "/bookings/{booking_id}": {"get"},
}


@pytest.fixture
def openapi(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_are_served(client, page):
    response = client.get(page)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    # Served by Luna, not a CDN, and the browser is told to load nothing from elsewhere.
    assert "http://" not in response.text and "https://" not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "asset", ["swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"]
)
def test_docs_assets_are_served(client, asset):
    response = client.get(f"/docs/assets/{asset}")

    assert response.status_code == 200
    assert len(response.content) > 1000


def test_openapi_describes_every_route(openapi):
    paths = openapi["paths"]

    missing = {
        f"{method.upper()} {path}"
        for path, methods in DOCUMENTED.items()
        for method in methods
        if method not in paths.get(path, {})
    }
    assert missing == set()


def test_openapi_marks_only_the_old_interact_route_deprecated(openapi):
    deprecated = {
        (path, method)
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if operation.get("deprecated")
    }

    assert deprecated == {("/venues/{venue_id}/interact", "post")}


def test_openapi_documents_error_bodies(openapi):
    get_user = openapi["paths"]["/users/{user_id}"]["get"]["responses"]
    create_user_ = openapi["paths"]["/users/"]["post"]["responses"]

    assert get_user["404"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    assert create_user_["409"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ErrorBody"
    )
    assert "422" in create_user_


def test_openapi_describes_request_bodies(openapi):
    assert "requestBody" in openapi["paths"]["/users/"]["post"]
    assert "requestBody" in openapi["paths"]["/interactions/batch"]["post"]
    assert "requestBody" in openapi["paths"]["/users/{user_id}/edges/{other_user_id}"]["put"]


# --- hostile input --------------------------------------------------------------------------


def test_nul_and_control_characters_in_strings_are_422(client, subtests, user, venue):
    before = snapshot(client, user)
    plan = {"organizer_id": user["id"], "venue_id": venue["id"], "start_time": "2999-01-01"}
    for method, url, body, field in [
        ("POST", "/users/", {"handle": "nul\x00", "name": "N"}, "handle"),
        ("POST", "/users/", {"handle": "nul", "name": "\x00"}, "name"),
        ("POST", "/users/", {"handle": "bell\x07", "name": "N"}, "handle"),
        ("PATCH", f"/users/{user['id']}", {"name": "a\x00"}, "name"),
        ("POST", "/venues/", {"name": "a\x00b", "lat": 1, "lng": 1}, "name"),
        (
            "POST",
            "/venues/",
            {"name": "n", "description": "\x00", "lat": 1, "lng": 1},
            "description",
        ),
        ("POST", "/venues/", {"name": "n", "category": "bar\x00", "lat": 1, "lng": 1}, "category"),
        ("PATCH", f"/venues/{venue['id']}", {"description": "x\x00"}, "description"),
        ("POST", "/plans/", {**plan, "title": "\x00"}, "title"),
    ]:
        with subtests.test(url=url, field=field):
            assert_invalid(client.request(method, url, json=body), "body", field)
    assert snapshot(client, user) == before


def test_nul_characters_in_query_and_path_are_422(client, subtests):
    for url, params, loc in [
        ("/venues/", {"category": "bar\x00"}, ("query", "category")),
        ("/plans/", {"user_id": "\x00"}, ("query", "user_id")),
        ("/users/%00", {}, ("path", "user_id")),
    ]:
        with subtests.test(url=url, params=params):
            assert_invalid(client.get(url, params=params), *loc)


def test_lone_surrogates_are_422(client, subtests, user, venue):
    before = snapshot(client, user)
    for url, text, field in [
        ("/users/", '{"handle": "\\ud800", "name": "x"}', "handle"),
        ("/users/", '{"handle": "h", "name": "a\\udfffb"}', "name"),
        ("/venues/", '{"name": "\\ud800", "lat": 1, "lng": 1}', "name"),
        ("/venues/", '{"name": "n", "category": "\\ud800", "lat": 1, "lng": 1}', "category"),
        (
            f"/venues/{venue['id']}/interactions",
            f'{{"user_id": "{user["id"]}", "interaction_type": "\\ud800"}}',
            "interaction_type",
        ),
    ]:
        with subtests.test(url=url, field=field):
            response = send_raw(client, "POST", url, text)

            assert_invalid(response, "body", field)
            strict_json(response)
    assert snapshot(client, user) == before


NOT_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]


def with_number(fields, field, number):
    """A JSON object text whose `field` is the raw token `number` (NaN, Infinity, ...)."""
    return json.dumps({**fields, field: "@number@"}).replace('"@number@"', number)


def test_non_finite_numbers_are_422(client, subtests, user, venue):
    other = create_user(client)
    before = snapshot(client, user)
    new_user = {"handle": "h", "name": "n", "home_lat": 1, "home_lng": 1}
    new_venue = {"name": "n", "lat": 1, "lng": 1}
    cases = [
        *[("POST", "/users/", new_user, field) for field in ("age", "home_lat", "home_lng")],
        *[("PATCH", f"/users/{user['id']}", {"home_lat": 1}, "home_lng")],
        *[("POST", "/venues/", new_venue, f) for f in ("lat", "lng", "rating", "price_level")],
        *[("PATCH", f"/venues/{venue['id']}", {}, field) for field in ("lat", "rating")],
        (
            "POST",
            f"/venues/{venue['id']}/interactions",
            {"user_id": user["id"], "interaction_type": "like"},
            "dwell_time_seconds",
        ),
        (
            "PUT",
            f"/users/{user['id']}/edges/{other['id']}",
            {"relationship_type": "friend"},
            "strength",
        ),
    ]
    for method, url, fields, field in cases:
        for number in NOT_JSON_NUMBERS:
            with subtests.test(url=url, field=field, number=number):
                response = send_raw(client, method, url, with_number(fields, field, number))

                assert_invalid(response, "body", field)
                strict_json(response)
    assert snapshot(client, user) == before


def test_non_finite_numbers_in_query_are_422(client, subtests):
    for number in ["nan", "inf", "-inf", "1e400"]:
        with subtests.test(number=number):
            params = {"near_lat": 0, "near_lng": number, "radius_km": 1}

            assert_invalid(client.get("/venues/", params=params), "query", "near_lng")


def test_huge_numbers_are_422(client, subtests, user, venue):
    before = snapshot(client, user)
    interaction = {"user_id": user["id"], "interaction_type": "like"}
    for method, url, body, field in [
        ("POST", "/users/", {"handle": "h", "name": "n", "age": 10**30}, "age"),
        ("PATCH", f"/users/{user['id']}", {"age": -(10**30)}, "age"),
        (
            "POST",
            "/users/",
            {"handle": "h", "name": "n", "home_lat": 10**30, "home_lng": 0},
            "home_lat",
        ),
        (
            "POST",
            "/venues/",
            {"name": "n", "lat": 1, "lng": 1, "price_level": 10**30},
            "price_level",
        ),
        ("POST", "/venues/", {"name": "n", "lat": 1, "lng": -(10**30)}, "lng"),
        ("POST", "/venues/", {"name": "n", "lat": 1, "lng": 1, "rating": 1e308}, "rating"),
        (
            "POST",
            f"/venues/{venue['id']}/interactions",
            {**interaction, "dwell_time_seconds": 10**30},
            "dwell_time_seconds",
        ),
    ]:
        with subtests.test(url=url, field=field):
            assert_invalid(client.request(method, url, json=body), "body", field)
    assert snapshot(client, user) == before


def test_number_too_long_to_parse_is_not_a_server_error(client):
    # FastAPI answers 400 "There was an error parsing the body" for what json.loads refuses
    # beyond syntax (here a 5000-digit integer); what matters: no 500, nothing created.
    text = '{"handle": "h", "name": "n", "age": 1' + "0" * 5000 + "}"

    response = send_raw(client, "POST", "/users/", text)

    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    assert count(client, "/users/") == 0


def test_deeply_nested_json_is_not_a_server_error(client):
    response = send_raw(client, "POST", "/users/", "[" * 100_000 + "]" * 100_000)

    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    assert count(client, "/users/") == 0


def test_very_long_strings_are_422(client, subtests, user):
    before = snapshot(client, user)
    for url, body, field in [
        ("/users/", {"handle": "h" * 100_000, "name": "n"}, "handle"),
        ("/users/", {"handle": "h", "name": "n" * 1_000_000}, "name"),
        (
            "/venues/",
            {"name": "n", "description": "d" * 1_000_000, "lat": 1, "lng": 1},
            "description",
        ),
        ("/venues/", {"name": "n", "category": "c" * 10_000, "lat": 1, "lng": 1}, "category"),
    ]:
        with subtests.test(url=url, field=field):
            assert_invalid(client.post(url, json=body), "body", field)
    assert snapshot(client, user) == before


def test_very_long_query_value_is_422(client):
    assert_invalid(client.get("/venues/", params={"category": "c" * 10_000}), "query", "category")


def test_wrong_types_are_422(client, subtests, user, venue):
    before = snapshot(client, user)
    plan = {"organizer_id": user["id"], "venue_id": venue["id"], "start_time": "2999-01-01"}
    for url, body, field in [
        ("/users/", {"handle": 123, "name": "n"}, "handle"),
        ("/users/", {"handle": "h", "name": ["n"]}, "name"),
        ("/users/", {"handle": "h", "name": {"first": "n"}}, "name"),
        ("/users/", {"handle": "h", "name": "n", "age": "thirty"}, "age"),
        ("/venues/", {"name": "n", "lat": "north", "lng": 1}, "lat"),
        ("/venues/", {"name": "n", "lat": 1, "lng": [1]}, "lng"),
        ("/venues/", {"name": "n", "lat": 1, "lng": 1, "category": 7}, "category"),
        ("/plans/", {**plan, "participant_ids": user["id"]}, "participant_ids"),
        ("/plans/", {**plan, "start_time": True}, "start_time"),
        ("/interactions/batch", {"interactions": {"user_id": NIL}}, "interactions"),
        ("/interactions/batch", {"interactions": "all"}, "interactions"),
    ]:
        with subtests.test(url=url, body=body):
            assert_invalid(client.post(url, json=body), "body", field)
    assert snapshot(client, user) == before


def test_unknown_fields_are_ignored(client, user):
    venue = client.post("/venues/", json={"name": "n", "lat": 1, "lng": 2, "vibe": "chill"})
    other = create_user(client)
    edge = client.put(
        f"/users/{user['id']}/edges/{other['id']}",
        json={"relationship_type": "friend", "strength": 0.5, "since": 2020},
    )

    assert venue.status_code == 201
    assert "vibe" not in venue.json()
    assert edge.status_code == 201
    assert "since" not in edge.json()


# At the ends of the datetime range: either stored and returned exactly, or a 422.
EXTREME_TIMES = [
    ("0001-01-01T00:00:00-05:00", datetime(1, 1, 1, 5, tzinfo=UTC)),
    ("9999-12-31T23:59:59+00:00", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ("0001-01-01T00:00:00", datetime(1, 1, 1, tzinfo=UTC)),
    ("0001-01-01T00:00:00+05:00", None),  # before year 1 in UTC
    ("9999-12-31T23:59:59-05:00", None),  # after year 9999 in UTC
]


def test_extreme_occurred_at_is_stored_exactly_or_rejected(client, subtests, venue):
    for given, instant in EXTREME_TIMES:
        with subtests.test(occurred_at=given):
            user = create_user(client)
            body = {"user_id": user["id"], "interaction_type": "like", "occurred_at": given}

            response = client.post(f"/venues/{venue['id']}/interactions", json=body)

            history = list_all(client, f"/users/{user['id']}/interactions")
            if response.status_code == 201:
                assert instant is not None
                assert assert_utc(response.json()["occurred_at"]) == instant
                assert history == [response.json()]
            else:
                assert_invalid(response, "body", "occurred_at")
                assert history == []


def test_extreme_occurred_at_in_batch_is_stored_exactly_or_rejected(client, subtests, venue):
    for given, instant in EXTREME_TIMES:
        with subtests.test(occurred_at=given):
            user = create_user(client)
            item = {"user_id": user["id"], "venue_id": venue["id"], "interaction_type": "like"}
            batch = {"interactions": [{**item, "occurred_at": given}]}

            response = client.post("/interactions/batch", json=batch)

            history = list_all(client, f"/users/{user['id']}/interactions")
            if response.status_code == 201:
                assert instant is not None
                assert [assert_utc(row["occurred_at"]) for row in history] == [instant]
            else:
                assert_invalid(response, "body", "interactions", 0, "occurred_at")
                assert history == []


def test_history_orders_extreme_times_correctly(client, user, venue):
    for given in ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00-05:00", "2025-01-01"]:
        interact(client, user["id"], venue["id"], occurred_at=given)

    history = list_all(client, f"/users/{user['id']}/interactions")

    assert [row["occurred_at"][:4] for row in history] == ["9999", "2025", "0001"]


def test_impossible_occurred_at_is_422(client, subtests, user, venue):
    for given in ["2025-02-30T00:00:00", "yesterday", "", 10**30, -(10**30), "2025-01-01T25:00"]:
        with subtests.test(occurred_at=given):
            body = {"user_id": user["id"], "interaction_type": "like", "occurred_at": given}

            response = client.post(f"/venues/{venue['id']}/interactions", json=body)

            assert_invalid(response, "body", "occurred_at")
    assert list_all(client, f"/users/{user['id']}/interactions") == []


def test_plan_at_the_end_of_time_is_accepted(client, user, venue):
    body = {
        "organizer_id": user["id"],
        "venue_id": venue["id"],
        "start_time": "9999-12-31T23:59:59+00:00",
    }

    response = client.post("/plans/", json=body)

    assert response.status_code == 201
    assert response.json()["start_time"] == "9999-12-31T23:59:59+00:00"


def test_plan_past_the_end_of_time_is_422(client, user, venue):
    body = {
        "organizer_id": user["id"],
        "venue_id": venue["id"],
        "start_time": "9999-12-31T23:59:59-05:00",
    }

    assert_invalid(client.post("/plans/", json=body), "body", "start_time")
    assert count(client, "/plans/") == 0


# --- health ---------------------------------------------------------------------------------


def test_health_reports_the_database(client):
    assert client.get("/health/").json() == {
        "status": "healthy",
        "service": "Luna API Service",
        "database": "ok",
    }
