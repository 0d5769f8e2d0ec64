import json
import logging

import lightgbm as lgb
import numpy as np
import pytest

from luna.config import RecoSettings
from luna.learning.features import FEATURE_NAMES, N_FEATURES, PersonHistory
from luna.learning.ranker import (
    MODEL_FORMAT,
    MODES,
    ModelFileError,
    RankerModel,
    load_model_file,
)
from luna.learning.serving import LearnedVenueRanker
from tests.learning.conftest import DAY
from tests.learning.test_features import world


def tiny_model() -> RankerModel:
    rng = np.random.default_rng(0)
    x = rng.random((400, N_FEATURES))
    y = (x[:, 0] > 0.7).astype(float)
    data = lgb.Dataset(x, y, group=[40] * 10, feature_name=list(FEATURE_NAMES))
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    booster = lgb.train(params, data, num_boost_round=5)
    return RankerModel({mode: booster for mode in MODES}, metrics={"test": {"ndcg@10": 0.5}})


def test_model_file_round_trip(tmp_path):
    model = tiny_model()
    path = tmp_path / "m.json"
    model.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == MODEL_FORMAT and document["version"] == 2
    assert document["feature_names"] == list(FEATURE_NAMES)
    loaded = load_model_file(path)
    assert loaded.metrics == {"test": {"ndcg@10": 0.5}}
    x = np.random.default_rng(1).random((30, N_FEATURES))
    for mode in MODES:
        assert np.allclose(loaded.boosters[mode].predict(x), model.boosters[mode].predict(x))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: "not json at all",
        lambda d: json.dumps(dict(d, format="something-else")),
        lambda d: json.dumps(dict(d, version=99)),
        lambda d: json.dumps(dict(d, feature_names=d["feature_names"][:-1])),
        lambda d: json.dumps(dict(d, boosters={"all": "garbage", "new": "garbage"})),
        lambda d: json.dumps(dict(d, boosters={"all": d["boosters"]["all"]})),
    ],
)
def test_broken_model_file_is_refused_and_serving_falls_back(tmp_path, caplog, damage):
    path = tmp_path / "m.json"
    tiny_model().save(path)
    path.write_text(damage(json.loads(path.read_text())))
    with pytest.raises(ModelFileError):
        load_model_file(path)
    with caplog.at_level(logging.WARNING, logger="luna.learning.serving"):
        assert LearnedVenueRanker.load(path) is None
    assert "using the heuristic" in caplog.text


def test_missing_model_file_means_heuristic(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="luna.learning.serving"):
        assert LearnedVenueRanker.load(tmp_path / "nothing.json") is None
    assert "nothing.json" in caplog.text


def test_serving_scores_every_venue_and_ranks_candidates_first(tmp_path):
    path = tmp_path / "m.json"
    tiny_model().save(path)
    ranker = LearnedVenueRanker.load(path, RecoSettings())
    assert ranker is not None
    _, venues, context, user, venue, utc, _positive, now = world()
    mine = user == 2
    history = PersonHistory.of_visits(venue[mine], utc[mine], utc[mine], (40.74, -73.96))
    result = ranker.score(context, history, now)
    assert result.scores.shape == (len(venues),)
    assert result.features_at(result.candidates).shape == (len(result.candidates), N_FEATURES)
    outside = np.setdiff1d(np.arange(len(venues)), result.candidates)
    if len(outside):
        assert result.scores[outside].max() < result.scores[result.candidates].min()
    excluded = np.unique(venue[mine])
    new = ranker.score(context, history, now + DAY, exclude=excluded, mode="new")
    assert np.isneginf(new.scores[excluded]).all()
    assert np.isfinite(np.delete(new.scores, excluded)).all()


def test_compiled_trees_score_and_rank_as_lightgbm():
    """Serving predicts with the boosters compiled by lleaves: the same scores as LightGBM's
    but for the summation order's last bits, hence the same ranking, missing values too."""
    rng = np.random.default_rng(3)
    x = rng.random((3000, N_FEATURES))
    x[rng.random(x.shape) < 0.1] = np.nan  # e.g. no home: distances are NaN
    y = np.clip(np.floor(np.nan_to_num(x[:, 0] + x[:, 6] * x[:, 11]) * 2), 0, 3)
    data = lgb.Dataset(x, y, group=[60] * 50, feature_name=list(FEATURE_NAMES))
    params = {"objective": "lambdarank", "verbose": -1, "num_threads": 1, "num_leaves": 31}
    booster = lgb.train(params, data, num_boost_round=60)
    model = RankerModel({mode: booster for mode in MODES})
    rows = rng.random((2000, N_FEATURES)).astype(np.float32)  # as PersonView.features
    rows[rng.random(rows.shape) < 0.1] = np.nan
    reference = model.predict(rows, "all")
    assert model.compile()
    assert set(model.compiled) == set(MODES)
    compiled = model.predict(rows, "all")
    assert np.abs(compiled - reference).max() <= 1e-12 * np.abs(reference).max()
    assert np.array_equal(
        np.argsort(-compiled, kind="stable"), np.argsort(-reference, kind="stable")
    )
    assert len(model.predict(rows[:0], "new")) == 0


def test_trees_that_do_not_compile_are_walked_by_lightgbm(monkeypatch, caplog):
    import lleaves

    def broken(*args, **kwargs):
        raise RuntimeError("no LLVM target for this host")

    monkeypatch.setattr(lleaves, "Model", broken)
    model = tiny_model()
    rows = np.random.default_rng(4).random((20, N_FEATURES))
    with caplog.at_level(logging.WARNING, logger="luna.learning.ranker"):
        assert not model.compile()
    assert "not compiled" in caplog.text and model.compiled == {}
    assert np.array_equal(model.predict(rows), model.boosters["all"].predict(rows))


def test_the_model_file_records_the_last_interaction_time(tmp_path):
    """Written when known (`luna train`), null otherwise; a file written before the field
    existed still loads; a value that is not an aware time is refused."""
    from datetime import datetime, timedelta, timezone

    model = tiny_model()
    path = tmp_path / "m.json"
    model.save(path)
    assert json.loads(path.read_text())["last_interaction_at"] is None
    assert load_model_file(path).last_interaction_at is None
    last = datetime(2012, 12, 15, 23, 59, 30, tzinfo=timezone(timedelta(hours=-5)))
    model.last_interaction_at = last
    model.save(path)
    document = json.loads(path.read_text())
    assert document["last_interaction_at"] == "2012-12-16T04:59:30+00:00"
    loaded = load_model_file(path).last_interaction_at
    assert loaded == last and loaded.tzinfo is not None
    older = {k: v for k, v in document.items() if not k.endswith("_interaction_at")}
    path.write_text(json.dumps(older))
    assert load_model_file(path).last_interaction_at is None
    assert load_model_file(path).first_interaction_at is None
    for key in ("last_interaction_at", "first_interaction_at"):
        for bad in ("yesterday", "2012-12-16T04:59:30", 1355633970):
            path.write_text(json.dumps(dict(document, **{key: bad})))
            with pytest.raises(ModelFileError, match=key):
                load_model_file(path)


def test_the_model_file_records_the_first_interaction_time(tmp_path):
    from datetime import UTC, datetime

    model = tiny_model()
    model.first_interaction_at = datetime(2012, 4, 3, 22, 0, tzinfo=UTC)
    path = tmp_path / "m.json"
    model.save(path)
    assert json.loads(path.read_text())["first_interaction_at"] == "2012-04-03T22:00:00+00:00"
    assert load_model_file(path).first_interaction_at == model.first_interaction_at
