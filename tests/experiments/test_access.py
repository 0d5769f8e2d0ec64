"""Only admins create, stop, list and read results; a person reads only their own assignment."""

from tests.experiments.helpers import venue_experiment


def test_only_admins_manage_experiments(auth_client, tokens):
    admin = tokens.admin()
    created = auth_client.post("/users/", json={"handle": "ann", "name": "Ann"}, headers=admin)
    person = created.json()["id"]
    user = tokens.user(person)
    response = auth_client.post("/experiments/", json=venue_experiment(), headers=user)
    assert response.status_code == 403 and response.json() == {"detail": "Admins only"}
    assert auth_client.post("/experiments/", json=venue_experiment()).status_code == 401
    assert auth_client.get("/experiments/", headers=admin).json() == []  # nothing created
    assert (
        auth_client.post("/experiments/", json=venue_experiment(), headers=admin).status_code == 201
    )
    for method, url in [
        ("GET", "/experiments/"),
        ("GET", "/experiments/venue-weights"),
        ("GET", "/experiments/venue-weights/results"),
        ("POST", "/experiments/venue-weights/stop"),
    ]:
        response = auth_client.request(method, url, headers=user)
        assert response.status_code == 403, (method, url)
        assert response.json() == {"detail": "Admins only"}
    assert (
        auth_client.get("/experiments/venue-weights", headers=admin).json()["status"] == "running"
    )
    assert auth_client.get("/experiments/venue-weights/results", headers=admin).status_code == 200


def test_a_person_reads_only_their_own_assignment(auth_client, tokens):
    admin = tokens.admin()
    ann = auth_client.post("/users/", json={"handle": "ann", "name": "Ann"}, headers=admin).json()
    bob = auth_client.post("/users/", json={"handle": "bob", "name": "Bob"}, headers=admin).json()
    auth_client.post("/experiments/", json=venue_experiment(), headers=admin)
    url = "/experiments/venue-weights/assignments/{}"
    own = auth_client.get(url.format(ann["id"]), headers=tokens.user(ann["id"]))
    assert own.status_code == 200
    assert own.json()["user_id"] == ann["id"] and own.json()["arm"] in {"control", "nearby"}
    other = auth_client.get(url.format(bob["id"]), headers=tokens.user(ann["id"]))
    assert other.status_code == 403
    by_admin = auth_client.get(url.format(ann["id"]), headers=admin)
    assert by_admin.json() == own.json()
