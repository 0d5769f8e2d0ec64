"""Venues: POST/GET/PATCH /venues, the category and radius filters (SPEC §2 Venues)."""

import uuid

from tests.factories import assert_error, assert_invalid, assert_utc, count, create_venue

VENUE_FIELDS = {
    "id",
    "name",
    "description",
    "category",
    "lat",
    "lng",
    "price_level",
    "rating",
    "created_at",
}


def post_venue(client, **fields):
    return client.post("/venues/", json={"name": "Place", "lat": 40.73, "lng": -73.99, **fields})


# --- create ---------------------------------------------------------------------------------


def test_create_returns_the_venue_with_every_field(client):
    body = {
        "name": "Blue Bottle",
        "description": "Pour-over coffee",
        "category": "cafe",
        "lat": 40.72,
        "lng": -73.98,
        "price_level": 2,
        "rating": 4.5,
    }

    response = client.post("/venues/", json=body)

    assert response.status_code == 201
    venue = response.json()
    assert venue.keys() == VENUE_FIELDS
    assert {k: venue[k] for k in body} == body
    assert uuid.UUID(venue["id"]).version == 4
    assert_utc(venue["created_at"])


def test_create_with_only_required_fields_leaves_the_rest_null(client):
    venue = client.post("/venues/", json={"name": "Bare", "lat": 0, "lng": 0}).json()

    assert [venue[k] for k in ("description", "category", "price_level", "rating")] == [None] * 4


def test_created_venue_is_readable_and_listed(client):
    venue = create_venue(client)

    assert client.get(f"/venues/{venue['id']}").json() == {**venue, "vibes": None}
    assert client.get("/venues/").json() == [venue]


def test_name_length_within_bounds_is_accepted(client, subtests):
    for length in [1, 200]:
        with subtests.test(length=length):
            assert post_venue(client, name="n" * length).json()["name"] == "n" * length


def test_name_empty_or_too_long_is_rejected(client, subtests):
    for name in ["", "n" * 201]:
        with subtests.test(name=name):
            assert_invalid(post_venue(client, name=name), "body", "name")
            assert count(client, "/venues/") == 0


def test_description_of_2000_characters_is_accepted(client):
    assert post_venue(client, description="d" * 2000).json()["description"] == "d" * 2000


def test_description_over_2000_characters_is_rejected(client):
    assert_invalid(post_venue(client, description="d" * 2001), "body", "description")
    assert count(client, "/venues/") == 0


def test_category_is_stored_lower_cased(client, subtests):
    for given, stored in [
        ("bar", "bar"),
        ("Coffee-Shop", "coffee-shop"),
        ("CAFE", "cafe"),
        ("24h-diner", "24h-diner"),
    ]:
        with subtests.test(category=given):
            assert post_venue(client, category=given).json()["category"] == stored


def test_category_that_is_not_a_word_of_letters_digits_hyphens_is_rejected(client, subtests):
    for category in ["coffee shop", "bar!", "", "wine_bar", "-bar"]:
        with subtests.test(category=category):
            assert_invalid(post_venue(client, category=category), "body", "category")
            assert count(client, "/venues/") == 0


def test_name_lat_and_lng_are_required(client, subtests):
    for missing in ["lat", "lng", "name"]:
        with subtests.test(missing=missing):
            body = {"name": "Place", "lat": 1, "lng": 2}
            del body[missing]

            assert_invalid(client.post("/venues/", json=body), "body", missing)
            assert count(client, "/venues/") == 0


def test_position_on_the_bounds_is_accepted(client, subtests):
    for lat, lng in [(-90, -180), (90, 180)]:
        with subtests.test(lat=lat, lng=lng):
            venue = post_venue(client, lat=lat, lng=lng).json()

            assert (venue["lat"], venue["lng"]) == (lat, lng)


def test_position_out_of_bounds_is_rejected(client, subtests):
    for lat, lng, field in [
        (-90.5, 0, "lat"),
        (90.5, 0, "lat"),
        (0, -180.5, "lng"),
        (0, 180.5, "lng"),
    ]:
        with subtests.test(lat=lat, lng=lng):
            assert_invalid(post_venue(client, lat=lat, lng=lng), "body", field)
            assert count(client, "/venues/") == 0


def test_price_level_within_bounds_is_accepted(client, subtests):
    for price_level in [1, 4]:
        with subtests.test(price_level=price_level):
            assert post_venue(client, price_level=price_level).json()["price_level"] == price_level


def test_price_level_out_of_bounds_is_rejected(client, subtests):
    for price_level in [0, 5, 2.5]:
        with subtests.test(price_level=price_level):
            assert_invalid(post_venue(client, price_level=price_level), "body", "price_level")
            assert count(client, "/venues/") == 0


def test_rating_within_bounds_is_accepted(client, subtests):
    for rating in [0, 5]:
        with subtests.test(rating=rating):
            assert post_venue(client, rating=rating).json()["rating"] == rating


def test_rating_out_of_bounds_is_rejected(client, subtests):
    for rating in [-0.1, 5.1]:
        with subtests.test(rating=rating):
            assert_invalid(post_venue(client, rating=rating), "body", "rating")
            assert count(client, "/venues/") == 0


def test_a_reused_client_chosen_id_is_a_conflict(client):
    venue = create_venue(client)

    assert_error(post_venue(client, id=venue["id"]), 409, "Venue id already exists")
    assert count(client, "/venues/") == 1


# --- read and update ------------------------------------------------------------------------


def test_get_unknown_venue_is_404(client):
    assert_error(client.get(f"/venues/{uuid.uuid4()}"), 404, "Venue not found")


def test_get_with_malformed_id_is_422(client):
    assert_invalid(client.get("/venues/nope"), "path", "venue_id")


def test_patch_changes_only_the_fields_sent(client):
    venue = create_venue(client, rating=4.0)

    response = client.patch(f"/venues/{venue['id']}", json={"price_level": 3})

    assert response.status_code == 200
    assert response.json() == {**venue, "price_level": 3}
    assert client.get(f"/venues/{venue['id']}").json() == {**venue, "price_level": 3, "vibes": None}


def test_patch_lower_cases_the_category(client):
    venue = create_venue(client)

    response = client.patch(f"/venues/{venue['id']}", json={"category": "Coffee-Shop"})

    assert response.json()["category"] == "coffee-shop"


PATCH_OUT_OF_BOUNDS = [
    ({"name": ""}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"description": "d" * 2001}, "description"),
    ({"category": "coffee shop"}, "category"),
    ({"lat": 91}, "lat"),
    ({"lng": -181}, "lng"),
    ({"price_level": 0}, "price_level"),
    ({"price_level": 5}, "price_level"),
    ({"rating": -0.5}, "rating"),
    ({"rating": 5.5}, "rating"),
]


def test_patch_applies_the_create_bounds(client, subtests):
    venue = create_venue(client)
    for body, field in PATCH_OUT_OF_BOUNDS:
        with subtests.test(body=body):
            assert_invalid(client.patch(f"/venues/{venue['id']}", json=body), "body", field)
            assert client.get(f"/venues/{venue['id']}").json() == {**venue, "vibes": None}


def test_patch_cannot_null_a_required_field(client, subtests):
    venue = create_venue(client)
    for field in ["name", "lat", "lng"]:
        with subtests.test(field=field):
            assert_invalid(client.patch(f"/venues/{venue['id']}", json={field: None}), "body")
            assert client.get(f"/venues/{venue['id']}").json() == {**venue, "vibes": None}


def test_patch_unknown_venue_is_404(client):
    response = client.patch(f"/venues/{uuid.uuid4()}", json={"name": "x"})

    assert_error(response, 404, "Venue not found")


# --- category filter ------------------------------------------------------------------------


def test_category_filter_returns_only_that_category(client):
    bar = create_venue(client, category="bar")
    create_venue(client, category="cafe")
    create_venue(client, category=None)

    assert client.get("/venues/", params={"category": "bar"}).json() == [bar]


def test_category_filter_is_case_insensitive(client):
    shop = create_venue(client, category="coffee-shop")

    assert client.get("/venues/", params={"category": "Coffee-Shop"}).json() == [shop]


def test_category_filter_with_no_match_is_empty(client):
    create_venue(client, category="bar")

    assert client.get("/venues/", params={"category": "museum"}).json() == []


def test_category_filter_outside_the_vocabulary_is_422(client, subtests):
    # The code's choice: the filter follows the field's own rule (letters, digits, hyphens).
    for category in ["coffee shop", "bar!", "ba\x00r", "c" * 65]:
        with subtests.test(category=category):
            response = client.get("/venues/", params={"category": category})

            assert_invalid(response, "query", "category")


# --- radius search --------------------------------------------------------------------------

# Around Union Square, NYC: ~0.5 km, ~1.6 km and ~11 km away.
CENTER = {"near_lat": 40.7359, "near_lng": -73.9911}


def test_radius_search_keeps_venues_inside_nearest_first(client):
    far = create_venue(client, name="Far", lat=40.7465, lng=-73.9780)  # ~1.6 km
    near = create_venue(client, name="Near", lat=40.7390, lng=-73.9950)  # ~0.5 km
    create_venue(client, name="Out", lat=40.6413, lng=-73.9900)  # ~10.5 km

    response = client.get("/venues/", params={**CENTER, "radius_km": 5})

    assert response.status_code == 200
    assert [v["name"] for v in response.json()] == ["Near", "Far"]
    assert response.json() == [near, far]


def test_radius_search_combines_with_category(client):
    create_venue(client, name="Bar", category="bar", lat=40.7390, lng=-73.9950)
    create_venue(client, name="Cafe", category="cafe", lat=40.7391, lng=-73.9951)

    params = {**CENTER, "radius_km": 5, "category": "cafe"}
    names = [v["name"] for v in client.get("/venues/", params=params).json()]

    assert names == ["Cafe"]


def test_radius_search_pages_in_distance_order(client):
    for i in range(5):
        create_venue(client, name=f"V{i}", lat=40.7359 + 0.001 * (5 - i), lng=-73.9911)

    pages = [
        client.get("/venues/", params={**CENTER, "radius_km": 5, "limit": 2, "offset": o}).json()
        for o in (0, 2, 4)
    ]

    assert [[v["name"] for v in page] for page in pages] == [["V4", "V3"], ["V2", "V1"], ["V0"]]


def test_radius_search_needs_all_three_parameters(client, subtests):
    create_venue(client)
    for params in [
        {"near_lat": 40.7},
        {"near_lng": -73.9},
        {"radius_km": 5},
        {"near_lat": 40.7, "near_lng": -73.9},
        {"near_lat": 40.7, "radius_km": 5},
        {"near_lng": -73.9, "radius_km": 5},
    ]:
        with subtests.test(params=params):
            assert_invalid(client.get("/venues/", params=params), "query")


def test_radius_search_parameters_are_bounded(client, subtests):
    for params, field in [
        ({"near_lat": -91, "near_lng": 0, "radius_km": 1}, "near_lat"),
        ({"near_lat": 91, "near_lng": 0, "radius_km": 1}, "near_lat"),
        ({"near_lat": 0, "near_lng": -181, "radius_km": 1}, "near_lng"),
        ({"near_lat": 0, "near_lng": 181, "radius_km": 1}, "near_lng"),
        ({"near_lat": 0, "near_lng": 0, "radius_km": 0}, "radius_km"),
        ({"near_lat": 0, "near_lng": 0, "radius_km": -1}, "radius_km"),
        ({"near_lat": 0, "near_lng": 0, "radius_km": 20039}, "radius_km"),
        ({"near_lat": "nan", "near_lng": 0, "radius_km": 1}, "near_lat"),
        ({"near_lat": 0, "near_lng": 0, "radius_km": "inf"}, "radius_km"),
    ]:
        with subtests.test(params=params):
            assert_invalid(client.get("/venues/", params=params), "query", field)


def test_radius_search_on_the_bounds_is_accepted(client):
    antipode = create_venue(client, lat=90, lng=0)

    response = client.get("/venues/", params={"near_lat": -90, "near_lng": 180, "radius_km": 20038})

    assert response.status_code == 200
    assert response.json() == [antipode]
