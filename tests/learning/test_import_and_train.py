"""`luna import-checkins` writes files `luna import` loads; `luna train` learns from them."""

import csv
import gzip
import json

import numpy as np
import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from luna.bulk import import_directory
from luna.cli import app
from luna.config import Settings
from luna.db import create_db_engine
from luna.learning.checkins_import import convert_checkins, user_uuid, venue_uuid
from luna.learning.database import load_database
from luna.learning.ranker import load_model_file
from luna.learning.training import train_from_log
from luna.models import Interaction, User, Venue

SLICE = 25  # people with ids up to this: a few thousand check-ins


@pytest.fixture(scope="module")
def converted(checkins_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("checkins")
    counts = convert_checkins(checkins_file, out, max_users=SLICE)
    return out, counts


def test_conversion_is_deterministic(checkins_file, converted, tmp_path):
    out, counts = converted
    again = convert_checkins(checkins_file, tmp_path, max_users=SLICE)
    assert again == counts
    for name in counts:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes()


def test_import_checkins_command(checkins_file, tmp_path):
    result = CliRunner().invoke(
        app, ["import-checkins", str(checkins_file), "--out", str(tmp_path), "--max-users", "3"]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {
        "users.csv.gz",
        "venues.csv.gz",
        "interactions.csv.gz",
    }


def test_import_checkins_before_holds_a_later_period_back(checkins_file, converted, tmp_path):
    """--before keeps only earlier check-ins: every interaction is before it, and fewer are
    written than without it."""
    result = CliRunner().invoke(
        app,
        [
            "import-checkins",
            str(checkins_file),
            "--out",
            str(tmp_path),
            "--max-users",
            str(SLICE),
            "--before",
            "2012-08-01",
        ],
    )
    assert result.exit_code == 0, result.output
    with gzip.open(tmp_path / "interactions.csv.gz", "rt") as handle:
        times = [row["occurred_at"] for row in csv.DictReader(handle)]
    assert times and max(times) < "2012-08-01T00:00:00Z"
    assert len(times) < converted[1]["interactions.csv.gz"]
    bad = CliRunner().invoke(
        app, ["import-checkins", str(checkins_file), "--out", str(tmp_path), "--before", "soon"]
    )
    assert bad.exit_code == 2 and "soon" in bad.output


def test_converted_files_import_and_train(db_url, converted, tmp_path):
    out, counts = converted
    engine = create_db_engine(Settings(database_url=db_url))
    try:
        summary = import_directory(engine, out, console=Console(quiet=True))
        assert summary == counts
        with Session(engine) as session:
            assert (
                session.scalar(select(func.count()).select_from(Interaction))
                == counts["interactions.csv.gz"]
            )
            user = session.get(User, user_uuid(1))
            assert user is not None and user.handle == "fsq1" and user.home_lat is not None
            venue = session.get(Venue, venue_uuid(6))
            assert venue is not None and venue.category == "coffee-shop"
            kinds = set(session.scalars(select(Interaction.interaction_type).distinct()))
            assert {k.value for k in kinds} == {"interest", "like"}

        log, homes = load_database(engine)
    finally:
        engine.dispose()
    assert len(log) == counts["interactions.csv.gz"]
    assert not np.isnan(homes).all()
    model = train_from_log(log, homes, seed=1, console=Console(quiet=True), training_snapshots=1)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = load_model_file(path)
    assert set(loaded.metrics) == {"learned", "heuristic"}
    assert json.loads(path.read_text())["info"]["trained_on"] == "database"


def test_luna_eval_end_to_end(checkins_file, tmp_path):
    """Also --docs: the page's two blocks get the tables of evaluation.md, the rest of the
    page stays as it was, and the plots land beside it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "evaluation.md"
    page.write_text(
        "# Prose\n<!-- luna eval: results -->\nold\n<!-- /luna eval: results -->\nmore prose\n"
        "<!-- luna eval: next-visit -->\n<!-- /luna eval: next-visit -->\nend\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--data",
            str(checkins_file),
            "--out",
            str(tmp_path),
            "--max-users",
            "40",
            "--docs",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    generated = (tmp_path / "evaluation.md").read_text()
    results, next_visit = generated.strip("\n").split("\n\n**next visit**")
    assert page.read_text() == (
        f"# Prose\n<!-- luna eval: results -->\n{results}\n<!-- /luna eval: results -->\n"
        f"more prose\n<!-- luna eval: next-visit -->\n**next visit**{next_visit}\n"
        "<!-- /luna eval: next-visit -->\nend\n"
    )
    for plot in ("evaluation.png", "next_visit.png"):
        assert (docs / plot).read_bytes() == (tmp_path / plot).read_bytes()
    report = json.loads((tmp_path / "evaluation.json").read_text())
    learned = report["results"]["learned ranker (LambdaRank)"]
    assert set(learned) == {"all", "new"}
    assert 0 <= learned["all"]["ndcg@10"] <= 1
    names = list(report["results"])
    for baseline in ("personal frequency", "recency-weighted", "item-kNN + own", "TIFU-KNN"):
        assert any(name.startswith(baseline) for name in names), baseline
    truth = report["test_truth"]
    assert truth["people"] == learned["all"]["people"]
    assert 0 < truth["repeat_checkin_share"] < 1
    for variant in ("all", "new"):
        gain = report["learned_gain_over_best_baseline"][variant]
        low, high = gain["ci95"]
        assert low <= gain["gain"] <= high
        assert gain["gain"] == pytest.approx(gain["learned_ndcg@10"] - gain["baseline_ndcg@10"])
        ci = report["ndcg@10_ci95"]["learned ranker (LambdaRank)"][variant]
        assert ci[0] == pytest.approx(learned[variant]["ndcg@10"])
    assert (tmp_path / "evaluation.md").read_text().startswith("**all future visits**")
    assert (tmp_path / "evaluation.png").read_bytes()[:4] == b"\x89PNG"
    assert load_model_file(tmp_path / "venue_ranker.json").boosters


def test_luna_train_records_the_last_interaction_it_learned_from(
    client, db_url, tmp_path, monkeypatch
):
    """`luna train` writes the time of the last positive interaction (like, interest) of its
    data into the model file (here with a stand-in for the training itself)."""
    from datetime import UTC, datetime

    from luna.config import get_settings
    from luna.learning import training
    from tests.factories import create_user, create_venue, interact
    from tests.learning.test_model_file import tiny_model

    user = create_user(client, home_lat=40.7, home_lng=-74.0)
    venue = create_venue(client)
    for when, kind in (
        ("2012-04-03T18:00:00-04:00", "like"),
        ("2012-12-15T21:10:00-05:00", "interest"),  # the last visit
        ("2012-06-01T12:00:00+00:00", "like"),
        ("2013-01-01T00:00:00+00:00", "view"),  # later, but not a visit
    ):
        interact(client, user["id"], venue["id"], kind, occurred_at=when)
    seen = {}

    def train_from_log(log, homes, seed, console):
        seen["events"] = len(log)
        model = tiny_model()
        model.metrics = {"learned": {"all": {"ndcg@10": 0.3}, "new": {"ndcg@10": 0.1}}}
        return model

    monkeypatch.setattr(training, "train_from_log", train_from_log)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        path = tmp_path / "model.json"
        result = CliRunner().invoke(app, ["train", "--out", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen == {"events": 3}
    assert "Stored vibe profiles version" in result.output  # luna train refreshes the vibes
    last = datetime(2012, 12, 16, 2, 10, tzinfo=UTC)
    assert load_model_file(path).last_interaction_at == last
    assert json.loads(path.read_text())["last_interaction_at"] == "2012-12-16T02:10:00+00:00"
    # The first visit (the later view is not one, nor would an earlier view be).
    assert json.loads(path.read_text())["first_interaction_at"] == "2012-04-03T22:00:00+00:00"
