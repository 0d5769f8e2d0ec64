from tests.factories import create_user, create_venue, interact


def test_health(client):
    response = client.get("/health/")
    assert response.json() == {"status": "healthy", "service": "Luna API Service", "database": "ok"}


def test_reco_roundtrip(client):
    user = create_user(client, home_lat=40.73, home_lng=-73.99)
    venue = create_venue(client)
    interact(client, user["id"], venue["id"])
    body = client.get(f"/reco/venues/{user['id']}").json()
    assert body[0]["venue_id"] == venue["id"]


def test_body_that_is_not_utf8_is_a_422(client):
    response = client.post(
        "/users/", content=b'{"handle": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert client.get("/users/").json() == []
