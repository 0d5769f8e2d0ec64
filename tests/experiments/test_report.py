"""`luna experiments report KEY [--out DIR]`: the table and the PNG."""

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from luna.cli import app as cli_app
from luna.config import get_settings
from tests.experiments.helpers import arm_of, results, start, venue_experiment
from tests.factories import create_user, create_venue, interact


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_report_prints_the_results_and_writes_the_plot(client, cli_env, tmp_path):
    venue = create_venue(client, lat=40.0, lng=-73.0)
    people = [create_user(client, home_lat=40.0, home_lng=-73.0) for _ in range(12)]
    start(client, venue_experiment())
    for person in people:
        client.get(f"/reco/venues/{person['id']}")
    for person in people[::3]:
        interact(client, person["id"], venue["id"], "like")
    body = results(client, "venue-weights")  # also writes the buffered exposures
    result = CliRunner().invoke(
        cli_app, ["experiments", "report", "venue-weights", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    for arm in body["arms"]:
        assert arm["name"] in result.output
        assert f"{arm['users']}" in result.output
    assert "Sample ratio mismatch p-value" in result.output
    assert "Against control" in result.output
    png = tmp_path / "experiment-venue-weights.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sum(arm["converted_users"] for arm in body["arms"]) == 4
    assert arm_of(client, "venue-weights", people[0]["id"]) in {"control", "nearby"}


def test_report_of_an_unknown_experiment_fails(cli_env, tmp_path):
    result = CliRunner().invoke(cli_app, ["experiments", "report", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "Experiment not found" in result.output
    assert not list(tmp_path.iterdir())
