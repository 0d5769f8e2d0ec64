"""`luna vibes refresh` on the configured database."""

from typer.testing import CliRunner

from luna.cli import app
from luna.config import get_settings
from tests.factories import create_user, create_venue, interact


def test_vibes_refresh_stores_a_new_version_the_venue_route_shows(client, db_url, monkeypatch):
    venue = create_venue(client, category="music-venue")
    person = create_user(client)
    interact(client, person["id"], venue["id"], occurred_at="2026-11-27T23:00:00-05:00")
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["vibes", "refresh"])
        second = CliRunner().invoke(app, ["vibes", "refresh", "--seed", "3"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "Stored vibe profiles version" in first.output
    text = " ".join(first.output.split())  # Rich wraps at the terminal's width
    assert ": 1 venues (1 visited, 1 with a category prior), 1 visits" in text
    assert second.exit_code == 0, second.output
    vibes = client.get(f"/venues/{venue['id']}").json()["vibes"]
    assert vibes["loud"] == max(vibes.values())
