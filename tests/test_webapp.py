"""luna.webapp without a browser: the page's policy with and without a tile server, and the
demo sign-in only with the development secret (tests/test_demo_app_browser.py walks the app)."""

import pytest
from fastapi.testclient import TestClient

from luna.app import create_app
from luna.config import Settings
from luna.webapp import content_security_policy, tile_source


@pytest.mark.parametrize(
    ("template", "source"),
    [
        (None, None),
        ("", None),
        ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("javascript:alert(1)", None),
    ],
)
def test_tile_source(template, source):
    assert tile_source(template) == source


def test_the_tile_host_joins_img_src_only_when_configured(tmp_path):
    plain = content_security_policy(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    assert "img-src 'self' data:;" in plain
    tiled = content_security_policy(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'a.db'}",
            luna_map_tiles_url="https://{s}.tile.example.org/{z}/{x}/{y}.png",
        )
    )
    assert "img-src 'self' data: https://*.tile.example.org;" in tiled


@pytest.mark.parametrize(
    ("overrides", "demo"),
    [
        ({"luna_jwt_secret": None}, True),
        ({"luna_jwt_secret": "a-real-secret-of-at-least-32-characters!"}, False),
    ],
)
def test_demo_sign_in_only_with_the_development_secret(tmp_path, overrides, demo):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'luna.db'}",
        luna_env="development",
        luna_map_tiles_url="https://tile.example.org/{z}/{x}/{y}.png",
        **overrides,
    )
    client = TestClient(create_app(settings))
    config = client.get("/app/config.json").json()
    assert config == {"tiles_url": settings.luna_map_tiles_url, "demo_sign_in": demo}
    routes = {getattr(route, "path", None) for route in client.app.routes}
    assert ("/app/demo-sign-in" in routes) is demo
    if not demo:
        assert client.get("/app/demo-sign-in").status_code == 404  # the static files' 404
    page = client.get("/app/")
    assert page.status_code == 200
    assert "https://tile.example.org" in page.headers["content-security-policy"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_sign_in_hands_out_the_demo_peoples_tokens_only_when_they_exist(settings):
    from luna.auth.tokens import decode_token
    from luna.demo import DEMO_TOKEN_HANDLES, seed_demo, user_id

    settings = settings.model_copy(update={"luna_jwt_secret": None, "luna_env": "development"})
    app = create_app(settings)
    with TestClient(app) as client:
        empty = client.get("/app/demo-sign-in")
        assert empty.status_code == 404
        assert empty.json()["detail"] == "The demo data set is not loaded"
        assert seed_demo(app.state.engine)
        people = client.get("/app/demo-sign-in").json()
    assert [p["handle"] for p in people] == list(DEMO_TOKEN_HANDLES)
    for person in people:
        assert person["user_id"] == str(user_id(person["handle"]))
        assert decode_token(settings, person["token"]).user_id == user_id(person["handle"])
