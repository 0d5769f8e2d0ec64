"""SPEC §7 beyond the matrix: own profiles, privacy of homes, scoped lists, token details."""

import time
import uuid
from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from luna import cli
from luna.auth.tokens import InvalidToken, decode_token, issue_token
from luna.config import DEVELOPMENT_JWT_SECRET, Settings, get_settings
from tests.auth.conftest import SECRET, bearer
from tests.factories import future


def make_user(client, tokens, name: str, **fields) -> str:
    user_id = str(uuid.uuid4())
    body = {"handle": name, "name": name.title(), **fields}
    response = client.post("/users/", json=body, headers=tokens.user(user_id))
    assert response.status_code == 201, response.text
    return user_id


def test_a_user_creates_their_own_profile_with_the_token_subject(auth_client, tokens):
    sub = uuid.uuid4()
    response = auth_client.post(
        "/users/", json={"handle": "me", "name": "Me"}, headers=tokens.user(sub)
    )
    assert response.status_code == 201
    assert response.json()["id"] == str(sub)


def test_a_user_cannot_create_someone_elses_profile(auth_client, tokens):
    body = {"id": str(uuid.uuid4()), "handle": "them", "name": "Them"}
    response = auth_client.post("/users/", json=body, headers=tokens.user(uuid.uuid4()))
    assert response.status_code == 403
    assert response.json() == {"detail": "You can only create your own profile"}
    assert auth_client.get("/users/", headers=tokens.admin()).json() == []


def test_a_second_profile_for_the_same_token_is_a_conflict(auth_client, tokens):
    sub = uuid.uuid4()
    assert (
        auth_client.post(
            "/users/", json={"handle": "a", "name": "A"}, headers=tokens.user(sub)
        ).status_code
        == 201
    )
    response = auth_client.post(
        "/users/", json={"handle": "b", "name": "B"}, headers=tokens.user(sub)
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "User id already exists"}


def test_admin_creates_any_user(auth_client, tokens):
    wanted = str(uuid.uuid4())
    response = auth_client.post(
        "/users/", json={"id": wanted, "handle": "x", "name": "X"}, headers=tokens.admin()
    )
    assert response.status_code == 201 and response.json()["id"] == wanted


def test_homes_are_visible_only_to_their_owner_and_admins(auth_client, tokens):
    alice = make_user(auth_client, tokens, "alice", home_lat=40.7, home_lng=-74.0)
    bob = make_user(auth_client, tokens, "bob")
    as_bob = auth_client.get(f"/users/{alice}", headers=tokens.user(bob)).json()
    assert (as_bob["home_lat"], as_bob["home_lng"]) == (None, None)
    listed = {u["id"]: u for u in auth_client.get("/users/", headers=tokens.user(bob)).json()}
    assert listed[alice]["home_lat"] is None
    for viewer in (tokens.user(alice), tokens.admin()):
        seen = auth_client.get(f"/users/{alice}", headers=viewer).json()
        assert (seen["home_lat"], seen["home_lng"]) == (40.7, -74.0)


def test_plan_and_booking_lists_are_scoped_to_the_caller(auth_client, tokens):
    alice = make_user(auth_client, tokens, "alice")
    bob = make_user(auth_client, tokens, "bob")
    carol = make_user(auth_client, tokens, "carol")
    venue = auth_client.post(
        "/venues/", json={"name": "V", "lat": 1, "lng": 1}, headers=tokens.admin()
    ).json()
    body = {
        "organizer_id": alice,
        "venue_id": venue["id"],
        "start_time": future(),
        "participant_ids": [bob],
    }
    plan = auth_client.post("/plans/", json=body, headers=tokens.user(alice)).json()
    auth_client.post(f"/plans/{plan['id']}/confirm", headers=tokens.user(alice))

    for who, expected in ((alice, [plan["id"]]), (bob, [plan["id"]]), (carol, [])):
        assert [
            p["id"] for p in auth_client.get("/plans/", headers=tokens.user(who)).json()
        ] == expected
        bookings = auth_client.get("/bookings/", headers=tokens.user(who)).json()
        assert [b["plan_id"] for b in bookings] == expected
    # Asking for somebody else's plans is refused; admins may.
    assert (
        auth_client.get(f"/plans/?user_id={alice}", headers=tokens.user(carol)).status_code == 403
    )
    assert (
        auth_client.get(f"/bookings/?plan_id={plan['id']}", headers=tokens.user(carol)).json() == []
    )
    assert len(auth_client.get(f"/plans/?user_id={alice}", headers=tokens.admin()).json()) == 1


def test_missing_token_says_how_to_authenticate(auth_client):
    response = auth_client.get("/users/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "Not authenticated"}


@pytest.mark.parametrize(
    "authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "bearer"]
)
def test_an_authorization_header_without_a_bearer_token_is_not_authenticated(
    auth_client, authorization
):
    response = auth_client.get("/users/", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}


def test_the_bearer_scheme_is_read_in_any_case(auth_client, tokens):
    token = tokens.admin()["Authorization"].removeprefix("Bearer ")
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = auth_client.get("/users/", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200, scheme


def test_docs_offer_the_bearer_scheme_on_every_route_but_health(auth_client):
    schema = auth_client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = None if path.startswith("/health") else [{"HTTPBearer": []}]
            assert operation.get("security") == expected, (method, path)


def test_token_whose_subject_is_not_a_uuid_is_rejected(auth_client, auth_settings):
    token = jwt.encode({"sub": "alice", "exp": 4102444800}, SECRET, "HS256")
    response = auth_client.get("/users/", headers=bearer(token))
    assert response.status_code == 401


def test_token_without_expiry_is_rejected(auth_client):
    token = jwt.encode({"sub": str(uuid.uuid4())}, SECRET, "HS256")
    assert auth_client.get("/users/", headers=bearer(token)).status_code == 401


def test_unsigned_token_is_rejected(auth_client):
    token = jwt.encode({"sub": str(uuid.uuid4()), "exp": 4102444800, "role": "admin"}, None, "none")
    assert auth_client.get("/users/", headers=bearer(token)).status_code == 401


def test_supabase_style_token_is_a_plain_user(auth_settings):
    """Supabase signs HS256 with aud "authenticated" and role "authenticated"."""
    sub = uuid.uuid4()
    token = jwt.encode(
        {"sub": str(sub), "exp": 4102444800, "aud": "authenticated", "role": "authenticated"},
        SECRET,
        "HS256",
    )
    claims = decode_token(auth_settings, token)
    assert claims.user_id == sub and not claims.is_admin
    strict = auth_settings.model_copy(update={"luna_jwt_audience": "luna"})
    with pytest.raises(Exception, match="Invalid token"):
        decode_token(strict, token)


def test_issued_tokens_expire(auth_settings):
    token = issue_token(auth_settings, uuid.uuid4(), ttl=timedelta(minutes=5))
    payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == 300
    assert payload["role"] == "user"


def test_auth_off_is_refused_in_production():
    with pytest.raises(ValidationError, match="LUNA_AUTH=off is refused"):
        Settings(luna_env="production", luna_auth=False, luna_jwt_secret="x" * 40, _env_file=None)


@pytest.mark.parametrize("secret", [None, "short", DEVELOPMENT_JWT_SECRET])
def test_production_needs_a_real_secret(secret):
    with pytest.raises(ValidationError, match="LUNA_JWT_SECRET must be set"):
        Settings(luna_env="production", luna_jwt_secret=secret, _env_file=None)


def test_authentication_is_on_by_default(monkeypatch):
    monkeypatch.delenv("LUNA_AUTH", raising=False)
    assert Settings(_env_file=None).luna_auth is True


def test_luna_token_prints_a_token_for_the_configured_secret(monkeypatch):
    monkeypatch.setenv("LUNA_JWT_SECRET", SECRET)
    get_settings.cache_clear()
    user_id = uuid.uuid4()
    try:
        result = CliRunner().invoke(cli.app, ["token", str(user_id), "--admin"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    payload = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert payload["sub"] == str(user_id) and payload["role"] == "admin"


def test_a_token_accepted_before_is_refused_once_it_expires(monkeypatch):
    """Verified tokens are cached (luna.auth.tokens): the cache must not outlive `exp`."""
    settings = Settings(luna_jwt_secret=SECRET)
    user_id = uuid.uuid4()
    token = issue_token(settings, user_id, ttl=timedelta(minutes=5))
    assert decode_token(settings, token).user_id == user_id  # verified, now cached
    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr("luna.auth.tokens.time.time", lambda: later)
    with pytest.raises(InvalidToken, match="Token expired"):
        decode_token(settings, token)
    # Another secret does not share the cached verification.
    monkeypatch.undo()
    with pytest.raises(InvalidToken, match="Invalid token"):
        decode_token(Settings(luna_jwt_secret=SECRET[::-1]), token)
